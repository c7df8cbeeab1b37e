"""A small real webhook receiver (uvicorn in a thread) that records raw bodies and answers as told."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulators.whatsapp.server import free_port


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    at: float
    status: int


@dataclass
class Receiver:
    """Answers the handshake with the challenge (if the token matches) and POSTs with `statuses` in turn."""

    verify_token: str = "vt"
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    challenge_override: str | None = None
    delay_s: float = 0.0
    posts: list[Received] = field(default_factory=list)
    handshakes: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        self._cond = threading.Condition()
        app = Starlette(
            routes=[Route("/webhook", self._get, methods=["GET"]), Route("/webhook", self._post, methods=["POST"])]
        )
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False, lifespan="off")
        )
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    async def _get(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.handshakes.append(params)
        if params.get("hub.verify_token") != self.verify_token:
            return Response("Forbidden", status_code=403)
        return Response(self.challenge_override or params.get("hub.challenge", ""), media_type="text/plain")

    async def _post(self, request: Request) -> Response:
        body = await request.body()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status = self.statuses.pop(0) if self.statuses else self.default_status
        with self._cond:
            self.posts.append(Received(body, dict(request.headers), time.monotonic(), status))
            self._cond.notify_all()
        return Response(b"ok" if status == 200 else b"nope", status_code=status)

    def start(self) -> Receiver:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"webhook receiver did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def wait_for(self, predicate, timeout: float = 5.0) -> list[Received]:
        """Block until predicate(posts) is true (or fail the test after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.posts):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"timed out waiting; got {len(self.posts)} posts"
                self._cond.wait(remaining)
            return list(self.posts)
