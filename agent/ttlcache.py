"""A JSON cache in Redis with time-to-live, for things that may be rebuilt (PMS facts, sessions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from redis.asyncio import Redis


class TtlCache:
    """get/set/delete JSON values under a prefix; `get_or_load` fills a miss from a loader."""

    def __init__(self, redis: Redis, prefix: str = "cache:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str) -> Any | None:
        raw = await self._redis.get(self._prefix + key)
        return None if raw is None else orjson.loads(raw)

    async def set(self, key: str, value: Any, ttl_s: float) -> None:
        await self._redis.set(self._prefix + key, orjson.dumps(value), px=max(1, int(ttl_s * 1000)))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def get_or_load(self, key: str, ttl_s: float, loader: Callable[[], Awaitable[Any]]) -> Any:
        """Return the cached value, or load, store and return it."""
        value = await self.get(key)
        if value is None:
            value = await loader()
            if value is not None:
                await self.set(key, value, ttl_s)
        return value
