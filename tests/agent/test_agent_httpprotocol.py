"""The served protocol, driven without a server: each response is one write (head with body), and a request
must arrive within its deadline (408 after the headers, a plain close before them)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from agent import bodytimeout
from agent.bodytimeout import REQUEST_TIMEOUT
from agent.httpprotocol import AgentHttpProtocol


class RecordingTransport(asyncio.Transport):
    """Each `write` call kept apart, as each would be one send syscall."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.closed_by_server = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _serve(app: Any, *requests: bytes, linger_s: float = 0.0) -> RecordingTransport:
    """Feed each chunk of bytes to a fresh connection, let the app run, wait `linger_s` (deadlines), then hang up."""

    async def scenario() -> RecordingTransport:
        config = Config(app=app, http=AgentHttpProtocol, log_config=None)
        config.load()
        protocol = AgentHttpProtocol(config=config, server_state=ServerState(), app_state={})
        transport = RecordingTransport()
        protocol.connection_made(transport)
        for request in requests:
            protocol.data_received(request)
            for _ in range(20):  # let the ASGI task run to its end
                await asyncio.sleep(0)
        await asyncio.sleep(linger_s)
        transport.closed_by_server = transport.closed
        protocol.connection_lost(None)
        for _ in range(20):
            await asyncio.sleep(0)
        return transport

    return asyncio.run(scenario())


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
    transport = _serve(_ok, POST, POST)
    assert len(transport.writes) == 2
    for write in transport.writes:
        assert write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(b'\r\n\r\n{"status":"ok"}')
    assert not transport.closed_by_server  # keep-alive unchanged


def test_100_continue_still_goes_out_before_the_body_is_read() -> None:
    head = b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    transport = _serve(_ok, head, b"{}")
    assert transport.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert transport.writes[1].startswith(b"HTTP/1.1 200 OK\r\n") and len(transport.writes) == 2


def test_a_response_abandoned_after_its_head_still_sends_the_head_before_closing() -> None:
    async def head_only(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})

    transport = _serve(head_only, POST)
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and transport.closed_by_server


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
    transport = _serve(waits_for_body, head, linger_s=3 * short_deadline)
    assert transport.writes == [REQUEST_TIMEOUT] and transport.closed_by_server
    assert saw == ["http.request", "http.disconnect"]  # the first byte of the body, then the hang-up


def test_stalled_headers_are_closed_without_an_answer(short_deadline: float) -> None:
    transport = _serve(_ok, b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\n", linger_s=3 * short_deadline)
    assert transport.writes == [] and transport.closed_by_server


def test_the_deadline_covers_the_request_not_a_slow_answer(short_deadline: float) -> None:
    async def slow(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await receive()
        await asyncio.sleep(3 * short_deadline)  # a slow commit is the store timeout's business
        await _ok_answer(send)

    transport = _serve(slow, POST, linger_s=5 * short_deadline)
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert not transport.closed_by_server


def test_an_early_answer_to_an_unsent_body_is_not_followed_by_408(short_deadline: float) -> None:
    async def refuses(scope: Any, receive: Any, send: Any) -> None:  # 413 on the declared length, body unread
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    head = b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999\r\n\r\n"
    transport = _serve(refuses, head, linger_s=3 * short_deadline)
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 413 ")
    assert transport.closed_by_server
