"""The adapter's Redis cache (real Redis): static reads an hour, availability seconds, dropped by own bookings."""

from __future__ import annotations

import asyncio

from aiohttp import web
from redis.asyncio import Redis

from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.cache import PmsCache
from tests.pms.conftest import FakeQlo
from tests.pms.test_client_errors import ARI_CODE_SHAPE, D1, D2, KEY, booking_request, json_response


def _serve_booking() -> web.Response:
    async def handler(_: web.Request) -> web.Response:
        return web.json_response({"booking": {"id": 9, "id_property": 1, "currency": "EUR"}})

    return handler


def test_searches_are_cached_until_our_own_booking_and_static_reads_for_an_hour(fresh_redis_url: str):
    async def main():
        fake = FakeQlo()
        await fake.start()
        redis = Redis.from_url(fresh_redis_url)
        fake.routes[("POST", "/api/hotel_ari")] = json_response(200, ARI_CODE_SHAPE)
        fake.routes[("GET", "/api/hotels/1")] = json_response(200, {"hotel": {"id": 1, "hotel_name": "H"}})
        fake.routes[("POST", "/api/bookings")] = _serve_booking()
        fake.routes[("GET", "/api/orders/9")] = json_response(200, {"order": {"id": 9, "reference": "ABCDEFGHI"}})
        client = QloAppsClient(QloAppsConfig(base_url=fake.url, api_key=KEY), cache=PmsCache(redis))
        try:
            await client.search_availability(1, D1, D2)
            await client.search_availability(1, D1, D2)
            searches_before = fake.hits("POST", "/api/hotel_ari")
            await client.create_booking(booking_request())
            await client.search_availability(1, D1, D2)
            searches_after = fake.hits("POST", "/api/hotel_ari")
            await client.search_availability(1, D1, D2, use_cache=False)
            uncached = fake.hits("POST", "/api/hotel_ari")
            await client.get_hotel(1)
            await client.get_hotel(1)
            hotel_ttl = await redis.ttl("hotelero:pms:static:hotel:1")
            ari_ttls = [await redis.ttl(k) async for k in redis.scan_iter("hotelero:pms:ari:*")]
            return searches_before, searches_after, uncached, fake.hits("GET", "/api/hotels/1"), hotel_ttl, ari_ttls
        finally:
            await client.close()
            await redis.aclose()
            await fake.stop()

    before, after, uncached, hotel_reads, hotel_ttl, ari_ttls = asyncio.run(main())
    assert (before, after, uncached) == (1, 2, 3)
    assert hotel_reads == 1 and 3000 < hotel_ttl <= 3600
    assert ari_ttls and all(0 < t <= 5 for t in ari_ttls)
