"""End to end with the real WhatsApp simulator: guest sends, the agent (a real server) replies, the reply arrives."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psycopg
import pytest
from agent_harness import Stack, start_stack, wait_until

pytestmark = pytest.mark.e2e


def _count(db: str, sql: str, *params: object) -> int:
    with psycopg.connect(db) as conn:
        return conn.execute(sql, params).fetchone()[0]


def _inbox_row(db: str, wamid: str) -> tuple[str, int]:
    """An inbound message's state and how many attempts it took."""
    with psycopg.connect(db) as conn:
        return tuple(conn.execute("SELECT state, attempts FROM inbound_messages WHERE wamid = %s", (wamid,)).fetchone())


def test_guest_message_gets_a_reply_at_the_simulator(stack: Stack) -> None:
    sent = stack.send("34600111222", "hola", profile_name="Ana")
    replies = stack.replies("34600111222", sent["wamid"])
    assert len(replies) == 1
    body = replies[0]["message"]
    assert body["type"] == "interactive" and "Ana" in body["interactive"]["body"]["text"]
    second = stack.send("34600111222", "quiero una habitación doble")
    replies = stack.replies("34600111222", second["wamid"])
    assert [r["message"]["text"]["body"] for r in replies] == ["Has escrito: quiero una habitación doble"]
    # The simulator saw the inbound messages marked read (with the typing indicator) by the agent.
    conv = stack.sim("GET", "/_sim/guests/34600111222/conversation")
    inbound = [m for m in conv["messages"] if m["direction"] == "in"]
    assert all(any(s["status"] == "read" for s in m["statuses"]) for m in inbound)


def test_redelivered_webhook_produces_exactly_one_reply(stack: Stack) -> None:
    stack.sim("POST", "/_sim/faults", json={"duplicate_rate": 1.0, "duplicate_delay_ms": 50})
    sent = stack.send("34600222333", "primera consulta")
    replies = stack.replies("34600222333", sent["wamid"], settle_ms=1500)
    journal = stack.sim("GET", "/_sim/journal", params={"kind": "webhook"})["entries"]
    assert any(e.get("duplicate") for e in journal), "the simulator did not redeliver; the test proves nothing"
    assert [r["message"]["text"]["body"] for r in replies] == ["Has escrito: primera consulta"]
    assert _count(stack.database_url, "SELECT count(*) FROM inbound_messages WHERE wamid = %s", sent["wamid"]) == 1


def test_batched_post_with_three_messages_from_two_guests_gets_three_ordered_replies(stack: Stack) -> None:
    stack.sim("POST", "/_sim/faults", json={"batch_size": 3, "batch_window_ms": 300})
    a1 = stack.send("34600333444", "uno")
    stack.send("34600333444", "dos")
    b1 = stack.send("34600555666", "tres")
    wait_until(lambda: len(stack.outbound_texts("34600333444")) >= 2, 20, "two replies for guest A")
    wait_until(lambda: len(stack.outbound_texts("34600555666")) >= 1, 20, "one reply for guest B")
    time.sleep(0.5)  # a late duplicate reply would show up here
    assert stack.outbound_texts("34600333444") == ["Has escrito: uno", "Has escrito: dos"]
    assert stack.outbound_texts("34600555666") == ["Has escrito: tres"]
    journal = stack.sim("GET", "/_sim/journal", params={"kind": "webhook"})["entries"]
    batched = [e for e in journal if a1["wamid"] in str(e.get("refs")) and b1["wamid"] in str(e.get("refs"))]
    assert batched, "the three messages were not delivered in one POST"


def test_worker_killed_mid_message_is_reclaimed_after_the_lease_with_one_reply(
    tmp_path: Path, fresh_postgres_url: str, fresh_redis_url: str
) -> None:
    # The web process only stores; a separate slow worker claims and is killed while "thinking".
    stack = start_stack(
        tmp_path, fresh_postgres_url, fresh_redis_url, sim_args=["--no-rate-limits"], AGENT_RUN_WORKER="false"
    )
    try:
        slow = stack.start_worker("slow-worker", AGENT_ECHO_DELAY_MS="30000", AGENT_LEASE_SECONDS="2")
        sent = stack.send("34600777888", "mensaje importante")
        wait_until(
            lambda: _count(stack.database_url, "SELECT count(*) FROM guests WHERE lease_token IS NOT NULL") == 1,
            30,
            "the slow worker to lease the guest",
        )
        slow.stop(signal.SIGKILL)
        assert slow.popen.returncode == -signal.SIGKILL
        stack.start_worker("second-worker", AGENT_LEASE_SECONDS="2")
        replies = stack.replies("34600777888", sent["wamid"], timeout=30, settle_ms=1500)
        assert [r["message"]["text"]["body"] for r in replies] == ["Has escrito: mensaje importante"]
        assert _inbox_row(stack.database_url, sent["wamid"]) == ("done", 2)
    finally:
        stack.close()


def test_a_turn_longer_than_its_lease_keeps_it_renewed_and_is_answered_once(
    tmp_path: Path, fresh_postgres_url: str, fresh_redis_url: str
) -> None:
    # A 4 s turn under a 1.5 s lease: only the worker's renewals keep a second claim from taking the guest.
    stack = start_stack(
        tmp_path,
        fresh_postgres_url,
        fresh_redis_url,
        sim_args=["--no-rate-limits"],
        AGENT_ECHO_DELAY_MS="4000",
        AGENT_LEASE_SECONDS="1.5",
    )
    try:
        sent = stack.send("34600999000", "una pregunta lenta")
        replies = stack.replies("34600999000", sent["wamid"], timeout=30, settle_ms=2000)
        assert [r["message"]["text"]["body"] for r in replies] == ["Has escrito: una pregunta lenta"]
        assert _inbox_row(stack.database_url, sent["wamid"]) == ("done", 1)
    finally:
        stack.close()
