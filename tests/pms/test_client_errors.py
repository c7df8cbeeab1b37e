"""The adapter against every QloApps answer shape the reference documents, served by a local aiohttp server."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from agent.clock import FrozenClock
from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.breaker import BreakerConfig, BreakerState
from agent.pms.errors import CircuitOpen, NotFound, PmsAuthError, PmsRejected, PmsUnavailable, RoomsUnavailable
from agent.pms.models import BookingRequest, GuestDetails, split_occupancy
from tests.pms.conftest import FakeQlo, closed_port_url

KEY = "A" * 32
D1, D2 = date(2026, 12, 3), date(2026, 12, 5)

ARI_CODE_SHAPE = {
    "hotel_ari": {
        "id_hotel": 1,
        "date_from": "2026-12-03",
        "date_to": "2026-12-05",
        "currency": "EUR",
        "total_rooms": 20,
        "total_available_rooms": 3,
        "room_types": [
            {
                "id_room_type": "2",
                "name": "Delux Rooms",
                "base_price": "1500.000000",
                "base_price_with_tax": "1650.000000",
                "total_price": "3000.000000",
                "total_price_with_tax": "3300.000000",
                "rooms": {"available": {"6": {"id_room": 6, "room_num": "DR-101"}, "7": {"id_room": 7}}},
            },
            {
                "id_room_type": "1",
                "name": "General Rooms",
                "base_price": 1000,
                "base_price_with_tax": 1100,
                "total_price": 2000,
                "total_price_with_tax": 2200,
                "rooms": {"available": {"1": {"id_room": 1}}},
            },
            {
                "id_room_type": "3",
                "name": "Executive Rooms",
                "base_price": 2000,
                "base_price_with_tax": 2200,
                "total_price": 4000,
                "total_price_with_tax": 4400,
                "rooms": {"available": {}},  # PHP's empty array can arrive as {} or []
            },
        ],
    }
}


def json_response(status: int, body: object) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    return handler


def raw_response(status: int, text: str, content_type: str = "application/json"):
    async def handler(_: web.Request) -> web.Response:
        return web.Response(status=status, text=text, content_type=content_type)

    return handler


def run(coro_fn):
    """Start a fake QloApps, build a client against it, run the test body, clean up."""

    async def main():
        fake = FakeQlo()
        await fake.start()
        try:
            return await coro_fn(fake)
        finally:
            await fake.stop()

    return asyncio.run(main())


def client_for(url: str, **kw) -> QloAppsClient:
    return QloAppsClient(QloAppsConfig(base_url=url, api_key=KEY, retry_backoff_s=0.0, **kw))


def booking_request() -> BookingRequest:
    return BookingRequest(
        hotel_id=1,
        id_room_type=2,
        date_from=D1,
        date_to=D2,
        adults=2,
        children=0,
        rooms=1,
        currency="EUR",
        guest=GuestDetails("Ana", "Lopez", "ana@example.com", "+34600000000"),
    )


def test_ari_search_posts_xml_with_basic_auth_and_reads_free_room_types_cheapest_first():
    async def body(fake: FakeQlo):
        fake.routes[("POST", "/api/hotel_ari")] = json_response(200, ARI_CODE_SHAPE)
        client = client_for(fake.url)
        try:
            avail = await client.search_availability(1, D1, D2, [(2, 0)])
        finally:
            await client.close()
        method, path, query, sent, auth = fake.seen[0]
        assert query["output_format"] == "JSON"
        assert sent.startswith(b"<?xml") and b"<date_from>2026-12-03</date_from>" in sent
        assert b"<adults>2</adults><children>0</children>" in sent
        assert auth == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        return avail

    avail = run(body)
    assert [o.id_room_type for o in avail.offers] == [1, 2]  # Executive has no free room
    assert avail.offers[1].available == 2
    assert avail.offers[1].nightly_price_with_tax == Decimal("1650.000000")
    assert avail.offers[1].total_price_with_tax == Decimal("3300.000000")
    assert avail.currency == "EUR" and avail.nights == 2


def test_ari_search_reads_the_documented_xml_like_json_shape_too():
    docs_shape = {
        "hotel_ari": {
            "id_hotel": "1",
            "currency": "USD",
            "room_types": {
                "room_type": [
                    {
                        "id": "4",
                        "name": [{"id": "1", "value": "Luxury Rooms"}],
                        "total_price": "5000",
                        "total_price_with_tax": "5500",
                        "rooms": {"available": {"room": [{"id_room": 16}, {"id_room": 17}]}},
                    }
                ]
            },
        }
    }

    async def body(fake: FakeQlo):
        fake.routes[("POST", "/api/hotel_ari")] = json_response(200, docs_shape)
        client = client_for(fake.url)
        try:
            return await client.search_availability(1, D1, D2)
        finally:
            await client.close()

    avail = run(body)
    (offer,) = avail.offers
    assert (offer.id_room_type, offer.name, offer.available) == (4, "Luxury Rooms", 2)
    assert offer.nightly_price_with_tax == Decimal(2750)  # derived from the stay total when base price is absent
    assert avail.currency == "USD"


def test_booking_rejected_with_http_400_body_code_404_is_rooms_unavailable_and_never_retried():
    async def body(fake: FakeQlo):
        fake.routes[("POST", "/api/bookings")] = json_response(
            400, {"errors": [{"code": 404, "message": "Requested room(s) not available."}]}
        )
        client = client_for(fake.url)
        try:
            with pytest.raises(RoomsUnavailable) as err:
                await client.create_booking(booking_request())
        finally:
            await client.close()
        assert fake.hits("POST", "/api/bookings") == 1
        sent = fake.seen[0][3]
        assert b'"id_room_type":2' in sent and b'"checkin_date":"2026-12-03"' in sent
        return err.value

    err = run(body)
    assert err.code == 404 and "not available" in err.message


def test_booking_server_error_is_unavailable_and_not_retried_because_it_may_have_happened():
    async def body(fake: FakeQlo):
        fake.routes[("POST", "/api/bookings")] = json_response(500, {"errors": [{"code": 46, "message": "save"}]})
        client = client_for(fake.url)
        try:
            with pytest.raises(PmsUnavailable):
                await client.create_booking(booking_request())
        finally:
            await client.close()
        return fake.hits("POST", "/api/bookings")

    assert run(body) == 1


def test_reads_retry_server_errors_then_give_up_as_unavailable():
    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/hotels/1")] = json_response(
            500, {"errors": [{"code": 127, "message": "XML error : String could not be parsed as XML"}]}
        )
        client = client_for(fake.url)
        try:
            with pytest.raises(PmsUnavailable, match="code 127"):
                await client.get_hotel(1)
        finally:
            await client.close()
        return fake.hits("GET", "/api/hotels/1")

    assert run(body) == 3  # one try and two retries


def test_read_that_recovers_on_retry_succeeds():
    calls = {"n": 0}

    async def flaky(_: web.Request) -> web.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return web.Response(status=502, text="bad gateway")
        return web.json_response({"hotel": {"id": 1, "hotel_name": "The Hotel Prime", "check_in": "14:00"}})

    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/hotels/1")] = flaky
        client = client_for(fake.url)
        try:
            return await client.get_hotel(1)
        finally:
            await client.close()

    hotel = run(body)
    assert hotel.name == "The Hotel Prime" and hotel.check_in == "14:00" and calls["n"] == 2


def test_missing_key_plain_text_401_is_an_auth_error_naming_the_problem():
    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/hotels/1")] = raw_response(401, "401 Unauthorized", "text/plain")
        client = client_for(fake.url)
        try:
            with pytest.raises(PmsAuthError) as err:
                await client.get_hotel(1)
        finally:
            await client.close()
        assert fake.hits("GET", "/api/hotels/1") == 1  # a 4xx is an answer, not an outage: no retry
        return err.value

    assert run(body).status == 401


def test_missing_record_empty_404_is_not_found():
    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/hotels/9")] = raw_response(404, "")
        client = client_for(fake.url)
        try:
            with pytest.raises(NotFound):
                await client.get_hotel(9)
        finally:
            await client.close()

    run(body)


def test_unknown_filter_400_code_32_is_rejected_with_its_code_and_message():
    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/customers")] = json_response(
            400, {"errors": [{"code": 32, "message": 'Unable to filter by this field "emial"'}]}
        )
        client = client_for(fake.url)
        try:
            with pytest.raises(PmsRejected) as err:
                await client.find_customers("x@example.com")
        finally:
            await client.close()
        return err.value

    err = run(body)
    assert (err.status, err.code) == (400, 32) and "emial" in err.message


def test_xml_error_body_is_read_for_its_code():
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><qloapps><errors><error><code><![CDATA[27]]></code>'
        '<message><![CDATA[Resource of type "hotel_booking" does not exists.]]></message></error></errors></qloapps>'
    )

    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/hotels/1")] = raw_response(400, xml, "text/xml")
        client = client_for(fake.url)
        try:
            with pytest.raises(PmsRejected) as err:
                await client.get_hotel(1)
        finally:
            await client.close()
        return err.value

    assert run(body).code == 27


def test_empty_list_is_bare_json_array():
    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/customers")] = raw_response(200, "[]")
        client = client_for(fake.url)
        try:
            return await client.find_customers("nobody@example.com")
        finally:
            await client.close()

    assert run(body) == []


def test_non_json_success_body_is_unavailable_not_a_crash():
    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/hotels/1")] = raw_response(200, "<html>maintenance</html>", "text/html")
        client = client_for(fake.url)
        try:
            with pytest.raises(PmsUnavailable, match="non-JSON"):
                await client.get_hotel(1)
        finally:
            await client.close()

    run(body)


def test_slow_answer_times_out_at_the_read_timeout():
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    async def body(fake: FakeQlo):
        fake.routes[("POST", "/api/hotel_ari")] = slow
        client = client_for(fake.url, read_timeout_s=0.2, read_retries=1)
        try:
            with pytest.raises(PmsUnavailable, match="unreachable"):
                await client.search_availability(1, D1, D2)
        finally:
            await client.close()
        return fake.hits("POST", "/api/hotel_ari")

    assert run(body) == 2


def test_connection_refused_is_unavailable():
    async def main():
        client = client_for(closed_port_url(), read_retries=0)
        try:
            with pytest.raises(PmsUnavailable):
                await client.get_hotel(1)
        finally:
            await client.close()

    asyncio.run(main())


def test_search_with_checkout_not_after_checkin_is_refused_before_any_call():
    async def main():
        client = client_for(closed_port_url())
        with pytest.raises(ValueError, match="departure"):
            await client.search_availability(1, D2, D2)

    asyncio.run(main())


def test_breaker_opens_after_consecutive_failures_fails_fast_then_probes_and_closes():
    clock = FrozenClock(datetime(2026, 12, 1, tzinfo=UTC))
    state = {"fail": True}

    async def maybe(_: web.Request) -> web.Response:
        if state["fail"]:
            return web.Response(status=503, text="down")
        return web.json_response({"hotel": {"id": 1, "hotel_name": "H"}})

    async def body(fake: FakeQlo):
        fake.routes[("GET", "/api/hotels/1")] = maybe
        cfg = QloAppsConfig(
            base_url=fake.url,
            api_key=KEY,
            read_retries=0,
            retry_backoff_s=0,
            breaker=BreakerConfig(failure_threshold=3, cooldown_s=10),
        )
        client = QloAppsClient(cfg, clock=clock)
        try:
            for _ in range(3):
                with pytest.raises(PmsUnavailable):
                    await client.get_hotel(1)
            assert client.breaker.state is BreakerState.OPEN
            with pytest.raises(CircuitOpen):
                await client.get_hotel(1)
            assert fake.hits("GET", "/api/hotels/1") == 3  # the open circuit did not touch QloApps

            clock.advance(timedelta(seconds=11))
            with pytest.raises(PmsUnavailable):  # the half-open probe fails: open again
                await client.get_hotel(1)
            assert client.breaker.state is BreakerState.OPEN
            with pytest.raises(CircuitOpen):
                await client.get_hotel(1)

            clock.advance(timedelta(seconds=11))
            state["fail"] = False
            hotel = await client.get_hotel(1)
            assert client.breaker.state is BreakerState.CLOSED
            return hotel
        finally:
            await client.close()

    assert run(body).name == "H"


def test_business_rejections_do_not_open_the_breaker():
    async def body(fake: FakeQlo):
        fake.routes[("POST", "/api/bookings")] = json_response(
            400, {"errors": [{"code": 404, "message": "Requested room(s) not available."}]}
        )
        cfg = QloAppsConfig(base_url=fake.url, api_key=KEY, breaker=BreakerConfig(failure_threshold=2))
        client = QloAppsClient(cfg)
        try:
            for _ in range(4):
                with pytest.raises(RoomsUnavailable):
                    await client.create_booking(booking_request())
            return client.breaker.state
        finally:
            await client.close()

    assert run(body) is BreakerState.CLOSED


def test_other_bookings_refusals_with_body_code_404_are_rejections_not_lost_rooms():
    async def body(fake: FakeQlo):
        fake.routes[("POST", "/api/bookings")] = json_response(
            400, {"errors": [{"code": 404, "message": "Please provide valid currency."}]}
        )
        client = client_for(fake.url)
        try:
            with pytest.raises(PmsRejected) as err:
                await client.create_booking(booking_request())
        finally:
            await client.close()
        return err.value

    err = run(body)
    assert not isinstance(err, RoomsUnavailable) and "currency" in err.message


@given(adults=st.integers(1, 40), children=st.integers(0, 20), rooms=st.integers(1, 10))
def test_split_occupancy_keeps_the_party_and_balances_the_rooms(adults, children, rooms):
    party = split_occupancy(adults, children, rooms)
    assert len(party) == rooms
    assert sum(a for a, _ in party) == adults and sum(c for _, c in party) == children
    assert max(a for a, _ in party) - min(a for a, _ in party) <= 1
    assert max(c for _, c in party) - min(c for _, c in party) <= 1


def test_booking_body_spreads_the_party_over_the_rooms_with_both_adult_spellings():
    from agent.pms.wire import booking_json

    req = booking_request()
    body = booking_json(BookingRequest(**{**req.__dict__, "adults": 3, "children": 1, "rooms": 2,
                                          "total_tax_per_room": Decimal("150.00"), "idempotency_key": "g1:b7"}))
    rooms = body["booking"]["room_types"][0]["rooms"]
    # total_tax on every room: QloApps 1.7.0 answers 500 after saving without it (…Bookings.php:510).
    assert rooms == [{"adults": 2, "adult": 2, "child": 1, "total_tax": 150.0},
                     {"adults": 1, "adult": 1, "child": 0, "total_tax": 150.0}]  # fmt: skip
    assert body["booking"]["customer_detail"]["phone"] == "+34600000000"
    assert body["booking"]["remark"].endswith("[party:3+1] [hotelero:g1:b7]")


def test_booking_body_without_a_phone_is_refused_before_sending():
    from agent.pms.wire import booking_json

    req = booking_request()
    with pytest.raises(ValueError, match="PS_ONE_PHONE_AT_LEAST"):
        booking_json(BookingRequest(**{**req.__dict__, "guest": GuestDetails("Ana", "Lopez", "ana@example.com")}))
