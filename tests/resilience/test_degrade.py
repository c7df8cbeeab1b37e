"""Degrade, then recover: real Redis and Postgres servers stopped under the agent, then started again.

Outcomes only (which answers, what was stored, what was sent); how fast is a figure of the resilience stage.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from agent_harness import FakeGraph, wait_until
from test_agent_service import envelope, post, running, scalar, settings_for

from validation.faults import postgres_control, redis_control
from validation.services.handle import ServiceHandle

pytestmark = pytest.mark.e2e


def now_text(wamid: str, body: str, sender: str) -> dict[str, str | dict[str, str]]:
    return {"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": body}}


def replies_to(graph: FakeGraph, wa_id: str) -> list[str]:
    return [b.get("text", {}).get("body", "") for b in graph.sends() if b.get("to") == wa_id]


def test_without_redis_guests_are_answered_and_limited_in_process_then_redis_returns(
    fresh_postgres_url: str, own_redis: ServiceHandle, graph: FakeGraph
) -> None:
    settings = settings_for(fresh_postgres_url, own_redis.url, graph, rate_limit_messages=3)
    control = redis_control(own_redis.url)
    with running(settings) as client:
        assert post(client, envelope(now_text("wamid.R0", "antes", "34600000001"))).status_code == 200
        wait_until(lambda: replies_to(graph, "34600000001"), 10, "a reply with Redis up")
        control.stop()
        # Fail open: the webhook (which never calls Redis) and the rate limiter work without Redis.
        for i in range(5):
            raw = envelope(now_text(f"wamid.R{i + 1}", f"sin redis {i}", "34600000002"))
            assert post(client, raw).status_code == 200
        wait_until(
            lambda: scalar(fresh_postgres_url, "SELECT count(*) FROM inbound_messages WHERE state = 'pending'") == 0,
            20,
            "every message handled without Redis",
        )
        texts = replies_to(graph, "34600000002")
        # Bounded: the in-process limiter still lets 3 through and sends one notice, as Redis would.
        assert [t for t in texts if t.startswith("Has escrito")] == [f"Has escrito: sin redis {i}" for i in range(3)]
        assert len(texts) == 4, texts
        control.spawn()
        control.wait_ready()
        assert post(client, envelope(now_text("wamid.R9", "de vuelta", "34600000003"))).status_code == 200
        wait_until(lambda: replies_to(graph, "34600000003"), 10, "a reply after Redis returned")


def test_without_postgres_webhooks_get_503_and_every_message_is_answered_once_it_returns(
    own_postgres: ServiceHandle, fresh_redis_url: str, graph: FakeGraph
) -> None:
    settings = settings_for(own_postgres.url, fresh_redis_url, graph)
    control = postgres_control(own_postgres.url)
    bodies = [envelope(now_text(f"wamid.P{i}", f"mensaje {i}", f"3460000010{i}")) for i in range(8)]
    with running(settings) as client:
        assert post(client, envelope(now_text("wamid.P-up", "hola", "34600000099"))).status_code == 200
        wait_until(lambda: replies_to(graph, "34600000099"), 10, "a reply with Postgres up")
        control.stop()
        # Concurrent webhooks while the database is gone: each one is refused (Meta redelivers), none hangs
        # (the group commit fails them together instead of one after another).
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda raw: post(client, raw).status_code, bodies))
        assert statuses == [503] * len(bodies)
        control.spawn()
        control.wait_ready()
        # Meta redelivers the refused webhooks until one is acknowledged (the pool's first connections after the
        # restart are the dead ones, found out on use): each is then stored and answered.
        for i, raw in enumerate(bodies):
            wait_until(lambda raw=raw: post(client, raw).status_code == 200, 20, f"redelivery {i} acknowledged")
        for i in range(len(bodies)):
            wait_until(lambda i=i: replies_to(graph, f"3460000010{i}"), 20, f"a reply to message {i}")
    assert scalar(own_postgres.url, "SELECT count(*) FROM inbound_messages WHERE state <> 'done'") == 0
