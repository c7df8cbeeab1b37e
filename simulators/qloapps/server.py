"""Run the QloApps simulator on a background thread (tests, benchmarks)."""

from __future__ import annotations

from simulators.qloapps.app import QloAppsSimulator, create_app
from simulators.qloapps.clock import SimClock
from simulators.qloapps.config import SimConfig
from simulators.serving import ThreadedServer, free_port, uvicorn_config

__all__ = ["ThreadedSimulator", "free_port", "uvicorn_config"]


class ThreadedSimulator(ThreadedServer):
    """The QloApps simulator as a real uvicorn server on 127.0.0.1 in a daemon thread."""

    name = "QloApps simulator"

    def __init__(
        self,
        config: SimConfig | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        clock: SimClock | None = None,
    ) -> None:
        self.app: QloAppsSimulator = create_app(config, clock=clock)
        # Hang faults must not pin a shutdown for long.
        super().__init__(self.app, host, port or free_port(), graceful_shutdown_s=1)
