"""An in-memory stand-in for QloAppsClient (same method names), for fast receptionist tests without servers."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from agent.pms.errors import PmsUnavailable, RoomsUnavailable
from agent.pms.models import (
    Availability,
    Booking,
    BookingRequest,
    Hotel,
    HotelFeature,
    RefundRule,
    RoomOffer,
    RoomTypeInfo,
    StayLine,
)

TYPES = {1: ("General Rooms", Decimal(1000)), 2: ("Delux Rooms", Decimal(1500)), 3: ("Executive Rooms", Decimal(2000))}


@dataclass
class FakePms:
    rooms_per_type: int = 2
    down: bool = False
    taken: list[tuple[int, date, date, int]] = field(default_factory=list)  # (type, from, to, order)
    orders: dict[int, Booking] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)  # order → the customer phone it was booked with
    keys: dict[int, str] = field(default_factory=dict)  # order → the idempotency key in its remark
    calls: list[str] = field(default_factory=list)

    def _check(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise PmsUnavailable("fake QloApps is down")

    def _free(self, rt: int, ci: date, co: date) -> int:
        live = {o for o, b in self.orders.items() if not b.cancelled}
        busy = sum(1 for t, f, to, o in self.taken if t == rt and o in live and f < co and to > ci)
        return self.rooms_per_type - busy

    async def search_availability(self, hotel_id, ci, co, occupancies=((2, 0),), *, use_cache=True):
        self._check("ari")
        nights = (co - ci).days
        offers = []
        for rt, (name, price) in TYPES.items():
            free = self._free(rt, ci, co)
            if free > 0:
                tax = price * Decimal("1.1")
                n = len(list(occupancies))
                offers.append(RoomOffer(rt, name, free, price, tax, price * nights * n, tax * nights * n))
        return Availability(hotel_id, ci, co, "EUR", tuple(offers))

    async def room_types(self, hotel_id):
        return [RoomTypeInfo(k, v[0], v[1], 2, 0, 2, 2, 4) for k, v in TYPES.items()]

    async def get_hotel(self, hotel_id):
        self._check("hotel")
        return Hotel(1, "The Hotel Prime", "Calle Mayor 1", "Madrid", "28013", "+34910000000", "h@x.com", "14:00",
                     "11:00", None, None, (1,), (1, 2))  # fmt: skip

    async def hotel_features(self, hotel_id):
        self._check("features")
        return [HotelFeature(1, "Restaurant")]

    async def refund_rules(self, hotel_id):
        self._check("rules")
        return [RefundRule(1, 10, 2, Decimal(0)), RefundRule(2, 0, 2, Decimal(50))]

    async def create_booking(self, req: BookingRequest) -> Booking:
        self._check("book")
        if self._free(req.id_room_type, req.date_from, req.date_to) < req.rooms:
            raise RoomsUnavailable(400, 404, "Requested room(s) not available.")
        oid = len(self.orders) + 1
        ref = "".join(string.ascii_uppercase[(oid * 7 + i * 3) % 26] for i in range(9))
        nights = (req.date_to - req.date_from).days
        total = TYPES[req.id_room_type][1] * Decimal("1.1") * nights * req.rooms
        name = TYPES[req.id_room_type][0]
        line = StayLine(req.id_room_type, name, req.date_from, req.date_to, req.rooms, req.adults, req.children)
        b = Booking(oid, ref, 1, 1, req.guest.email, req.guest.firstname, req.guest.lastname, "EUR", total, (line,))
        self.orders[oid] = b
        self.phones[oid] = req.guest.phone or ""
        self.keys[oid] = req.idempotency_key
        for _ in range(req.rooms):
            self.taken.append((req.id_room_type, req.date_from, req.date_to, oid))
        return b

    async def find_booking_by_key(self, email, idempotency_key):
        self._check("by_key")
        return next((self.orders[o] for o, k in self.keys.items() if k == idempotency_key), None)

    async def booking_by_reference(self, reference):
        self._check("by_ref")
        return next((b for b in self.orders.values() if b.reference == reference.upper()), None)

    async def get_booking(self, id_order, order=None):
        self._check("get_booking")
        return self.orders[id_order]

    async def bookings_for_email(self, email):
        return [b for b in self.orders.values() if b.email == email]

    async def bookings_for_phone(self, phone, known=frozenset()):
        self._check("by_phone")
        mine = sorted(self.orders.items(), reverse=True)
        return [b for oid, b in mine if self.phones.get(oid) == phone and oid not in known]

    async def cancel_booking(self, booking):
        self._check("cancel")
        old = self.orders[booking.id_order]
        self.orders[booking.id_order] = Booking(**{**old.__dict__, "current_state": 4})

    async def close(self):
        return None


def stay(days_from_today: int, nights: int, today: date) -> tuple[date, date]:
    ci = today + timedelta(days=days_from_today)
    return ci, ci + timedelta(days=nights)
