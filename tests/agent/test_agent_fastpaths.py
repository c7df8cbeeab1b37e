"""The cheap paths of issue 17 on real Postgres and Redis: batched statuses, the one-statement claim, one
normalisation per message, and the web + worker process layout that keeps the webhook answering."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import psutil
import psycopg
import pytest
from agent_harness import FakeGraph, agent_env, start_stack, wait_until
from psycopg_pool import AsyncConnectionPool
from test_agent_service import GUEST, envelope, post, running, settings_for, text

from agent import envelope as envelope_module
from agent import groupcommit, inbox
from agent.envelope import Envelope, InboundMessage, StatusUpdate, parse_envelope
from agent.migrate import apply
from agent.responder import Turn, TurnResult

T = TypeVar("T")


def _run(database_url: str, scenario: Callable[[AsyncConnectionPool], Awaitable[T]]) -> T:
    async def main() -> T:
        await apply(database_url)
        async with AsyncConnectionPool(database_url, kwargs=inbox.connection_kwargs(database_url), open=False) as pool:
            return await scenario(pool)

    return asyncio.run(main())


def _status(wamid: str, status: str, recipient: str = GUEST) -> Envelope:
    raw = {"id": wamid, "status": status, "timestamp": "1", "recipient_id": recipient}
    return Envelope(statuses=[StatusUpdate(wamid=wamid, status=status, timestamp="1", recipient=recipient, raw=raw)])


def _message(wamid: str, guest: str, ts: str, body: str = "hola") -> Envelope:
    raw = {"from": guest, "id": wamid, "timestamp": ts, "type": "text", "text": {"body": body}}
    msg = InboundMessage(
        wamid=wamid,
        type="text",
        text=body,
        guest=guest,
        wa_id=guest,
        user_id=None,
        profile_name="",
        phone_number_id="1",
        timestamp=ts,
        raw=raw,
    )
    return Envelope(messages=[msg])


def test_status_only_webhooks_share_one_statement_and_move_each_reply_forward(
    fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    status_statements: list[int] = []
    message_statements: list[int] = []
    real = groupcommit.store_statuses

    async def counting(pool: AsyncConnectionPool, env: Envelope, now: datetime) -> inbox.Stored:
        status_statements.append(len(env.statuses))
        return await real(pool, env, now)

    async def counting_messages(pool: AsyncConnectionPool, env: Envelope, now: datetime) -> inbox.Stored:
        message_statements.append(len(env.statuses))
        return await inbox.store_envelope(pool, env, now)

    monkeypatch.setattr(groupcommit, "store_statuses", counting)

    async def scenario(pool: AsyncConnectionPool) -> None:
        now = datetime.now(UTC)
        async with pool.connection() as conn:
            await conn.execute("INSERT INTO guests (guest, wa_id, created_at) VALUES (%s, %s, %s)", (GUEST, GUEST, now))
            for i in range(10):
                await conn.execute(
                    "INSERT INTO outbound_messages (inbound_wamid, idx, guest, origin, body, created_at, updated_at,"
                    " wamid, state) VALUES (%s, 0, %s, 'agent', '{}', %s, %s, %s, 'sent')",
                    (f"in.{i}", GUEST, now, now, f"out.{i}"),
                )
        writer = groupcommit.EnvelopeWriter(
            pool, lambda: datetime.now(UTC), status_linger_s=0.05, store=counting_messages
        )
        first = asyncio.create_task(writer.store(_status("out.0", "delivered")))
        await asyncio.sleep(0.01)  # without the linger, `first` would already be a statement of its own
        rest = [writer.store(_status(f"out.{i}", s)) for i in range(9) for s in ("delivered", "read")]
        await asyncio.gather(first, *rest)
        # A failed status needs the worker: it takes the messages' lane and becomes an inbox item. A status still
        # waiting out its linger rides along in that statement instead of taking one of its own.
        waiting = asyncio.create_task(writer.store(_status("out.9", "delivered")))
        await asyncio.sleep(0.01)
        failed = await writer.store(_status("out.9", "failed"))
        assert failed.new_wamids == [inbox.FAILED_STATUS_PREFIX + "out.9"]
        await waiting

    _run(fresh_postgres_url, scenario)
    assert status_statements == [19]  # 19 status-only webhooks, one statement
    assert message_statements == [2]  # the failed status and the one riding along
    with psycopg.connect(fresh_postgres_url) as conn:
        states = dict(conn.execute("SELECT wamid, state FROM outbound_messages").fetchall())
        recorded = conn.execute("SELECT count(*) FROM message_statuses").fetchone()[0]
        queued = conn.execute("SELECT count(*) FROM inbound_messages WHERE kind = 'status'").fetchone()[0]
    assert states == {**{f"out.{i}": "read" for i in range(9)}, "out.9": "failed"}
    assert recorded == 20 and queued == 1


def test_the_claim_follows_each_guests_meta_order_and_brings_state_and_a_retrys_replies(
    fresh_postgres_url: str,
) -> None:
    other = "34699000333"

    async def scenario(pool: AsyncConnectionPool) -> list[list[str]]:
        now = datetime.now(UTC)
        lease = timedelta(seconds=30)
        # A1 and A3 at Meta second 200; A2 arrives after A1 but was sent earlier (a late redelivery).
        for env in (_message("A1", GUEST, "200"), _message("A2", GUEST, "100"), _message("A3", GUEST, "200")):
            await inbox.store_envelope(pool, env, now)
        await inbox.store_envelope(pool, _message("B1", other, "300"), now)
        rounds: list[list[str]] = []
        first = await inbox.claim(pool, "w", 10, now, lease)
        rounds.append(sorted(c.wamid for c in first))
        a2 = next(c for c in first if c.guest == GUEST)
        assert a2.replies is None and a2.state == {} and a2.view().text == "hola"
        # A2 is planned and its first reply sent, then the attempt fails: the retry's claim carries both
        # replies and the conversation state in the same statement, and knows which one went out.
        _, planned = await inbox.plan(
            pool,
            a2,
            state={"step": 1},
            language="en",
            bodies=[{"type": "text", "text": {"body": "one"}}, {"type": "text", "text": {"body": "two"}}],
            origin="agent",
            handoff=False,
            reason="",
            now=now,
        )
        await inbox.record_sent(pool, [(planned[0].id, "wamid.out.one")], now)
        await inbox.schedule_retry(pool, a2, "boom", now)
        retry = await inbox.claim(pool, "w", 10, now, lease)
        assert [c.wamid for c in retry] == ["A2"]
        assert retry[0].planned and retry[0].state == {"step": 1} and retry[0].language == "en"
        assert [(r.idx, r.wamid) for r in retry[0].replies or []] == [(0, "wamid.out.one"), (1, None)]
        for claim in (retry[0], next(c for c in first if c.guest == other)):
            await inbox.finish(pool, claim, "replied", now)
        while batch := await inbox.claim(pool, "w", 10, now, lease):
            rounds.append([c.wamid for c in batch])
            assert len({c.guest for c in batch}) == len(batch)  # one message per guest at a time
            for claim in batch:
                await inbox.finish(pool, claim, "replied", now)
        return rounds

    rounds = _run(fresh_postgres_url, scenario)
    assert rounds == [["A2", "B1"], ["A1"], ["A3"]]  # Meta timestamp first, then arrival


def test_each_message_is_normalised_once_at_the_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = envelope_module.normalise_fields

    def counting(msg: Any) -> dict[str, Any]:
        calls.append(str(msg.get("id")))
        return real(msg)

    monkeypatch.setattr(envelope_module, "normalise_fields", counting)
    value = {"messages": [{"from": GUEST, "id": f"w{i}", "type": "text", "text": {"body": "x"}} for i in range(3)]}
    env = parse_envelope({"entry": [{"changes": [{"value": value}]}]})
    assert calls == ["w0", "w1", "w2"]
    assert [m.kind for m in env.messages] == ["text", "text", "text"]


class Recording:
    """A responder that keeps the message views it was given."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    async def respond(self, turn: Turn) -> TurnResult:
        self.seen.append(turn.message)
        return TurnResult([], turn.state, turn.language)


