"""Booking safety in Redis: a lock on every night of a stay of one room type, and idempotency keys for confirmations.

Two stays that overlap share at least one night, so they never book the same room type at once; stays that do not
overlap (or other room types) proceed in parallel.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

LOCK_TTL_MS = 15_000
IDEMPOTENCY_TTL_S = 7 * 24 * 3600
LOCK_PREFIX = "hotelero:lock:booking:"
_OWNER_END = "|"  # a lock's value: the owner, then this, then a random token only the holder knows

# Take every night's key or none: a stay never holds half its nights while waiting for the rest.
_ACQUIRE_ALL = """
for i = 1, #KEYS do
    if redis.call('exists', KEYS[i]) == 1 then return 0 end
end
for i = 1, #KEYS do
    redis.call('set', KEYS[i], ARGV[1], 'PX', ARGV[2])
end
return 1
"""
# Free only the nights still ours: a holder slower than the TTL must not free someone else's lock.
_RELEASE_ALL = """
local n = 0
for i = 1, #KEYS do
    if redis.call('get', KEYS[i]) == ARGV[1] then n = n + redis.call('del', KEYS[i]) end
end
return n
"""
# Fencing before a write: every night must still hold our token, then the expiry moves out for the write; one script,
# so no other attempt takes a night between the check and the extension.
_CONFIRM_ALL = """
for i = 1, #KEYS do
    if redis.call('get', KEYS[i]) ~= ARGV[1] then return 0 end
end
for i = 1, #KEYS do
    redis.call('pexpire', KEYS[i], ARGV[2])
end
return 1
"""


class LockBusy(Exception):
    """Another confirmation for the same room type and dates held the lock for too long; ask the guest to retry."""

    def __init__(self, message: str, holders: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.holders = holders  # the owners holding the nights when we gave up

    def held_by(self, owner: str) -> bool:
        """Whether `owner` (an idempotency key) holds any of the nights: an attempt of that very booking."""
        return bool(owner) and owner in self.holders


class LockLost(LockBusy):
    """The stay lock expired while its holder stalled (and may be another attempt's now): the holder must not write."""


@dataclass(frozen=True)
class StayLock:
    """A held stay lock: its night keys and the token only this attempt knows."""

    keys: list[str]
    token: str


class BookingGuard:
    """Serialises bookings of the same stay and remembers the outcome of each confirmation key."""

    def __init__(self, redis: Redis, lock_ttl_ms: int = LOCK_TTL_MS, wait_s: float = 8.0) -> None:
        self._redis = redis
        self._acquire = redis.register_script(_ACQUIRE_ALL)
        self._release = redis.register_script(_RELEASE_ALL)
        self._confirm = redis.register_script(_CONFIRM_ALL)
        self._lock_ttl_ms = lock_ttl_ms
        self._wait_s = wait_s

    @staticmethod
    def night_keys(hotel_id: int, id_room_type: int, date_from: date, date_to: date) -> list[str]:
        """One key per night [date_from, date_to); the hash tag keeps them in one Redis Cluster slot."""
        nights = max((date_to - date_from).days, 1)
        tag = f"{{{hotel_id}:{id_room_type}}}"
        return [f"{LOCK_PREFIX}{tag}:{date_from + timedelta(days=i)}" for i in range(nights)]

    @asynccontextmanager
    async def stay_lock(
        self, hotel_id: int, id_room_type: int, date_from: date, date_to: date, owner: str = ""
    ) -> AsyncIterator[StayLock]:
        """Hold every night of the stay for this room type for the duration of the block; `owner` (the booking's
        idempotency key) is written into the lock so a waiter can tell a stalled attempt of its own booking."""
        keys = self.night_keys(hotel_id, id_room_type, date_from, date_to)
        token = f"{owner}{_OWNER_END}{secrets.token_hex(16)}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while not await self._acquire(keys=keys, args=[token, self._lock_ttl_ms]):
            if loop.time() > deadline:
                raise LockBusy(f"booking lock for room type {id_room_type}, {date_from}..{date_to} still held "
                               f"after {self._wait_s}s", await self._holders(keys))  # fmt: skip
            await asyncio.sleep(0.05)
        try:
            yield StayLock(keys, token)
        finally:
            try:
                await self._release(keys=keys, args=[token])
            except RedisError as exc:  # the block's outcome stands; the nights free themselves at the TTL
                log.warning("could not release booking lock %s: %s", keys[0], exc)

    async def confirm(self, lock: StayLock) -> None:
        """Right before a write: raise LockLost unless every night is still ours; if so they stay ours another TTL."""
        if not await self._confirm(keys=lock.keys, args=[lock.token, self._lock_ttl_ms]):
            raise LockLost(f"booking lock {lock.keys[0]} expired before the write", await self._holders(lock.keys))

    async def _holders(self, keys: list[str]) -> tuple[str, ...]:
        """The owners (idempotency keys) holding any of the nights now."""
        held = [v.decode() if isinstance(v, bytes) else v for v in await self._redis.mget(keys) if v]
        return tuple({v.rpartition(_OWNER_END)[0] for v in held})

    async def outcome(self, idempotency_key: str) -> dict[str, Any] | None:
        """The stored result of a confirmation already carried out, if any."""
        raw = await self._redis.get(f"hotelero:idem:{idempotency_key}")
        return orjson.loads(raw) if raw else None

    async def remember(self, idempotency_key: str, result: dict[str, Any]) -> None:
        await self._redis.set(f"hotelero:idem:{idempotency_key}", orjson.dumps(result), ex=IDEMPOTENCY_TTL_S)
