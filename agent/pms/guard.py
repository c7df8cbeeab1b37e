"""Booking safety in Redis: a lock per hotel, room type and dates, and idempotency keys for confirmations."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import orjson
from redis.asyncio import Redis

LOCK_TTL_MS = 15_000
IDEMPOTENCY_TTL_S = 7 * 24 * 3600

# Delete the lock only if we still own it (a slow holder must not free someone else's lock).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


class LockBusy(Exception):
    """Another confirmation for the same room type and dates held the lock for too long; ask the guest to retry."""


class BookingGuard:
    """Serialises bookings of the same stay and remembers the outcome of each confirmation key."""

    def __init__(self, redis: Redis, lock_ttl_ms: int = LOCK_TTL_MS, wait_s: float = 8.0) -> None:
        self._redis = redis
        self._lock_ttl_ms = lock_ttl_ms
        self._wait_s = wait_s

    @asynccontextmanager
    async def stay_lock(self, hotel_id: int, id_room_type: int, date_from: date, date_to: date) -> AsyncIterator[None]:
        """Hold `hotelero:lock:booking:{hotel}:{room_type}:{from}:{to}` for the duration of the block."""
        key = f"hotelero:lock:booking:{hotel_id}:{id_room_type}:{date_from}:{date_to}"
        token = secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while not await self._redis.set(key, token, nx=True, px=self._lock_ttl_ms):
            if loop.time() > deadline:
                raise LockBusy(f"booking lock {key} still held after {self._wait_s}s")
            await asyncio.sleep(0.05)
        try:
            yield
        finally:
            await self._redis.eval(_RELEASE, 1, key, token)

    async def outcome(self, idempotency_key: str) -> dict[str, Any] | None:
        """The stored result of a confirmation already carried out, if any."""
        raw = await self._redis.get(f"hotelero:idem:{idempotency_key}")
        return orjson.loads(raw) if raw else None

    async def remember(self, idempotency_key: str, result: dict[str, Any]) -> None:
        await self._redis.set(f"hotelero:idem:{idempotency_key}", orjson.dumps(result), ex=IDEMPOTENCY_TTL_S)
