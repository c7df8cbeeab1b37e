"""The one-write uvicorn protocol writes each fixed-length response in one call, and streams the rest as before."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from uvicorn.server import ServerState

from hotpath.protocol import OneWriteProtocol
from tests.hotpath.recording import serve


async def fixed(request: Any) -> Response:
    return Response(b"hello", media_type="text/plain", headers={"x-a": "1"})


async def streamed(request: Any) -> StreamingResponse:
    async def parts():  # noqa: ANN202
        yield b"one"
        yield b"two"

    return StreamingResponse(parts(), media_type="text/plain")


class _Recorder:
    """The real transport, with every write recorded."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self.transport, self.writes = transport, writes

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


async def aborting(scope: Any, receive: Any, send: Any) -> None:
    """The QloApps simulator's drop fault: abort the transport uvicorn's cycle holds, answer nothing."""
    cycle = send.__self__
    cycle.transport.abort()
    cycle.disconnected = True


async def exchange(request: bytes, connection_close: bool = False, app: Any = None) -> tuple[bytes, list[bytes]]:
    """Send raw request bytes to the protocol over a real socket; what came back and the server's writes."""
    app = app or Starlette(routes=[Route("/fixed", fixed, methods=["GET", "POST"]), Route("/stream", streamed)])
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    writes: list[bytes] = []

    class Recording(OneWriteProtocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(_Recorder(transport, writes))

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Recording(config, state, {}), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    if connection_close:
        try:
            received = await reader.read()
        except ConnectionResetError:
            received = b""
    else:
        received = b""
        while b"hello" not in received and not received.endswith(b"0\r\n\r\n"):
            received += await reader.read(4096)
    writer.close()
    server.close()
    return received, writes


def test_a_fixed_length_response_is_written_once_head_and_body_together() -> None:
    received, writes = asyncio.run(exchange(b"GET /fixed HTTP/1.1\r\nhost: x\r\n\r\n"))
    assert len(writes) == 1
    assert writes[0] == received
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and received.endswith(b"\r\n\r\nhello")
    assert b"content-length: 5\r\n" in received and b"x-a: 1\r\n" in received


def test_a_streamed_response_still_sends_its_head_before_the_first_chunk() -> None:
    received, writes = asyncio.run(exchange(b"GET /stream HTTP/1.1\r\nhost: x\r\n\r\n"))
    assert b"transfer-encoding: chunked" in writes[0] and writes[0].endswith(b"\r\n\r\n")
    assert len(writes) >= 3 and received.endswith(b"0\r\n\r\n")


def test_head_request_gets_its_head_without_a_body() -> None:
    received, writes = asyncio.run(exchange(b"HEAD /fixed HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", True))
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and received.endswith(b"\r\n\r\n")
    assert b"hello" not in received


def test_connection_close_answer_arrives_whole_before_the_close() -> None:
    received, writes = asyncio.run(
        exchange(b"POST /fixed HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n", True)
    )
    assert len(writes) == 1 and received == writes[0] and received.endswith(b"hello")


def test_a_handler_may_still_abort_the_connection_without_an_answer() -> None:
    received, writes = asyncio.run(exchange(b"GET /x HTTP/1.1\r\nhost: x\r\n\r\n", True, app=aborting))
    assert received == b"" and writes == []


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"15")]})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


POST = b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"


def test_100_continue_still_goes_out_before_the_body_is_read() -> None:
    head = b"POST /webhooks/whatsapp HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    transport = serve(OneWriteProtocol, _ok, head, b"{}")
    assert transport.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert transport.writes[1].startswith(b"HTTP/1.1 200 OK\r\n") and len(transport.writes) == 2


def test_a_response_abandoned_after_its_head_still_sends_the_head_before_closing() -> None:
    async def head_only(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})

    transport = serve(OneWriteProtocol, head_only, POST)
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and transport.closed_by_server
