"""The agent's served protocol, driven without a server: a request must arrive within its deadline (408 after the
headers, a plain close before them), and each response is still one write (tests/hotpath/ pins the one write)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent import bodytimeout
from agent.bodytimeout import REQUEST_TIMEOUT
from agent.httpprotocol import AgentHttpProtocol
from tests.hotpath.recording import serve


async def _ok_answer(send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"15")]})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await receive()
    await _ok_answer(send)


POST = b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"


def test_each_response_is_one_write_on_a_kept_alive_connection() -> None:
    transport = serve(AgentHttpProtocol, _ok, POST, POST)
    assert len(transport.writes) == 2
    for write in transport.writes:
        assert write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(b'\r\n\r\n{"status":"ok"}')
    assert not transport.closed_by_server  # keep-alive unchanged


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(bodytimeout, "_request_timeout_s", lambda: 0.05)
    return 0.05


def test_a_stalled_body_gets_408_and_the_handler_answers_nothing(short_deadline: float) -> None:
    saw: list[str] = []

    async def waits_for_body(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while True:  # read the body to its end
            message = await receive()
            saw.append(message["type"])
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    head = b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{"
    transport = serve(AgentHttpProtocol, waits_for_body, head, linger_s=3 * short_deadline)
    assert transport.writes == [REQUEST_TIMEOUT] and transport.closed_by_server
    assert saw == ["http.request", "http.disconnect"]  # the first byte of the body, then the hang-up


def test_stalled_headers_are_closed_without_an_answer(short_deadline: float) -> None:
    transport = serve(
        AgentHttpProtocol, _ok, b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\n", linger_s=3 * short_deadline
    )
    assert transport.writes == [] and transport.closed_by_server


def test_the_deadline_covers_the_request_not_a_slow_answer(short_deadline: float) -> None:
    async def slow(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await receive()
        await asyncio.sleep(3 * short_deadline)  # a slow commit is the store timeout's business
        await _ok_answer(send)

    transport = serve(AgentHttpProtocol, slow, POST, linger_s=5 * short_deadline)
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert not transport.closed_by_server


def test_an_early_answer_to_an_unsent_body_is_not_followed_by_408(short_deadline: float) -> None:
    async def refuses(scope: Any, receive: Any, send: Any) -> None:  # 413 on the declared length, body unread
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    head = b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999\r\n\r\n"
    transport = serve(AgentHttpProtocol, refuses, head, linger_s=3 * short_deadline)
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 413 ")
    assert transport.closed_by_server
