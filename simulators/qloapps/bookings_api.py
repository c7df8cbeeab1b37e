"""`/api/bookings` (WebserviceSpecificManagementBookings, 1.6.1+): create, read, list, cancel/refund; no DELETE.

Every validation failure is `WebserviceException(msg, [404, 400])`: HTTP 400 with body code 404
(classes/webservice/WebserviceSpecificManagementBookings.php:318-350). Line numbers below refer to that file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from simulators.qloapps.config import SimConfig
from simulators.qloapps.errors import DomainError, NotFoundEmpty, WsError
from simulators.qloapps.fields import VALIDATORS, parse_date
from simulators.qloapps.models import Order
from simulators.qloapps.pricing import money, php_float
from simulators.qloapps.protocol import Ctx, Reply
from simulators.qloapps.specs import (
    NOT_AVAILABLE,
    BookingSnapshot,
    CartRuleSpec,
    GuestDetails,
    OrderSpec,
    RoomRequest,
    StayLine,
)
from simulators.qloapps.state import Backend
from simulators.qloapps.wire import XML_HEAD, XML_TAIL, cdata, dumps, element_to_obj, parse_xml, scalar

SOURCE = "classes/webservice/WebserviceSpecificManagementBookings.php"
# What PHP 8 (QloApps 1.7.0 needs 8.1+, README.md:50) raises at :510 for a room without total_tax, turned into
# error 3 by webserviceErrorHandler (WebserviceRequest.php:686-688) since production runs with display_errors off
# (config/defines.inc.php:33-39); processing continues, so the order is saved and the answer is HTTP 500.
MISSING_TOTAL_TAX = '[PHP Warning #2] Undefined array key "total_tax" (/var/www/html/' + SOURCE + ", line 510)"

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

    def handle(self, ctx: Ctx, ident: str | None) -> Reply:
        if ctx.method == "DELETE":
            raise WsError(405, 101, "Method DELETE is not allowed for the resource bookings")
        if ctx.method in ("GET", "HEAD"):
            if ident is None and "schema" in ctx.query:  # :282-301 (XML) and getResponseJson, :190-200
                return Reply(200, render_schema(ctx))
            if ident is None:
                return Reply(200, self.render_list(ctx))
            snap = self.b.booking_snapshot(int(ident)) if ident.isdigit() else None
            if snap is None:  # getBookingDetails: 404 with output disabled (:3548-3551)
                raise NotFoundEmpty()
            return Reply(200, render_booking(snap, ctx))
        data = self.parse_body(ctx.body)
        warnings = [(3, MISSING_TOTAL_TAX) for _ in range(_rooms_without_tax(data))]
        try:
            order = self.create(data, _shop_domain(ctx)) if ctx.method == "POST" else self.update(data)
        except WsError as exc:
            exc.errors = warnings + exc.errors  # the warning was raised first; the refusal sets the status
            raise
        if warnings:  # the order exists, but the error list replaces the booking and the status is 500
            exc = WsError(500, *warnings[0])
            exc.errors = warnings
            raise exc
        snap = self.b.booking_snapshot(order.id)
        assert snap is not None
        return Reply(200, render_booking(snap, ctx))

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
        if isinstance(assoc, dict):  # array_merge($data, $associations): associations win (:406-416)
            booking.update(assoc)
        return booking

    def _guest(self, raw: Any) -> GuestDetails:
        """customer_detail checks of validatePostRequest (:645-672), then the address (:724-769)."""
        if not isinstance(raw, dict) or not raw:
            raise bad("Customer details not found.")
        id_customer = None
        if raw.get("id_customer") not in (None, "", 0, "0"):
            id_customer = _int(raw["id_customer"], "Please provide a valid id_customer.")
            if id_customer not in self.b.customers:
                raise bad("Please provide a valid id_customer.")
        for name, label in (("firstname", "first name"), ("lastname", "last name"), ("email", "email")):
            v = raw.get(name)
            if not isinstance(v, str) or not v.strip():
                raise bad(f"Please provide a valid {label}.")
        phone = raw.get("phone") or ""
        if self.cfg.phone_required and (not isinstance(phone, str) or not phone.strip()):
            raise bad("Please provide a valid phone number.")
        # Stricter than the source, which only checks the fields are not empty (Customer::add would fail later).
        for name in ("firstname", "lastname"):
            if not VALIDATORS["isName"](raw[name]) or len(raw[name]) > 32:
                raise bad(f"Please provide a valid {'first' if name == 'firstname' else 'last'} name.")
        if not VALIDATORS["isEmail"](raw["email"]) or len(raw["email"]) > 128:
            raise bad("Please provide a valid email.")
        if phone and (not isinstance(phone, str) or not VALIDATORS["isPhoneNumber"](phone)):
            raise bad("Please provide a valid phone number.")
        address = None
        if any(k in raw for k in ("address", "city", "country_code", "state_code", "zip")):
            for key, message in (("address", "Address is required."), ("city", "City is required."),
                                 ("country_code", "Country code is required.")):  # fmt: skip
                if not raw.get(key):
                    raise bad(message)
            if raw["country_code"] not in self.b.country_isos.values():
                raise bad("Invalid country code.")
            address = {k: str(raw.get(k) or "") for k in ("address", "city", "country_code", "zip", "state_code")}
        return GuestDetails(raw["firstname"].strip(), raw["lastname"].strip(), raw["email"].strip(), str(phone),
                            id_customer, address)  # fmt: skip

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
        """formatRoomTypesInRequestData (:441-474) and validateRoomType (:2981-3013) for every line."""
        items = _list(raw, "room_type")
        if not items:  # validateRequestedRoomTypes with nothing to book (:775-776)
            raise bad(NOT_AVAILABLE)
        merged: dict[tuple[int, date, date], StayLine] = {}
        today = self.b.clock.today()
        for item in items:
            if not isinstance(item, dict) or "id_room_type" not in item:
                raise bad("Id room type is missing")
            d_from = parse_date(str(item.get("checkin_date") or ""))
            # No past-date check in the source; `--strict-dates` adds one.
            if d_from is None or (new and self.cfg.strict_dates and d_from < today):
                raise bad("Invalid check in date in the request")
            d_to = parse_date(str(item.get("checkout_date") or ""))
            if d_to is None:
                raise bad("Invalid check out date in the request")
            if item.get("number_of_rooms") in (None, ""):
                raise bad("number of rooms is missing")
            rt_id = _int(item.get("id_room_type"), "Invalid room type in the request")
            rt = self.b.room_types.get(rt_id)
            if rt is None:
                raise bad("Invalid room type in the request")
            n = _int(item.get("number_of_rooms"), NOT_AVAILABLE)
            rooms = [self._room(r) for r in _list(item.get("rooms"), "room")]
            if rooms and len(rooms) != n:
                raise bad("Room count does not matches with the number of rooms")
            if d_from > d_to:
                raise bad("Invalid check in and check out dates in the request")
            # A room type of another hotel, no night to stay, no room asked for, or a simulator-only guard against
            # absurd ranges: dataForFrontSearch finds nothing bookable (:783-797).
            if rt.id_hotel != id_hotel or d_to == d_from or n < 1 or (d_to - d_from).days > MAX_NIGHTS:
                raise bad(NOT_AVAILABLE)
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
        if raw.get("total_tax") not in (None, ""):
            req.total_tax = _dec(raw["total_tax"], "Invalid room price in the request")
        if not ages and not (self.cfg.v161 and raw.get("child") not in (None, "")):
            req.children = 0  # without child_ages, child is forced to 0 (formatOccupancyInRequestData, :539-541)
        return req

    # ---- POST --------------------------------------------------------------------------------------------

    def create(self, data: Mapping[str, Any], shop_domain: str = "") -> Order:
        """validatePostRequest (:631-722) in its order of checks, then handlePostRequest."""
        if "id" in data:
            raise bad("id is forbidden when adding a new resource")
        currency = self.b.currency_by_iso(str(data.get("currency") or ""))
        if currency is None:
            raise bad("Please provide valid currency.")
        if not data.get("customer_detail"):
            raise bad("Customer details not found.")
        id_hotel = _int(data.get("id_property"), "Please provide a valid id_property.")
        if id_hotel not in self.b.hotels:
            raise bad("Please provide a valid id_property.")
        guest = self._guest(data.get("customer_detail"))
        prices = data.get("price_details") if isinstance(data.get("price_details"), dict) else {}
        paid = _dec(prices["total_paid"], "Invalid value for total paid.") if prices.get("total_paid") else None
        override = prices.get("total_price_with_tax")
        override = _dec(override, "Invalid value for total amount with tax.") if override else None
        lines = self._lines(data.get("room_types"), id_hotel, new=True)
        payment = data.get("payment_detail") if isinstance(data.get("payment_detail"), dict) else {}
        ptype = payment.get("payment_type")
        if ptype is not None and ptype not in PAYMENT_TYPES:
            raise bad("Invalid payment type.")
        status = _int(data.get("booking_status") or 1, "Invalid booking status.")
        if status not in (1, 2, 3, 4):
            raise bad("Invalid booking status.")
        pay_status = data.get("payment_status")
        pay_status = _int(pay_status, "Invalid payment status.") if pay_status not in (None, "") else None
        if pay_status is not None and pay_status not in (1, 2, 3):
            raise bad("Invalid payment status.")
        cart_rules = self._cart_rules(data.get("cart_rules"))
        remark = data.get("remark") if isinstance(data.get("remark"), str) else ""
        booking_date = str(data.get("booking_date") or "") or None
        if booking_date and not VALIDATORS["isDate"](booking_date):
            raise bad("Invalid booking date.")
        spec = OrderSpec(
            id_hotel=id_hotel, id_currency=currency.id, guest=guest, lines=lines, target_state=1, total_paid=paid,
            payment_method=str(payment.get("payment_method") or "Order from API"), payment_type=str(ptype or ""),
            transaction_id=str(payment.get("transaction_id") or ""),
            source=str(data.get("source") or "") or shop_domain,  # PS_SHOP_DOMAIN (classes/PaymentModule.php:348-353)
            cart_rules=cart_rules, total_price_with_tax=override,
            remark=remark, booking_date=booking_date if booking_date and len(booking_date) > 10 else
            (f"{booking_date} 00:00:00" if booking_date else None),
        )  # fmt: skip
        try:
            return self.b.book(spec, status, pay_status)
        except DomainError as exc:
            raise bad(str(exc) if exc.kind != "unavailable" else (str(exc) or NOT_AVAILABLE)) from None

    # ---- PUT ---------------------------------------------------------------------------------------------

    def update(self, data: Mapping[str, Any]) -> Order:
        """validatePutRequest (:2875-2927): the id comes from the body, the email must be a customer's."""
        id_order = _int(data.get("id"), "Invalid booking id.")
        snap = self.b.booking_snapshot(id_order)
        if snap is None:
            raise bad("Invalid booking id.")
        id_hotel = _int(data.get("id_property"), "Please provide a valid id_property.")
        if id_hotel != snap.order.id_hotel:
            raise bad("Please provide a valid id_property.")
        cust = data.get("customer_detail")
        email = cust.get("email") if isinstance(cust, dict) else None
        if not isinstance(email, str) or not self.b.customers_by_email.get(email.strip().lower()):
            raise bad("Please provide a valid email.")
        status = _int(data.get("booking_status") or 1, "Invalid booking status.")
        if status not in (1, 2, 3, 4):
            raise bad("Invalid booking status.")
        lines = self._lines(data.get("room_types"), id_hotel, new=False)
        try:
            return self.b.update_booking(id_order, lines, status)
        except DomainError as exc:
            raise bad(str(exc)) from None

    # ---- rendering ---------------------------------------------------------------------------------------

    def render_list(self, ctx: Ctx) -> bytes:
        ids = self.b.order_ids()  # every order id; no filters (`@todo`, :303-315)
        if ctx.as_json:
            return b"[]" if not ids else dumps({"bookings": [{"id": i} for i in ids]})
        rows = "".join(f'\t<booking id="{i}" xlink:href="{ctx.api_url}bookings/{i}"/>\n' for i in ids)
        return f"{XML_HEAD}<bookings>\n{rows}</bookings>\n{XML_TAIL}".encode()


