"""The agent in-process (real Postgres, real Redis, a scripted Graph server): webhook, worker, statuses, admin."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
import pytest
import redis as redis_lib
from agent_harness import ADMIN_TOKEN, APP_SECRET, FakeGraph, wait_until
from fastapi.testclient import TestClient

from agent.app import create_app
from agent.settings import Settings
from agent.signature import sign

GUEST = "34600111222"


def settings_for(db: str, redis: str, graph: FakeGraph, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db,
        "redis_url": redis,
        "graph_api_base_url": graph.url,
        "phone_number_id": "123",
        "access_token": "tok",
        "app_secret": APP_SECRET,
        "verify_token": "vt",
        "admin_token": ADMIN_TOKEN,
        "poll_interval_seconds": 0.1,
        "graph_retry_base_seconds": 0.01,
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.1,
        "mark_read": False,
        "responder": "echo",
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


@contextmanager
def running(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def envelope(*messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None) -> bytes:
    value: dict[str, Any] = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "123"}}
    if messages:
        value["contacts"] = [{"profile": {"name": "Ana"}, "wa_id": m["from"]} for m in messages]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return orjson.dumps(body)


def text(wamid: str, body: str, sender: str = GUEST) -> dict[str, Any]:
    # Sent now: an old Meta timestamp would be stale (AGENT_STALE_MESSAGE_HOURS) and recorded, not answered.
    return {"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": body}}


def post(client: TestClient, raw: bytes, signature: str | None = "good") -> Any:
    headers = {"Content-Type": "application/json"}
    if signature == "good":
        headers["X-Hub-Signature-256"] = sign(APP_SECRET, raw)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/webhooks/whatsapp", content=raw, headers=headers)


def _duplicates(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('hotelero_webhook_requests_total{result="duplicate"}'):
            return float(line.split()[-1])
    return 0.0


def scalar(db: str, sql: str, *params: object) -> Any:
    with psycopg.connect(db) as conn:
        return conn.execute(sql, params).fetchone()[0]


@pytest.fixture
def graph(fake_graph: FakeGraph) -> FakeGraph:
    return fake_graph


def test_forged_missing_or_stale_signatures_get_401_and_store_nothing(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)) as client:
        raw = envelope(text("wamid.S1", "hola"))
        stale = sign(APP_SECRET, envelope(text("wamid.S0", "an earlier body")))
        forged = sign("not-the-app-secret", raw)
        reserialised = sign(APP_SECRET, orjson.dumps(orjson.loads(raw), option=orjson.OPT_INDENT_2))
        for header in (None, "", forged, stale, reserialised, "sha256=zz", sign(APP_SECRET, raw)[7:]):
            assert post(client, raw, signature=header).status_code == 401, header
        time.sleep(0.3)
        assert scalar(fresh_postgres_url, "SELECT count(*) FROM inbound_messages") == 0
        assert scalar(fresh_postgres_url, "SELECT count(*) FROM guests") == 0
        assert graph.sends() == []
        # The same body correctly signed is accepted, so the 401s were about the signature.
        assert post(client, raw).status_code == 200
        assert scalar(fresh_postgres_url, "SELECT count(*) FROM inbound_messages") == 1


def test_webhook_rejects_bad_json_and_oversized_bodies_without_storing(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph, webhook_max_bytes=2048)) as client:
        assert post(client, b"{not json").status_code == 400
        assert post(client, envelope(text("wamid.BIG", "x" * 4000))).status_code == 413
        assert scalar(fresh_postgres_url, "SELECT count(*) FROM inbound_messages") == 0


def test_verification_handshake_echoes_challenge_only_with_the_right_token(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)) as client:
        ok = client.get(
            "/webhooks/whatsapp",
            params={"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"},
        )
        assert (ok.status_code, ok.text) == (200, "1158201444")
        bad = client.get(
            "/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}
        )
        assert bad.status_code == 403


def test_messages_are_committed_before_the_ack_and_processed_in_order_per_guest(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    settings = settings_for(fresh_postgres_url, fresh_redis_url, graph, run_worker=False)
    with running(settings) as client:
        raw = envelope(text("wamid.O1", "uno"), text("wamid.O2", "dos"), text("wamid.P1", "otro", sender="34699000111"))
        assert post(client, raw).status_code == 200
        # No worker runs: the 200 came after the rows were durable.
        assert scalar(fresh_postgres_url, "SELECT count(*) FROM inbound_messages WHERE state = 'pending'") == 3
        # The redelivery is answered by the unique wamid (counted as a duplicate), and Redis holds no key for it.
        before = _duplicates(client)
        assert post(client, raw).status_code == 200  # redelivery is a no-op
        assert _duplicates(client) == before + 1
        with redis_lib.Redis.from_url(fresh_redis_url) as redis:
            assert redis.dbsize() == 0
        assert scalar(fresh_postgres_url, "SELECT count(*) FROM inbound_messages") == 3
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph, worker_concurrency=4)):
        wait_until(lambda: len(graph.sends()) == 3, 15, "three replies")
    by_guest: dict[str, list[str]] = {}
    for body in graph.sends():
        by_guest.setdefault(body["to"], []).append(body["text"]["body"])
    assert by_guest == {GUEST: ["Has escrito: uno", "Has escrito: dos"], "34699000111": ["Has escrito: otro"]}


def test_claim_leases_one_message_per_guest_at_a_time(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    import asyncio
    from datetime import UTC, datetime, timedelta

    from psycopg_pool import AsyncConnectionPool

    from agent import inbox

    settings = settings_for(fresh_postgres_url, fresh_redis_url, graph, run_worker=False)
    with running(settings) as client:
        post(
            client, envelope(text("wamid.C1", "a"), text("wamid.C2", "b"), text("wamid.D1", "c", sender="34699000222"))
        )

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        async with AsyncConnectionPool(
            fresh_postgres_url, kwargs=inbox.connection_kwargs(fresh_postgres_url), open=False
        ) as pool:
            now = datetime.now(UTC)
            first = await inbox.claim(pool, "w1", 10, now, timedelta(seconds=30))
            # A second worker gets nothing: both guests are leased, C2 waits behind C1.
            second = await inbox.claim(pool, "w2", 10, now, timedelta(seconds=30))
            # After the lease expires without C1 finishing, C1 (not C2) is claimed again.
            later = await inbox.claim(pool, "w3", 10, now + timedelta(seconds=31), timedelta(seconds=30))
            # C1 fails and waits for a retry in a minute: C2 must not overtake it.
            c1 = next(c for c in later if c.wamid == "wamid.C1")
            await inbox.schedule_retry(pool, c1, "boom", now + timedelta(seconds=90))
            overtaking = await inbox.claim(pool, "w4", 10, now + timedelta(seconds=62), timedelta(seconds=30))
            retried = await inbox.claim(pool, "w5", 10, now + timedelta(seconds=91), timedelta(seconds=30))
            return [[c.wamid for c in r] for r in (first, second, later, overtaking, retried)]

    first, second, later, overtaking, retried = asyncio.run(scenario())
    assert sorted(first) == ["wamid.C1", "wamid.D1"]
    assert second == []
    assert sorted(later) == ["wamid.C1", "wamid.D1"]
    assert overtaking == ["wamid.D1"]  # D1's lease expired again; guest C has nothing due
    assert "wamid.C1" in retried and "wamid.C2" not in retried


def test_transient_failures_retry_then_dead_letter_with_one_apology_and_admin_retry(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    broken = {"on": True}
    # Replies echoing "boom" fail with 131000 (transient) while broken; the apology goes through.
    graph.fail = lambda body: (131000, 500) if broken["on"] and "boom" in str(body) else None
    settings = settings_for(fresh_postgres_url, fresh_redis_url, graph, max_attempts=3, graph_max_retries=1)
    with running(settings) as client:
        post(client, envelope(text("wamid.F1", "boom")))
        wait_until(lambda: scalar(fresh_postgres_url, "SELECT count(*) FROM dead_letters") == 1, 20, "a dead letter")
        wait_until(lambda: len(graph.sends()) == 1, 10, "the apology")
        assert "Lo siento" in graph.texts()[0]
        assert scalar(fresh_postgres_url, "SELECT attempts FROM inbound_messages WHERE wamid = 'wamid.F1'") == 3
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert client.get("/admin/dead-letters").status_code == 401
        dead = client.get("/admin/dead-letters", headers=auth).json()
        assert [d["wamid"] for d in dead] == ["wamid.F1"] and "131000" in dead[0]["error"]
        broken["on"] = False
        assert client.post(f"/admin/dead-letters/{dead[0]['id']}/retry", headers=auth).status_code == 200
        wait_until(lambda: len(graph.sends()) == 2, 10, "the reply after the retry")
        time.sleep(0.3)
        assert graph.texts() == [graph.texts()[0], "Has escrito: boom"]  # one apology, one reply
        assert client.get("/admin/dead-letters", headers=auth).json() == []


def test_handoff_stops_auto_replies_until_staff_resolve(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)) as client:
        post(client, envelope(text("wamid.H1", "quiero hablar con una persona")))
        wait_until(lambda: len(graph.sends()) == 1, 10, "the handoff notice")
        post(client, envelope(text("wamid.H2", "¿hola?")))
        wait_until(
            lambda: (
                scalar(fresh_postgres_url, "SELECT outcome FROM inbound_messages WHERE wamid = 'wamid.H2'") == "human"
            ),
            10,
            "the second message to be held for a human",
        )
        assert len(graph.sends()) == 1
        handoffs = client.get("/admin/handoffs", headers=auth).json()
        assert [h["guest"] for h in handoffs] == [GUEST] and handoffs[0]["profile_name"] == "Ana"
        staff = client.post(f"/admin/conversations/{GUEST}/messages", headers=auth, json={"text": "Soy Marta, dime."})
        assert staff.status_code == 200 and graph.texts()[-1] == "Soy Marta, dime."
        assert client.post(f"/admin/conversations/{GUEST}/resolve", headers=auth).json()["resolved"]
        assert client.get("/admin/handoffs", headers=auth).json() == []
        post(client, envelope(text("wamid.H3", "gracias")))
        wait_until(lambda: graph.texts()[-1] == "Has escrito: gracias", 10, "auto-replies to resume")
        lines = client.get(f"/admin/conversations/{GUEST}/transcript", headers=auth).json()
        assert [(line["direction"], line["origin"]) for line in lines] == [
            ("in", "guest"),
            ("out", "agent"),
            ("in", "guest"),
            ("out", "staff"),
            ("in", "guest"),
            ("out", "agent"),
        ]


def _failed_status(wamid: str) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": "failed",
        "timestamp": "1795640999",
        "recipient_id": GUEST,
        "errors": [{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "24 hours"}}],
    }


def test_failed_131047_without_template_flags_the_conversation_for_a_human(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)) as client:
        post(client, envelope(text("wamid.W1", "algo")))
        wait_until(lambda: len(graph.sends()) == 1, 10, "the reply")
        wait_until(
            lambda: scalar(fresh_postgres_url, "SELECT count(*) FROM outbound_messages WHERE wamid = 'wamid.fake1'"),
            5,
            "sent",
        )
        post(client, envelope(statuses=[_failed_status("wamid.fake1")]))
        wait_until(lambda: scalar(fresh_postgres_url, "SELECT needs_human FROM conversations"), 10, "the human flag")
        assert scalar(fresh_postgres_url, "SELECT state FROM outbound_messages WHERE wamid = 'wamid.fake1'") == "failed"
        assert "131047" in scalar(fresh_postgres_url, "SELECT handoff_reason FROM conversations")
        assert len(graph.sends()) == 1


def test_failed_131047_with_template_configured_sends_the_template(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    settings = settings_for(fresh_postgres_url, fresh_redis_url, graph, reengagement_template="we_are_here")
    with running(settings) as client:
        post(client, envelope(text("wamid.T1", "algo")))
        wait_until(lambda: len(graph.sends()) == 1, 10, "the reply")
        post(client, envelope(statuses=[_failed_status("wamid.fake1")]))
        post(client, envelope(statuses=[_failed_status("wamid.fake1")]))  # a redelivered status changes nothing
        wait_until(lambda: len(graph.sends()) == 2, 10, "the template")
        time.sleep(0.3)
        assert [b["type"] for b in graph.sends()] == ["text", "template"]
        assert graph.sends()[1]["template"]["name"] == "we_are_here"
        assert not scalar(fresh_postgres_url, "SELECT needs_human FROM conversations")


def test_statuses_advance_outbound_state_and_never_go_backwards(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)) as client:
        post(client, envelope(text("wamid.X1", "algo")))
        wait_until(
            lambda: scalar(fresh_postgres_url, "SELECT count(*) FROM outbound_messages WHERE wamid = 'wamid.fake1'"),
            10,
            "sent",
        )
        for status in ("read", "delivered", "sent"):
            post(
                client,
                envelope(statuses=[{"id": "wamid.fake1", "status": status, "timestamp": "1", "recipient_id": GUEST}]),
            )
        assert scalar(fresh_postgres_url, "SELECT state FROM outbound_messages WHERE wamid = 'wamid.fake1'") == "read"


def test_flooding_guest_gets_one_polite_notice_not_a_reply_each(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    settings = settings_for(
        fresh_postgres_url, fresh_redis_url, graph, rate_limit_messages=3, rate_limit_window_seconds=3600
    )
    with running(settings) as client:
        post(client, envelope(*[text(f"wamid.R{i}", f"m{i}") for i in range(7)]))
        wait_until(
            lambda: scalar(fresh_postgres_url, "SELECT count(*) FROM inbound_messages WHERE state = 'done'") == 7,
            15,
            "all done",
        )
        texts = graph.texts()
        assert texts[:3] == ["Has escrito: m0", "Has escrito: m1", "Has escrito: m2"]
        assert len(texts) == 4 and "muchos mensajes" in texts[3]


def test_admin_api_requires_the_bearer_token(fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)) as client:
        assert client.get("/admin/handoffs").status_code == 401
        assert client.get("/admin/handoffs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/admin/handoffs", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 200


def test_health_ready_reports_database_and_redis_and_metrics_expose_the_inbox(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph, run_worker=False)) as client:
        assert client.get("/health/live").json() == {"status": "ok"}
        ready = client.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
        post(client, envelope(text("wamid.M1", "a"), text("wamid.M2", "b")))
        exposition = client.get("/metrics").text
        assert "hotelero_inbox_depth 2.0" in exposition
        assert "hotelero_webhook_ack_seconds_bucket" in exposition
    with running(settings_for(fresh_postgres_url, "redis://127.0.0.1:1/0", graph, run_worker=False)) as client:
        not_ready = client.get("/health/ready")
        assert not_ready.status_code == 503 and not_ready.json()["checks"]["redis"].startswith("unreachable")


def test_production_mode_refuses_to_start_without_an_admin_token() -> None:
    with pytest.raises(ValueError, match="AGENT_ADMIN_TOKEN"):
        Settings(_env_file=None, env="production")
    assert Settings(_env_file=None, env="production", admin_token="s3cret").admin_token.get_secret_value() == "s3cret"


def test_migrations_from_concurrent_replicas_apply_once(fresh_postgres_url: str) -> None:
    import asyncio

    from agent import migrate

    async def three_replicas() -> list[list[str]]:
        return await asyncio.gather(*(migrate.apply(fresh_postgres_url) for _ in range(3)))

    results = asyncio.run(three_replicas())
    assert sorted(len(r) for r in results) == [0, 0, len(migrate.available())]
    assert scalar(fresh_postgres_url, "SELECT max(version) FROM schema_migrations") == migrate.latest_version()


def test_synchronous_131047_refusal_is_not_retried_and_flags_for_a_human(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    graph.fail = lambda body: (131047, 400) if "ventana" in str(body) else None
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)) as client:
        post(client, envelope(text("wamid.V1", "ventana cerrada")))
        wait_until(lambda: scalar(fresh_postgres_url, "SELECT needs_human FROM conversations"), 10, "the human flag")
        assert scalar(fresh_postgres_url, "SELECT state FROM outbound_messages") == "failed"
        assert scalar(fresh_postgres_url, "SELECT error_code FROM outbound_messages") == 131047
        assert scalar(fresh_postgres_url, "SELECT attempts FROM inbound_messages") == 1
        assert graph.sends() == []


def test_receptionist_is_the_default_and_needs_a_pms_url_while_echo_stands_alone() -> None:
    from agent.app import build_responder
    from agent.echo import EchoResponder

    assert Settings(_env_file=None).responder == "receptionist"
    with pytest.raises(ValueError, match="AGENT_QLOAPPS_URL"):
        build_responder(Settings(_env_file=None))
    assert isinstance(build_responder(Settings(_env_file=None, responder="echo")), EchoResponder)


def test_synchronous_131047_with_template_sends_it_and_keeps_the_turns_state(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    graph.fail = lambda body: (131047, 400) if "ventana" in str(body) else None
    settings = settings_for(fresh_postgres_url, fresh_redis_url, graph, reengagement_template="we_are_here")
    with running(settings) as client:
        post(client, envelope(text("wamid.V2", "ventana cerrada")))
        wait_until(lambda: len(graph.sends()) == 1, 10, "the template")
        assert graph.sends()[0]["template"]["name"] == "we_are_here"
        wait_until(
            lambda: scalar(fresh_postgres_url, "SELECT outcome FROM inbound_messages") == "window_closed", 10, "done"
        )
        assert scalar(fresh_postgres_url, "SELECT state->>'turns' FROM conversations") == "1"
        assert not scalar(fresh_postgres_url, "SELECT needs_human FROM conversations")
