"""The WhatsApp simulator's control plane as a virtual guest uses it (gevent; only the Locust process imports it).

Sends go through one connection pool and reply long-polls through another, so a backlog of waiting polls
never delays the next scheduled send. A guest message costs one send and one long poll: a guest is created by
its first message (the simulator's `auto_create_guests`, on by default), not by a registration call.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from geventhttpclient import HTTPClient


class SimError(Exception):
    """The simulator refused or failed a control-plane call (`status` is its HTTP status, 0 if none)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Reply:
    """A business message as it reached the simulator."""

    wamid: str
    arrived_at_ms: float
    message: dict[str, Any]


@dataclass(frozen=True)
class Timeline:
    """The webhook delivery of one guest message, on the simulator's monotonic clock."""

    accepted_at_ms: float | None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    acknowledged_at_ms: float | None = None

    def ack_latency_ms(self) -> tuple[float | None, str | None]:
        """(latency of the webhook POST that was acknowledged, None) or (None, why there is no ack yet)."""
        for attempt in self.attempts:
            status = attempt.get("status")
            if isinstance(status, int) and 200 <= status < 300:
                return float(attempt.get("latency_ms") or 0.0), None
        if not self.attempts:
            return None, "no webhook delivered"
        last = self.attempts[-1]
        return None, f"webhook status {last.get('status')}" + (f" ({last['error']})" if last.get("error") else "")

    def dispatch_ms(self) -> float | None:
        """The simulator's own delay: the guest message accepted -> its first webhook POST leaving."""
        if self.accepted_at_ms is None or not self.attempts or self.attempts[0].get("at_ms") is None:
            return None
        return round(max(0.0, float(self.attempts[0]["at_ms"]) - float(self.accepted_at_ms)), 3)


class SimClient:
    """Guest-side calls: register a guest, send as the guest, await the business's replies."""

    def __init__(
        self, base_url: str, *, send_concurrency: int = 64, poll_concurrency: int = 2000, timeout_s: float = 10
    ):
        parts = urlsplit(base_url if "://" in base_url else f"http://{base_url}")
        if not parts.hostname:
            raise SimError(f"cannot read the simulator URL {base_url!r}: give e.g. http://127.0.0.1:8082")
        self.prefix = parts.path.rstrip("/")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        common = {
            "ssl": parts.scheme == "https",
            "connection_timeout": 5.0,
            "headers": {"content-type": "application/json"},
        }
        self._send = HTTPClient(parts.hostname, port, concurrency=send_concurrency, network_timeout=10.0, **common)
        self._poll = HTTPClient(
            parts.hostname, port, concurrency=poll_concurrency, network_timeout=timeout_s + 10.0, **common
        )
        # Control-plane calls made, by kind (guests, send, replies): the run summary reports them per message.
        self.calls: Counter[str] = Counter()

    def close(self) -> None:
        self._send.close()
        self._poll.close()

    def _call(self, client: HTTPClient, kind: str, method: str, path: str, body: Any = None) -> Any:
        self.calls[kind] += 1
        payload = orjson.dumps(body) if body is not None else b""
        response = client.request(method, self.prefix + path, body=payload)
        data = response.read()
        if not 200 <= response.status_code < 300:
            raise SimError(
                f"{method} {path} -> {response.status_code}: {data[:200].decode('utf-8', 'replace')}",
                response.status_code,
            )
        return orjson.loads(data) if data else None

    def add_guest(self, wa_id: str, profile_name: str, language: str) -> None:
        """Register a guest with a name and language (POST /_sim/guests)."""
        self._call(
            self._send,
            "guests",
            "POST",
            "/_sim/guests",
            {"wa_id": wa_id, "profile_name": profile_name, "language": language, "reachable": True},
        )

    def send(self, wa_id: str, message: dict[str, Any]) -> tuple[str, float | None]:
        """Send as the guest; returns (wamid, accepted_at_ms). A `profile_name` in the message names a new guest."""
        data = self._call(self._send, "send", "POST", f"/_sim/guests/{quote(wa_id)}/messages", message)
        return str(data["wamid"]), data.get("accepted_at_ms")

    def replies(
        self, wa_id: str, after: str, timeout_s: float, settle_ms: int, kind: str = "replies"
    ) -> tuple[list[Reply], Timeline]:
        """Business replies after `after`, waiting up to `timeout_s` for the first one (counted as `kind`)."""
        path = (
            f"/_sim/guests/{quote(wa_id)}/replies?after={quote(after)}"
            f"&timeout={max(0.0, timeout_s):.3f}&settle_ms={int(settle_ms)}"
        )
        data = self._call(self._poll, kind, "GET", path)
        replies = [
            Reply(str(r.get("wamid", "")), float(r["arrived_at_ms"]), r.get("message") or {})
            for r in data.get("replies") or []
        ]
        tl = data.get("timeline") or {}
        timeline = Timeline(tl.get("accepted_at_ms"), list(tl.get("attempts") or []), tl.get("acknowledged_at_ms"))
        return replies, timeline
