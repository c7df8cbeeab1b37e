"""Webhook POSTs as Meta sends them, over hotpath/client.py's pooled keep-alive HTTP/1.1 connections.

Three of every four webhooks are delivery statuses, so the per-request cost of a general HTTP client was the largest
part of the delivery engine's CPU. The request head is built once per URL; each POST is one write, its answer a
future the delivery engine attaches a callback to (no task per POST). A POST on a reused connection that the
receiver closed without answering is sent again on a new one (webhooks are delivered at least once anyway).
"""

from __future__ import annotations

import asyncio

from hotpath.client import Disconnected, Origin, Pool, Response

__all__ = ["Disconnected", "WebhookSender", "webhook_head"]


def webhook_head(target: str, authority: str, user_agent: str) -> bytes:
    """The request line and the headers every webhook POST to one URL shares, each ending in CRLF."""
    return (
        f"POST {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {user_agent}\r\n"
        "Accept: */*\r\nContent-Type: application/json\r\n"
    ).encode("latin-1")


class WebhookSender:
    """POSTs bodies to the webhook URL over reused connections (`send`, or `post` to await the status).

    The connection count is bounded by the callers (the delivery engine's slots per pool).
    """

    def __init__(self) -> None:
        self._pool: Pool | None = None
        self._head = b""
        self._key: tuple[str, str] = ("", "")

    def send(
        self, url: str, user_agent: str, body: bytes, signature: str, timeout_s: float
    ) -> asyncio.Future[Response]:
        """POST `body` signed with `signature`, written now when a connection is idle; a future of the response.

        The future fails with TimeoutError (after `timeout_s` in all), OSError or ValueError.
        """
        pool = self._pool
        if pool is None or self._key != (url, user_agent):
            try:
                origin, target = Origin.split(url)
            except ValueError as exc:  # an attempt that fails (and is retried), like a refused connection
                failed: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
                failed.set_exception(ValueError(f"webhook URL {exc}"))
                return failed
            self.close()  # connections to the old URL are no use any more
            pool = self._pool = Pool(origin, replay_unanswered=True)
            self._head, self._key = webhook_head(target, origin.authority, user_agent), (url, user_agent)
        data = b"".join(
            (
                self._head,
                b"X-Hub-Signature-256: ",
                signature.encode("latin-1"),
                b"\r\nContent-Length: ",
                str(len(body)).encode(),
                b"\r\n\r\n",
                body,
            )
        )
        return pool.send(data, timeout_s)

    async def post(self, url: str, user_agent: str, body: bytes, signature: str, timeout_s: float) -> int:
        """`send`, awaited: the HTTP status, or TimeoutError / OSError / ValueError."""
        return (await self.send(url, user_agent, body, signature, timeout_s)).status

    def close(self) -> None:
        """Close every connection (idle or busy); busy POSTs fail as disconnected."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
