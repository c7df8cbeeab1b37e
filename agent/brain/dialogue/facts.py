"""What the dialogue knows about the world: views of PMS data, and the facts that effects feed back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal


@dataclass(frozen=True)
class Offer:
    """A free room type for a stay, with QloApps' prices (tax included) for the whole stay and per night."""

    id_room_type: int
    name: str
    available: int
    nightly: Decimal
    total: Decimal
    currency: str


@dataclass(frozen=True)
class AltOption:
    """A nearby stay with at least one room free (the cheapest offer for those dates)."""

    check_in: date
    check_out: date
    offer: Offer


@dataclass(frozen=True)
class BookingView:
    """A booking as the guest discusses it."""

    id_order: int
    reference: str
    hotel_id: int
    id_room_type: int
    room_type_name: str
    check_in: date
    check_out: date
    rooms: int
    email: str
    firstname: str
    lastname: str
    total: Decimal
    currency: str
    cancelled: bool
    adults: int = 0  # the party over all rooms (0: QloApps did not say)
    children: int = 0


@dataclass(frozen=True)
class RefundRuleView:
    """A cancellation rule: `deduction` (percent if payment_type 2, amount if 1) from `days` before arrival."""

    days: int
    payment_type: int
    deduction: Decimal
    name: str = ""


@dataclass(frozen=True)
class HotelView:
    """What the guest may ask about the hotel, from QloApps plus the knowledge file."""

    name: str
    address: str
    city: str
    zipcode: str
    phone: str
    check_in: str
    check_out: str
    latitude: float | None
    longitude: float | None
    features: tuple[str, ...] = ()
    knowledge: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StayOffers:
    """The answer to SearchStay; `party_too_big` when rooms are free but none holds the party per room."""

    offers: tuple[Offer, ...]
    party_too_big: bool = False
    max_guests_per_room: int = 0


@dataclass(frozen=True)
class Alternatives:
    """The answer to SearchAlternatives (possibly empty)."""

    options: tuple[AltOption, ...]


@dataclass(frozen=True)
class BookingMade:
    """CreateBooking succeeded (or had already succeeded for this confirmation: `replayed`)."""

    booking: BookingView
    check_in_time: str
    replayed: bool = False


@dataclass(frozen=True)
class BookingFailed:
    """CreateBooking did not book: the room went (`unavailable`), QloApps is down, or it refused the data;
    `uncertain`: the write timed out and QloApps could not say whether the booking exists."""

    reason: Literal["unavailable", "pms_down", "rejected", "uncertain"]
    detail: str = ""


@dataclass(frozen=True)
class BookingsFound:
    """FindBooking's answer: matching live and past bookings, and the hotel's refund rules."""

    bookings: tuple[BookingView, ...]
    refund_rules: tuple[RefundRuleView, ...] = ()


@dataclass(frozen=True)
class Cancelled:
    """CancelBooking succeeded: QloApps moved the order to state 4."""

    booking: BookingView


@dataclass(frozen=True)
class CancelFailed:
    """CancelBooking failed; the booking still stands."""

    detail: str = ""


@dataclass(frozen=True)
class HotelFacts:
    """LoadHotel's answer."""

    hotel: HotelView


@dataclass(frozen=True)
class NightChecked:
    """CheckNight's answer: is a room of the type free for that night."""

    free: bool
    hotel: HotelView


@dataclass(frozen=True)
class PmsDown:
    """An effect could not run because QloApps is unreachable or its circuit is open."""

    detail: str = ""


Fact = (
    StayOffers
    | Alternatives
    | BookingMade
    | BookingFailed
    | BookingsFound
    | Cancelled
    | CancelFailed
    | HotelFacts
    | NightChecked
    | PmsDown
)
