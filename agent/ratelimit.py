"""Per-guest rate limiting in Redis: a fixed window counter, and a once-per-window "please slow down" notice."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class RateDecision:
    """allowed: reply normally. notify: over the limit and the guest has not been told yet in this window."""

    allowed: bool
    notify: bool
    count: int


class GuestRateLimiter:
    """At most `limit` messages per guest per `window_s`; the first message over the limit earns one notice."""

    def __init__(self, redis: Redis, limit: int, window_s: int, prefix: str = "rl:") -> None:
        self._redis = redis
        self._limit = limit
        self._window_s = window_s
        self._prefix = prefix

    async def check(self, guest: str, window_index: int) -> RateDecision:
        """Count one message; `window_index` is now // window_s from the agent's clock."""
        key = f"{self._prefix}{guest}:{window_index}"
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, self._window_s * 2)
            count, _ = await pipe.execute()
        if count <= self._limit:
            return RateDecision(True, False, count)
        # Only the first message over the limit gets the notice: SET NX decides who that is.
        first = await self._redis.set(f"{key}:noticed", "1", nx=True, ex=self._window_s * 2)
        return RateDecision(False, bool(first), count)
