"""Webhook POSTs over a pool of raw HTTP/1.1 keep-alive connections: one write and a C parser per attempt.

Three of every four webhooks are delivery statuses, so the per-request cost of a general HTTP client
(request/response objects, header multidicts, a timeout object per call) was the largest part of the
delivery engine's CPU. This sender builds the request bytes once per URL, writes each POST in one call,
and reads the answer with httptools (the parser uvicorn uses), keeping the connection when it may.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools


class Disconnected(ConnectionError):
    """The receiver closed the connection before it answered."""


@dataclass(frozen=True)
class Target:
    """Where and how to POST: connection parameters and the request head that never changes."""

    host: str
    port: int
    tls: bool
    head: bytes  # request line and fixed headers, each ending in CRLF

    @classmethod
    def parse(cls, url: str, user_agent: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook URL {url!r} is not an absolute http(s) URL")
        tls = parts.scheme == "https"
        default = 443 if tls else 80
        port = parts.port or default
        host = parts.hostname
        netloc = f"[{host}]" if ":" in host else host
        host_header = netloc if port == default else f"{netloc}:{port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {user_agent}\r\n"
            "Accept: */*\r\nContent-Type: application/json\r\n"
        )
        return cls(host, port, tls, head.encode("latin-1"))


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight (no pipelining)."""

    def __init__(self, pool: WebhookSender) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[int] | None = None
        self.status = 0
        self.closed = False
        self.answered = False  # any byte of the current response arrived

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
        if self.status:
            waiter.set_result(self.status)  # an answer without a length ends when the connection does
        else:
            waiter.set_exception(Disconnected("Server disconnected"))

    # -- httptools callbacks ---------------------------------------------------------------
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        if not self.parser.should_keep_alive():
            self.close()
        if waiter is not None and not waiter.done():
            waiter.set_result(self.status)

    # -- use -------------------------------------------------------------------------------
    def send(self, data: bytes, waiter: asyncio.Future[int]) -> None:
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


class WebhookSender:
    """POSTs bodies to the webhook URL over reused connections (`send`, or `post` to await the status).

    The connection count is bounded by the callers (the delivery engine's slots per pool).
    """

    def __init__(self) -> None:
        self._target: Target | None = None
        self._key: tuple[str, str] = ("", "")
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self._ssl: ssl.SSLContext | None = None
        self._connecting: set[asyncio.Task[int]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None  # get_running_loop() is a getpid() syscall on 3.11

    def target(self, url: str, user_agent: str) -> Target:
        if self._key != (url, user_agent) or self._target is None:
            target = Target.parse(url, user_agent)
            self.close()  # connections to the old URL are no use any more
            self._target, self._key = target, (url, user_agent)
        return self._target

    def send(self, url: str, user_agent: str, body: bytes, signature: str, timeout_s: float) -> asyncio.Future[int]:
        """POST `body` signed with `signature`, written now when a connection is idle; a future of the status.

        The future fails with TimeoutError (after `timeout_s` in all), OSError or ValueError.
        """
        loop = self._loop or asyncio.get_running_loop()
        self._loop = loop
        try:
            target = self.target(url, user_agent)
        except ValueError as exc:  # an attempt that fails (and is retried), like a refused connection
            failed: asyncio.Future[int] = loop.create_future()
            failed.set_exception(exc)
            return failed
        data = b"".join(
            (
                target.head,
                b"X-Hub-Signature-256: ",
                signature.encode("latin-1"),
                b"\r\nContent-Length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        deadline = loop.time() + timeout_s
        conn = self._take_idle()
        if conn is None:
            return self._fresh_task(loop, target, data, deadline)
        result: asyncio.Future[int] = loop.create_future()

        def answered(waiter: asyncio.Future[int]) -> None:
            if result.done():
                return
            if waiter.cancelled():
                result.cancel()
                return
            exc = waiter.exception()
            if exc is None:
                result.set_result(waiter.result())
            elif isinstance(exc, Disconnected) and not conn.answered:
                # The receiver closed this idle connection as we reused it: nothing was read, send afresh.
                fresh = self._fresh_task(loop, target, data, deadline)
                fresh.add_done_callback(lambda task: _copy(task, result))
            else:
                result.set_exception(exc)

        self._exchange(loop, conn, data, deadline).add_done_callback(answered)
        return result

    async def post(self, url: str, user_agent: str, body: bytes, signature: str, timeout_s: float) -> int:
        """`send`, awaited: the HTTP status, or TimeoutError / OSError / ValueError."""
        return await self.send(url, user_agent, body, signature, timeout_s)

    def forget(self, conn: _Connection) -> None:
        self._all.discard(conn)

    def close(self) -> None:
        """Close every connection (idle or busy); busy POSTs fail as disconnected."""
        for task in list(self._connecting):
            task.cancel()
        for conn in list(self._all):
            conn.close()
        self._all.clear()
        self._idle.clear()
        self._loop = None

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, target: Target, deadline: float) -> _Connection:
        ctx: ssl.SSLContext | None = None
        if target.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            ctx = self._ssl
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError
        _, conn = await asyncio.wait_for(
            loop.create_connection(
                lambda: _Connection(self),
                target.host,
                target.port,
                ssl=ctx,
                server_hostname=target.host if ctx else None,
            ),
            remaining,
        )
        self._all.add(conn)
        return conn

    def _fresh_task(
        self, loop: asyncio.AbstractEventLoop, target: Target, data: bytes, deadline: float
    ) -> asyncio.Task[int]:
        task = loop.create_task(self._fresh(loop, target, data, deadline))
        self._connecting.add(task)  # kept (a task only weakly held can vanish) and cancelled by close()
        task.add_done_callback(self._connecting.discard)
        return task

    async def _fresh(self, loop: asyncio.AbstractEventLoop, target: Target, data: bytes, deadline: float) -> int:
        conn = await self._connect(loop, target, deadline)
        return await self._exchange(loop, conn, data, deadline)

    def _exchange(
        self, loop: asyncio.AbstractEventLoop, conn: _Connection, data: bytes, deadline: float
    ) -> asyncio.Future[int]:
        """Write the request now; the future of its status (the connection goes back idle when it may)."""
        waiter: asyncio.Future[int] = loop.create_future()
        conn.send(data, waiter)
        timer = loop.call_at(deadline, conn.fail, TimeoutError())

        def done(fut: asyncio.Future[int]) -> None:
            timer.cancel()
            if fut.cancelled() or fut.exception() is not None:
                conn.close()  # a half-read answer must not be taken for the next request's
            elif not conn.closed:
                self._idle.append(conn)

        waiter.add_done_callback(done)
        return waiter


def _copy(source: asyncio.Future[int], target: asyncio.Future[int]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (exc := source.exception()) is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())
