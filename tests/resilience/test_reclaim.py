"""A reply recorded as "sending" whose send response was lost: the reclaim asks the statuses before resending."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import orjson
import psycopg
import pytest
from agent_harness import FakeGraph
from psycopg_pool import AsyncConnectionPool
from test_agent_service import envelope, post, running, settings_for

from agent import inbox

pytestmark = pytest.mark.e2e


def sending_reply(db: str, inbound_wamid: str) -> int:
    """An outbound row as the plan statement leaves it: sending, no wamid (the worker died in the Graph call)."""
    now = datetime.now(UTC)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO guests (guest, wa_id, created_at) VALUES ('34600222333', '34600222333', %s)", (now,))
        row = conn.execute(
            "INSERT INTO outbound_messages (inbound_wamid, idx, guest, body, created_at, updated_at, sending_at)"
            " VALUES (%s, 0, '34600222333', %s, %s, %s, %s) RETURNING id",
            (inbound_wamid, orjson.dumps({"type": "text", "text": {"body": "hola"}}).decode(), now, now, now),
        ).fetchone()
    return int(row[0])


async def planned(db: str, inbound_wamid: str) -> list[inbox.PlannedReply]:
    async with AsyncConnectionPool(db, min_size=1, max_size=1, kwargs=inbox.connection_kwargs(db)) as pool:
        return await inbox.planned_replies(pool, inbound_wamid, datetime.now(UTC))


def test_a_reply_whose_status_came_back_is_recorded_as_sent_not_sent_again(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)):
        pass  # migrations applied
    reply_id = sending_reply(fresh_postgres_url, "wamid.IN1")
    status = {
        "id": "wamid.OUT1",
        "status": "sent",
        "timestamp": str(int(time.time())),
        "recipient_id": "34600222333",
        "biz_opaque_callback_data": inbox.callback_key(reply_id),
    }
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph, run_worker=False)) as client:
        assert post(client, envelope(statuses=[status])).status_code == 200
    [found] = asyncio.run(planned(fresh_postgres_url, "wamid.IN1"))
    assert found.wamid == "wamid.OUT1"  # the worker skips replies with a wamid
    with psycopg.connect(fresh_postgres_url) as conn:
        state, wamid = conn.execute("SELECT state, wamid FROM outbound_messages WHERE id = %s", (reply_id,)).fetchone()
    assert (state, wamid) == ("sent", "wamid.OUT1")


def test_a_reply_without_any_status_is_still_owed(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)):
        pass
    sending_reply(fresh_postgres_url, "wamid.IN2")
    [owed] = asyncio.run(planned(fresh_postgres_url, "wamid.IN2"))
    assert owed.wamid is None
