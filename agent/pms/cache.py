"""Redis cache for QloApps answers: static data about an hour, availability a few seconds.

Static data is also kept in process for a minute, in front of Redis: the hotel and its room types are read by
most turns, and a hit there costs no round trip. Availability is never kept in process: other processes book too.

Availability entries carry the per-hotel generation number they were read under; the agent's own bookings and
cancellations bump it, so the next search after them never reads a stale answer. One MGET reads the generation
and the entry together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from agent import metrics
from agent.ttlcache import LocalTtlCache

log = logging.getLogger(__name__)

STATIC_TTL_S = 3600
# How much older than Redis' copy the in-process copy of static data may be (it changes by hand, seldom).
LOCAL_STATIC_TTL_S = 60
AVAILABILITY_TTL_S = 5
PREFIX = "hotelero:pms"

_STATIC = {r: metrics.CACHE_REQUESTS.labels(cache="pms_static", result=r) for r in ("hit", "miss", "error")}
_ARI = {r: metrics.CACHE_REQUESTS.labels(cache="pms_availability", result=r) for r in ("hit", "miss", "error")}


class PmsCache:
    """Raw QloApps JSON bodies cached by key; a Redis failure degrades to a cache miss, never to an error.

    Without Redis nothing is cached, in process either."""

    def __init__(
        self,
        redis: Redis | None,
        static_ttl_s: int = STATIC_TTL_S,
        ari_ttl_s: int = AVAILABILITY_TTL_S,
        local_ttl_s: float = LOCAL_STATIC_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._redis = redis
        self.static_ttl_s = static_ttl_s
        self.ari_ttl_s = ari_ttl_s
        self._local = LocalTtlCache(min(local_ttl_s, static_ttl_s), monotonic)

    async def get_static(self, key: str) -> Any | None:
        """A static body: from this process if read less than `local_ttl_s` ago, else from Redis."""
        if self._redis is None:
            return None
        value = self._local.get(key)
        if value is not None:
            _STATIC["hit"].inc()
            return value
        try:
            raw = await self._redis.get(f"{PREFIX}:static:{key}")
        except RedisError as exc:
            _STATIC["error"].inc()
            log.warning("pms cache read failed (%s); going to QloApps", exc)
            return None
        if raw is None:
            _STATIC["miss"].inc()
            return None
        _STATIC["hit"].inc()
        value = orjson.loads(raw)
        self._local.set(key, value)
        return value

    async def put_static(self, key: str, value: Any) -> None:
        if self._redis is None:
            return
        self._local.set(key, value)
        try:
            await self._redis.set(f"{PREFIX}:static:{key}", orjson.dumps(value), ex=self.static_ttl_s)
        except RedisError as exc:
            log.warning("pms cache write failed (%s)", exc)

    async def get_availability(self, hotel_id: int, key: str) -> tuple[int, Any | None]:
        """(the hotel's availability generation, the body cached under `key` for that generation or None).

        Generation -1: unknown (Redis failed), so nothing read under it may be cached."""
        if self._redis is None:
            return 0, None
        try:
            raw_gen, raw = await self._redis.mget(f"{PREFIX}:ari_gen:{hotel_id}", f"{PREFIX}:ari:{key}")
        except RedisError:
            _ARI["error"].inc()
            return -1, None
        gen = int(raw_gen or 0)
        entry = orjson.loads(raw) if raw is not None else None
        # An entry read under an older generation is as good as absent: our own booking came after it.
        if not isinstance(entry, dict) or entry.get("gen") != gen:
            _ARI["miss"].inc()
            return gen, None
        _ARI["hit"].inc()
        return gen, entry.get("body")

    async def put_availability(self, key: str, gen: int, body: Any) -> None:
        if self._redis is None or gen < 0:
            return
        try:
            await self._redis.set(f"{PREFIX}:ari:{key}", orjson.dumps({"gen": gen, "body": body}), ex=self.ari_ttl_s)
        except RedisError as exc:
            log.warning("pms cache write failed (%s)", exc)

    async def invalidate_availability(self, hotel_id: int) -> None:
        """Called after our own booking or cancellation: every cached search for the hotel becomes unreachable."""
        if self._redis is None:
            return
        try:
            await self._redis.incr(f"{PREFIX}:ari_gen:{hotel_id}")
        except RedisError as exc:
            log.warning("pms availability invalidation failed (%s); entries expire in %ss", exc, self.ari_ttl_s)
