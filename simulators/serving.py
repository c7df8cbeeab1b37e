"""Serving a simulator under uvicorn: in the foreground (CLI) or on a background thread (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _OneWrite:
    """The transport as one response's cycle sees it: a fixed-length response's head waits for its body.

    uvicorn writes the status line and headers, then the body, in two writes: two send() calls and two
    segments for the client to read. Holding the head until the body goes out makes it one of each.
    """

    __slots__ = ("transport", "head", "started")

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.head = b""
        self.started = False

    def write(self, data: bytes) -> None:
        if not self.started:
            self.started = True
            if b"\r\ncontent-length: " in data:  # chunked or unknown-length answers stream as they come
                self.head = data
                return
        elif self.head:
            data, self.head = self.head + data, b""
        self.transport.write(data)

    def close(self) -> None:
        if self.head:
            self.transport.write(self.head)
            self.head = b""
        self.transport.close()

    def is_closing(self) -> bool:
        return bool(self.transport.is_closing())

    def abort(self) -> None:
        """Drop the connection, held head and all (a fault that answers nothing)."""
        self.head = b""
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)  # anything else a handler reaches for is the real transport's


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing each fixed-length response (head and body) in one call."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # HEAD answers have no body write to carry the head; an upgrade keeps the previous cycle.
        if cycle is not None and cycle.transport is self.transport and self.scope["method"] != "HEAD":
            cycle.transport = _OneWrite(self.transport)  # type: ignore[assignment]


# Measured in-process on the WhatsApp simulator's per-message work (guest send, reply, mark-read, four webhooks):
# Python's default thresholds (700, 10, 10) spent ~0.05 ms of GC per guest message, with full passes of tens of
# ms over the state a load run keeps; (10_000, 10, 10) spends ~0.01 ms, in ~2 ms young-generation passes.
GC_THRESHOLDS = (10_000, 10, 10)


def quiet_gc() -> None:
    """Collect garbage less often in a simulator process: its garbage is freed by reference counts."""
    gc.set_threshold(*GC_THRESHOLDS)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn_config(
    app: Any, host: str, port: int, log_level: str = "warning", graceful_shutdown_s: int = 2
) -> uvicorn.Config:
    """The uvicorn settings both simulators run with (uvloop and httptools: the cheapest on this CPU)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        loop="uvloop",
        http=OneWriteProtocol,
        lifespan="on",
        proxy_headers=False,
        # Hang faults and long polls must not pin a shutdown forever.
        timeout_graceful_shutdown=graceful_shutdown_s,
    )


class ThreadedServer:
    """A real uvicorn server on 127.0.0.1 in a daemon thread; use as a context manager or start()/stop()."""

    name = "simulator"

    def __init__(self, app: Any, host: str, port: int, graceful_shutdown_s: int = 2) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.base_url = f"http://{host}:{port}"
        self.server = uvicorn.Server(uvicorn_config(app, host, port, graceful_shutdown_s=graceful_shutdown_s))
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve()), name=f"{self.name}-{port}", daemon=True
        )

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"{self.name} did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