# $webserviceParameters of the bookings resource (:62-160): a field is a leaf, a list is a sub-resource.
SCHEMA_FIELDS = ("id_property", "currency", "booking_status", "payment_status", "source", "booking_date", "remark",
                 "id_language")  # fmt: skip
_ROOM = {"id_room": None, "adults": None, "child": None, "child_ages": {"child_age": None},
         "unit_price_without_tax": None, "id_tax_rules_group": None, "total_tax": None,
         "services": [dict.fromkeys(("id_service", "quantity", "price_mode", "name", "unit_price_without_tax",
                                     "total_price_without_tax", "id_tax_rules_group", "total_tax"))],
         "facilities": [dict.fromkeys(("id_facility", "id_option", "name", "unit_price_without_tax",
                                       "id_tax_rules_group"))]}  # fmt: skip
SCHEMA_ASSOCIATIONS: dict[str, Any] = {
    "customer_detail": dict.fromkeys(("id_customer", "firstname", "lastname", "email", "phone", "address", "city",
                                      "zip", "state_code", "country_code")),
    "price_details": dict.fromkeys(("total_paid", "total_price_with_tax")),
    "payment_detail": dict.fromkeys(("payment_type", "payment_method", "transaction_id")),
    "cart_rules": [dict.fromkeys(("name", "code", "type", "value", "currency"))],
    "room_types": [{**dict.fromkeys(("id_room_type", "checkin_date", "checkout_date", "number_of_rooms")),
                    "rooms": [_ROOM]}],
}  # fmt: skip


