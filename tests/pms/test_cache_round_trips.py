"""Round trips to Redis and QloApps per turn (real Redis, real QloApps simulator): counts, not timings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from agent.clock import FrozenClock
from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.cache import PmsCache
from agent.receptionist import Receptionist
from tests.conversations.receptionist_driver import Guest, texts
from tests.pms.simserver import qloapps_simulator
from tests.redis_counting import CountingRedis

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
D1, D2 = date(2027, 5, 3), date(2027, 5, 5)


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with qloapps_simulator(Path(tmp_path_factory.mktemp("qloapps"))) as s:
        yield s


def _client(sim: tuple[str, str], redis: Redis, ticks: Ticks | None = None) -> QloAppsClient:
    cache = PmsCache(redis, monotonic=ticks or Ticks())
    return QloAppsClient(QloAppsConfig(base_url=sim[0], api_key=sim[1]), cache=cache)


def test_a_faq_turn_with_a_warm_cache_sends_no_redis_command(sim, fresh_redis_url: str):
    async def main() -> tuple[list[str], list[str], str]:
        redis = CountingRedis.from_url(fresh_redis_url)
        pms = _client(sim, redis)
        guest = Guest("34600000001", Receptionist(pms, None, knowledge={}), FrozenClock(NOW))
        try:
            await guest.say("¿A qué hora es el check-in?")
            cold = list(redis.sent)
            redis.sent.clear()
            await guest.say("¿A qué hora es el check-out?")
            return cold, list(redis.sent), texts(guest.last)
        finally:
            await pms.close()
            await redis.aclose()

    cold, warm, answer = asyncio.run(main())
    assert cold == ["GET", "SET"]  # the hotel, read once from QloApps and stored for every process
    assert warm == []
    assert answer  # the second question was answered from the process's copy


def test_a_search_reads_the_generation_and_its_entry_in_one_round_trip(sim, fresh_redis_url: str):
    async def main() -> tuple[list[str], list[str], list[str]]:
        redis = CountingRedis.from_url(fresh_redis_url)
        pms = _client(sim, redis)
        try:
            await pms.room_types(1)
            redis.sent.clear()
            await pms.search_availability(1, D1, D2)
            first = list(redis.sent)
            redis.sent.clear()
            await pms.search_availability(1, D1, D2)
            await pms.room_types(1)
            second = list(redis.sent)
            redis.sent.clear()
            await pms.search_availability(1, D1, D2, use_cache=False)
            return first, second, list(redis.sent)
        finally:
            await pms.close()
            await redis.aclose()

    first, second, fresh = asyncio.run(main())
    assert first == ["MGET", "SET"]  # a miss: QloApps answers and the answer is stored under the generation
    assert second == ["MGET"]  # a hit; the room types come from the process
    assert fresh == []  # a fresh search (right before a booking write) neither reads nor fills the cache


def test_static_data_is_read_from_redis_again_after_the_local_ttl_and_served_locally_while_redis_is_down(
    sim, fresh_redis_url: str
):
    async def main() -> tuple[list[str], str, str]:
        redis = CountingRedis.from_url(fresh_redis_url)
        ticks = Ticks()
        pms = _client(sim, redis, ticks)
        try:
            hotel = await pms.get_hotel(1)
            ticks.now += 61
            redis.sent.clear()
            again = await pms.get_hotel(1)
            reread = list(redis.sent)
            await redis.connection_pool.disconnect()
            redis.connection_pool.connection_kwargs["port"] = 1  # Redis gone: the process's copy still answers
            local = await pms.get_hotel(1)
            return reread, again.name if again == hotel else "", local.name
        finally:
            await pms.close()
            await redis.aclose()

    reread, again, local = asyncio.run(main())
    assert reread == ["GET"]
    assert again and local == again


def test_finding_a_guests_bookings_reads_each_booking_once(sim, fresh_redis_url: str):
    """A booking found by its reference is not read again when the guest's phone finds it too."""

    async def main() -> tuple[int, list[str]]:
        redis = CountingRedis.from_url(fresh_redis_url)
        pms = _client(sim, redis)
        guest = Guest("34600000077", Receptionist(pms, None, knowledge={}), FrozenClock(NOW))
        seen: list[str] = []
        original = pms._request

        async def counted(method: str, resource: str, path: str, **kw: Any) -> Any:
            seen.append(f"{method} {path}")
            return await original(method, resource, path, **kw)

        try:
            await guest.say("Quiero reservar la habitación deluxe del 3 al 5 de mayo de 2027 para 2 adultos")
            await guest.say("Ana Gil")
            await guest.say("ana.gil@example.com")
            await guest.tap("Confirmar")
            pms._request = counted  # type: ignore[method-assign]
            await guest.say("quiero ver mi reserva")
            return len(guest.state["dialogue"]["own_references"]), seen
        finally:
            await pms.close()
            await redis.aclose()

    own, seen = asyncio.run(main())
    assert own == 1
    reads = [s for s in seen if s.startswith("GET bookings/")]
    assert len(reads) == 1, seen
