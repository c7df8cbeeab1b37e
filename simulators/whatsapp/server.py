"""Run the WhatsApp simulator on a background thread (tests, tools)."""

from __future__ import annotations

from simulators.serving import ThreadedServer, free_port, uvicorn_config
from simulators.whatsapp.app import served_app
from simulators.whatsapp.config import SimSettings

__all__ = ["ThreadedSimulator", "free_port", "uvicorn_config"]


class ThreadedSimulator(ThreadedServer):
    """The WhatsApp simulator as a real uvicorn server on 127.0.0.1 in a daemon thread."""

    name = "WhatsApp simulator"

    def __init__(self, settings: SimSettings, host: str = "127.0.0.1", port: int | None = None) -> None:
        port = port or free_port()
        app = served_app(settings, base_url=f"http://{host}:{port}")
        self.sim = app.state.sim
        super().__init__(app, host, port)
