"""Redis helpers against a real Redis: token lock, per-guest rate limit, TTL cache."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from agent.locks import TokenLocks
from agent.ratelimit import GuestRateLimiter
from agent.ttlcache import LocalTtlCache, TtlCache
from tests.redis_counting import CountingRedis


def test_lock_is_exclusive_and_only_its_holder_can_release_it(fresh_redis_url: str) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(fresh_redis_url)
        locks = TokenLocks(redis)
        first = await locks.acquire("booking:room-7", ttl_ms=200)
        assert first is not None
        assert await locks.acquire("booking:room-7", ttl_ms=200) is None
        await asyncio.sleep(0.3)  # expired: someone else takes it
        second = await locks.acquire("booking:room-7", ttl_ms=5000)
        assert second is not None
        assert not await locks.release(first)  # the stale holder cannot free the new holder's lock
        assert not await locks.extend(first, 5000)
        assert await redis.get(second.key) == second.token.encode()
        assert await locks.extend(second, 5000)
        assert await locks.release(second)
        assert await locks.acquire("booking:room-7", ttl_ms=100) is not None
        await redis.aclose()

    asyncio.run(scenario())


def test_rate_limit_allows_the_limit_then_notifies_once_per_window(fresh_redis_url: str) -> None:
    async def scenario() -> tuple[list[tuple[bool, bool]], list[str], list[int]]:
        redis = CountingRedis.from_url(fresh_redis_url)
        limiter = GuestRateLimiter(redis, limit=3, window_s=60)
        await limiter.check("warm-up", window_index=0)  # the script is in Redis from here on
        redis.sent.clear()
        out = [await limiter.check("346", window_index=1) for _ in range(6)]
        out.append(await limiter.check("346", window_index=2))  # a new window starts fresh
        out.append(await limiter.check("999", window_index=1))  # other guests are not affected
        ttls = [await redis.ttl(k) async for k in redis.scan_iter("rl:*")]
        sent = [c for c in redis.sent if c not in ("SCAN", "TTL")]
        await redis.aclose()
        return [(d.allowed, d.notify) for d in out], sent, ttls

    decisions, sent, ttls = asyncio.run(scenario())
    assert sent == ["EVALSHA"] * 8  # one round trip per message, over the limit too
    assert ttls and all(60 < t <= 120 for t in ttls)  # every window's keys expire after two windows
    assert decisions == [(True, False)] * 3 + [
        (False, True),
        (False, False),
        (False, False),
        (True, False),
        (True, False),
    ]


def test_ttl_cache_loads_once_and_expires(fresh_redis_url: str) -> None:
    async def scenario() -> tuple[list[int], object]:
        redis = Redis.from_url(fresh_redis_url)
        cache = TtlCache(redis)
        calls: list[int] = []

        async def loader() -> dict[str, int]:
            calls.append(1)
            return {"rooms": 4}

        assert await cache.get_or_load("hotel:1", 0.2, loader) == {"rooms": 4}
        assert await cache.get_or_load("hotel:1", 0.2, loader) == {"rooms": 4}
        await asyncio.sleep(0.3)
        after = await cache.get("hotel:1")
        await redis.aclose()
        return calls, after

    calls, after = asyncio.run(scenario())
    assert calls == [1] and after is None


def test_local_ttl_cache_expires_by_its_clock_and_keeps_at_most_max_keys() -> None:
    now = [0.0]
    cache = LocalTtlCache(ttl_s=60, monotonic=lambda: now[0], max_keys=2)
    cache.set("hotel:1", {"name": "H"})
    cache.set("room_types", [1])
    now[0] = 59.9
    assert cache.get("hotel:1") == {"name": "H"}
    cache.set("hotel_features", [2])  # a third key: the oldest stored goes
    assert cache.get("hotel:1") is None and cache.get("room_types") == [1]
    now[0] = 60.0
    assert cache.get("room_types") is None and cache.get("hotel_features") == [2]
    off = LocalTtlCache(ttl_s=0, monotonic=lambda: 0.0)  # a TTL of 0 keeps nothing
    off.set("x", 1)
    assert off.get("x") is None
