"""One booking per guest intent, and the truth about it when QloApps' answer is lost.

A booking write is never retried blindly and never read as "not booked" without looking: after a 5xx or a timeout
the booking is looked up in QloApps by the idempotency key the agent wrote into its remark. The same look-up runs
before every write, so a retry, a redelivered message or a restarted worker (even with Redis emptied) finds the
booking made the first time instead of making a second one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from agent.pms.client import QloAppsClient
from agent.pms.errors import CircuitOpen, PmsError, PmsRejected, PmsUnavailable, RoomsUnavailable
from agent.pms.guard import BookingGuard, LockBusy, StayLock
from agent.pms.models import Booking, BookingRequest, split_occupancy

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    BOOKED = "booked"  # QloApps holds the booking (made now, or found made earlier for this intent)
    UNAVAILABLE = "unavailable"  # the rooms went; nothing was booked
    REJECTED = "rejected"  # QloApps refused the data; nothing was booked
    NOT_BOOKED = "not_booked"  # QloApps failed and finished without a booking, or was never reached
    UNKNOWN = "unknown"  # the answer was lost and QloApps cannot say yet whether the booking exists


@dataclass(frozen=True)
class BookResult:
    outcome: Outcome
    booking: Booking | None = None
    replayed: bool = False  # the booking existed before this call (retry, redelivery, restart)
    detail: str = ""
    fallback_total: Decimal | None = None  # QloApps' stay price, for a confirmation if the order cannot be read
    fallback_name: str = ""


class SafeBooker:
    """Books under the stay lock with an idempotency key; reconciles every failed or timed-out write."""

    def __init__(self, client: QloAppsClient, guard: BookingGuard | None, settle_s: float = 1.0) -> None:
        self._client = client
        self._guard = guard
        self._settle_s = settle_s

    async def book(self, req: BookingRequest) -> BookResult:
        """Book `req` once for `req.idempotency_key`, whatever happened to earlier attempts."""
        if not req.idempotency_key:
            raise ValueError("a booking needs an idempotency key to be found again after a lost answer")
        try:
            if self._guard is None:
                return await self._book_once(req)
            lock = self._guard.stay_lock(req.hotel_id, req.id_room_type, req.date_from, req.date_to,
                                         owner=req.idempotency_key)  # fmt: skip
            async with lock as held:
                return await self._book_once(req, held)
        except LockBusy as exc:
            return await self._lock_busy(req, exc)

    async def _lock_busy(self, req: BookingRequest, busy: LockBusy) -> BookResult:
        """The lock stayed held, or was lost before our write: "not booked" only when no attempt of this booking holds
        it and QloApps has none. A worker stalled while holding the lock for this very key (a lease taken over) may
        still book."""
        try:
            found = await self._find_by_key(req)
        except PmsError as exc:
            return BookResult(Outcome.UNKNOWN if busy.held_by(req.idempotency_key) else Outcome.NOT_BOOKED,
                              detail=f"{busy}; look-up failed: {exc}")  # fmt: skip
        if found is not None:
            return BookResult(Outcome.BOOKED, found, replayed=True)
        if busy.held_by(req.idempotency_key):
            log.warning("booking %s: a stalled attempt of this booking holds the lock; outcome unknown",
                        req.idempotency_key)  # fmt: skip
            return BookResult(Outcome.UNKNOWN, detail=f"{busy}; an earlier attempt of this booking holds it")
        return BookResult(Outcome.NOT_BOOKED, detail=str(busy))

    async def _book_once(self, req: BookingRequest, held: StayLock | None = None) -> BookResult:
        try:
            earlier = await self._find_by_key(req)
        except PmsError as exc:
            return BookResult(Outcome.NOT_BOOKED, detail=f"could not check for an earlier booking: {exc}")
        if earlier is not None:
            return BookResult(Outcome.BOOKED, earlier, replayed=True)
        try:
            # Under the lock, ask QloApps afresh (no cache): the last room may have gone a moment ago.
            occupancies = split_occupancy(req.adults, req.children, req.rooms)
            avail = await self._client.search_availability(
                req.hotel_id, req.date_from, req.date_to, occupancies, use_cache=False
            )
        except PmsError as exc:
            return BookResult(Outcome.NOT_BOOKED, detail=str(exc))
        offer = avail.offer(req.id_room_type)
        if offer is None or offer.available < req.rooms:
            return BookResult(Outcome.UNAVAILABLE, detail="no room of that type left")
        # hotel_ari totals cover every occupancy (room) asked for: the tax of one room is the share.
        tax = (offer.total_price_with_tax - offer.total_price) / len(occupancies)
        req = replace(req, currency=avail.currency, total_tax_per_room=tax.quantize(Decimal("0.01")))
        fallback = {"fallback_total": offer.total_price_with_tax, "fallback_name": offer.name}
        if self._guard is not None and held is not None:
            # A stall past the TTL lets another attempt lock, look up and book: LockLost -> look up by key, no write.
            await self._guard.confirm(held)
        try:
            booking = await self._client.create_booking(req)
        except RoomsUnavailable as exc:
            return BookResult(Outcome.UNAVAILABLE, detail=exc.message)
        except PmsRejected as exc:
            return BookResult(Outcome.REJECTED, detail=exc.message)
        except CircuitOpen as exc:  # refused before anything was sent
            return BookResult(Outcome.NOT_BOOKED, detail=str(exc))
        except PmsUnavailable as exc:
            return await self._reconcile(req, exc, fallback)
        return BookResult(Outcome.BOOKED, booking, **fallback)

    async def _find_by_key(self, req: BookingRequest) -> Booking | None:
        """The booking QloApps holds under this key, if it is this intent's stay: a key reused by another intent
        (a state that restarted its nonces) must not pass an old booking off as the new one."""
        found = await self._client.find_booking_by_key(req.guest.email, req.idempotency_key)
        if found is None or same_stay(found, req):
            return found
        log.error("booking %s: order %s carries this key but is another stay (%s..%s); not treating it as made",
                  req.idempotency_key, found.id_order, found.date_from, found.date_to)  # fmt: skip
        return None

    async def _reconcile(self, req: BookingRequest, failure: PmsUnavailable, fallback: dict) -> BookResult:
        """After a 5xx or a lost answer: does QloApps hold the booking? Look it up by its idempotency key."""
        log.warning("booking %s: write failed (%s); looking it up in QloApps", req.idempotency_key, failure)
        # A 5xx is a finished request: one look settles it. A timeout may still be running: look again shortly.
        looks = 1 if failure.answered else 2
        for attempt in range(looks):
            if attempt:
                await asyncio.sleep(self._settle_s)
            try:
                found = await self._find_by_key(req)
            except PmsError as exc:
                return BookResult(Outcome.UNKNOWN, detail=f"{failure}; look-up failed too: {exc}")
            if found is not None:
                log.warning("booking %s exists in QloApps as order %s despite the failure", req.idempotency_key,
                            found.id_order)  # fmt: skip
                return BookResult(Outcome.BOOKED, found, **fallback)
        if failure.answered:
            return BookResult(Outcome.NOT_BOOKED, detail=str(failure))
        return BookResult(Outcome.UNKNOWN, detail=f"{failure}; no booking found yet")


def same_stay(booking: Booking, req: BookingRequest) -> bool:
    """Whether `booking` is the stay `req` asks for: same guest email, dates and room type."""
    return (
        booking.email.lower() == req.guest.email.lower()
        and booking.date_from == req.date_from
        and booking.date_to == req.date_to
        and any(line.id_room_type == req.id_room_type for line in booking.lines)
    )
