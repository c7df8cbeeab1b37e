"""What the PMS adapter returns: plain dataclasses, independent of QloApps' wire quirks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Hotel:
    """A property as QloApps describes it (`/api/hotels/{id}`)."""

    id: int
    name: str
    address: str
    city: str
    zipcode: str
    phone: str
    email: str
    check_in: str
    check_out: str
    latitude: float | None = None
    longitude: float | None = None
    feature_ids: tuple[int, ...] = ()
    refund_rule_ids: tuple[int, ...] = ()
    active_refund: bool = True


@dataclass(frozen=True)
class RoomTypeInfo:
    """A room type with the occupancy limits QloApps keeps in `hotel_room_types`."""

    id: int
    name: str
    base_price: Decimal
    adults: int
    children: int
    max_adults: int
    max_children: int
    max_guests: int


@dataclass(frozen=True)
class RoomOffer:
    """One room type free for the searched stay, priced by QloApps (`hotel_ari`)."""

    id_room_type: int
    name: str
    available: int
    nightly_price: Decimal
    nightly_price_with_tax: Decimal
    total_price: Decimal
    total_price_with_tax: Decimal


@dataclass(frozen=True)
class Availability:
    """The answer to one `hotel_ari` search."""

    hotel_id: int
    date_from: date
    date_to: date
    currency: str
    offers: tuple[RoomOffer, ...]

    @property
    def nights(self) -> int:
        return (self.date_to - self.date_from).days

    def offer(self, id_room_type: int) -> RoomOffer | None:
        """The offer for one room type, if it has a room free."""
        return next((o for o in self.offers if o.id_room_type == id_room_type and o.available > 0), None)


def split_occupancy(adults: int, children: int, rooms: int) -> list[tuple[int, int]]:
    """Spread the party over the rooms as evenly as possible: (adults, children) per room, every room ≥ 1 adult."""
    rooms = max(1, rooms)
    return [
        (adults // rooms + (1 if i < adults % rooms else 0), children // rooms + (1 if i < children % rooms else 0))
        for i in range(rooms)
    ]


@dataclass(frozen=True)
class GuestDetails:
    """Who the booking is for."""

    firstname: str
    lastname: str
    email: str
    phone: str | None = None


@dataclass(frozen=True)
class BookingRequest:
    """A stay to book: one room type, dates, the whole party (`adults`, `children`) spread over `rooms`."""

    hotel_id: int
    id_room_type: int
    date_from: date
    date_to: date
    adults: int
    children: int
    rooms: int
    currency: str
    guest: GuestDetails
    remark: str = ""
    # What QloApps 1.7.0 needs per room (total_tax) and what finds the booking again after a lost answer.
    total_tax_per_room: Decimal = Decimal(0)
    idempotency_key: str = ""


@dataclass(frozen=True)
class StayLine:
    """One room-type line of a booking (`room_types[]` in `/api/bookings/{id}`)."""

    id_room_type: int
    name: str
    date_from: date
    date_to: date
    rooms: int
    adults: int = 0  # summed over the line's rooms (`rooms[].adults`)
    children: int = 0  # summed over the line's rooms (`rooms[].child`)


@dataclass(frozen=True)
class Booking:
    """An order as the guest knows it: reference, state, stay lines, totals."""

    id_order: int
    reference: str
    hotel_id: int
    current_state: int
    email: str
    firstname: str
    lastname: str
    currency: str
    total_paid_tax_incl: Decimal
    lines: tuple[StayLine, ...] = ()
    remarks: tuple[str, ...] = ()

    @property
    def cancelled(self) -> bool:
        # Order states 4 (Canceled), 5 (Refunded) and 6 (Payment error) free the rooms.
        return self.current_state in (4, 5, 6)

    @property
    def date_from(self) -> date | None:
        return min((line.date_from for line in self.lines), default=None)

    @property
    def date_to(self) -> date | None:
        return max((line.date_to for line in self.lines), default=None)


@dataclass(frozen=True)
class Customer:
    """A QloApps customer found by email."""

    id: int
    email: str
    firstname: str
    lastname: str


@dataclass(frozen=True)
class RefundRule:
    """A cancellation rule: deduction applied when cancelling at least `days` days before check-in."""

    id: int
    days: int
    payment_type: int  # 1 fixed amount, 2 percentage
    deduction: Decimal
    name: str = ""


@dataclass(frozen=True)
class HotelFeature:
    """A hotel amenity as QloApps names it (`hotel_features`)."""

    id: int
    name: str
    parent_id: int = 0


def to_jsonable(obj: Any) -> Any:
    """Dataclass → JSON-friendly structure (dates as ISO strings, Decimals as strings)."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Decimal):
        return str(obj)
    return obj
