"""Per-guest rate limiting in Redis: a fixed window counter, and a once-per-window "please slow down" notice.

Redis may be down: the limiter then fails open onto a counter in this process (bounded in size), so guests
are still answered and still limited per process, and nothing waits for Redis to come back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Guests remembered by the in-process fallback; beyond this the oldest windows are forgotten (fail open).
FALLBACK_MAX_KEYS = 10_000

# One round trip per message: count, set the window's expiry on its first message, and over the limit let only the
# first message of the window earn the notice (SET NX decides who that is). Returns {count, notify}.
_CHECK = """
local count = redis.call('incr', KEYS[1])
if count == 1 then redis.call('expire', KEYS[1], ARGV[2]) end
if count <= tonumber(ARGV[1]) then return {count, 0} end
if redis.call('set', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return {count, 1} end
return {count, 0}
"""


@dataclass(frozen=True)
class RateDecision:
    """allowed: reply normally. notify: over the limit and the guest has not been told yet in this window.
    degraded: decided without Redis (by this process's own counter)."""

    allowed: bool
    notify: bool
    count: int
    degraded: bool = False


class LocalWindows:
    """Fixed-window counters in memory, at most `max_keys` of them (the oldest are dropped first)."""

    def __init__(self, max_keys: int = FALLBACK_MAX_KEYS) -> None:
        self._max_keys = max_keys
        self._counts: dict[str, int] = {}
        self._noticed: set[str] = set()

    def incr(self, key: str) -> int:
        count = self._counts.pop(key, 0) + 1
        self._counts[key] = count  # re-inserted last: dicts keep insertion order, so the oldest go first
        while len(self._counts) > self._max_keys:
            oldest = next(iter(self._counts))
            del self._counts[oldest]
            self._noticed.discard(oldest)
        return count

    def first_notice(self, key: str) -> bool:
        if key in self._noticed or key not in self._counts:
            return False
        self._noticed.add(key)
        return True

    def __len__(self) -> int:
        return len(self._counts)


class GuestRateLimiter:
    """At most `limit` messages per guest per `window_s`; the first message over the limit earns one notice."""

    def __init__(self, redis: Redis, limit: int, window_s: int, prefix: str = "rl:") -> None:
        self._redis = redis
        self._limit = limit
        self._window_s = window_s
        self._prefix = prefix
        self.local = LocalWindows()
        self._check = redis.register_script(_CHECK)

    async def check(self, guest: str, window_index: int) -> RateDecision:
        """Count one message; `window_index` is now // window_s from the agent's clock."""
        # One hash tag: the count and its notice mark live in one Redis Cluster slot, as the script needs.
        key = f"{self._prefix}{{{guest}:{window_index}}}"
        try:
            return await self._check_redis(key)
        except RedisError as exc:
            log.warning("rate limiter without Redis, counting in process", extra={"error": type(exc).__name__})
        count = self.local.incr(key)
        if count <= self._limit:
            return RateDecision(True, False, count, degraded=True)
        return RateDecision(False, self.local.first_notice(key), count, degraded=True)

    async def _check_redis(self, key: str) -> RateDecision:
        count, notify = await self._check(keys=[key, f"{key}:noticed"], args=[self._limit, self._window_s * 2])
        return RateDecision(count <= self._limit, bool(notify), count)
