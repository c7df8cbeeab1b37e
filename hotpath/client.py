"""One HTTP/1.1 client for one origin: pooled keep-alive connections, each request written as one buffer, each
response read by httptools (llhttp, the C parser uvicorn uses; Content-Length, chunked and close-delimited bodies).

`Pool.send` writes a request now when a connection is idle and returns a future of its `Response`: the agent awaits
it (agent/http1.py, the Graph and QloApps clients), the WhatsApp simulator's webhook delivery attaches a
done-callback, so a POST costs no asyncio task (simulators/whatsapp/sender.py). The future fails with TimeoutError,
OSError (`Disconnected`: closed before any answer) or ValueError (a URL or an answer that is not HTTP/1.1).

Why not aiohttp: the Graph API takes two calls per guest message, and aiohttp spent about 110 us of CPU per call
against about 45 us here; three of every four webhooks are delivery statuses, and a general client's per-request
objects were the largest part of the delivery engine's CPU. Left out, on purpose: redirects, cookies, proxies,
compression, pipelining.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple
from urllib.parse import urlsplit

import httptools

# An idle connection older than this is closed rather than reused (servers drop idle ones after 5-75 s).
IDLE_S = 4.0
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class Disconnected(ConnectionError):
    """The server closed the connection before it answered."""


class Response(NamedTuple):  # a tuple: the cheapest object to make per response (made with tuple.__new__)
    """An answer: its status, and (from a `whole` pool only) its body and headers."""

    status: int
    body: bytes
    headers: Mapping[str, str]  # names in lower case, a repeated header keeps its last value


@dataclass(frozen=True)
class Origin:
    """scheme://host:port, and the Host header naming it."""

    host: str
    port: int
    tls: bool
    authority: str  # the Host header's value: the port only when it is not the scheme's default

    @classmethod
    def split(cls, url: str) -> tuple[Origin, str]:
        """The origin of an absolute http(s) URL and its request target (path and query); ValueError if none."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an absolute http(s) URL")
        tls = parts.scheme == "https"
        default = 443 if tls else 80
        port = parts.port or default
        host = parts.hostname
        netloc = f"[{host}]" if ":" in host else host
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(host, port, tls, netloc if port == default else f"{netloc}:{port}"), target


class _Connection(asyncio.Protocol):
    """One keep-alive connection reading each response's status only; at most one request in flight."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[Response] | None = None
        self.status = 0
        self.body: list[bytes] = []
        self.headers: Mapping[str, str] = _NO_HEADERS
        self.closed = False
        self.answered = False  # any byte of the current response arrived
        self.idle_since = 0.0

    # -- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.answered = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(ValueError(f"invalid HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        waiter, self.waiter = self.waiter, None
        if waiter is None or waiter.done():
            return
        if self.status:  # an answer without a length ends when the connection does
            waiter.set_result(self._response())
        else:
            waiter.set_exception(Disconnected(f"Server disconnected{f': {exc}' if exc else ''}"))

    # -- httptools callbacks (httptools calls only those that exist: each is a Python call per response) ----
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        if not self.parser.should_keep_alive():
            self.close()
        if waiter is not None and not waiter.done():
            waiter.set_result(self._response())

    # -- use -------------------------------------------------------------------------------
    def _response(self) -> Response:
        return tuple.__new__(Response, (self.status, b"", _NO_HEADERS))  # type: ignore[type-var]

    def send(self, data: bytes, waiter: asyncio.Future[Response]) -> None:
        self.waiter = waiter
        self.answered = False
        self.status = 0
        assert self.transport is not None
        self.transport.write(data)

    def fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _WholeConnection(_Connection):
    """A connection that also reads each response's headers and body."""

    def send(self, data: bytes, waiter: asyncio.Future[Response]) -> None:
        self.body = []
        self.headers = {}
        super().send(data, waiter)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")  # type: ignore[index]

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def _response(self) -> Response:
        return tuple.__new__(Response, (self.status, b"".join(self.body), self.headers))  # type: ignore[type-var]


