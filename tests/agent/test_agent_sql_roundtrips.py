"""What one guest message costs Postgres, counted at the wire on a real server (round trips, not timings).

Each inbox operation is one autocommit statement: one round trip, no BEGIN/COMMIT, prepared once per connection.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import AsyncConnectionPool
from sqltrace import Trace, traced_pool
from test_agent_fastpaths import _message, _run, _status
from test_agent_service import GUEST

from agent import groupcommit, inbox
from agent.envelope import Envelope

REPLY = {"type": "text", "text": {"body": "hola"}}


def _traced(database_url: str, scenario):  # type: ignore[no-untyped-def]
    async def with_trace(_: AsyncConnectionPool) -> object:
        async with traced_pool(database_url, min_size=1, max_size=1) as (pool, trace):
            return await scenario(pool, trace)

    return _run(database_url, with_trace)


def test_a_guest_message_costs_five_round_trips_from_webhook_to_its_statuses(fresh_postgres_url: str) -> None:
    async def scenario(pool: AsyncConnectionPool, trace: Trace) -> list[dict[str, int]]:
        now = datetime.now(UTC)
        writer = groupcommit.EnvelopeWriter(pool, lambda: now)
        turns: list[dict[str, int]] = []
        for n in range(2):  # the first turn also prepares each statement on the connection (one more round trip)
            trips: dict[str, int] = {}
            turns.append(trips)

            async def step(name: str, op):  # type: ignore[no-untyped-def]
                trace.reset()
                result = await op
                trips[name] = trace.round_trips()  # noqa: B023 - read at once, in this iteration
                assert not any(s.upper() in ("BEGIN", "COMMIT") for s in trace.statements())
                return result

            await step("webhook", writer.store(_message(f"R{n}", GUEST, "100")))
            (claim,) = await step("claim", inbox.claim(pool, "w", 8, now, timedelta(seconds=30)))
            _, planned = await step(
                "plan",
                inbox.plan(
                    pool, claim, state={"step": n}, language="es", bodies=[REPLY, REPLY], origin="agent",
                    handoff=False, reason="", now=now,
                ),
            )  # fmt: skip
            out = [f"wamid.o{n}.{i}" for i in range(2)]
            claim.sent += [(planned[0].id, out[0]), (planned[1].id, out[1])]
            await step("finish", inbox.finish(pool, claim, "replied", now))
            statuses = [s for w in out for st in ("sent", "delivered", "read") for s in _status(w, st).statuses]
            await step("six statuses", writer.store(Envelope(statuses=statuses)))
        return turns

    first, steady = _traced(fresh_postgres_url, scenario)
    assert first == {"webhook": 2, "claim": 2, "plan": 2, "finish": 2, "six statuses": 2}
    assert steady == {"webhook": 1, "claim": 1, "plan": 1, "finish": 1, "six statuses": 1}


@pytest.mark.parametrize("claims", [1, 8])
def test_one_claim_statement_leases_many_guests_and_brings_a_retrys_replies(
    fresh_postgres_url: str, claims: int
) -> None:
    async def scenario(pool: AsyncConnectionPool, trace: Trace) -> tuple[int, int, list[int]]:
        now = datetime.now(UTC)
        for g in range(claims):
            await inbox.store_envelope(pool, _message(f"M{g}", f"3460000{g:04d}", "100"), now)
        first = await inbox.claim(pool, "w", claims, now, timedelta(seconds=30))
        _, planned = await inbox.plan(
            pool, first[0], state={}, language="es", bodies=[REPLY, REPLY], origin="agent", handoff=False,
            reason="", now=now,
        )  # fmt: skip
        await inbox.record_sent(pool, [(planned[0].id, "wamid.sent")], now)
        for c in first:
            await inbox.schedule_retry(pool, c, "boom", now)
        trace.reset()
        again = await inbox.claim(pool, "w", claims, now, timedelta(seconds=30))
        replies = [len(c.replies or []) for c in again]
        return trace.round_trips(), len(again), replies

    trips, leased, replies = _traced(fresh_postgres_url, scenario)
    assert (trips, leased) == (1, claims)
    assert replies[0] == 2 and sorted(replies[1:]) == [0] * (claims - 1)


def test_each_statement_is_parsed_once_per_connection(fresh_postgres_url: str) -> None:
    async def scenario(pool: AsyncConnectionPool, trace: Trace) -> list[str]:
        now = datetime.now(UTC)
        writer = groupcommit.EnvelopeWriter(pool, lambda: now)
        trace.reset()
        for i in range(3):
            await writer.store(_message(f"P{i}", GUEST, "100"))
            (claim,) = await inbox.claim(pool, "w", 8, now, timedelta(seconds=30))
            await inbox.finish(pool, claim, "replied", now)
        return trace.statements()

    sent = _traced(fresh_postgres_url, scenario)
    assert len(sent) == 3  # store, claim and finish: each sent (and parsed by Postgres) once, then re-executed
