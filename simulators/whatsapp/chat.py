"""The chat page (/_sim/chat): a person writes as a virtual guest and sees the business as WhatsApp shows it.

The page is one self-contained HTML file (no external assets: it works offline). It drives the same
control-plane endpoints tests use and follows the simulator live through a server-sent event stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib import resources

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from simulators.whatsapp.simulator import Simulator

HEARTBEAT_S = 15.0


def _page_html() -> bytes:
    return resources.files("simulators.whatsapp").joinpath("chat.html").read_bytes()


async def page(request: Request) -> Response:
    return Response(_page_html(), media_type="text/html; charset=utf-8", headers={"cache-control": "no-store"})


def sse(event: dict) -> bytes:
    return b"data: " + orjson.dumps(event) + b"\n\n"


async def events(request: Request) -> Response:
    """Server-sent events: every guest/business message, status, read and typing indicator as it happens."""
    sim: Simulator = request.app.state.sim
    queue: asyncio.Queue[dict] = asyncio.Queue()
    sim.listeners.add(queue)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield sse({"type": "hello", "now": sim.clock.time(), "now_ms": sim.clock.now_ms()})
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
                    continue
                yield sse(event)
        finally:
            sim.listeners.discard(queue)

    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
