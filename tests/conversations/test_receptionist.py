"""The receptionist end to end in-process: NLU → dialogue → effects on an in-memory PMS → worded replies."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from agent.clock import FrozenClock
from agent.outbound import Buttons, Location
from agent.receptionist import Receptionist
from tests.conversations.fake_pms import FakePms
from tests.conversations.receptionist_driver import Guest, texts

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


def guest(pms: FakePms | None = None, wa: str = "34600000001") -> Guest:
    clock = FrozenClock(NOW)
    knowledge = {"location": {"latitude": 1.0, "longitude": 2.0}}
    return Guest(wa, Receptionist(pms or FakePms(), None, knowledge=knowledge), clock)


def test_booking_conversation_books_once_and_replies_with_reference_and_check_in_time():
    pms = FakePms()
    g = guest(pms)

    async def main():
        await g.say("quiero reservar una habitación del 3 al 5 de diciembre")
        assert "Cuántas personas" in texts(g.last)
        r = await g.say("2 adultos")
        assert isinstance(r.replies[0], Buttons) and "Delux Rooms" in texts(r)
        await g.tap("Delux Rooms")
        await g.say("Ana López")
        await g.say("ana@example.com")
        assert "Revise su reserva" in texts(g.last) and "3300.00 EUR" in texts(g.last)
        done = await g.tap("Confirmar")
        again = await g.tap("Confirmar")
        return done, again

    done, again = asyncio.run(main())
    assert "Reserva confirmada" in texts(done) and "14:00" in texts(done)
    assert "ya está confirmada" in texts(again)
    assert len(pms.orders) == 1 and pms.orders[1].lines[0].date_from == date(2026, 12, 3)
    assert done.state["dialogue"]["own_references"] == [pms.orders[1].reference]


def test_pms_down_at_confirmation_hands_over_without_booking():
    pms = FakePms()
    g = guest(pms)

    async def main():
        await g.say("Quiero reservar la habitación deluxe del 3 al 5 de diciembre para 2 adultos, soy Ana Gil, a@x.com")
        pms.down = True
        return await g.tap("Confirmar")

    r = asyncio.run(main())
    assert r.handoff and r.handoff_reason == "pms_down" and "no responde" in texts(r)
    assert pms.orders == {}


def test_pms_down_during_search_apologises_with_a_person_button_and_no_handoff():
    pms = FakePms(down=True)
    r = asyncio.run(guest(pms).say("hay habitación del 3 al 5 de diciembre para 2 adultos?"))
    assert not r.handoff and "no responde" in texts(r)
    assert isinstance(r.replies[0], Buttons) and r.replies[0].buttons[0].id == "handoff"


def test_cancel_own_booking_shows_terms_and_frees_the_room():
    pms = FakePms()
    g = guest(pms)

    async def main():
        await g.say("book the general room from Dec 3 to Dec 5 for 2 adults, I'm Tom Baker, tom@example.com")
        await g.tap("Confirm")
        r = await g.say("please cancel my booking")
        assert "Do you want to cancel it?" in texts(r) and "8 days before arrival): a 50% fee, 1100.00 EUR" in texts(r)
        return await g.tap("Yes, cancel it")

    r = asyncio.run(main())
    assert "is cancelled" in texts(r) and pms.orders[1].cancelled


def test_location_question_sends_address_and_pin():
    r = asyncio.run(guest().say("where is the hotel?"))
    assert "Calle Mayor 1" in texts(r) and isinstance(r.replies[-1], Location)


def test_full_hotel_offers_nearby_dates():
    pms = FakePms(rooms_per_type=0)
    r = asyncio.run(guest(pms).say("any room from Dec 3 to Dec 5 for 2 adults?"))
    assert "no rooms free" in texts(r) and "couldn't find free rooms on nearby dates" in texts(r)


def test_idle_conversation_forgets_the_half_finished_flow():
    g = guest()

    async def main():
        await g.say("quiero reservar una habitación del 3 al 5 de diciembre")
        g.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
        return await g.say("2")

    r = asyncio.run(main())
    assert "no le he entendido" in texts(r)


def test_redelivered_confirmation_with_stale_state_returns_the_same_booking_via_the_idempotency_key(
    fresh_redis_url: str,
):
    from redis.asyncio import Redis

    from agent.pms.guard import BookingGuard

    pms = FakePms()

    async def main():
        redis = Redis.from_url(fresh_redis_url)
        try:
            knowledge = {"location": {"latitude": 1.0, "longitude": 2.0}}
            g = Guest("34600000009", Receptionist(pms, BookingGuard(redis), knowledge=knowledge), FrozenClock(NOW))
            await g.say("Quiero reservar la deluxe del 3 al 5 de diciembre para 2 adultos, soy Ana Gil, a@x.com")
            before_confirm = dict(g.state)
            first = await g.tap("Confirmar")
            # The worker crashed before saving the new state: the same confirmation arrives with the old state.
            g.state = before_confirm
            second = await g.tap("Confirmar")
            return first, second
        finally:
            await redis.aclose()

    first, second = asyncio.run(main())
    assert "Reserva confirmada" in texts(first) and "ya está confirmada" in texts(second)
    assert len(pms.orders) == 1
    ref = pms.orders[1].reference
    assert ref in texts(first) and ref in texts(second)


def test_five_adults_are_asked_for_rooms_and_then_offered_rooms_that_hold_them():
    g = guest(FakePms(rooms_per_type=3))

    async def main():
        first = await g.say("somos 5 adultos, hay habitación del 3 al 5 de diciembre?")
        second = await g.say("3 habitaciones")
        return first, second

    first, second = asyncio.run(main())
    assert "hacen falta varias habitaciones (máximo 4 por habitación)" in texts(first)
    assert "Disponible del 3 dic" in texts(second)


def test_an_unexpected_failure_apologises_and_hands_over_instead_of_dropping_the_guest():
    class BrokenPms(FakePms):
        async def get_hotel(self, hotel_id):
            raise RuntimeError("a bug")

    r = asyncio.run(guest(BrokenPms()).say("a qué hora es el check-in?"))
    assert r.handoff and r.handoff_reason == "receptionist_error" and "algo ha fallado" in texts(r)


def test_a_later_conversation_finds_the_booking_by_the_guests_whatsapp_number_but_not_anothers():
    pms = FakePms()

    async def main():
        first = guest(pms)
        await first.say("book the general room from Dec 3 to Dec 5 for 2 adults, I'm Tom Baker, tom@example.com")
        await first.tap("Confirm")
        later = guest(pms)  # same number, a fresh conversation: nothing booked in it
        mine = await later.say("please cancel my booking")
        stranger = await guest(pms, wa="34600000002").say("please cancel my booking")
        return mine, stranger

    mine, stranger = asyncio.run(main())
    assert "Do you want to cancel it?" in texts(mine) and pms.orders[1].reference in texts(mine)
    assert "booking reference" in texts(stranger) and pms.orders[1].reference not in texts(stranger)
