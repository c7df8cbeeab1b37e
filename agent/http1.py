"""A small HTTP/1.1 client for one origin: pooled keep-alive connections, each request written as one buffer, each
response read by httptools (llhttp, the C parser uvicorn uses; it handles Content-Length and chunked bodies).

Why not aiohttp here: the Graph API takes two calls per guest message, and on this box aiohttp spends about 110 us of
CPU per call against about 45 us for this client (tests/agent/test_agent_http1.py pins the behaviour, not the speed).
What it leaves out, on purpose: redirects, cookies, proxies, compression, bodies delimited by the connection's close.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

# An idle connection older than this is closed rather than reused (servers drop idle ones after 5-75 s).
IDLE_S = 4.0


class TransportError(Exception):
    """No answer: connection refused or lost, timeout, or a response that is not HTTP/1.1."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]  # names in lower case; a repeated header keeps its last value


class _Connection(asyncio.Protocol):
    """One keep-alive connection: at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.idle_since = 0.0
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"malformed HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(TransportError(f"connection lost: {exc or 'closed by the server'}"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._headers = {}
        self._body = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if not self.parser.should_keep_alive():
            self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(self.parser.get_status_code(), b"".join(self._body), self._headers))

    def _fail(self, exc: Exception) -> None:
        self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class OriginClient:
    """Requests to one scheme://host:port, with fixed headers, over at most `max_connections` connections."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        timeout_s: float,
        connect_timeout_s: float,
        max_connections: int = 64,
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.host = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self._ssl = ssl.create_default_context() if url.scheme == "https" else None
        default_port = self.port == (443 if url.scheme == "https" else 80)
        host = self.host if default_port else f"{self.host}:{self.port}"
        self._head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers}.items()).encode("latin-1")
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []
        self.connections_opened = 0

    async def request(self, method: str, target: str, body: bytes = b"", content_type: str = "") -> Response:
        """Send one request (target: the path and query) and read its whole response; TransportError if none.

        A new connection gets `connect_timeout_s`; then the response must be read whole within `timeout_s`."""
        head = f"{method} {target} HTTP/1.1\r\n".encode("latin-1") + self._head
        if content_type:
            head += f"Content-Type: {content_type}\r\n".encode("latin-1")
        payload = head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        async with self._slots:
            conn: _Connection | None = None
            try:
                conn = await self._connection()
                async with asyncio.timeout(self._timeout_s):
                    waiter = asyncio.get_running_loop().create_future()
                    conn.waiter = waiter
                    assert conn.transport is not None
                    conn.transport.write(payload)
                    response = await waiter
            except TimeoutError as exc:
                if conn is not None:
                    conn.close()
                raise TransportError(f"timed out: {self.host}:{self.port}") from exc
            except (OSError, TransportError) as exc:
                if conn is not None:
                    conn.close()
                if isinstance(exc, TransportError):
                    raise
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc
            except BaseException:  # cancelled mid-request: the connection's state is unknown
                if conn is not None:
                    conn.close()
                raise
            if conn.closed:
                conn.close()
            else:
                conn.idle_since = asyncio.get_running_loop().time()
                self._idle.append(conn)
            return response

    async def _connection(self) -> _Connection:
        now = asyncio.get_running_loop().time()
        while self._idle:
            conn = self._idle.pop()  # the most recently used: the least likely to have been dropped
            if not conn.closed and now - conn.idle_since < IDLE_S:
                return conn
            conn.close()
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._connect_timeout_s):
            _, conn = await loop.create_connection(
                _Connection, self.host, self.port, ssl=self._ssl, server_hostname=self.host if self._ssl else None
            )
        self.connections_opened += 1
        return conn

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
