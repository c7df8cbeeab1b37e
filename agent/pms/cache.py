"""Redis cache for QloApps answers: static data about an hour, availability a few seconds.

Availability keys carry a per-hotel generation number; the agent's own bookings and cancellations bump it, so
the next search after them never reads a stale answer.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from agent import metrics

log = logging.getLogger(__name__)

STATIC_TTL_S = 3600
AVAILABILITY_TTL_S = 5
PREFIX = "hotelero:pms"


class PmsCache:
    """Raw QloApps JSON bodies cached by key; a Redis failure degrades to a cache miss, never to an error."""

    def __init__(self, redis: Redis | None, static_ttl_s: int = STATIC_TTL_S, ari_ttl_s: int = AVAILABILITY_TTL_S):
        self._redis = redis
        self.static_ttl_s = static_ttl_s
        self.ari_ttl_s = ari_ttl_s

    async def get(self, key: str) -> Any | None:
        if self._redis is None:
            return None
        cache = "pms_static" if key.startswith("static:") else "pms_availability"
        try:
            raw = await self._redis.get(f"{PREFIX}:{key}")
        except RedisError as exc:
            metrics.CACHE_REQUESTS.labels(cache=cache, result="error").inc()
            log.warning("pms cache read failed (%s); going to QloApps", exc)
            return None
        metrics.CACHE_REQUESTS.labels(cache=cache, result="miss" if raw is None else "hit").inc()
        return orjson.loads(raw) if raw is not None else None

    async def put(self, key: str, value: Any, ttl_s: int) -> None:
        if self._redis is None:
            return
        try:
            await self._redis.set(f"{PREFIX}:{key}", orjson.dumps(value), ex=ttl_s)
        except RedisError as exc:
            log.warning("pms cache write failed (%s)", exc)

    async def availability_generation(self, hotel_id: int) -> int:
        if self._redis is None:
            return 0
        try:
            raw = await self._redis.get(f"{PREFIX}:ari_gen:{hotel_id}")
        except RedisError:
            return -1  # an unknown generation never matches a cached key
        return int(raw or 0)

    async def invalidate_availability(self, hotel_id: int) -> None:
        """Called after our own booking or cancellation: every cached search for the hotel becomes unreachable."""
        if self._redis is None:
            return
        try:
            await self._redis.incr(f"{PREFIX}:ari_gen:{hotel_id}")
        except RedisError as exc:
            log.warning("pms availability invalidation failed (%s); entries expire in %ss", exc, self.ari_ttl_s)
