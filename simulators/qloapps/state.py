"""The QloApps backend: every table, its indexes and lifecycle; searching and ordering live in their mixins.

All mutations go through methods of `Backend` under one lock, and each check-then-commit happens without
yielding, so concurrent requests can never double-book a room. The protocol layer never takes the lock itself.
"""

from __future__ import annotations

import hashlib
import random
import string
import threading
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from simulators.qloapps.availability import AvailabilityMixin
from simulators.qloapps.clock import SimClock
from simulators.qloapps.errors import DomainError
from simulators.qloapps.inventory import RoomCalendar
from simulators.qloapps.models import (
    ROOM_ACTIVE,
    ROOM_INACTIVE,
    ROOM_TEMP_INACTIVE,
    Address,
    Cart,
    Currency,
    Customer,
    Order,
    OrderHistory,
    RoomBooking,
    RoomType,
)
from simulators.qloapps.orders import OrdersMixin
from simulators.qloapps.specs import GuestDetails, SeedData

__all__ = ["Backend", "SeedData"]


class Backend(AvailabilityMixin, OrdersMixin):
    """All QloApps state of one simulated shop. Construct from a SeedData; `reset()` goes back to it."""

    def __init__(self, seed: SeedData, *, clock: SimClock | None = None, rng_seed: int = 0,
                 strict_occupancy: bool = False) -> None:  # fmt: skip
        self.seed = seed
        self.clock = clock or SimClock()
        self.rng_seed = rng_seed
        self.strict_occupancy = strict_occupancy
        self.lock = threading.RLock()
        self.reset()

    # ---- lifecycle ---------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seed: demo data only, no customers, orders or bookings."""
        with self.lock:
            s = self.seed
            self.rng = random.Random(self.rng_seed)
            self.languages = {x.id: _copy(x) for x in s.languages}
            self.currencies = {x.id: _copy(x) for x in s.currencies}
            self.default_currency_id = s.default_currency_id
            self.tax_groups = {x.id: _copy(x) for x in s.tax_groups}
            self.features = {x.id: _copy(x) for x in s.features}
            self.refund_rules = {x.id: _copy(x) for x in s.refund_rules}
            self.hotels = {x.id: _copy(x) for x in s.hotels}
            self.room_types = {x.id: _copy(x) for x in s.room_types}
            self.rooms = {x.id: _copy(x) for x in s.rooms}
            self.feature_prices = {x.id: _copy(x) for x in s.feature_prices}
            self.country_isos = dict(s.country_isos)
            self.customers: dict[int, Customer] = {}
            self.addresses: dict[int, Address] = {}
            self.orders: dict[int, Order] = {}
            self.order_histories: dict[int, OrderHistory] = {}
            self.room_bookings: dict[int, RoomBooking] = {}
            self.calendars: dict[int, RoomCalendar] = defaultdict(RoomCalendar)
            self.customers_by_email: dict[str, list[int]] = defaultdict(list)
            self.orders_by_reference: dict[str, list[int]] = defaultdict(list)
            self.orders_by_customer: dict[int, list[int]] = defaultdict(list)
            self.bookings_by_order: dict[int, list[int]] = defaultdict(list)
            self.histories_by_order: dict[int, list[int]] = defaultdict(list)
            self.rooms_by_type: dict[int, list[int]] = defaultdict(list)
            for room in sorted(self.rooms.values(), key=lambda r: r.id):
                self.rooms_by_type[room.id_product].append(room.id)
            self.carts: dict[int, Cart] = {}
            # Auto-increment counters: like MySQL, a deleted row's id is never reused.
            self._seq: dict[str, int] = defaultdict(int)
            for name in ("hotels", "room_types", "rooms", "features", "refund_rules", "feature_prices"):
                self._seq[name] = max(getattr(self, name), default=0)

    def _new_id(self, table: str) -> int:
        self._seq[table] += 1
        return self._seq[table]

    # ---- lookups ------------------------------------------------------------------------------------------

    def tax_rate(self, room_type: RoomType) -> Decimal:
        group = self.tax_groups.get(room_type.id_tax_rules_group)
        return group.rate if group else Decimal(0)

    def hotel_room_types(self, id_hotel: int) -> list[RoomType]:
        return sorted((rt for rt in self.room_types.values() if rt.id_hotel == id_hotel), key=lambda rt: rt.id)

    def default_currency_iso(self) -> str:
        cur = self.currencies.get(self.default_currency_id)
        return cur.iso_code if cur else ""

    def currency_by_iso(self, iso: str) -> Currency | None:
        for c in self.currencies.values():
            if c.iso_code == iso and c.active:
                return c
        return None

    # ---- customers ---------------------------------------------------------------------------------------

    def add_customer(self, customer: Customer) -> Customer:
        with self.lock:
            customer.id = self._new_id("customers")
            stamp = self.clock.stamp()
            customer.date_add = customer.date_add or stamp
            customer.date_upd = stamp
            if not customer.secure_key:
                customer.secure_key = hashlib.md5(f"{customer.id}-{self.rng.random()}".encode()).hexdigest()
            self.customers[customer.id] = customer
            self.customers_by_email[customer.email.lower()].append(customer.id)
            return customer

    def replace_customer(self, customer: Customer) -> Customer:
        with self.lock:
            old = self.customers[customer.id]
            if old.email.lower() != customer.email.lower():
                self.customers_by_email[old.email.lower()].remove(old.id)
                self.customers_by_email[customer.email.lower()].append(customer.id)
            customer.date_add = old.date_add
            customer.date_upd = self.clock.stamp()
            self.customers[customer.id] = customer
            return customer

    def delete_customer(self, id_customer: int) -> None:
        with self.lock:
            old = self.customers.pop(id_customer)
            self.customers_by_email[old.email.lower()].remove(id_customer)

    def find_or_create_customer(self, guest: GuestDetails) -> Customer:
        """bookings POST: by id_customer, else the first customer with the email (processGuestDetails,
        WebserviceSpecificManagementBookings.php:1312-1332), whose names, email and phone the booking then
        overwrites (processCustomer, :1386-1403); else a new customer with a random password (:1376-1385)."""
        c = None
        if guest.id_customer:
            c = self.customers.get(guest.id_customer)
            if c is None:
                raise DomainError("Invalid customer id.", "customer")
        elif ids := self.customers_by_email.get(guest.email.lower()):
            c = self.customers[ids[0]]
        if c is not None:
            if c.email.lower() != guest.email.lower():
                self.customers_by_email[c.email.lower()].remove(c.id)
                self.customers_by_email[guest.email.lower()].append(c.id)
            c.firstname, c.lastname, c.email = guest.firstname, guest.lastname, guest.email
            c.phone = guest.phone or c.phone
            c.date_upd = self.clock.stamp()
            return c
        pw = "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(12))
        return self.add_customer(
            Customer(
                id=0,
                firstname=guest.firstname,
                lastname=guest.lastname,
                email=guest.email,
                passwd=hashlib.md5(pw.encode()).hexdigest(),
                phone=guest.phone,
            )
        )

    def add_address(self, address: Address) -> Address:
        with self.lock:
            address.id = self._new_id("addresses")
            address.date_add = address.date_upd = self.clock.stamp()
            self.addresses[address.id] = address
            return address

    # ---- rooms and carts -----------------------------------------------------------------------------------

    def set_room_status(
        self, id_room: int, id_status: int, disable_dates: list[tuple[date, date]] | None = None
    ) -> None:
        """Disable or re-enable a room (existing bookings keep their rooms, as in the back office)."""
        with self.lock:
            room = self.rooms[id_room]
            if id_status not in (0, ROOM_ACTIVE, ROOM_INACTIVE, ROOM_TEMP_INACTIVE):  # 0: a PUT without id_status
                raise DomainError("Invalid room status", "invalid")
            room.id_status = id_status
            room.disable_dates = list(disable_dates or []) if id_status == ROOM_TEMP_INACTIVE else []

    def replace_room(self, id_room: int, id_product: int, room_num: str, id_status: int, floor: str, comment: str,
                     disable_dates: list[tuple[date, date]]) -> None:  # fmt: skip
        """A room as a PUT leaves it; the hotel follows the room type (HotelRoomInformation::updateWs)."""
        with self.lock:
            room = self.rooms[id_room]
            if room.id_product != id_product:
                self.rooms_by_type[room.id_product].remove(id_room)
                self.rooms_by_type[id_product].append(id_room)
                self.rooms_by_type[id_product].sort()
            room.id_product, room.id_hotel = id_product, self.room_types[id_product].id_hotel
            room.room_num, room.floor, room.comment = room_num, floor, comment
            self.set_room_status(id_room, id_status, disable_dates)

    def add_cart(self, cart: Cart) -> Cart:
        with self.lock:
            cart.id = self._new_id("carts")
            cart.date_add = cart.date_upd = self.clock.stamp()
            self.carts[cart.id] = cart
            return cart

    # ---- bulk helpers for the control plane and benchmarks ----------------------------------------------

    def held_nights(self) -> int:
        return sum(len(c) for c in self.calendars.values())

    def summary(self, *, full: bool = False) -> dict[str, Any]:
        """A consistent snapshot of the state for `/_sim/state` (counts, hotels, invariants; records if `full`)."""
        with self.lock:
            out: dict[str, Any] = {
                "today": self.clock.today().isoformat(),
                "counts": {
                    "hotels": len(self.hotels), "room_types": len(self.room_types), "rooms": len(self.rooms),
                    "customers": len(self.customers), "orders": len(self.orders),
                    "room_bookings": len(self.room_bookings), "room_bookings_holding": self.held_nights(),
                    "order_histories": len(self.order_histories),
                },
                "hotels": [{"id": h.id, "hotel_name": h.hotel_name, "room_types": [
                    {"id": rt.id, "name": rt.name, "price": str(rt.price), "rooms": [
                        {"id": r.id, "room_num": r.room_num, "id_status": r.id_status}
                        for r in (self.rooms[x] for x in self.rooms_by_type.get(rt.id, ()))]}
                    for rt in self.hotel_room_types(h.id)]} for h in self.hotels.values()],
                "invariants": self.check_invariants(),
            }  # fmt: skip
            if full:
                out["customers"] = [{"id": c.id, "email": c.email, "firstname": c.firstname, "lastname": c.lastname,
                                     "phone": c.phone} for c in self.customers.values()]  # fmt: skip
                out["orders"] = [{"id": o.id, "reference": o.reference, "id_customer": o.id_customer,
                                  "current_state": o.current_state, "total_paid_tax_incl": str(o.total_paid_tax_incl),
                                  "remarks": list(o.remarks)} for o in self.orders.values()]  # fmt: skip
                out["room_bookings"] = [{"id": r.id, "id_order": r.id_order, "id_room": r.id_room,
                                         "date_from": r.date_from.isoformat(), "date_to": r.date_to.isoformat(),
                                         "is_refunded": r.is_refunded, "is_cancelled": r.is_cancelled}
                                        for r in self.room_bookings.values()]  # fmt: skip
            return out

    def check_invariants(self) -> list[str]:
        """Problems found (empty when sound): overlapping holds, holds of freed rows, rows missing from calendars."""
        problems = []
        for rid, cal in self.calendars.items():
            for i in range(1, len(cal.starts)):
                if cal.starts[i] < cal.ends[i - 1]:
                    problems.append(f"room {rid}: holds {cal.ids[i - 1]} and {cal.ids[i]} overlap")
            for bid in cal.ids:
                rb = self.room_bookings.get(bid)
                if rb is None or not rb.holds_room:
                    problems.append(f"room {rid}: hold of freed or missing room booking {bid}")
        for rb in self.room_bookings.values():
            if rb.holds_room and rb.id not in self.calendars[rb.id_room].ids:
                problems.append(f"room booking {rb.id} holds room {rb.id_room} but the calendar lacks it")
        return problems


def _copy(obj):
    """A deep enough copy of a seed record (lists inside dataclasses are copied)."""
    from copy import deepcopy

    return deepcopy(obj)
