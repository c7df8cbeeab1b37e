"""The outbound WhatsApp Cloud API client: pooled keep-alive connections, timeouts, retries with backoff and jitter.

Retries: transport errors, HTTP 5xx and 429, and Meta's throughput/pair rate limits (130429, 131056, also 4 and
80007). Never: validation errors (100, 131008, 131009, ...), auth (190), policy, template errors, 131047.
The transport is agent/http1.py over hotpath/client.py: about 45 us of CPU per call on this machine, against
about 110 us for aiohttp and 0.8-1.5 ms for httpx (perf-baseline.md §3); two calls per guest message (mark read,
the reply).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from agent import metrics
from agent.http1 import OriginClient, TransportError

log = logging.getLogger(__name__)

RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056})
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016, 131057})
REENGAGEMENT_CODE = 131047


class GraphError(Exception):
    """A failed Graph API call: Meta's error code (None for transport errors), HTTP status and details."""

    def __init__(self, status: int | None, code: int | None, message: str, details: str = "") -> None:
        super().__init__(f"Graph API error {code} (HTTP {status}): {message} {details}".strip())
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    @property
    def retryable(self) -> bool:
        return is_retryable(self.status, self.code)


def is_retryable(status: int | None, code: int | None) -> bool:
    """The retry decision for one failed call (status None = transport error or timeout)."""
    if status is None:
        return True
    if code in RATE_LIMIT_CODES or code in TRANSIENT_CODES:
        return True
    if code is not None and code != 0 and status < 500 and status != 429:
        return False
    return status >= 500 or status == 429


@dataclass(frozen=True)
class GraphConfig:
    """Where to send and how patient to be."""

    messages_url: str
    access_token: str
    timeout_s: float = 10.0
    max_retries: int = 3
    retry_base_s: float = 0.25
    retry_cap_s: float = 8.0
    max_connections: int = 64


class GraphClient:
    """POST /{version}/{phone-number-id}/messages with Bearer auth; returns the new wamid."""

    def __init__(
        self,
        config: GraphConfig,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http: OriginClient | None = None
        self._target = urlsplit(config.messages_url)._replace(scheme="", netloc="").geturl() or "/"

    async def start(self) -> None:
        if self._http is None:
            self._http = OriginClient(
                self._config.messages_url,
                {"Authorization": f"Bearer {self._config.access_token}", "Content-Type": "application/json"},
                timeout_s=self._config.timeout_s,
                connect_timeout_s=min(3.0, self._config.timeout_s),
                max_connections=self._config.max_connections,
            )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^attempt)]."""
        ceiling = min(self._config.retry_cap_s, self._config.retry_base_s * (2**attempt))
        return self._rng.uniform(ceiling / 2, ceiling)

    async def _post_once(self, body: dict[str, Any]) -> dict[str, Any]:
        if self._http is None:
            await self.start()
        assert self._http is not None
        try:
            resp = await self._http.request("POST", self._target, orjson.dumps(body))
        except TransportError as exc:
            raise GraphError(None, None, "transport", str(exc)) from exc
        raw, status = resp.body, resp.status
        metrics.observe_usage_header(resp.headers.get("x-business-use-case-usage"))
        try:
            data = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            data = {}
        if 200 <= status < 300 and isinstance(data, dict):
            return data
        err = data.get("error") if isinstance(data, dict) else None
        err = err if isinstance(err, dict) else {}
        code = err.get("code") if isinstance(err.get("code"), int) else None
        details = err.get("error_data", {}).get("details", "") if isinstance(err.get("error_data"), dict) else ""
        raise GraphError(status, code, str(err.get("message", raw[:200])), str(details))

    async def post(self, body: dict[str, Any], *, kind: str = "message") -> dict[str, Any]:
        """POST one body, retrying transient failures; raises GraphError when it gives up."""
        attempt = 0
        while True:
            try:
                data = await self._post_once(body)
                metrics.OUTBOUND_CALLS.labels(kind=kind, outcome="ok").inc()
                return data
            except GraphError as exc:
                metrics.observe_graph_error(exc.code)
                metrics.OUTBOUND_ERRORS.labels(
                    code=str(exc.code if exc.code is not None else f"http_{exc.status}")
                ).inc()
                if not exc.retryable or attempt >= self._config.max_retries:
                    metrics.OUTBOUND_CALLS.labels(kind=kind, outcome="error").inc()
                    raise
                delay = self.backoff(attempt)
                log.warning(
                    "graph call failed, retrying",
                    extra={"code": exc.code, "status": exc.status, "retry_in_s": round(delay, 3)},
                )
                attempt += 1
                await self._sleep(delay)

    async def send(self, body: dict[str, Any]) -> str:
        """Send a message body (graph_body); return the wamid Meta assigned."""
        data = await self.post(body, kind="send")
        messages = data.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict) and messages[0].get("id"):
            return str(messages[0]["id"])
        raise GraphError(200, None, "send response without messages[0].id", str(data)[:200])

    async def mark_read(self, wamid: str, *, typing: bool = True) -> None:
        """Mark an inbound message read and show the typing indicator (dismissed by the reply or after 25 s)."""
        body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        if typing:
            body["typing_indicator"] = {"type": "text"}
        await self.post(body, kind="read")
