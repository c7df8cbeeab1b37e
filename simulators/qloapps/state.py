"""The QloApps backend: every table, its indexes and the business rules (pure Python, no HTTP).

All mutations go through methods of `Backend` under one lock, and each check-then-commit happens without
yielding, so concurrent requests can never double-book a room.
"""

from __future__ import annotations

import hashlib
import random
import string
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from simulators.qloapps.clock import SimClock
from simulators.qloapps.errors import DomainError
from simulators.qloapps.inventory import RoomCalendar, nights
from simulators.qloapps.models import (
    FREEING_STATES,
    ORDER_STATES,
    ROOM_ACTIVE,
    ROOM_INACTIVE,
    ROOM_TEMP_INACTIVE,
    STATE_CANCELED,
    Address,
    Cart,
    Currency,
    Customer,
    FeaturePrice,
    Hotel,
    HotelFeature,
    Language,
    Order,
    OrderHistory,
    RefundRule,
    Room,
    RoomBooking,
    RoomType,
    TaxRulesGroup,
)
from simulators.qloapps.pricing import money, nightly_prices, refund_amount, refund_rule_for, with_tax

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


class Backend:
    """All QloApps state of one simulated shop. Construct from a SeedData; `reset()` goes back to it."""

    def __init__(self, seed: SeedData, *, clock: SimClock | None = None, rng_seed: int = 0, lax: bool = False) -> None:
        self.seed = seed
        self.clock = clock or SimClock()
        self.rng_seed = rng_seed
        self.lax_occupancy = lax
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

    def currency_by_iso(self, iso: str) -> Currency | None:
        for c in self.currencies.values():
            if c.iso_code == iso and c.active:
                return c
        return None

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
        """bookings POST: by id_customer, else by email, else a new customer with a random password."""
        if guest.id_customer:
            c = self.customers.get(guest.id_customer)
            if c is None:
                raise DomainError("Invalid customer id.", "customer")
            return c
        ids = self.customers_by_email.get(guest.email.lower())
        if ids:
            return self.customers[ids[0]]
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

    # ---- orders and bookings -----------------------------------------------------------------------------

    def _reference(self) -> str:
        while True:
            ref = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(9))
            if ref not in self.orders_by_reference:
                return ref

    def _check_occupancy(self, rt: RoomType, req: RoomRequest) -> None:
        adults = req.adults if req.adults is not None else rt.adults
        children = req.children if req.children is not None else rt.children
        if adults < 0 or children < 0:
            raise DomainError("Invalid occupancy in the request", "occupancy")
        if self.lax_occupancy:
            return
        # Only the maxima are checked (front office rule); a room with 0 adults is the caller's business.
        if adults > rt.max_adults or children > rt.max_children or adults + children > rt.max_guests:
            # Stricter than QloApps (which does not validate occupancy on API bookings): see docs.
            raise DomainError(
                f"Occupancy {adults} adults + {children} children exceeds room type {rt.id} limits "
                f"(max_adults {rt.max_adults}, max_children {rt.max_children}, max_guests {rt.max_guests}).",
                "occupancy",
            )

    def allocate(self, lines: list[StayLine]) -> list[tuple[StayLine, RoomType, list[tuple[Room, RoomRequest]]]]:
        """Pick rooms for every line, all or nothing; DomainError(kind="unavailable") if anything does not fit."""
        taken: dict[int, list[tuple[date, date]]] = defaultdict(list)
        plan = []
        for line in lines:
            rt = self.room_types.get(line.id_room_type)
            if rt is None or not rt.active:
                raise DomainError("Invalid room type in the request", "unavailable")
            requests = line.rooms or [RoomRequest() for _ in range(line.number_of_rooms)]
            for req in requests:
                self._check_occupancy(rt, req)
            free = [
                r
                for r in self.free_rooms(rt, line.date_from, line.date_to)
                if not any(f < line.date_to and t > line.date_from for f, t in taken[r.id])
            ]
            if len(free) < line.number_of_rooms:
                raise DomainError(NOT_AVAILABLE, "unavailable")
            chosen: list[tuple[Room, RoomRequest]] = []
            pool = list(free)
            for req in requests:
                if req.id_room:
                    room = next((r for r in pool if r.id == req.id_room), None)
                    if room is None:
                        raise DomainError(NOT_AVAILABLE, "unavailable")
                    pool.remove(room)
                    chosen.append((room, req))
            for req in requests:
                if not req.id_room:
                    room = pool.pop(0)
                    chosen.append((room, req))
            for room, _ in chosen:
                taken[room.id].append((line.date_from, line.date_to))
            plan.append((line, rt, chosen))
        return plan

    def place_order(self, spec: OrderSpec) -> Order:
        """Create customer (if needed), order, room bookings and the first order history, atomically."""
        with self.lock:
            hotel = self.hotels.get(spec.id_hotel)
            if hotel is None:
                raise DomainError("Invalid property id.", "invalid")
            plan = self.allocate(spec.lines)
            customer = self.find_or_create_customer(spec.guest)
            stamp = spec.booking_date or self.clock.stamp()
            order = Order(
                id=self._new_id("orders"),
                reference=self._reference(),
                id_customer=customer.id,
                id_cart=spec.id_cart or self._new_id("carts"),
                id_currency=spec.id_currency,
                id_lang=spec.id_lang,
                id_hotel=hotel.id,
                current_state=0,
                payment=spec.payment_method or "Order from API",
                module="wsorder",
                total_paid=Decimal(0),
                total_paid_real=Decimal(0),
                total_paid_tax_incl=Decimal(0),
                total_paid_tax_excl=Decimal(0),
                total_products=Decimal(0),
                total_products_wt=Decimal(0),
                date_add=stamp,
                date_upd=stamp,
                source=spec.source,
                remarks=[spec.remark] if spec.remark else [],
                payment_type=spec.payment_type,
                transaction_id=spec.transaction_id,
                secure_key=customer.secure_key,
            )
            self.orders[order.id] = order
            self.orders_by_reference[order.reference].append(order.id)
            self.orders_by_customer[customer.id].append(order.id)
            for detail, (line, rt, chosen) in enumerate(plan, start=1):
                for room, req in chosen:
                    self._add_room_booking(order, customer, hotel, rt, room, req, line, detail)
            self._recompute_totals(order)
            self._apply_discounts(order, spec)
            if spec.guest.address:
                self._save_address(customer, spec.guest)
            paid = spec.total_paid
            state = spec.target_state
            if state in (2, 8) and paid is None:
                paid = order.total_paid_tax_incl if state == 2 else Decimal(0)
            order.total_paid_real = money(paid or Decimal(0))
            self.change_state(order.id, state)
            return order

    def _add_room_booking(
        self,
        order: Order,
        customer: Customer,
        hotel: Hotel,
        rt: RoomType,
        room: Room,
        req: RoomRequest,
        line: StayLine,
        id_order_detail: int,
    ) -> RoomBooking:
        if req.unit_price_without_tax is not None:
            excl = req.unit_price_without_tax
            incl = with_tax(excl, self.tax_rate(rt))
        else:
            excl, incl = self.stay_price(rt, line.date_from, line.date_to)
        booking = RoomBooking(
            id=self._new_id("room_bookings"),
            id_product=rt.id,
            id_order=order.id,
            id_order_detail=id_order_detail,
            id_cart=order.id_cart,
            id_room=room.id,
            id_hotel=hotel.id,
            id_customer=customer.id,
            date_from=line.date_from,
            date_to=line.date_to,
            total_price_tax_excl=money(excl),
            total_price_tax_incl=money(incl),
            adults=req.adults if req.adults is not None else rt.adults,
            children=req.children if req.children is not None else rt.children,
            child_ages=list(req.child_ages),
            room_num=room.room_num,
            room_type_name=rt.name,
            hotel_name=hotel.hotel_name,
            city=hotel.city,
            country=self.country_isos.get(hotel.id_country, ""),
            phone=hotel.phone,
            email=hotel.email,
            check_in_time=hotel.check_in,
            check_out_time=hotel.check_out,
            date_add=order.date_add,
            date_upd=order.date_add,
        )
        self.calendars[room.id].hold(line.date_from, line.date_to, booking.id)
        self.room_bookings[booking.id] = booking
        self.bookings_by_order[order.id].append(booking.id)
        return booking

    def _recompute_totals(self, order: Order) -> None:
        rows = [self.room_bookings[b] for b in self.bookings_by_order.get(order.id, ())]
        excl = sum((b.total_price_tax_excl for b in rows), Decimal(0))
        incl = sum((b.total_price_tax_incl for b in rows), Decimal(0))
        order.total_products, order.total_products_wt = money(excl), money(incl)
        order.total_paid_tax_excl = money(max(excl - order.total_discounts_tax_excl, Decimal(0)))
        order.total_paid_tax_incl = money(max(incl - order.total_discounts_tax_incl, Decimal(0)))
        order.total_paid = order.total_paid_tax_incl

    def _apply_discounts(self, order: Order, spec: OrderSpec) -> None:
        """Cart rules, then the `total_price_with_tax` override (lower: a discount rule; higher: dearer rooms)."""
        rooms_total = order.total_products_wt
        discount = Decimal(0)
        iso = self.currencies[spec.id_currency].iso_code
        for rule in spec.cart_rules:
            value = rooms_total * rule.value / Decimal(100) if rule.type == 2 else rule.value
            discount += value
            order.cart_rules.append({"name": rule.name, "code": rule.code, "value": str(money(value)),
                                     "currency": iso, "id_order_invoice": "0"})  # fmt: skip
        wanted = spec.total_price_with_tax
        if wanted is not None and wanted > rooms_total - discount and rooms_total > 0:
            factor = (wanted + discount) / rooms_total
            for bid in self.bookings_by_order[order.id]:
                rb = self.room_bookings[bid]
                rb.total_price_tax_excl = money(rb.total_price_tax_excl * factor)
                rb.total_price_tax_incl = money(rb.total_price_tax_incl * factor)
            self._recompute_totals(order)
            rooms_total = order.total_products_wt
        elif wanted is not None and wanted < rooms_total - discount:
            extra = rooms_total - discount - wanted
            discount += extra
            order.cart_rules.append({"name": "Price adjustment", "code": "", "value": str(money(extra)),
                                     "currency": iso, "id_order_invoice": "0"})  # fmt: skip
        discount = min(discount, rooms_total)
        ratio = order.total_products / rooms_total if rooms_total else Decimal(1)
        order.total_discounts_tax_incl = money(discount)
        order.total_discounts_tax_excl = money(discount * ratio)
        self._recompute_totals(order)

    def _save_address(self, customer: Customer, guest: GuestDetails) -> None:
        a = guest.address or {}
        country = next((cid for cid, iso in self.country_isos.items() if iso == a.get("country_code")), 0)
        self.add_address(
            Address(id=0, id_customer=customer.id, id_country=country, alias="My address", lastname=guest.lastname,
                    firstname=guest.firstname, address1=a.get("address", ""), city=a.get("city", ""),
                    postcode=a.get("zip", ""), phone=guest.phone)
        )  # fmt: skip

    def change_state(self, id_order: int, id_state: int, id_employee: int = 0) -> OrderHistory:
        """OrderHistory::changeIdOrderState + the hotel hook: states 4, 5, 6 free every room of the order."""
        with self.lock:
            order = self.orders.get(id_order)
            if order is None:
                raise DomainError("Invalid order id", "order")
            if id_state not in ORDER_STATES:
                raise DomainError("Invalid order state id", "state")
            history = OrderHistory(self._new_id("order_histories"), id_order, id_state, id_employee, self.clock.stamp())
            self.order_histories[history.id] = history
            self.histories_by_order[id_order].append(history.id)
            order.current_state = id_state
            order.valid = ORDER_STATES[id_state][2]
            order.date_upd = history.date_add
            if id_state in FREEING_STATES:
                for bid in self.bookings_by_order.get(id_order, ()):
                    self._free_room_booking(self.room_bookings[bid], cancelled=id_state == STATE_CANCELED)
            return history

    def _free_room_booking(self, rb: RoomBooking, *, cancelled: bool) -> None:
        if rb.holds_room:
            self.calendars[rb.id_room].release(rb.id)
        rb.is_refunded = True
        rb.is_cancelled = rb.is_cancelled or cancelled
        rb.date_upd = self.clock.stamp()

    def remove_room_booking(self, id_room_booking: int) -> None:
        """removeRoomLineFromOrder: the row goes away and its room is free again."""
        with self.lock:
            rb = self.room_bookings.pop(id_room_booking)
            if rb.holds_room:
                self.calendars[rb.id_room].release(rb.id)
            self.bookings_by_order[rb.id_order].remove(rb.id)
            self._recompute_totals(self.orders[rb.id_order])

    def add_lines(self, order: Order, lines: list[StayLine]) -> None:
        """Add stay lines to an existing order (bookings PUT with new lines), all or nothing."""
        with self.lock:
            plan = self.allocate(lines)
            customer = self.customers[order.id_customer]
            hotel = self.hotels[order.id_hotel]
            base = max((self.room_bookings[b].id_order_detail for b in self.bookings_by_order[order.id]), default=0)
            for n, (line, rt, chosen) in enumerate(plan, start=1):
                for room, req in chosen:
                    self._add_room_booking(order, customer, hotel, rt, room, req, line, base + n)
            self._recompute_totals(order)

    def set_room_status(
        self, id_room: int, id_status: int, disable_dates: list[tuple[date, date]] | None = None
    ) -> None:
        """Disable or re-enable a room (existing bookings keep their rooms, as in the back office)."""
        with self.lock:
            room = self.rooms[id_room]
            if id_status not in (ROOM_ACTIVE, ROOM_INACTIVE, ROOM_TEMP_INACTIVE):
                raise DomainError("Invalid room status", "invalid")
            room.id_status = id_status
            room.disable_dates = list(disable_dates or []) if id_status == ROOM_TEMP_INACTIVE else []

    def add_cart(self, cart: Cart) -> Cart:
        with self.lock:
            cart.id = self._new_id("carts")
            cart.date_add = cart.date_upd = self.clock.stamp()
            self.carts[cart.id] = cart
            return cart

    def order_cart(self, id_cart: int, id_customer: int, total_paid_real: Decimal, payment: str, module: str) -> Order:
        """Order::addWs on the legacy path: state 10 (remote payment accepted) if paid, else 9 (awaiting)."""
        with self.lock:
            cart = self.carts.get(id_cart)
            if cart is None or cart.id_order or not cart.lines:
                raise DomainError("Cart cannot be loaded or an order has already been placed using this cart", "cart")
            customer = self.customers.get(id_customer)
            if customer is None:
                raise DomainError("Invalid customer", "cart")
            groups: dict[tuple[int, date, date], int] = {}
            for _hotel, product, f, t in cart.lines:
                groups[(product, f, t)] = groups.get((product, f, t), 0) + 1
            hotels = {h for h, _, _, _ in cart.lines}
            if len(hotels) != 1:
                raise DomainError("A cart can hold rooms of one hotel only", "cart")
            spec = OrderSpec(
                id_hotel=hotels.pop(), id_currency=cart.id_currency, id_lang=cart.id_lang,
                guest=GuestDetails(customer.firstname, customer.lastname, customer.email, customer.phone, customer.id),
                lines=[StayLine(p, f, t, n) for (p, f, t), n in groups.items()],
                target_state=10 if total_paid_real > 0 else 9, total_paid=total_paid_real, payment_method=payment,
                id_cart=cart.id,
            )  # fmt: skip
            order = self.place_order(spec)
            order.module = module or order.module
            cart.id_order = order.id
            return order

    def set_room_booking_status(self, id_room_booking: int, id_status: int, at: datetime) -> RoomBooking:
        """Back-office check-in (2) / check-out (3); an early check-out frees the remaining nights."""
        with self.lock:
            rb = self.room_bookings.get(id_room_booking)
            if rb is None:
                raise DomainError(f"no room booking {id_room_booking}", "missing")
            if id_status not in (1, 2, 3):
                raise DomainError("id_status must be 1 (awaiting check-in), 2 (checked in) or 3 (checked out)")
            stamp = at.strftime("%Y-%m-%d %H:%M:%S")
            if id_status == 2:
                rb.check_in = stamp
            if id_status == 3:
                rb.check_out = stamp
                if rb.holds_room and at.date() < rb.date_to:
                    cal = self.calendars[rb.id_room]
                    if at.date() <= rb.date_from:
                        cal.release(rb.id)  # left on arrival day: no night is held any more
                    else:
                        cal.shorten(rb.id, at.date())
            rb.id_status = id_status
            rb.date_upd = self.clock.stamp()
            return rb

    def refund_quote(self, id_order: int) -> dict[str, object]:
        """What the hotel's refund rules give back if the order were cancelled today (no QloApps resource does this)."""
        order = self.orders.get(id_order)
        if order is None:
            raise DomainError(f"no order {id_order}", "missing")
        rows = [self.room_bookings[b] for b in self.bookings_by_order.get(id_order, ())]
        first = min((rb.date_from for rb in rows), default=self.clock.today())
        days = (first - self.clock.today()).days
        hotel = self.hotels[order.id_hotel]
        rules = [self.refund_rules[r] for r in hotel.refund_rule_ids if r in self.refund_rules]
        rule = refund_rule_for(rules, days) if hotel.active_refund else None
        paid = order.total_paid_real
        full = paid >= order.total_paid_tax_incl
        return {
            "id_order": id_order,
            "days_before_check_in": days,
            "rule": None if rule is None else {"id": rule.id, "name": rule.name, "days": rule.days},
            "paid": str(paid),
            "full_payment": full,
            "refundable": str(refund_amount(rule, paid, full)),
        }

    def order_lines(self, id_order: int) -> list[list[RoomBooking]]:
        """Room bookings of an order grouped by (room type, dates), in creation order."""
        groups: dict[tuple[int, date, date], list[RoomBooking]] = {}
        for bid in self.bookings_by_order.get(id_order, ()):
            rb = self.room_bookings[bid]
            groups.setdefault((rb.id_product, rb.date_from, rb.date_to), []).append(rb)
        return list(groups.values())

    # ---- bulk helpers for the control plane and benchmarks ----------------------------------------------

    def held_nights(self) -> int:
        return sum(len(c) for c in self.calendars.values())

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


def _copy(obj):
    """A deep enough copy of a seed record (lists inside dataclasses are copied)."""
    from copy import deepcopy

    return deepcopy(obj)


def stay_dates(date_from: date, n: int) -> tuple[date, date]:
    return date_from, date_from + timedelta(days=n)
