"""The dedupe fast path: Redis remembers wamids already committed, so redeliveries skip the database.

The database's unique wamid stays the source of truth; keys are written only after the commit, so a crash
between the two can only cost a redundant INSERT ... ON CONFLICT DO NOTHING, never a lost message.
"""

from __future__ import annotations

from redis.asyncio import Redis

from agent import metrics


class SeenWamids:
    """Which wamids were already stored."""

    def __init__(self, redis: Redis, ttl_s: int, prefix: str = "seen:") -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._prefix = prefix

    async def all_seen(self, wamids: list[str]) -> bool:
        """True when every wamid is known (an exact redelivery)."""
        if not wamids:
            return False
        values = await self._redis.mget([self._prefix + w for w in wamids])
        seen = all(v is not None for v in values)
        metrics.CACHE_REQUESTS.labels(cache="dedupe", result="hit" if seen else "miss").inc()
        return seen

    async def remember(self, wamids: list[str]) -> None:
        """Record wamids after their commit."""
        if not wamids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for wamid in wamids:
                pipe.set(self._prefix + wamid, b"1", ex=self._ttl_s)
            await pipe.execute()
