"""One booking per intent, never an old booking passed off as a new one, and the truth when a stalled worker holds
the stay lock.

Real QloApps simulator (a subprocess), real Redis, the real receptionist and its QloApps adapter; guests are driven
turn by turn. An idempotency key is the guest plus the confirmation nonce; the nonce must stay the same across
retries of one intent and differ between intents, even when the stored dialogue state was discarded (a
STATE_VERSION bump, an unknown Flow value) and the turn count restarted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.booker import BookResult, Outcome, SafeBooker
from agent.pms.cache import PmsCache
from agent.pms.guard import BookingGuard
from agent.pms.models import BookingRequest, GuestDetails
from agent.receptionist import Receptionist
from tests.conversations.receptionist_driver import Guest, texts
from tests.pms.simserver import qloapps_simulator
from tests.pms.test_booking_faults import CLOCK, CONFIRMED, READ_TIMEOUT_S, orders_by_email

pytestmark = pytest.mark.e2e

UNCERTAIN = "aún no sé si su reserva se completó"  # book.uncertain (es)
NOT_BOOKED = "no he podido completarlo"  # pms.down_booking (es)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with qloapps_simulator(Path(tmp_path_factory.mktemp("qloapps-intents"))) as s:
        yield s


def receptionist(sim: tuple[str, str], redis: Redis, lock_wait_s: float = 8.0) -> Receptionist:
    config = QloAppsConfig(base_url=sim[0], api_key=sim[1], read_timeout_s=READ_TIMEOUT_S)
    return Receptionist(QloAppsClient(config, PmsCache(redis), CLOCK), BookingGuard(redis, wait_s=lock_wait_s), 1)


def ask(day: int, email: str) -> str:
    return (f"Quiero reservar la habitación deluxe del {day} al {day + 2} de abril de 2027 para 2 adultos, "
            f"a nombre de Ana Prueba, {email}")  # fmt: skip


def test_rebooking_a_cancelled_stay_after_the_dialogue_state_was_discarded_books_it_again(sim, fresh_redis_url):
    """The same stay, so only a nonce unique to the new intent tells it from the old (cancelled) booking."""
    email = "ana.reset@example.com"

    async def main() -> tuple[str, str]:
        redis = Redis.from_url(fresh_redis_url)
        guest = Guest("34614000001", receptionist(sim, redis), CLOCK)
        try:
            await guest.say(ask(3, email))
            first = texts(await guest.tap("Confirmar"))
            (ref,) = CONFIRMED.findall(first)
            pms = guest.receptionist.pms
            await pms.cancel_booking(await pms.booking_by_reference(ref))
            # A state stored under another STATE_VERSION is discarded: the next message is turn 1 again.
            guest.state["dialogue"]["version"] = -1
            await guest.say(ask(3, email))
            assert guest.state["dialogue"]["turn"] == 1
            return first, texts(await guest.tap("Confirmar"))
        finally:
            await guest.receptionist.close()
            await redis.aclose()

    first, second = asyncio.run(main())
    live = [o["reference"] for o in orders_by_email(sim).get(email, [])]
    assert len(live) == 1 and CONFIRMED.findall(second) == live, (first, second, live)
    assert "ya está confirmada" not in second, second


@pytest.mark.parametrize("redis_emptied", [False, True], ids=["memo kept", "memo lost"])
def test_an_old_booking_under_a_reused_key_is_not_taken_for_another_stay(sim, fresh_redis_url, redis_emptied):
    """Defence in depth: even the same key (same turn, same message id) for other dates books those dates."""
    email = f"ana.reused.{int(redis_emptied)}@example.com"

    async def main() -> tuple[str, str]:
        redis = Redis.from_url(fresh_redis_url)
        guest = Guest(f"3461400001{int(redis_emptied)}", receptionist(sim, redis), CLOCK)
        try:
            await guest.say(ask(15, email))
            first = texts(await guest.tap("Confirmar"))
            guest.state, guest.seq = {}, 0  # the same nonce and message id again: the same idempotency key
            if redis_emptied:
                await redis.flushdb()
            await guest.say(ask(20, email))
            return first, texts(await guest.tap("Confirmar"))
        finally:
            await guest.receptionist.close()
            await redis.aclose()

    first, second = asyncio.run(main())
    refs = sorted(o["reference"] for o in orders_by_email(sim).get(email, []))
    assert len(refs) == 2 and sorted(CONFIRMED.findall(first) + CONFIRMED.findall(second)) == refs, (first, second)
    assert "del 20 abr 2027" in second, second


def stay_of(guest: Guest) -> tuple[int, date, date, str]:
    """The room type, dates and idempotency key the guest's pending confirmation will book under."""
    s = guest.state["dialogue"]["slots"]
    key = f"{guest.wa_id}:{guest.state['dialogue']['pending']['nonce']}"
    return s["id_room_type"], date.fromisoformat(s["check_in"]), date.fromisoformat(s["check_out"]), key


