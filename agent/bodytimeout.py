"""Slow clients: a request's headers and body must arrive within a deadline, and a client that leaves is no error.

A connection that sends headers and then a slow or no body would otherwise hold a handler (and a socket)
forever; it gets 408 and the connection is closed (BodyTimeout, ASGI). One whose headers never complete never
reaches the application at all: the server protocol closes it (HeaderDeadlineProtocol, uvicorn). A client that
disconnects mid-request is logged at info.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

_TIMEOUT_BODY = b'{"error":"request body not received in time"}'


class _BodyTimedOut(BaseException):
    """Not an Exception: FastAPI turns any Exception raised while it reads a body into 400."""


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
        state = _RequestState()

        async def timed_receive() -> Message:
            if state.body_done:
                return await receive()  # after the body: only the disconnect notice, which has no deadline
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise _BodyTimedOut
            # A timer that cancels this task, not asyncio.wait_for: that wraps every receive in a new task (~10 us,
            # four webhooks per guest message), while a webhook body has almost always arrived with its headers.
            task = asyncio.current_task()
            assert task is not None
            timer = loop.call_later(remaining, state.expire, task)
            try:
                message = await receive()
            except asyncio.CancelledError:
                if state.expired and task.uncancel() == 0:
                    raise _BodyTimedOut from None
                raise
            finally:
                timer.cancel()
            if message["type"] != "http.request" or not message.get("more_body", False):
                state.body_done = True
            return message

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state.started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except _BodyTimedOut:
            log.info("request body not received in time, closing", extra={"path": scope.get("path", "")})
            if not state.started:
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


class _RequestState:
    __slots__ = ("body_done", "started", "expired")

    def __init__(self) -> None:
        self.body_done = False
        self.started = False
        self.expired = False

    def expire(self, task: asyncio.Task[Any]) -> None:
        self.expired = True
        task.cancel()


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that closes a connection whose request headers do not complete in time
    (AGENT_REQUEST_BODY_TIMEOUT_SECONDS); uvicorn itself waits for them forever."""

    _timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._timer = self.loop.call_later(_header_timeout_s(), self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            log.info("request headers not received in time, closing")
            self.transport.close()


@functools.cache
def _header_timeout_s() -> float:
    # Each server process (uvicorn may spawn several) reads it once from the agent's settings.
    from agent.settings import Settings

    return Settings().request_body_timeout_seconds
