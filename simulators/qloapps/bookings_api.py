"""`/api/bookings` (WebserviceSpecificManagementBookings, 1.6.1+): create, read, list, cancel/refund; no DELETE.

Every validation failure is `WebserviceException(msg, [404, 400])`: HTTP 400 with body code 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from simulators.qloapps.config import SimConfig
from simulators.qloapps.errors import DomainError, NotFoundEmpty, WsError
from simulators.qloapps.models import Order
from simulators.qloapps.pricing import money
from simulators.qloapps.resources import VALIDATORS, parse_date
from simulators.qloapps.state import (
    NOT_AVAILABLE,
    Backend,
    CartRuleSpec,
    GuestDetails,
    OrderSpec,
    RoomRequest,
    StayLine,
)
from simulators.qloapps.wire import XML_HEAD, XML_TAIL, cdata, dumps, element_to_obj, parse_xml, scalar

RULE_KEYS = ("code", "value", "currency", "id_order_invoice")
PAYMENT_TYPES = ("online", "remote", "pay at hotel")
MAX_NIGHTS = 3660


def bad(message: str) -> WsError:
    return WsError(400, 404, message)


def _list(value: Any, inner: str) -> list[Any]:
    """`{room_types: {room_type: [...]}}`, `{room_type: {...}}`, a plain list, or one object."""
    if value in (None, "", "0", 0):
        return []
    if isinstance(value, dict) and inner in value:
        value = value[inner]
    if isinstance(value, list):
        return value
    return [value]


def _int(value: Any, what: str) -> int:
    try:
        if isinstance(value, bool) or value in (None, ""):
            raise ValueError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
    except (ValueError, TypeError):
        raise bad(what) from None


def _dec(value: Any, what: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise bad(what) from None
    if not d.is_finite() or d < 0:
        raise bad(what)
    return d


class BookingsApi:
    """Parses booking bodies (JSON or XML), applies them to the Backend, renders the booking."""

    def __init__(self, backend: Backend, config: SimConfig) -> None:
        self.b = backend
        self.cfg = config

    def handle(self, ctx: Any, ident: str | None):
        from simulators.qloapps.api import Reply

        if ctx.method == "DELETE":
            raise WsError(405, 101, "Method DELETE is not allowed for the resource bookings")
        if ctx.method in ("GET", "HEAD"):
            if ident is None:
                return Reply(200, self.render_list(ctx))
            if not ident.isdigit() or int(ident) not in self.b.orders:
                raise NotFoundEmpty()
            return Reply(200, self.render(int(ident), ctx))
        data = self.parse_body(ctx.body)
        order = self.create(data) if ctx.method == "POST" else self.update(data)
        return Reply(200, self.render(order.id, ctx))

    # ---- bodies ------------------------------------------------------------------------------------------

    def parse_body(self, body: bytes) -> Mapping[str, Any]:
        """getRequestParams: json_decode first, then XML; association blocks may sit under `associations`."""
        data: Any = None
        stripped = body.strip()
        if stripped[:1] in (b"{", b"["):
            try:
                data = orjson.loads(stripped)
            except orjson.JSONDecodeError:
                data = None
        if data is None:
            if not stripped:
                raise bad("Invalid request data.")
            root = parse_xml(stripped)
            data = {root.tag: element_to_obj(root)} if root.tag == "booking" else element_to_obj(root)
        if not isinstance(data, dict) or not isinstance(data.get("booking"), dict):
            raise bad('Invalid request data: send {"booking": {...}} or <qloapps><booking>...</booking></qloapps>.')
        booking = dict(data["booking"])
        assoc = booking.pop("associations", None)
        if isinstance(assoc, dict):
            for k, v in assoc.items():
                booking.setdefault(k, v)
        return booking

    def _guest(self, raw: Any) -> GuestDetails:
        if not isinstance(raw, dict):
            raise bad("Customer details are missing.")
        for name in ("firstname", "lastname"):
            v = raw.get(name)
            if not isinstance(v, str) or not v.strip() or not VALIDATORS["isName"](v) or len(v) > 32:
                raise bad(f"Invalid customer {name}.")
        email = raw.get("email")
        if not isinstance(email, str) or not VALIDATORS["isEmail"](email) or len(email) > 128:
            raise bad("Invalid customer email.")
        phone = raw.get("phone") or ""
        if phone and (not isinstance(phone, str) or not VALIDATORS["isPhoneNumber"](phone)):
            raise bad("Invalid customer phone.")
        id_customer = None
        if raw.get("id_customer") not in (None, "", 0, "0"):
            id_customer = _int(raw["id_customer"], "Invalid customer id.")
            if id_customer not in self.b.customers:
                raise bad("Invalid customer id.")
        address_fields = [raw.get(k) for k in ("address", "city", "country_code")]
        if any(address_fields) and not all(address_fields):
            raise bad("Address, city and country code are required to save the customer address.")
        if raw.get("country_code") and raw["country_code"] not in self.b.country_isos.values():
            raise bad("Invalid country code.")
        address = None
        if all(address_fields):
            address = {k: str(raw.get(k) or "") for k in ("address", "city", "country_code", "zip", "state_code")}
        return GuestDetails(
            raw["firstname"].strip(), raw["lastname"].strip(), email.strip(), str(phone), id_customer, address
        )

    def _cart_rules(self, raw: Any) -> list[CartRuleSpec]:
        out = []
        for item in _list(raw, "cart_rule"):
            if not isinstance(item, dict):
                raise bad("Invalid cart rule in the request.")
            kind = _int(item.get("type"), "Invalid cart rule type in the request.")
            if kind not in (1, 2):
                raise bad("Invalid cart rule type in the request.")
            value = _dec(item.get("value"), "Invalid cart rule value in the request.")
            if kind == 2 and value > 100:
                raise bad("Invalid cart rule value in the request.")
            out.append(CartRuleSpec(str(item.get("name") or "API discount"), str(item.get("code") or ""), kind, value))
        return out

    def _lines(self, raw: Any, id_hotel: int, *, new: bool) -> list[StayLine]:
        items = _list(raw, "room_type")
        if not items:
            raise bad("Room types are missing.")
        merged: dict[tuple[int, date, date], StayLine] = {}
        today = self.b.clock.today()
        for item in items:
            if not isinstance(item, dict):
                raise bad("Invalid room type in the request")
            rt_id = _int(item.get("id_room_type"), "Invalid room type in the request")
            rt = self.b.room_types.get(rt_id)
            if rt is None or rt.id_hotel != id_hotel:
                raise bad("Invalid room type in the request")
            d_from = parse_date(str(item.get("checkin_date") or ""))
            if d_from is None or (new and d_from < today):
                raise bad("Invalid check in date in the request")
            d_to = parse_date(str(item.get("checkout_date") or ""))
            if d_to is None or d_to <= d_from or (d_to - d_from).days > MAX_NIGHTS:
                raise bad("Invalid check out date in the request")
            n = _int(item.get("number_of_rooms"), "Invalid number of rooms in the request")
            if n < 1:
                raise bad("Invalid number of rooms in the request")
            rooms = [self._room(r) for r in _list(item.get("rooms"), "room")]
            if rooms and len(rooms) != n:
                raise bad("Room count does not matches with the number of rooms")
            key = (rt_id, d_from, d_to)
            if key in merged:  # same room type and dates: merged, number_of_rooms summed
                merged[key].number_of_rooms += n
                merged[key].rooms += rooms
                if bool(merged[key].rooms) != bool(rooms) or (
                    rooms and len(merged[key].rooms) != merged[key].number_of_rooms
                ):
                    raise bad("Room count does not matches with the number of rooms")
            else:
                merged[key] = StayLine(rt_id, d_from, d_to, n, rooms)
        return list(merged.values())

    def _room(self, raw: Any) -> RoomRequest:
        if not isinstance(raw, dict):
            raise bad("Invalid room in the request")
        adult_key = "adult" if self.cfg.v161 else "adults"  # 1.6.1 reads `adult`, 1.7.0 reads `adults`
        req = RoomRequest()
        if raw.get("id_room") not in (None, "", 0, "0"):
            req.id_room = _int(raw["id_room"], "Requested room(s) not available.")
        if raw.get(adult_key) not in (None, ""):
            req.adults = _int(raw[adult_key], "Invalid occupancy in the request")
        if raw.get("child") not in (None, ""):
            req.children = _int(raw["child"], "Invalid occupancy in the request")
        if (req.adults is not None and req.adults < 0) or (req.children is not None and req.children < 0):
            raise bad("Invalid occupancy in the request")
        ages = _list(raw.get("child_ages"), "child_age")
        req.child_ages = [_int(a, "Invalid child age in the request") for a in ages]
        if raw.get("unit_price_without_tax") not in (None, ""):
            req.unit_price_without_tax = _dec(raw["unit_price_without_tax"], "Invalid room price in the request")
        return req

    # ---- POST --------------------------------------------------------------------------------------------

    def create(self, data: Mapping[str, Any]) -> Order:
        if data.get("id") not in (None, ""):
            raise bad("Field id is not allowed when creating a booking.")
        currency = self.b.currency_by_iso(str(data.get("currency") or ""))
        if currency is None:
            raise bad("Please provide valid currency.")
        id_hotel = _int(data.get("id_property"), "Invalid property id.")
        if id_hotel not in self.b.hotels:
            raise bad("Invalid property id.")
        status = _int(data.get("booking_status", 1) or 1, "Invalid booking status.")
        if status not in (1, 2, 3, 4):
            raise bad("Invalid booking status.")
        pay_status = data.get("payment_status")
        pay_status = _int(pay_status, "Invalid payment status.") if pay_status not in (None, "") else None
        if pay_status is not None and pay_status not in (1, 2, 3):
            raise bad("Invalid payment status.")
        guest = self._guest(data.get("customer_detail"))
        lines = self._lines(data.get("room_types"), id_hotel, new=True)
        payment = data.get("payment_detail") if isinstance(data.get("payment_detail"), dict) else {}
        ptype = str(payment.get("payment_type") or "")
        if ptype and ptype not in PAYMENT_TYPES:
            raise bad("Invalid payment type.")
        prices = data.get("price_details") if isinstance(data.get("price_details"), dict) else {}
        paid = _dec(prices["total_paid"], "Invalid total paid.") if prices.get("total_paid") not in (None, "") else None
        override = prices.get("total_price_with_tax")
        override = _dec(override, "Invalid total price.") if override not in (None, "") else None
        cart_rules = self._cart_rules(data.get("cart_rules"))
        remark = data.get("remark") if isinstance(data.get("remark"), str) else ""
        booking_date = str(data.get("booking_date") or "") or None
        if booking_date and not VALIDATORS["isDate"](booking_date):
            raise bad("Invalid booking date.")
        spec = OrderSpec(
            id_hotel=id_hotel, id_currency=currency.id, guest=guest, lines=lines, target_state=1, total_paid=paid,
            payment_method=str(payment.get("payment_method") or "Order from API"), payment_type=ptype,
            transaction_id=str(payment.get("transaction_id") or ""), source=str(data.get("source") or ""),
            cart_rules=cart_rules, total_price_with_tax=override,
            remark=remark, booking_date=booking_date if booking_date and len(booking_date) > 10 else
            (f"{booking_date} 00:00:00" if booking_date else None),
        )  # fmt: skip
        with self.b.lock:
            try:
                total = self._quote(lines, cart_rules, override)
                spec.target_state = self._target_state(status, pay_status, paid, total)
                return self.b.place_order(spec)
            except DomainError as exc:
                raise bad(str(exc) if exc.kind != "unavailable" else (str(exc) or NOT_AVAILABLE)) from None

    def _quote(self, lines: list[StayLine], rules: list[CartRuleSpec], override: Decimal | None) -> Decimal:
        """The order total the payment status is judged against (rooms, less cart rules, or the override)."""
        total = Decimal(0)
        for line in lines:
            rt = self.b.room_types[line.id_room_type]
            _, incl = self.b.stay_price(rt, line.date_from, line.date_to)
            total += incl * line.number_of_rooms
        discount = sum((total * r.value / 100 if r.type == 2 else r.value for r in rules), Decimal(0))
        return money(override if override is not None else max(total - discount, Decimal(0)))

    def _target_state(self, status: int, pay_status: int | None, paid: Decimal | None, total: Decimal) -> int:
        """The order state table of handlePostRequest (§2b)."""
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

    # ---- PUT ---------------------------------------------------------------------------------------------

    def update(self, data: Mapping[str, Any]) -> Order:
        id_order = _int(data.get("id"), "Invalid booking id.")
        order = self.b.orders.get(id_order)
        if order is None:
            raise bad("Invalid booking id.")
        id_hotel = _int(data.get("id_property"), "Invalid property id.")
        if id_hotel != order.id_hotel:
            raise bad("Invalid property id.")
        cust = data.get("customer_detail")
        email = cust.get("email") if isinstance(cust, dict) else None
        if not isinstance(email, str) or not self.b.customers_by_email.get(email.strip().lower()):
            raise bad("Invalid customer email.")
        status = _int(data.get("booking_status", 1) or 1, "Invalid booking status.")
        if status not in (1, 2, 3, 4):
            raise bad("Invalid booking status.")
        lines = self._lines(data.get("room_types"), id_hotel, new=False)
        with self.b.lock:
            current = {(g[0].id_product, g[0].date_from, g[0].date_to): g for g in self.b.order_lines(order.id)}
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
                if key not in wanted:  # full replacement: a line that is not sent is removed
                    removals += [rb.id for rb in group]
            try:
                if additions:
                    self.b.add_lines(order, additions)
            except DomainError as exc:
                raise bad(str(exc)) from None
            for rid in removals:
                self.b.remove_room_booking(rid)
            if status == 3:
                self.b.change_state(order.id, 4)
            elif status == 4:
                self.b.change_state(order.id, 5)
            return order

    # ---- rendering ---------------------------------------------------------------------------------------

    def booking_dict(self, id_order: int) -> dict[str, Any]:
        b = self.b
        o = b.orders[id_order]
        c = b.customers.get(o.id_customer)
        cur = b.currencies.get(o.id_currency)
        room_types = []
        for group in b.order_lines(id_order):
            first = group[0]
            tax = sum((rb.total_price_tax_incl - rb.total_price_tax_excl for rb in group), Decimal(0))
            room_types.append({
                "id_room_type": first.id_product,
                "checkin_date": f"{first.date_from} 00:00:00",
                "checkout_date": f"{first.date_to} 00:00:00",
                "total_tax": money(tax),
                "number_of_rooms": len(group),
                "name": first.room_type_name,
                "rooms": [{
                    "id_room": rb.id_room, "id_hotel_booking": rb.id, "adults": rb.adults, "child": rb.children,
                    "child_ages": list(rb.child_ages), "unit_price_without_tax": rb.total_price_tax_excl,
                    "total_tax": money(rb.total_price_tax_incl - rb.total_price_tax_excl), "services": [],
                    "facilities": []} for rb in group],
            })  # fmt: skip
        return {
            "id": o.id,
            "id_property": o.id_hotel,
            "currency": cur.iso_code if cur else "",
            "source": o.source,
            "booking_date": o.date_add,
            "id_language": o.id_lang,
            "associations": {
                "customer_detail": {
                    "id_customer": o.id_customer, "firstname": c.firstname if c else "",
                    "lastname": c.lastname if c else "", "email": c.email if c else "", "phone": c.phone if c else "",
                },
                "price_details": {
                    "total_paid": o.total_paid_real, "total_price_without_tax": o.total_paid_tax_excl,
                    "total_tax": money(o.total_paid_tax_incl - o.total_paid_tax_excl),
                },
                "cart_rules": [{k: r[k] for k in RULE_KEYS} for r in o.cart_rules],
                "remarks": list(o.remarks),
                "room_types": room_types,
            },
        }  # fmt: skip

    def render(self, id_order: int, ctx: Any) -> bytes:
        with self.b.lock:
            data = self.booking_dict(id_order)
        if ctx.as_json:
            return dumps({"booking": _jsonable(data)})
        return (XML_HEAD + _xml_node("booking", data, "") + XML_TAIL).encode()

    def render_list(self, ctx: Any) -> bytes:
        ids = sorted(self.b.orders)  # every order id; no filters (`@todo` in QloApps)
        if ctx.as_json:
            return b"[]" if not ids else dumps({"bookings": [{"id": i} for i in ids]})
        rows = "".join(f'\t<booking id="{i}" xlink:href="{ctx.api_url}bookings/{i}"/>\n' for i in ids)
        return f"{XML_HEAD}<bookings>\n{rows}</bookings>\n{XML_TAIL}".encode()


_SINGULAR = {"room_types": "room_type", "rooms": "room", "remarks": "remark", "cart_rules": "cart_rule",
             "services": "service", "facilities": "facility", "child_ages": "child_age"}  # fmt: skip


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, Decimal):
        return float(v)
    return v


def _xml_node(name: str, value: Any, indent: str) -> str:
    """XML quirk: an empty value or list renders as 0 (`<cart_rules><![CDATA[0]]></cart_rules>`)."""
    if isinstance(value, dict):
        inner = "".join(_xml_node(k, v, indent + "\t") for k, v in value.items())
        return f"{indent}<{name}>\n{inner}{indent}</{name}>\n"
    if isinstance(value, list):
        if not value:
            return f"{indent}<{name}>{cdata('0')}</{name}>\n"
        item = _SINGULAR.get(name, name.rstrip("s"))
        inner = "".join(_xml_node(item, v, indent + "\t") for v in value)
        return f"{indent}<{name}>\n{inner}{indent}</{name}>\n"
    text = scalar(money(value) if isinstance(value, Decimal) else value)
    return f"{indent}<{name}>{cdata(text if text != '' else '0')}</{name}>\n"
