"""Slow and vanishing clients against a served agent: stalled bodies get 408, stalled headers are closed, and a
client that leaves is logged at info, never as an error."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import httpx
import pytest
from agent_harness import ADMIN_TOKEN, FakeGraph, Proc, agent_env, free_port, start_process, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def agent_url(
    tmp_path_factory: pytest.TempPathFactory, module_database: str, redis_url: str, module_graph: FakeGraph
) -> Iterator[str]:
    port = free_port()
    env = agent_env(module_database, redis_url, module_graph.url, AGENT_REQUEST_BODY_TIMEOUT_SECONDS="1")
    log = tmp_path_factory.mktemp("slow") / "agent.log"
    proc: Proc = start_process([sys.executable, "-m", "agent", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(url + "/health/live").status_code == 200, 60, "the agent up")
        yield url
    finally:
        proc.stop()
        log = proc.log.read_text(errors="replace")
        # Nothing a client did here is the agent's error.
        assert '"level":"error"' not in log and "Traceback" not in log, log[-3000:]


def exchange(url: str, request: bytes, wait_s: float = 20.0) -> bytes:
    """Send `request` as is, then read until the server closes (the read timeout is only a hang guard)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait_s) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    return data


def test_a_stalled_webhook_body_gets_408_and_the_connection_is_closed(agent_url: str) -> None:
    head = (
        b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    answer = exchange(agent_url, head + b'{"object":')
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]


def test_a_stalled_admin_body_gets_408_too(agent_url: str) -> None:
    head = (
        b"POST /admin/conversations/34600111222/messages HTTP/1.1\r\nHost: a\r\n"
        b"Authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    answer = exchange(agent_url, head + b'{"text":')
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]


def test_a_connection_whose_headers_never_complete_is_closed(agent_url: str) -> None:
    assert exchange(agent_url, b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\n") == b""


def test_a_client_that_leaves_mid_body_is_not_an_error(agent_url: str) -> None:
    host, port = agent_url.removeprefix("http://").split(":")
    for path in (b"/webhooks/whatsapp", b"/admin/conversations/1/messages"):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n{")
        # The agent still serves (and the fixture checks its log has no error line).
    assert httpx.get(agent_url + "/health/live").status_code == 200