def render_schema(ctx: Ctx) -> bytes:
    """An empty booking to fill: leaves empty, child_ages an empty array in JSON (renderJsonField, :216-225)."""
    if ctx.query.get("schema") not in ("blank", "synopsis"):
        raise WsError(400, 100, "Please select a schema of type 'synopsis' to get the whole schema informations "
                                "(which fields are required, which kind of content...) or 'blank' to get an empty "
                                "schema to fill before using POST request.")  # fmt: skip

    def as_json(node: Any) -> Any:
        if node is None:
            return ""
        if isinstance(node, list):
            return [as_json(x) for x in node]
        if "child_age" in node:
            return []
        return {k: as_json(v) for k, v in node.items()}

    if ctx.as_json:
        booking: dict[str, Any] = dict.fromkeys(SCHEMA_FIELDS, "")
        booking["associations"] = as_json(SCHEMA_ASSOCIATIONS)
        return dumps({"booking": booking})

    def as_xml(name: str, node: Any, indent: str) -> str:
        if node is None:
            return f"{indent}<{name}></{name}>\n"
        if isinstance(node, list):
            item = _SINGULAR.get(name, name.rstrip("s"))
            return f"{indent}<{name}>\n" + as_xml(item, node[0], indent + "\t") + f"{indent}</{name}>\n"
        inner = "".join(as_xml(k, v, indent + "\t") for k, v in node.items())
        return f"{indent}<{name}>\n{inner}{indent}</{name}>\n"

    body = "".join(f"\t<{f}></{f}>\n" for f in ("id", *SCHEMA_FIELDS))
    body += as_xml("associations", SCHEMA_ASSOCIATIONS, "\t")
    return f"{XML_HEAD}<booking>\n{body}</booking>\n{XML_TAIL}".encode()


