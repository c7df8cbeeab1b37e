"""Time-to-live caches for things that may be rebuilt: JSON in Redis (`TtlCache`) and in process (`LocalTtlCache`).

A cache is never a reason to fail: when Redis is down, reads are misses and writes are dropped, so callers
load from the source (fail open); each Redis call is bounded by the client's socket timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class TtlCache:
    """get/set/delete JSON values under a prefix; `get_or_load` fills a miss from a loader."""

    def __init__(self, redis: Redis, prefix: str = "cache:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str) -> Any | None:
        """The cached value, or None on a miss or when Redis is unreachable."""
        try:
            raw = await self._redis.get(self._prefix + key)
        except RedisError as exc:
            log.info("cache read skipped, Redis unavailable", extra={"error": type(exc).__name__})
            return None
        return None if raw is None else orjson.loads(raw)

    async def set(self, key: str, value: Any, ttl_s: float) -> None:
        """Store a value; dropped (logged) when Redis is unreachable."""
        try:
            await self._redis.set(self._prefix + key, orjson.dumps(value), px=max(1, int(ttl_s * 1000)))
        except RedisError as exc:
            log.info("cache write skipped, Redis unavailable", extra={"error": type(exc).__name__})

    async def delete(self, key: str) -> None:
        """Drop a value. Raises when Redis is unreachable: a stale entry that must go is not a miss."""
        await self._redis.delete(self._prefix + key)

    async def get_or_load(self, key: str, ttl_s: float, loader: Callable[[], Awaitable[Any]]) -> Any:
        """Return the cached value, or load, store and return it."""
        value = await self.get(key)
        if value is None:
            value = await loader()
            if value is not None:
                await self.set(key, value, ttl_s)
        return value


class LocalTtlCache:
    """An in-process map whose entries expire `ttl_s` after they were stored (by a monotonic clock).

    For data every turn reads and that changes seldom: a hit costs no round trip. At most `max_keys` entries
    (the oldest stored go first), so a key space that grows cannot grow the process.
    """

    def __init__(self, ttl_s: float, monotonic: Callable[[], float], max_keys: int = 1024) -> None:
        self.ttl_s = ttl_s
        self._monotonic = monotonic
        self._max_keys = max_keys
        self._entries: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        """The value stored under `key` less than `ttl_s` ago, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._monotonic() >= entry[0]:
            del self._entries[key]
            return None
        return entry[1]

    def set(self, key: str, value: Any) -> None:
        if self.ttl_s <= 0:
            return
        self._entries.pop(key, None)  # re-inserted last: dicts keep insertion order, so the oldest go first
        self._entries[key] = (self._monotonic() + self.ttl_s, value)
        while len(self._entries) > self._max_keys:
            del self._entries[next(iter(self._entries))]