@pytest.mark.parametrize(
    ("wa_id", "holder", "already_booked", "told"),
    [
        ("34614000021", "this booking", False, UNCERTAIN),  # a stalled attempt of this confirmation may still book
        ("34614000022", "this booking", True, "ya está confirmada"),  # it booked before stalling
        ("34614000023", "another booking", False, NOT_BOOKED),  # nothing of ours is in flight: truly not booked
    ],
    ids=["own stalled attempt", "own attempt booked", "another guest's"],
)
def test_a_confirmation_that_waits_out_the_stay_lock_tells_the_truth_about_its_holder(
    sim, fresh_redis_url, wa_id, holder, already_booked, told
):
    email = f"ana.stalled.{wa_id}@example.com"

    async def main() -> str:
        redis = Redis.from_url(fresh_redis_url)
        # A short wait stands in for the 8 s a real waiter gives a holder that stalled (SIGSTOP, swap).
        guest = Guest(wa_id, receptionist(sim, redis, lock_wait_s=0.3), CLOCK)
        try:
            await guest.say(ask(24, email))
            if already_booked:
                before_confirm = dict(guest.state)
                await guest.tap("Confirmar")
                await redis.flushdb()  # a takeover on another worker whose memo is gone: only QloApps knows
                guest.state = before_confirm
            room_type, d1, d2, key = stay_of(guest)
            stalled = BookingGuard(redis)
            async with stalled.stay_lock(1, room_type, d1, d2, owner=key if holder == "this booking" else "other:b1"):
                return texts(await guest.tap("Confirmar"))
        finally:
            await guest.receptionist.close()
            await redis.aclose()

    said = asyncio.run(main())
    assert told in said, said
    refs = [o["reference"] for o in orders_by_email(sim).get(email, [])]
    assert len(refs) == int(already_booked)
    assert CONFIRMED.findall(said) == refs, (said, refs)


@pytest.mark.parametrize("taker_books", [False, True], ids=["taker still holds the lock", "taker booked"])
def test_an_attempt_stalled_past_the_stay_lock_that_another_attempt_took_does_not_write(
    sim, fresh_redis_url, taker_books
):
    """Fencing: the stalled attempt looked up its key (nothing), then stalled past the lock's TTL; another attempt of
    the same booking took the lock (and booked, or is still busy). The stalled one must not write a second order."""
    email, wa_id = f"ana.fenced.{int(taker_books)}@example.com", f"3461400003{int(taker_books)}"
    day = 3 + 4 * taker_books
    req = BookingRequest(hotel_id=1, id_room_type=2, date_from=date(2027, 5, day), date_to=date(2027, 5, day + 2),
                         adults=2, children=0, rooms=1, currency="", guest=GuestDetails("Ana", "Fenced", email, wa_id),
                         idempotency_key=f"{wa_id}:b1.x")  # fmt: skip

    async def main() -> BookResult:
        redis = Redis.from_url(fresh_redis_url)
        config = QloAppsConfig(base_url=sim[0], api_key=sim[1], read_timeout_s=READ_TIMEOUT_S)
        client = QloAppsClient(config, PmsCache(redis), CLOCK)
        guard = BookingGuard(redis, lock_ttl_ms=200)  # stands in for 15 s against a stall (SIGSTOP, swap) longer
        takeover = AsyncExitStack()
        search = client.search_availability

        async def stall_after_search(*args: Any, **kwargs: Any) -> Any:
            found = await search(*args, **kwargs)  # the last call before the write
            # Past the TTL: another worker's attempt of this booking takes the lock (it finds nothing by key yet).
            await takeover.enter_async_context(BookingGuard(redis, wait_s=2.0).stay_lock(
                req.hotel_id, req.id_room_type, req.date_from, req.date_to, owner=req.idempotency_key))  # fmt: skip
            if taker_books:
                await client.create_booking(replace(req, currency=found.currency))
            return found

        client.search_availability = stall_after_search  # type: ignore[method-assign]
        try:
            async with takeover:
                return await SafeBooker(client, guard).book(req)
        finally:
            await client.close()
            await redis.aclose()

    result = asyncio.run(main())
    refs = [o["reference"] for o in orders_by_email(sim).get(email, [])]
    assert len(refs) == int(taker_books), (result, refs)
    if taker_books:
        assert result.outcome is Outcome.BOOKED and result.replayed and result.booking.reference == refs[0], result
    else:
        assert result.outcome is Outcome.UNKNOWN, result  # the taker may still book: not "not booked"
