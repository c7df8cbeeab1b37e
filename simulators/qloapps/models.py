"""The simulator's records: plain dataclasses mirroring QloApps tables (no HTTP, no rendering)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# Room statuses (HotelRoomInformation consts).
ROOM_ACTIVE = 1
ROOM_INACTIVE = 2
ROOM_TEMP_INACTIVE = 3

# Order states of a fresh install (install/data/xml/order_state.xml); 4, 5 and 6 free the rooms.
ORDER_STATES: dict[int, tuple[str, bool, bool]] = {
    # id: (name, paid, logable)
    1: ("Awaiting payment", False, False),
    2: ("Payment accepted", True, True),
    3: ("Processing in progress", True, True),
    4: ("Canceled", False, False),
    5: ("Refunded", True, False),
    6: ("Payment error", False, False),
    7: ("Overbooking (paid)", True, True),
    8: ("Partial payment accepted", True, True),
    9: ("Awaiting remote payment", False, False),
    10: ("Remote payment accepted", True, True),
    11: ("Overbooking (unpaid)", False, False),
    12: ("Overbooking (partial)", True, True),
}
FREEING_STATES = frozenset({4, 5, 6})
STATE_CANCELED = 4
STATE_REFUNDED = 5


@dataclass
class Language:
    id: int
    name: str
    iso_code: str
    language_code: str
    active: bool = True


@dataclass
class Currency:
    id: int
    name: str
    iso_code: str
    iso_code_num: str
    sign: str
    conversion_rate: Decimal = Decimal("1")
    decimals: int = 1
    active: bool = True


@dataclass
class TaxRulesGroup:
    id: int
    name: str
    rate: Decimal  # percent, e.g. Decimal("10")


@dataclass
class HotelFeature:
    id: int
    name: str
    parent_id: int = 0
    position: int = 0
    active: bool = True


@dataclass
class RefundRule:
    id: int
    name: str
    days: int
    payment_type: int  # 1 fixed amount, 2 percentage
    deduction_value_full_pay: Decimal
    deduction_value_adv_pay: Decimal
    description: str = ""


@dataclass
class Hotel:
    id: int
    hotel_name: str
    email: str
    phone: str
    address: str
    city: str
    zipcode: str
    id_country: int
    id_state: int = 0
    rating: int = 3
    check_in: str = "12:00"
    check_out: str = "11:00"
    active: bool = True
    active_refund: bool = True
    policies: str = ""
    description: str = ""
    short_description: str = ""
    latitude: str = "0"
    longitude: str = "0"
    max_checkout_offset: int = 0
    min_booking_offset: int = 0
    feature_ids: list[int] = field(default_factory=list)
    refund_rule_ids: list[int] = field(default_factory=list)
    date_add: str = "2026-01-01 00:00:00"
    date_upd: str = "2026-01-01 00:00:00"


@dataclass
class RoomType:
    """A room type is a Product (`room_types`) plus its `htl_room_type` row (`hotel_room_types`)."""

    id: int  # id_product
    id_hotel_room_type: int
    id_hotel: int
    name: str
    price: Decimal  # base nightly price, tax excluded
    id_tax_rules_group: int = 1
    adults: int = 2
    children: int = 2
    max_adults: int = 2
    max_children: int = 2
    max_guests: int = 4
    min_los: int = 1
    max_los: int = 0  # 0 = no maximum
    active: bool = True
    show_at_front: bool = True
    description: str = ""
    short_description: str = ""
    reference: str = ""
    date_add: str = "2026-01-01 00:00:00"
    date_upd: str = "2026-01-01 00:00:00"


@dataclass
class Room:
    id: int
    id_product: int
    id_hotel: int
    room_num: str
    id_status: int = ROOM_ACTIVE
    floor: str = "First"
    comment: str = ""
    disable_dates: list[tuple[date, date]] = field(default_factory=list)  # half-open [from, to) ranges


@dataclass
class FeaturePrice:
    """A seasonal price rule (`htl_room_type_feature_pricing`)."""

    id: int
    id_product: int
    feature_price_name: str
    impact_way: int  # 1 decrease, 2 increase, 3 fixed price
    impact_type: int  # 1 percentage, 2 amount
    impact_value: Decimal
    date_from: date
    date_to: date  # inclusive, as QloApps stores restriction ranges
    date_selection_type: int = 1  # 1 range, 2 specific week days
    special_days: list[str] = field(default_factory=list)  # "mon".."sun" when date_selection_type == 2
    active: bool = True


@dataclass
class Customer:
    id: int
    firstname: str
    lastname: str
    email: str
    passwd: str
    phone: str = ""
    id_gender: int = 0
    birthday: str = "0000-00-00"
    newsletter: bool = False
    optin: bool = False
    active: bool = True
    is_guest: bool = False
    id_default_group: int = 3
    id_lang: int = 1
    note: str = ""
    secure_key: str = ""
    deleted: bool = False
    date_add: str = ""
    date_upd: str = ""


@dataclass
class Address:
    id: int
    id_customer: int
    id_country: int
    alias: str
    lastname: str
    firstname: str
    address1: str
    city: str
    id_state: int = 0
    address2: str = ""
    postcode: str = ""
    phone: str = ""
    phone_mobile: str = ""
    company: str = ""
    other: str = ""
    deleted: bool = False
    date_add: str = ""
    date_upd: str = ""


@dataclass
class OrderHistory:
    id: int
    id_order: int
    id_order_state: int
    id_employee: int
    date_add: str


@dataclass
class Order:
    id: int
    reference: str
    id_customer: int
    id_cart: int
    id_currency: int
    id_lang: int
    id_hotel: int
    current_state: int
    payment: str
    module: str
    total_paid: Decimal
    total_paid_real: Decimal
    total_paid_tax_incl: Decimal
    total_paid_tax_excl: Decimal
    total_products: Decimal
    total_products_wt: Decimal
    date_add: str
    date_upd: str
    id_address_delivery: int = 0
    id_address_invoice: int = 0
    source: str = ""
    remarks: list[str] = field(default_factory=list)
    cart_rules: list[dict[str, str]] = field(default_factory=list)
    total_discounts_tax_incl: Decimal = Decimal(0)
    total_discounts_tax_excl: Decimal = Decimal(0)
    payment_type: str = ""
    transaction_id: str = ""
    valid: bool = False
    secure_key: str = ""


@dataclass
class RoomBooking:
    """One room for one stay (`htl_booking_detail`, resource `room_bookings`)."""

    id: int
    id_product: int
    id_order: int
    id_order_detail: int
    id_cart: int
    id_room: int
    id_hotel: int
    id_customer: int
    date_from: date
    date_to: date
    total_price_tax_excl: Decimal
    total_price_tax_incl: Decimal
    adults: int
    children: int
    room_num: str
    room_type_name: str
    hotel_name: str
    city: str
    country: str
    phone: str
    email: str
    check_in_time: str
    check_out_time: str
    child_ages: list[int] = field(default_factory=list)
    booking_type: int = 1
    id_status: int = 1  # 1 awaiting check-in, 2 checked in, 3 checked out
    check_in: str = "0000-00-00 00:00:00"
    check_out: str = "0000-00-00 00:00:00"
    total_paid_amount: Decimal = Decimal("0")
    is_refunded: bool = False
    is_cancelled: bool = False
    is_back_order: bool = False
    date_add: str = ""
    date_upd: str = ""

    @property
    def holds_room(self) -> bool:
        """Whether this row blocks its room (getSearchBookedRooms: is_refunded=0 AND is_back_order=0)."""
        if self.is_refunded or self.is_back_order:
            return False
        # A checked-out row holds nights up to its actual check-out date only.
        return not (self.id_status == 3 and self.check_out[:10] <= self.date_from.isoformat())


@dataclass
class Cart:
    """A cart of the legacy booking path: each `cart_bookings/booking` is one room for one stay."""

    id: int
    id_currency: int
    id_lang: int
    id_customer: int = 0
    id_guest: int = 0
    lines: list[tuple[int, int, date, date]] = field(default_factory=list)  # (id_hotel, id_product, from, to)
    id_order: int = 0
    date_add: str = ""
    date_upd: str = ""
