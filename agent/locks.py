"""A token lock in Redis: SET NX PX to take it, compare-and-delete (Lua) to release only our own."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

# Delete the key only if it still holds our token: a lock that expired and was re-taken is not ours to free.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


@dataclass
class Lock:
    """A held lock: its key and the random token proving ownership."""

    key: str
    token: str


class TokenLocks:
    """Take, extend and release named locks with a time-to-live (a crashed holder frees them by expiry)."""

    def __init__(self, redis: Redis, prefix: str = "lock:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._release = redis.register_script(_RELEASE)
        self._extend = redis.register_script(_EXTEND)

    async def acquire(self, name: str, ttl_ms: int) -> Lock | None:
        """Take the lock if free; None when someone else holds it."""
        lock = Lock(self._prefix + name, secrets.token_hex(16))
        ok = await self._redis.set(lock.key, lock.token, nx=True, px=ttl_ms)
        return lock if ok else None

    async def extend(self, lock: Lock, ttl_ms: int) -> bool:
        """Push the expiry out; False when the lock was lost (expired or taken by another)."""
        return bool(await self._extend(keys=[lock.key], args=[lock.token, ttl_ms]))

    async def release(self, lock: Lock) -> bool:
        """Free the lock if we still hold it; False when it had already expired or changed hands."""
        return bool(await self._release(keys=[lock.key], args=[lock.token]))
