"""Finishing a turn on real Postgres: only the lease holder marks a message done; a turn that lost its lease keeps
what it sent on record so the new holder neither loses nor repeats those replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import AsyncConnectionPool
from test_agent_fastpaths import _message, _run
from test_agent_service import GUEST

from agent import inbox


@pytest.mark.parametrize("new_owner", ["w2", "w1"], ids=["another worker", "the same worker"])
def test_a_turn_that_lost_its_lease_records_its_sent_replies_but_leaves_the_message_to_the_new_holder(
    fresh_postgres_url: str, new_owner: str
) -> None:
    async def scenario(pool: AsyncConnectionPool) -> dict[str, object]:
        now = datetime.now(UTC)
        lease = timedelta(seconds=30)
        await inbox.store_envelope(pool, _message("L1", GUEST, "100"), now)
        (stalled,) = await inbox.claim(pool, "w1", 1, now, lease)
        _, planned = await inbox.plan(
            pool, stalled, state={"step": 1}, language="es", bodies=[{"type": "text", "text": {"body": "hola"}}],
            origin="agent", handoff=False, reason="", now=now,
        )  # fmt: skip
        stalled.sent.append((planned[0].id, "wamid.out.1"))
        # w1 stalls past its lease; w2 (or w1 itself, in another task) takes the message over.
        (holder,) = await inbox.claim(pool, new_owner, 1, now + 2 * lease, lease)
        out: dict[str, object] = {"stalled_finished": await inbox.finish(pool, stalled, "replied", now + 2 * lease)}
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT state FROM inbound_messages WHERE wamid = 'L1'")
            out["state_after_stalled"] = (await cur.fetchone())[0]
            cur = await conn.execute("SELECT lease_token FROM guests WHERE guest = %s", (GUEST,))
            out["lease_after_stalled"] = (await cur.fetchone())[0]
        out["holder_token"], out["stalled_token"] = holder.lease_token, stalled.lease_token
        # What the new holder finds recorded for the message: the reply the stalled turn sent, with its wamid.
        out["recorded"] = [(r.idx, r.wamid) for r in await inbox.planned_replies(pool, "L1", now + 2 * lease)]
        out["holder_finished"] = await inbox.finish(pool, holder, "replied", now + 2 * lease)
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT state FROM inbound_messages WHERE wamid = 'L1'")
            out["state_after_holder"] = (await cur.fetchone())[0]
        return out

    out = _run(fresh_postgres_url, scenario)
    assert out["holder_token"] != out["stalled_token"]  # each claim its own token, even by the same worker
    assert out["stalled_finished"] is False
    assert out["state_after_stalled"] == "pending"  # not marked done under the new holder's feet
    assert out["lease_after_stalled"] == out["holder_token"]  # the new holder keeps its lease
    assert out["recorded"] == [(0, "wamid.out.1")]  # sent once, on record: the new holder does not send it again
    assert out["holder_finished"] is True and out["state_after_holder"] == "done"
