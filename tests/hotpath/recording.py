"""A uvicorn protocol driven without a server: each `write` kept apart, as each would be one send syscall."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState


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


def serve(protocol: type[HttpToolsProtocol], app: Any, *requests: bytes, linger_s: float = 0.0) -> RecordingTransport:
    """Feed each chunk of bytes to a fresh connection, let the app run, wait `linger_s` (deadlines), then hang up."""

    async def scenario() -> RecordingTransport:
        config = Config(app=app, http=protocol, log_config=None)
        config.load()
        server = protocol(config=config, server_state=ServerState(), app_state={})
        transport = RecordingTransport()
        server.connection_made(transport)
        for request in requests:
            server.data_received(request)
            for _ in range(20):  # let the ASGI task run to its end
                await asyncio.sleep(0)
        await asyncio.sleep(linger_s)
        transport.closed_by_server = transport.closed
        server.connection_lost(None)
        for _ in range(20):
            await asyncio.sleep(0)
        return transport

    return asyncio.run(scenario())
