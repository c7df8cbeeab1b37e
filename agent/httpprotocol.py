"""The served HTTP protocol: uvicorn's httptools protocol with the request deadline, writing each response once.

uvicorn writes a response's head and its body with two `transport.write` calls, and uvloop sends each at once:
two send syscalls, and two wakeups of the client, for a 15-byte webhook answer. Four webhooks per guest message
make that the most frequent syscall of the web process. Here the head waits for the first body write (or a
close) and goes out with it, in one write.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from agent.bodytimeout import RequestDeadlineProtocol


class _HeadWithBody:
    """The transport a request's cycle writes to: its response head is held until the body joins it."""

    __slots__ = ("_transport", "_cycle", "_head", "_head_seen")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self._transport = transport
        self._cycle = cycle
        self._head: bytes | None = None
        self._head_seen = False

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif not self._head_seen and self._cycle.response_started:
            # The cycle marks the response started just before writing its head (a "100 Continue" comes before).
            self._head_seen = True
            self._head = data
            return
        self._transport.write(data)

    def close(self) -> None:
        if self._head is not None:  # a response abandoned after its head: the head still goes first
            self._transport.write(self._head)
            self._head = None
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class AgentHttpProtocol(RequestDeadlineProtocol):
    """What `hotelero agent` serves with: the request deadline, and one write per (unstreamed) response."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.transport is self.transport:
            cycle.transport = _HeadWithBody(self.transport, cycle)  # type: ignore[assignment]
