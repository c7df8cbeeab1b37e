"""Booking safety in Redis: a lock per hotel, room type and dates, and idempotency keys for confirmations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import orjson
from redis.asyncio import Redis

from agent.locks import TokenLocks

LOCK_TTL_MS = 15_000
IDEMPOTENCY_TTL_S = 7 * 24 * 3600


class LockBusy(Exception):
    """Another confirmation for the same room type and dates held the lock for too long; ask the guest to retry."""


class BookingGuard:
    """Serialises bookings of the same stay and remembers the outcome of each confirmation key."""

    def __init__(self, redis: Redis, lock_ttl_ms: int = LOCK_TTL_MS, wait_s: float = 8.0) -> None:
        self._redis = redis
        self._locks = TokenLocks(redis, prefix="hotelero:lock:booking:")
        self._lock_ttl_ms = lock_ttl_ms
        self._wait_s = wait_s

    @asynccontextmanager
    async def stay_lock(self, hotel_id: int, id_room_type: int, date_from: date, date_to: date) -> AsyncIterator[None]:
        """Hold `hotelero:lock:booking:{hotel}:{room_type}:{from}:{to}` for the duration of the block."""
        name = f"{hotel_id}:{id_room_type}:{date_from}:{date_to}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        lock = await self._locks.acquire(name, self._lock_ttl_ms)
        while lock is None:
            if loop.time() > deadline:
                raise LockBusy(f"booking lock {name} still held after {self._wait_s}s")
            await asyncio.sleep(0.05)
            lock = await self._locks.acquire(name, self._lock_ttl_ms)
        try:
            yield
        finally:
            # Released only if still ours: a holder slower than the TTL must not free someone else's lock.
            await self._locks.release(lock)

    async def outcome(self, idempotency_key: str) -> dict[str, Any] | None:
        """The stored result of a confirmation already carried out, if any."""
        raw = await self._redis.get(f"hotelero:idem:{idempotency_key}")
        return orjson.loads(raw) if raw else None

    async def remember(self, idempotency_key: str, result: dict[str, Any]) -> None:
        await self._redis.set(f"hotelero:idem:{idempotency_key}", orjson.dumps(result), ex=IDEMPOTENCY_TTL_S)
