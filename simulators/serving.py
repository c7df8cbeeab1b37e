"""Serving a simulator under uvicorn: in the foreground (CLI) or on a background thread (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

from hotpath.protocol import OneWriteProtocol


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
