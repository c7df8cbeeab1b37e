"""What a webservice request asks the backend for, already parsed and shape-checked by the protocol layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from simulators.qloapps.models import (
    Currency,
    Customer,
    FeaturePrice,
    Hotel,
    HotelFeature,
    Language,
    Order,
    RefundRule,
    Room,
    RoomBooking,
    RoomType,
    TaxRulesGroup,
)

# WebserviceSpecificManagementBookings.php:688-692 (validatePostRequest, a room type that does not fit).
NOT_AVAILABLE = "Requested room(s) not available."


@dataclass
class SeedData:
    """Everything a fresh simulator starts with (demo install, Faker hotels or a fixture file)."""

    languages: list[Language]
    currencies: list[Currency]
    default_currency_id: int
    tax_groups: list[TaxRulesGroup]
    features: list[HotelFeature]
    refund_rules: list[RefundRule]
    hotels: list[Hotel]
    room_types: list[RoomType]
    rooms: list[Room]
    feature_prices: list[FeaturePrice]
    country_isos: dict[int, str] = field(default_factory=lambda: {6: "ES", 21: "US", 8: "FR", 17: "GB"})


@dataclass
class RoomAvailability:
    """One room type's rooms sorted into the hotel_ari kinds for a stay."""

    room_type: RoomType
    available: list[Room] = field(default_factory=list)
    partial: list[tuple[Room, list[tuple[date, date]]]] = field(default_factory=list)
    booked: list[tuple[Room, list[RoomBooking]]] = field(default_factory=list)
    unavailable: list[tuple[Room, int]] = field(default_factory=list)  # (room, reason status)
    total_rooms: int = 0


@dataclass
class RoomRequest:
    """One room of a booking line: a specific room or any, its occupancy and an optional stay price."""

    id_room: int | None = None
    adults: int | None = None
    children: int | None = None
    child_ages: list[int] = field(default_factory=list)
    unit_price_without_tax: Decimal | None = None
    total_tax: Decimal | None = None


@dataclass
class StayLine:
    id_room_type: int
    date_from: date
    date_to: date
    number_of_rooms: int
    rooms: list[RoomRequest] = field(default_factory=list)


@dataclass
class GuestDetails:
    firstname: str
    lastname: str
    email: str
    phone: str = ""
    id_customer: int | None = None
    address: dict[str, str] | None = None  # address, city, country_code[, zip, state_code]


@dataclass
class CartRuleSpec:
    """A discount created on the fly by a booking: type 1 amount, 2 percentage of the rooms total."""

    name: str
    code: str
    type: int
    value: Decimal


@dataclass
class OrderSpec:
    """What `POST /api/bookings` asks for, already validated for shape by the protocol layer."""

    id_hotel: int
    id_currency: int
    guest: GuestDetails
    lines: list[StayLine]
    target_state: int
    total_paid: Decimal | None = None
    payment_method: str = "Order from API"
    payment_type: str = ""
    transaction_id: str = ""
    source: str = ""
    remark: str = ""
    booking_date: str | None = None
    id_lang: int = 1
    cart_rules: list[CartRuleSpec] = field(default_factory=list)
    id_cart: int | None = None  # the legacy path orders an existing cart; bookings make a cart of their own
    total_price_with_tax: Decimal | None = None  # override: lower adds a discount, higher raises room prices


@dataclass
class BookingSnapshot:
    """Copies of one order's records, taken under the backend lock, for rendering `GET /api/bookings/{id}`."""

    order: Order
    customer: Customer | None
    currency: str
    lines: list[list[RoomBooking]]
