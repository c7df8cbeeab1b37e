"""What one guest message costs Postgres, counted at the wire on a real server (round trips, not timings).

Each inbox operation is one autocommit statement: one round trip, no BEGIN/COMMIT, prepared once per connection.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool
from sqltrace import Trace, traced_pool
from test_agent_fastpaths import _message, _run, _status
from test_agent_service import GUEST

from agent import groupcommit, inbox
from agent.envelope import Envelope

REPLY = {"type": "text", "text": {"body": "hola"}}
_NAMED = re.compile(r"%\((\w+)\)s")


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


def _generic_plan(conn: psycopg.Connection, name: str, sql: str) -> str:
    """The plan Postgres caches for a prepared statement (what a pool connection keeps for its whole life)."""
    names: list[str] = []

    def positional(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    conn.execute(f"PREPARE {name} AS {_NAMED.sub(positional, sql)}")
    args = ", ".join("NULL" for _ in names)
    return "\n".join(r[0] for r in conn.execute(f"EXPLAIN (COSTS OFF) EXECUTE {name}({args})"))


def test_on_an_empty_database_every_cached_plan_is_an_index_look_up(fresh_postgres_url: str) -> None:
    _run(fresh_postgres_url, lambda pool: asyncio.sleep(0))  # migrations applied, every table empty
    statements = {"claim": inbox._CLAIM_SQL, "plan": inbox._PLAN_SQL, "finish": inbox._FINISH_SQL,
                  "store": inbox._STORE_SQL, "statuses": inbox._STATUSES_SQL, "retry": inbox._RETRY_SQL,
                  "dead": inbox._DEAD_SQL, "record_sent": inbox._RECORD_SENT_SQL}  # fmt: skip
    with psycopg.connect(fresh_postgres_url, **inbox.connection_kwargs(fresh_postgres_url)) as conn:
        # The agent's connections plan each statement once (generic plan): those plans are what runs.
        assert conn.execute("SHOW plan_cache_mode").fetchone() == ("force_generic_plan",)
        plans = {name: _generic_plan(conn, name, sql) for name, sql in statements.items()}
    for name, plan in plans.items():
        assert "Seq Scan" not in plan and "Hash" not in plan and "Merge Join" not in plan, (name, plan)
        # The pending items in Meta order are walked by the claim alone; the others find one guest or one item.
        assert ("inbound_pending_order" in plan) == (name == "claim"), (name, plan)
    # The claim checks each candidate's earlier entries by its guest, not by reading every pending entry.
    assert "Index Cond: ((guest = m.guest)" in plans["claim"]


def test_the_agents_connections_keep_the_options_given_in_the_database_url() -> None:
    given = inbox.connection_kwargs("postgresql://u@127.0.0.1/db?options=-c%20search_path%3Dhotel")["options"]
    assert given.startswith("-c search_path=hotel ") and "enable_seqscan=off" in given
    assert inbox.connection_kwargs("postgresql://u@127.0.0.1/db")["options"].startswith("-c enable_seqscan=off")