def test_the_worker_answers_from_the_view_stored_at_the_webhook_not_from_metas_raw_shape(
    fresh_postgres_url: str, fresh_redis_url: str, fake_graph: FakeGraph
) -> None:
    settings = settings_for(fresh_postgres_url, fresh_redis_url, fake_graph, run_worker=False)
    with running(settings) as client:
        button = {
            "from": GUEST,
            "id": "wamid.N1",
            "timestamp": text("x", "x")["timestamp"],
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "b2", "title": "Reservar"}},
        }
        assert post(client, envelope(button)).status_code == 200
    # If the worker normalised Meta's raw object again, it would read this instead of what the webhook stored.
    with psycopg.connect(fresh_postgres_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE inbound_messages SET payload = jsonb_set(payload, '{message}', %s::jsonb)",
            ('{"type": "text", "text": {"body": "tampered"}}',),
        )
    brain = Recording()
    from fastapi.testclient import TestClient

    from agent.app import create_app

    with TestClient(create_app(settings_for(fresh_postgres_url, fresh_redis_url, fake_graph), responder=brain)):
        wait_until(lambda: brain.seen, 15, "the worker to hand the message to the responder")
    view = brain.seen[0]
    assert (view.type, view.reply_id, view.text, view.kind) == ("button_reply", "b2", "Reservar", "button")