class Pool:
    """Keep-alive connections to one origin. Callers bound how many requests are in flight at once.

    `connect_timeout_s`: a new connection gets its own budget and the answer then gets a whole `timeout_s`
    (otherwise connecting and answering share `timeout_s`). `replay_unanswered`: a request on a reused connection
    that the server closed without a byte of answer (its keep-alive timeout crossing our write) is sent once more
    on a new connection; only for requests a receiver may see twice (webhooks are delivered at least once).
    `whole`: read each response's headers and body (otherwise its status only: b"" and no headers).
    """

    def __init__(
        self,
        origin: Origin,
        *,
        connect_timeout_s: float | None = None,
        replay_unanswered: bool = False,
        whole: bool = False,
    ) -> None:
        self.origin = origin
        self.connections_opened = 0
        self._connect_timeout_s = connect_timeout_s
        self._replay = replay_unanswered
        self._protocol = _WholeConnection if whole else _Connection
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self._ssl: ssl.SSLContext | None = None
        self._connecting: set[asyncio.Task[Response]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None  # get_running_loop() is a getpid() syscall on 3.11

    def send(self, data: bytes, timeout_s: float) -> asyncio.Future[Response]:
        """Write `data` (a whole request) now when a connection is idle; the future of its response."""
        loop = self._loop or asyncio.get_running_loop()
        self._loop = loop
        now = loop.time()
        deadline = now + timeout_s
        conn = self._take_idle(now)
        if conn is None:
            return self._fresh_task(loop, data, deadline, timeout_s)
        sent = self._exchange(loop, conn, data, deadline)
        if not self._replay:
            return sent
        result: asyncio.Future[Response] = loop.create_future()

        def answered(waiter: asyncio.Future[Response]) -> None:
            if result.done():
                return
            if waiter.cancelled():
                result.cancel()
                return
            exc = waiter.exception()
            if exc is None:
                result.set_result(waiter.result())
            elif isinstance(exc, Disconnected) and not conn.answered:
                # The server closed this idle connection as we reused it: nothing was read, send afresh.
                fresh = self._fresh_task(loop, data, deadline, timeout_s)
                fresh.add_done_callback(lambda task: _copy(task, result))
            else:
                result.set_exception(exc)

        sent.add_done_callback(answered)
        return result

    def forget(self, conn: _Connection) -> None:
        self._all.discard(conn)

    def close(self) -> None:
        """Close every connection (idle or busy); requests in flight fail as disconnected."""
        for task in list(self._connecting):
            task.cancel()
        for conn in list(self._all):
            conn.close()
        self._all.clear()
        self._idle.clear()
        self._loop = None

    def _take_idle(self, now: float) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()  # the most recently used: the least likely to have been dropped
            if not conn.closed and now - conn.idle_since < IDLE_S:
                return conn
            conn.close()
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, budget_s: float) -> _Connection:
        ctx: ssl.SSLContext | None = None
        if self.origin.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            ctx = self._ssl
        if budget_s <= 0:
            raise TimeoutError
        _, conn = await asyncio.wait_for(
            loop.create_connection(
                lambda: self._protocol(self),
                self.origin.host,
                self.origin.port,
                ssl=ctx,
                server_hostname=self.origin.host if ctx else None,
            ),
            budget_s,
        )
        self._all.add(conn)
        self.connections_opened += 1
        return conn

    def _fresh_task(
        self, loop: asyncio.AbstractEventLoop, data: bytes, deadline: float, timeout_s: float
    ) -> asyncio.Task[Response]:
        task = loop.create_task(self._fresh(loop, data, deadline, timeout_s))
        self._connecting.add(task)  # kept (a task only weakly held can vanish) and cancelled by close()
        task.add_done_callback(self._connecting.discard)
        return task

    async def _fresh(self, loop: asyncio.AbstractEventLoop, data: bytes, deadline: float, timeout_s: float) -> Response:
        if self._connect_timeout_s is None:
            conn = await self._connect(loop, deadline - loop.time())
        else:
            conn = await self._connect(loop, min(self._connect_timeout_s, timeout_s))
            deadline = loop.time() + timeout_s
        return await self._exchange(loop, conn, data, deadline)

    def _exchange(
        self, loop: asyncio.AbstractEventLoop, conn: _Connection, data: bytes, deadline: float
    ) -> asyncio.Future[Response]:
        """Write the request now; the future of its response (the connection goes back idle when it may)."""
        waiter: asyncio.Future[Response] = loop.create_future()
        conn.send(data, waiter)
        timer = loop.call_at(deadline, conn.fail, TimeoutError())

        def done(fut: asyncio.Future[Response]) -> None:
            timer.cancel()
            if fut.cancelled() or fut.exception() is not None:
                conn.close()  # a half-read answer must not be taken for the next request's
            elif not conn.closed:
                conn.idle_since = loop.time()
                self._idle.append(conn)

        waiter.add_done_callback(done)
        return waiter


def _copy(source: asyncio.Future[Response], target: asyncio.Future[Response]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (exc := source.exception()) is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())
