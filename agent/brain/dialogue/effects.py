"""What the dialogue asks the receptionist to do; each effect is answered by one fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal


@dataclass(frozen=True)
class SearchStay:
    """Search QloApps `hotel_ari` for the stay → StayOffers | PmsDown."""

    check_in: date
    check_out: date
    adults: int
    children: int
    rooms: int


@dataclass(frozen=True)
class SearchAlternatives:
    """Search nearby dates of the same length → Alternatives | PmsDown."""

    check_in: date
    check_out: date
    adults: int
    children: int
    rooms: int


@dataclass(frozen=True)
class CreateBooking:
    """Book under a lock and an idempotency key built from `nonce` → BookingMade | BookingFailed."""

    id_room_type: int
    check_in: date
    check_out: date
    adults: int
    children: int
    rooms: int
    firstname: str
    lastname: str
    email: str
    nonce: str


@dataclass(frozen=True)
class FindBooking:
    """Find bookings by reference (+ the email on it), or the guest's own → BookingsFound | PmsDown.

    `own_references` are bookings this guest may see without an email (made in, or found by, this conversation);
    `by_phone` also looks up the bookings QloApps holds under the guest's WhatsApp number.
    """

    reference: str | None
    email: str | None
    own_references: tuple[str, ...] = ()
    by_phone: bool = False


@dataclass(frozen=True)
class CancelBooking:
    """Cancel through order state 4 → Cancelled | CancelFailed | PmsDown."""

    id_order: int
    hotel_id: int
    reference: str


@dataclass(frozen=True)
class LoadHotel:
    """Read the hotel, its features and the knowledge file → HotelFacts | PmsDown."""

    topic: Literal["times", "amenities", "location"]


@dataclass(frozen=True)
class CheckNight:
    """Is a room of this type free for the night starting `night` → NightChecked | PmsDown."""

    id_room_type: int
    night: date


Effect = SearchStay | SearchAlternatives | CreateBooking | FindBooking | CancelBooking | LoadHotel | CheckNight