def _shop_domain(ctx: Ctx) -> str:
    """The shop's domain as the simulator is reached (host[:port] of the webservice URL)."""
    return ctx.api_url.split("://", 1)[-1].split("/", 1)[0]


def _rooms_without_tax(data: Mapping[str, Any]) -> int:
    """Rooms sent with neither id_tax_rules_group nor total_tax: each raises the PHP warning at :510."""
    n = 0
    for item in _list(data.get("room_types"), "room_type"):
        if isinstance(item, dict):
            for room in _list(item.get("rooms"), "room"):
                if isinstance(room, dict) and "id_tax_rules_group" not in room and "total_tax" not in room:
                    n += 1
    return n


def booking_dict(snap: BookingSnapshot) -> dict[str, Any]:
    """getBookingDetails (:3545-3713): room objects carry only these keys; `facilities` and `services` appear
    when the room has some (:3640-3700), which the simulator never books; `child_ages` is never shown."""
    o, c = snap.order, snap.customer
    room_types = []
    for group in snap.lines:
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
                "unit_price_without_tax": money(rb.total_price_tax_excl),
                "total_tax": money(rb.total_price_tax_incl - rb.total_price_tax_excl)} for rb in group],
        })  # fmt: skip
    return {
        "id": o.id,
        "id_property": o.id_hotel,
        "currency": snap.currency,
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


def render_booking(snap: BookingSnapshot, ctx: Ctx) -> bytes:
    data = booking_dict(snap)
    if ctx.as_json:
        return dumps({"booking": _jsonable(data)})
    return (XML_HEAD + _xml_node("booking", data, "") + XML_TAIL).encode()


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
    text = scalar(php_float(value) if isinstance(value, Decimal) else value)  # ps_round floats echo as 300, 300.5
    return f"{indent}<{name}>{cdata(text if text != '' else '0')}</{name}>\n"
