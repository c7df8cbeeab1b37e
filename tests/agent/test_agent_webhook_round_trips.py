"""What one webhook costs the web process, counted in process on real Postgres and Redis: one SQL statement
(shared with its neighbours under load) and no Redis call, for a status, a guest message and a redelivery;
and the startup heap frozen, so the garbage collector does not walk it again and again under load."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from agent_harness import FakeGraph
from prometheus_client import REGISTRY
from redis.asyncio.client import Pipeline, Redis
from test_agent_service import _duplicates, envelope, post, running, scalar, settings_for, text


class Calls:
    """SQL statements and Redis commands issued by this process (the in-process agent) since the last `take`."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.redis: list[Any] = []

    def take(self) -> tuple[int, int]:
        counts = (len(self.sql), len(self.redis))
        self.sql.clear()
        self.redis.clear()
        return counts


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    seen = Calls()
    execute = psycopg.AsyncCursor.execute
    command = Redis.execute_command
    pipeline = Pipeline.execute

    async def counting_execute(self: psycopg.AsyncCursor, query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.sql.append(str(query)[:40])
        return await execute(self, query, *args, **kwargs)

    async def counting_command(self: Redis, *args: Any, **kwargs: Any) -> Any:
        seen.redis.append(args[:1])
        return await command(self, *args, **kwargs)

    async def counting_pipeline(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        seen.redis.append("pipeline")
        return await pipeline(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", counting_execute)
    monkeypatch.setattr(Redis, "execute_command", counting_command)
    monkeypatch.setattr(Pipeline, "execute", counting_pipeline)
    yield seen


def _statuses(status: str) -> float:
    return REGISTRY.get_sample_value("hotelero_statuses_total", {"status": status}) or 0.0


def _status(wamid: str, status: str) -> dict[str, Any]:
    return {"id": wamid, "status": status, "timestamp": "1", "recipient_id": "34600111222"}


def test_a_status_only_webhook_costs_one_sql_statement_and_no_redis_call(
    fresh_postgres_url: str, fresh_redis_url: str, fake_graph: FakeGraph, calls: Calls
) -> None:
    settings = settings_for(fresh_postgres_url, fresh_redis_url, fake_graph, run_worker=False)
    with running(settings) as client:
        calls.take()  # startup: migrations
        for status in ("sent", "delivered", "read"):
            before = _statuses(status)
            assert post(client, envelope(statuses=[_status("wamid.OUT1", status)])).status_code == 200
            assert calls.take() == (1, 0), status
            assert _statuses(status) == before + 1
    assert scalar(fresh_postgres_url, "SELECT count(*) FROM message_statuses") == 3


def test_a_guest_message_and_its_redelivery_cost_one_statement_each_and_no_redis_call(
    fresh_postgres_url: str, fresh_redis_url: str, fake_graph: FakeGraph, calls: Calls
) -> None:
    settings = settings_for(fresh_postgres_url, fresh_redis_url, fake_graph, run_worker=False)
    raw = envelope(text("wamid.R1", "hola"))
    with running(settings) as client:
        calls.take()
        assert post(client, raw).status_code == 200
        assert calls.take() == (1, 0)
        # The redelivery: the unique wamid answers it inside the same kind of statement, and it counts as duplicate.
        before = _duplicates(client)
        calls.take()  # the scrape reads the inbox depth
        assert post(client, raw).status_code == 200
        assert calls.take() == (1, 0)
        assert _duplicates(client) == before + 1
    assert scalar(fresh_postgres_url, "SELECT count(*) FROM inbound_messages") == 1


def test_a_started_agent_has_frozen_its_startup_heap_out_of_the_collectors_reach(
    fresh_postgres_url: str, fresh_redis_url: str, fake_graph: FakeGraph
) -> None:
    gc.unfreeze()
    with running(settings_for(fresh_postgres_url, fresh_redis_url, fake_graph, run_worker=False)) as client:
        assert gc.get_freeze_count() > 10_000  # the frameworks, the app and its pools
        assert client.get("/health/live").status_code == 200
    gc.unfreeze()  # the rest of the test session collects as usual
