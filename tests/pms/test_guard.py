"""The booking guard on real Redis: one holder per stay at a time, and remembered confirmation outcomes."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from redis.asyncio import Redis

from agent.pms.guard import BookingGuard, LockBusy

D1, D2 = date(2027, 1, 1), date(2027, 1, 3)


def test_second_holder_of_the_same_stay_waits_for_the_first_and_other_stays_do_not(fresh_redis_url: str):
    async def main():
        redis = Redis.from_url(fresh_redis_url)
        guard = BookingGuard(redis)
        order: list[str] = []

        async def hold(tag: str, room_type: int, pause: float) -> None:
            async with guard.stay_lock(1, room_type, D1, D2):
                order.append(f"{tag} in")
                await asyncio.sleep(pause)
                order.append(f"{tag} out")

        try:
            await asyncio.gather(hold("a", 2, 0.3), hold("b", 2, 0.3), hold("c", 3, 0.0))
        finally:
            await redis.aclose()
        return order

    order = asyncio.run(main())
    # Either same-stay holder may win the race; what matters is that they never overlap.
    first, second = ("a", "b") if order.index("a in") < order.index("b in") else ("b", "a")
    assert order.index(f"{first} out") < order.index(f"{second} in")
    assert order.index("c in") < order.index(f"{first} out")  # another room type is not blocked


def test_a_lock_held_too_long_is_refused_with_lock_busy(fresh_redis_url: str):
    async def main():
        redis = Redis.from_url(fresh_redis_url)
        slow, impatient = BookingGuard(redis), BookingGuard(redis, wait_s=0.2)
        try:
            async with slow.stay_lock(1, 2, D1, D2):
                with pytest.raises(LockBusy):
                    async with impatient.stay_lock(1, 2, D1, D2):
                        pass
        finally:
            await redis.aclose()

    asyncio.run(main())


def test_confirmation_outcome_is_remembered_for_a_week(fresh_redis_url: str):
    async def main():
        redis = Redis.from_url(fresh_redis_url)
        guard = BookingGuard(redis)
        try:
            assert await guard.outcome("34600:b7") is None
            await guard.remember("34600:b7", {"reference": "ABCDEFGHI"})
            return await guard.outcome("34600:b7"), await redis.ttl("hotelero:idem:34600:b7")
        finally:
            await redis.aclose()

    stored, ttl = asyncio.run(main())
    assert stored == {"reference": "ABCDEFGHI"} and 6 * 86400 < ttl <= 7 * 86400


def test_overlapping_stays_of_one_room_type_wait_for_each_other_and_adjacent_stays_do_not(fresh_redis_url: str):
    d = [date(2027, 1, n) for n in range(1, 6)]

    async def main():
        redis = Redis.from_url(fresh_redis_url)
        guard = BookingGuard(redis)
        order: list[str] = []

        async def hold(tag: str, stay: tuple[date, date], pause: float, start_after: float = 0.0) -> None:
            await asyncio.sleep(start_after)
            async with guard.stay_lock(1, 2, *stay):
                order.append(f"{tag} in")
                await asyncio.sleep(pause)
                order.append(f"{tag} out")

        try:
            # a: nights 1-2; b: nights 2-3 (overlaps a on night 2); c: night 4 only (touches b's check-out day).
            await asyncio.gather(hold("a", (d[0], d[2]), 0.3), hold("b", (d[1], d[3]), 0.1, 0.05),
                                 hold("c", (d[3], d[4]), 0.0, 0.1))  # fmt: skip
            keys = sorted(k.decode() for k in await redis.keys("hotelero:lock:booking:*"))
        finally:
            await redis.aclose()
        return order, keys

    order, keys_left = asyncio.run(main())
    assert order.index("a out") < order.index("b in")  # the overlapping stay waited
    assert order.index("c in") < order.index("a out")  # a stay that shares no night did not
    assert keys_left == []  # every night's lock was released
