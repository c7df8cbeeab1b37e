"""The served HTTP protocol: uvicorn's httptools protocol, writing each fixed-length response (head and body) once.

uvicorn writes a response's status line and headers, then its body, in two `transport.write` calls, and uvloop
sends each at once: two send syscalls and two segments for the client to read, for a 15-byte webhook answer. Here
a fixed-length response's head waits for its first body write (or a close) and goes out with it, in one write.
Chunked answers stream as they come; a "100 Continue" still goes out at once. The agent serves a subclass with its
request deadline (agent/httpprotocol.py); both simulators serve this one (simulators/serving.py).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle


class _OneWrite:
    """The transport as one response's cycle sees it: a fixed-length response's head waits for its body."""

    __slots__ = ("transport", "cycle", "head", "started")

    def __init__(self, transport: Any, cycle: RequestResponseCycle) -> None:
        self.transport = transport
        self.cycle = cycle
        self.head = b""
        self.started = False

    def write(self, data: bytes) -> None:
        if self.head:
            data, self.head = self.head + data, b""
        elif not self.started and self.cycle.response_started:
            # The cycle marks the response started just before writing its head (a "100 Continue" comes before).
            self.started = True
            if b"\r\ncontent-length: " in data:  # uvicorn lower-cases header names; chunked answers stream
                self.head = data
                return
        self.transport.write(data)

    def close(self) -> None:
        if self.head:  # a response abandoned after its head: the head still goes first
            self.transport.write(self.head)
            self.head = b""
        self.transport.close()

    def is_closing(self) -> bool:
        return bool(self.transport.is_closing())

    def abort(self) -> None:
        """Drop the connection, held head and all (a fault that answers nothing)."""
        self.head = b""
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)  # anything else a handler reaches for is the real transport's


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing each fixed-length response (head and body) in one call."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # HEAD answers have no body write to carry the head; an upgrade keeps the previous cycle.
        if cycle is not None and cycle.transport is self.transport and self.scope["method"] != "HEAD":
            cycle.transport = _OneWrite(self.transport, cycle)  # type: ignore[assignment]
