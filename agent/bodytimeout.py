"""ASGI middleware: a request body must arrive within a deadline, and a client that leaves is not an error.

A connection that sends headers and then a slow or no body would otherwise hold a handler (and a socket)
forever; it gets 408 and the connection is closed. A client that disconnects mid-request is logged at info.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

_TIMEOUT_BODY = b'{"error":"request body not received in time"}'


class _BodyTimedOut(Exception):
    pass


class BodyTimeout:
    """Answer 408 (and close) when the whole body has not arrived `timeout_s` after the request started."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        state: dict[str, Any] = {"body_done": False, "started": False}

        async def timed_receive() -> Message:
            if state["body_done"]:
                return await receive()  # after the body: only the disconnect notice, which has no deadline
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise _BodyTimedOut from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                state["body_done"] = True
            return message

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except _BodyTimedOut:
            log.info("request body not received in time, closing", extra={"path": scope.get("path", "")})
            if not state["started"]:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 408,
                        "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
                    }
                )
                await send({"type": "http.response.body", "body": _TIMEOUT_BODY})
        except ClientDisconnect:
            log.info("client disconnected before the request was read", extra={"path": scope.get("path", "")})
