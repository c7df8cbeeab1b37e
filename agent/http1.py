"""The agent's HTTP/1.1 client for one origin (the Graph API, the QloApps webservice) over hotpath/client.py:
fixed headers, a bound on connections, and one error type for "no answer".

A request is never replayed here: whether a POST may be sent again is the caller's decision (the Graph client
retries with backoff; the QloApps client retries reads only).
"""

from __future__ import annotations

import asyncio

from hotpath.client import Disconnected, Origin, Pool, Response

__all__ = ["OriginClient", "Response", "TransportError"]


class TransportError(Exception):
    """No answer: connection refused or lost, timeout, or a response that is not HTTP/1.1."""


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
        origin, _ = Origin.split(base_url)
        self.host = origin.host
        self.port = origin.port
        fixed = {"Host": origin.authority, **headers}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(max_connections)
        self._pool = Pool(origin, connect_timeout_s=connect_timeout_s, whole=True)

    @property
    def connections_opened(self) -> int:
        return self._pool.connections_opened

    async def request(self, method: str, target: str, body: bytes = b"", content_type: str = "") -> Response:
        """Send one request (target: the path and query) and read its whole response; TransportError if none.

        A new connection gets `connect_timeout_s`; then the response must be read whole within `timeout_s`."""
        head = f"{method} {target} HTTP/1.1\r\n".encode("latin-1") + self._head
        if content_type:
            head += f"Content-Type: {content_type}\r\n".encode("latin-1")
        payload = head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        async with self._slots:
            try:
                return await self._pool.send(payload, self._timeout_s)
            except TimeoutError as exc:
                raise TransportError(f"timed out: {self.host}:{self.port}") from exc
            except Disconnected as exc:
                raise TransportError(f"connection lost: {exc}") from exc
            except ValueError as exc:
                raise TransportError(f"malformed HTTP response: {exc}") from exc
            except OSError as exc:
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        self._pool.close()
