"""The adapter against the real QloApps simulator (a subprocess): searches, bookings, lookups, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.errors import PmsAuthError, RoomsUnavailable
from agent.pms.models import BookingRequest, GuestDetails
from tests.pms.simserver import qloapps_simulator

pytestmark = pytest.mark.e2e

DEMO_TYPES = {"General Rooms", "Delux Rooms", "Executive Rooms", "Luxury Rooms"}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with qloapps_simulator(Path(tmp_path_factory.mktemp("qloapps"))) as s:
        yield s


def run(sim: tuple[str, str], body):
    async def main():
        client = QloAppsClient(QloAppsConfig(base_url=sim[0], api_key=sim[1]))
        try:
            return await body(client)
        finally:
            await client.close()

    return asyncio.run(main())


def request(rt: int, ci: date, co: date, email: str, rooms: int = 1) -> BookingRequest:
    return BookingRequest(1, rt, ci, co, 2, 0, rooms, "EUR", GuestDetails("Ana", "Lopez", email, "+34600000001"))


def test_search_lists_the_demo_room_types_with_consistent_prices(sim):
    async def body(c: QloAppsClient):
        return await c.search_availability(1, date(2027, 5, 3), date(2027, 5, 5), [(2, 0)], use_cache=False)

    avail = run(sim, body)
    assert {o.name for o in avail.offers} >= DEMO_TYPES
    assert avail.currency and len(avail.currency) == 3
    for o in avail.offers:
        assert o.available >= 1 and o.total_price_with_tax >= o.total_price > 0
        assert abs(o.nightly_price_with_tax * 2 - o.total_price_with_tax) <= 1  # a flat price for both nights


def test_hotel_room_types_rules_and_features_are_read(sim):
    async def body(c: QloAppsClient):
        return (await c.get_hotel(1), await c.room_types(1), await c.refund_rules(1), await c.hotel_features(1))

    hotel, types, rules, features = run(sim, body)
    assert hotel.name and hotel.check_in and hotel.check_out and hotel.address
    assert {t.name for t in types} >= DEMO_TYPES and all(t.max_guests >= t.adults for t in types)
    assert [r.days for r in rules] == sorted((r.days for r in rules), reverse=True)
    assert all(f.name for f in features)


def test_booking_takes_a_room_is_found_by_reference_and_email_and_cancelling_frees_it(sim):
    ci, co = date(2027, 5, 10), date(2027, 5, 12)

    async def body(c: QloAppsClient):
        before = await c.search_availability(1, ci, co, use_cache=False)
        delux = next(o for o in before.offers if o.name == "Delux Rooms")
        booking = await c.create_booking(request(delux.id_room_type, ci, co, "sim.adapter@example.com"))
        after = await c.search_availability(1, ci, co, use_cache=False)
        found = await c.booking_by_reference(booking.reference)
        by_email = await c.bookings_for_email("sim.adapter@example.com")
        await c.cancel_booking(booking)
        cancelled = await c.get_booking(booking.id_order)
        freed = await c.search_availability(1, ci, co, use_cache=False)
        return delux, booking, after, found, by_email, cancelled, freed

    delux, booking, after, found, by_email, cancelled, freed = run(sim, body)
    assert len(booking.reference) >= 6 and booking.id_order > 0
    assert (found.date_from, found.date_to) == (ci, co) and found.lines[0].id_room_type == delux.id_room_type
    assert found.email == "sim.adapter@example.com" and not found.cancelled
    assert [b.reference for b in by_email] == [booking.reference]
    left = after.offer(delux.id_room_type)
    assert (left.available if left else 0) == delux.available - 1
    assert cancelled.current_state == 4 and cancelled.cancelled
    assert freed.offer(delux.id_room_type).available == delux.available


def test_booking_more_rooms_than_free_is_rooms_unavailable(sim):
    ci, co = date(2027, 5, 20), date(2027, 5, 21)

    async def body(c: QloAppsClient):
        avail = await c.search_availability(1, ci, co, use_cache=False)
        lux = next(o for o in avail.offers if o.name == "Luxury Rooms")
        await c.create_booking(request(lux.id_room_type, ci, co, "fill@example.com", rooms=lux.available))
        with pytest.raises(RoomsUnavailable):
            await c.create_booking(request(lux.id_room_type, ci, co, "late@example.com"))
        return (await c.search_availability(1, ci, co, use_cache=False)).offer(lux.id_room_type)

    assert run(sim, body) is None


def test_unknown_reference_is_none(sim):
    async def body(c: QloAppsClient):
        return await c.booking_by_reference("NOSUCHREF")

    assert run(sim, body) is None


def test_wrong_key_is_an_auth_error(sim):
    async def main():
        client = QloAppsClient(QloAppsConfig(base_url=sim[0], api_key="B" * 32))
        try:
            with pytest.raises(PmsAuthError):
                await client.get_hotel(1)
        finally:
            await client.close()

    asyncio.run(main())


def test_bookings_are_found_by_the_customer_phone_the_agent_sends_with_their_occupancy(sim):
    async def body(c: QloAppsClient):
        mine = BookingRequest(
            1, 2, date(2027, 6, 7), date(2027, 6, 9), 1, 1, 1, "EUR",
            GuestDetails("Marta", "Gil", "marta.phone@example.com", "+34699000111"),
        )  # fmt: skip
        other = BookingRequest(
            1, 2, date(2027, 6, 7), date(2027, 6, 9), 2, 0, 1, "EUR",
            GuestDetails("Otro", "Huesped", "otro.phone@example.com", "+34699000222"),
        )  # fmt: skip
        made = await c.create_booking(mine)
        await c.create_booking(other)
        return made, await c.bookings_for_phone("+34699000111"), await c.bookings_for_phone("+34699000999")

    made, found, nobody = run(sim, body)
    assert [b.reference for b in found] == [made.reference]
    assert found[0].email == "marta.phone@example.com"
    assert (found[0].lines[0].adults, found[0].lines[0].children) == (1, 1)
    assert nobody == []
