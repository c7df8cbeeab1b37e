"""Orders: allocation of rooms, order creation, state changes, cart orders and refunds (no HTTP)."""

from __future__ import annotations

import string
from collections import defaultdict
from copy import copy
from datetime import date, datetime
from decimal import Decimal

from simulators.qloapps.errors import DomainError
from simulators.qloapps.models import (
    FREEING_STATES,
    ORDER_STATES,
    STATE_CANCELED,
    Address,
    Customer,
    Hotel,
    Order,
    OrderHistory,
    Room,
    RoomBooking,
    RoomType,
)
from simulators.qloapps.pricing import money, refund_amount, refund_rule_for, with_tax
from simulators.qloapps.specs import (
    NOT_AVAILABLE,
    BookingSnapshot,
    CartRuleSpec,
    GuestDetails,
    OrderSpec,
    RoomRequest,
    StayLine,
)


class OrdersMixin:
    """The order half of the Backend (tables come from Backend); every public mutation takes the backend lock."""

    # ---- the bookings resource -------------------------------------------------------------------------------

    def quote(self, lines: list[StayLine], rules: list[CartRuleSpec], override: Decimal | None) -> Decimal:
        """The order total the payment status is judged against (rooms, less cart rules, or the override)."""
        with self.lock:
            total = Decimal(0)
            for line in lines:
                rt = self.room_types[line.id_room_type]
                _, incl = self.stay_price(rt, line.date_from, line.date_to)
                total += incl * line.number_of_rooms
        discount = sum((total * r.value / 100 if r.type == 2 else r.value for r in rules), Decimal(0))
        return money(override if override is not None else max(total - discount, Decimal(0)))

    def book(self, spec: OrderSpec, booking_status: int, payment_status: int | None) -> Order:
        """`POST /api/bookings` after validation: quote, pick the order state, place the order, atomically."""
        with self.lock:
            total = self.quote(spec.lines, spec.cart_rules, spec.total_price_with_tax)
            spec.target_state = target_state(booking_status, payment_status, spec.total_paid, total)
            return self.place_order(spec)

    def update_booking(self, id_order: int, lines: list[StayLine], booking_status: int) -> Order:
        """`PUT /api/bookings`: `room_types` is a full replacement (handlePutRequest, …Bookings.php:1949-2170)."""
        with self.lock:
            order = self.orders[id_order]
            current = {(g[0].id_product, g[0].date_from, g[0].date_to): g for g in self.order_lines(order.id)}
            wanted = {(ln.id_room_type, ln.date_from, ln.date_to): ln for ln in lines}
            additions: list[StayLine] = []
            removals: list[int] = []
            for key, line in wanted.items():
                have = current.get(key, [])
                if line.number_of_rooms > len(have):
                    extra = line.rooms[len(have) :] if line.rooms else []
                    additions.append(StayLine(*key, line.number_of_rooms - len(have), extra))
                elif line.number_of_rooms < len(have):
                    removals += [rb.id for rb in have[line.number_of_rooms :]]
            for key, group in current.items():
                if key not in wanted:  # a line that is not sent is removed (removeRoomLineFromOrder, :2565)
                    removals += [rb.id for rb in group]
            if additions:
                self.add_lines(order, additions)
            for rid in removals:
                self.remove_room_booking(rid)
            if booking_status == 3:
                self.change_state(order.id, 4)
            elif booking_status == 4:
                self.change_state(order.id, 5)
            return order

    def booking_snapshot(self, id_order: int) -> BookingSnapshot | None:
        """What `GET /api/bookings/{id}` shows (getBookingDetails, …Bookings.php:3545-3713), copied under the lock."""
        with self.lock:
            o = self.orders.get(id_order)
            if o is None:
                return None
            cur = self.currencies.get(o.id_currency)
            return BookingSnapshot(
                order=copy(o), customer=copy(self.customers.get(o.id_customer)), currency=cur.iso_code if cur else "",
                lines=[[copy(rb) for rb in group] for group in self.order_lines(id_order)],
            )  # fmt: skip

    def order_ids(self) -> list[int]:
        with self.lock:
            return sorted(self.orders)

    def has_order(self, id_order: int) -> bool:
        return id_order in self.orders

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
        # QloApps does not check occupancy on API bookings ("we are not validating occupancy since Wsorder has booking
        # without occupancy", WebserviceSpecificManagementBookings.php:524); `--strict-occupancy` applies the front
        # office's maxima (controllers/front/CartController.php:374-381).
        if not self.strict_occupancy:
            return
        if adults > rt.max_adults or children > rt.max_children or adults + children > rt.max_guests:
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
        if req.total_tax:
            # A non-zero per-room total_tax becomes a tax rule at total_tax / price (…Bookings.php:1090-1091).
            incl = excl + req.total_tax
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


def target_state(status: int, pay_status: int | None, paid: Decimal | None, total: Decimal) -> int:
    """The order state a new booking gets (handlePostRequest, WebserviceSpecificManagementBookings.php:834-987)."""
    if status == 3:
        return 4
    if status == 4:
        return 5
    if status == 2:
        return 8 if paid is not None and 0 < paid < total else 2
    if paid is not None and paid >= total > 0:
        return 2
    if paid is not None and 0 < paid < total:
        return 8
    return {1: 2, 2: 8}.get(pay_status or 3, 1)
