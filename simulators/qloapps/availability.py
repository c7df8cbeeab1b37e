"""Availability: which rooms are free, blocked or booked for a stay, and what a stay costs (no HTTP)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from simulators.qloapps.inventory import RoomCalendar, nights
from simulators.qloapps.models import ROOM_INACTIVE, ROOM_TEMP_INACTIVE, FeaturePrice, Room, RoomBooking, RoomType
from simulators.qloapps.pricing import nightly_prices, with_tax
from simulators.qloapps.specs import RoomAvailability


class AvailabilityMixin:
    """The search half of the Backend (tables, `tax_rate` and `hotel_room_types` come from Backend)."""

    lock: threading.RLock
    rooms: dict[int, Room]
    rooms_by_type: dict[int, list[int]]
    calendars: dict[int, RoomCalendar]
    room_bookings: dict[int, RoomBooking]
    feature_prices: dict[int, FeaturePrice]

    def stay_price(self, room_type: RoomType, date_from: date, date_to: date) -> tuple[Decimal, Decimal]:
        """(tax excl., tax incl.) total of one room for the stay, unrounded."""
        excl = sum(
            (p for _, p in nightly_prices(room_type, self.feature_prices.values(), date_from, date_to)), Decimal(0)
        )
        return excl, with_tax(excl, self.tax_rate(room_type))

    # ---- availability ------------------------------------------------------------------------------------

    def room_blocked(self, room: Room, date_from: date, date_to: date) -> bool:
        """Inactive rooms, and temporarily inactive rooms whose disable ranges overlap the stay."""
        if room.id_status == ROOM_INACTIVE:
            return True
        if room.id_status == ROOM_TEMP_INACTIVE:
            return any(f < date_to and t > date_from for f, t in room.disable_dates)
        return False

    def los_ok(self, room_type: RoomType, date_from: date, date_to: date) -> bool:
        n = nights(date_from, date_to)
        return n >= max(room_type.min_los, 1) and (room_type.max_los <= 0 or n <= room_type.max_los)

    def search(
        self, id_hotel: int, id_room_type: int | None, date_from: date, date_to: date, *, want_partial: bool = False
    ) -> list[RoomAvailability]:
        """Sort every room of the hotel (or of one room type) into available/partial/booked/unavailable."""
        with self.lock:
            return self._search(id_hotel, id_room_type, date_from, date_to, want_partial)

    def priced_search(
        self, id_hotel: int, id_room_type: int | None, date_from: date, date_to: date, *, want_partial: bool = False
    ) -> list[tuple[RoomAvailability, Decimal, Decimal]]:
        """`search` with each room type's stay price (tax excl., tax incl.), read in one go under the lock."""
        with self.lock:
            found = self._search(id_hotel, id_room_type, date_from, date_to, want_partial)
            return [(r, *self.stay_price(r.room_type, date_from, date_to)) for r in found]

    def _search(
        self, id_hotel: int, id_room_type: int | None, date_from: date, date_to: date, want_partial: bool
    ) -> list[RoomAvailability]:
        out = []
        for rt in self.hotel_room_types(id_hotel):
            if id_room_type and rt.id != id_room_type:
                continue
            result = RoomAvailability(rt)
            los_ok = self.los_ok(rt, date_from, date_to)
            for rid in self.rooms_by_type.get(rt.id, ()):
                room = self.rooms[rid]
                result.total_rooms += 1
                if self.room_blocked(room, date_from, date_to):
                    result.unavailable.append((room, room.id_status))
                    continue
                if not los_ok:
                    result.unavailable.append((room, 4))  # "LOS unsatisfied"
                    continue
                cal = self.calendars.get(rid)
                holds = cal.overlapping(date_from, date_to) if cal else []
                if not holds:
                    result.available.append(room)
                    continue
                free = _free_ranges(date_from, date_to, holds)
                if want_partial and free:
                    result.partial.append((room, free))
                else:
                    result.booked.append((room, [self.room_bookings[h[2]] for h in holds]))
            out.append(result)
        return out

    def free_rooms(self, room_type: RoomType, date_from: date, date_to: date) -> list[Room]:
        if not self.los_ok(room_type, date_from, date_to):
            return []
        out = []
        for rid in self.rooms_by_type.get(room_type.id, ()):
            room = self.rooms[rid]
            if self.room_blocked(room, date_from, date_to):
                continue
            cal = self.calendars.get(rid)
            if cal is None or cal.is_free(date_from, date_to):
                out.append(room)
        return out


def _free_ranges(date_from: date, date_to: date, holds: list[tuple[date, date, int]]) -> list[tuple[date, date]]:
    """Sub-ranges of [date_from, date_to) not covered by sorted, non-overlapping holds."""
    out = []
    cursor = date_from
    for f, t, _ in holds:
        if f > cursor:
            out.append((cursor, min(f, date_to)))
        cursor = max(cursor, t)
    if cursor < date_to:
        out.append((cursor, date_to))
    return out
