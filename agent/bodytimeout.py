"""Slow clients: a request's headers and body must arrive within a deadline, and a client that leaves is no error.

A connection that sends headers and then a slow or no body would otherwise hold a handler (and a socket)
forever, and one whose headers never complete would hold a socket: uvicorn waits for both without limit.
`RequestDeadlineProtocol` gives each request AGENT_REQUEST_BODY_TIMEOUT_SECONDS from its first byte to its
last: late headers close the connection, a late body gets 408 (unless the answer has begun) and the close.
The one timer per request is armed by the protocol anyway, so the deadline costs the handlers nothing.
A client that disconnects mid-request is logged at info.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

_TIMEOUT_BODY = b'{"error":"request body not received in time"}'
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


class RequestDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that closes a request not received in time, with 408 after its headers."""

    _timer: asyncio.TimerHandle | None = None
    _headers_done = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._headers_done = False
        self._arm()

    def on_headers_complete(self) -> None:
        self._headers_done = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._timer = self.loop.call_later(_request_timeout_s(), self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if not self._headers_done:
            log.info("request headers not received in time, closing")
        else:
            path = self.cycle.scope.get("path", "") if self.cycle is not None else ""
            log.info("request body not received in time, closing", extra={"path": path})
            if self.cycle is not None and not self.cycle.response_started:
                # The handler waiting for the body sees a disconnect, and anything it answers then is dropped.
                self.cycle.disconnected = True
                self.transport.write(REQUEST_TIMEOUT)
        self.transport.close()


@functools.cache
def _request_timeout_s() -> float:
    # Each server process (uvicorn may spawn several) reads it once from the agent's settings.
    from agent.settings import Settings

    return Settings().request_body_timeout_seconds
