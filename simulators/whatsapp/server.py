"""Run the simulator under uvicorn: in the foreground (CLI) or in a background thread (tests, tools)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn

from simulators.whatsapp.app import create_app
from simulators.whatsapp.config import SimSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def uvicorn_config(app, host: str, port: int, log_level: str = "warning") -> uvicorn.Config:
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
        # Long polls must not pin a shutdown forever.
        timeout_graceful_shutdown=2,
    )


class ThreadedSimulator:
    """A real uvicorn server on 127.0.0.1 in a daemon thread; `stop()` shuts it down."""

    def __init__(self, settings: SimSettings, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.port = port or free_port()
        self.host = host
        self.base_url = f"http://{host}:{self.port}"
        self.app = create_app(settings, base_url=self.base_url)
        self.sim = self.app.state.sim
        self.server = uvicorn.Server(uvicorn_config(self.app, host, self.port))
        self.thread = threading.Thread(target=self._run, name=f"wa-sim-{self.port}", daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self, timeout: float = 10.0) -> ThreadedSimulator:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"WhatsApp simulator did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
