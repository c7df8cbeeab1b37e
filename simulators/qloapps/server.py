"""Run the simulator under uvicorn: in the foreground (CLI) or in a background thread (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

from simulators.qloapps.app import QloAppsSimulator, create_app
from simulators.qloapps.clock import SimClock
from simulators.qloapps.config import SimConfig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def uvicorn_config(app: Any, host: str, port: int, log_level: str = "warning") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        proxy_headers=False,
        # Hang faults must not pin a shutdown forever.
        timeout_graceful_shutdown=1,
    )


class ThreadedSimulator:
    """A real uvicorn server on 127.0.0.1 in a daemon thread; `stop()` shuts it down."""

    def __init__(
        self,
        config: SimConfig | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        clock: SimClock | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port()
        self.base_url = f"http://{host}:{self.port}"
        self.app: QloAppsSimulator = create_app(config, clock=clock)
        self.server = uvicorn.Server(uvicorn_config(self.app, host, self.port))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def start(self, timeout: float = 10.0) -> ThreadedSimulator:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"QloApps simulator did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> ThreadedSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
