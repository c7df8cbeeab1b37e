"""The served protocol writes each response once (head with body), and nothing of uvicorn's answers changes."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

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


def _serve(app: Any, *requests: bytes) -> RecordingTransport:
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
        transport.closed_by_server = transport.closed
        protocol.connection_lost(None)
        return transport

    return asyncio.run(scenario())


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"15")]})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


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