@pytest.mark.e2e
def test_web_and_worker_processes_keep_the_webhook_answering_while_a_killed_worker_restarts(
    tmp_path: Path, fresh_postgres_url: str, fresh_redis_url: str
) -> None:
    stack = start_stack(
        tmp_path, fresh_postgres_url, fresh_redis_url, sim_args=["--no-rate-limits"], AGENT_WORKER_PROCESSES="1"
    )
    try:
        supervisor = psutil.Process(stack.procs[0].popen.pid)
        kids = {" ".join(p.cmdline()[2:4]): p for p in supervisor.children()}
        assert set(kids) == {"agent --host", "agent worker"}, kids  # one web process, one worker process
        sent = stack.send("34611000001", "hola")
        assert stack.replies("34611000001", sent["wamid"])  # the separate worker answers
        os.kill(kids["agent worker"].pid, signal.SIGKILL)
        # The web process still stores and acknowledges, at the first attempt, while no worker runs.
        sent = stack.send("34611000002", "sigo aquí")

        def attempts() -> list[dict[str, Any]]:
            params = {"after": sent["wamid"], "timeout": 0, "settle_ms": 0}
            return stack.sim("GET", "/_sim/guests/34611000002/replies", params=params)["timeline"]["attempts"]

        first = wait_until(attempts, 10, "the webhook delivery of the message sent while the worker was dead")
        assert first[0]["status"] == 200
        # The supervisor starts a new worker, which answers the message stored meanwhile.
        assert stack.replies("34611000002", sent["wamid"], timeout=30)
        workers = [p for p in supervisor.children() if p.cmdline()[2:4] == ["agent", "worker"]]
        assert len(workers) == 1 and workers[0].pid != kids["agent worker"].pid
    finally:
        stack.close()


def test_the_agent_command_line_accepts_the_layout_and_says_what_it_runs() -> None:
    env = agent_env("postgresql://127.0.0.1:1/x", "redis://127.0.0.1:1/0", "http://127.0.0.1:1")
    done = subprocess.run(
        [sys.executable, "-m", "agent", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "--web" in done.stdout and "--workers" in done.stdout
