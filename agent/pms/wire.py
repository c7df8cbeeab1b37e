"""QloApps wire formats: XML request bodies we send, JSON responses we read (tolerant of both documented shapes)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape

from agent.pms.errors import PmsUnavailable
from agent.pms.models import (
    Availability,
    Booking,
    BookingRequest,
    Customer,
    Hotel,
    HotelFeature,
    RefundRule,
    RoomOffer,
    RoomTypeInfo,
    StayLine,
    split_occupancy,
)


class WireError(PmsUnavailable, ValueError):
    """A QloApps response did not have the shape the reference documents (treated like an unusable answer)."""


# ---- request bodies -------------------------------------------------------------------------------------------


def ari_search_xml(hotel_id: int, date_from: date, date_to: date, occupancies: Iterable[tuple[int, int]]) -> str:
    """The `hotel_ari` search body: always XML, even when JSON output is requested."""
    occ = "".join(
        f"<room_occupancy><adults>{int(a)}</adults><children>{int(c)}</children></room_occupancy>"
        for a, c in occupancies
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<qloapps><hotel_ari>"
        f"<id_hotel>{int(hotel_id)}</id_hotel>"
        f"<date_from>{date_from.isoformat()}</date_from><date_to>{date_to.isoformat()}</date_to>"
        "<get_available_rooms>1</get_available_rooms><get_booked_rooms>0</get_booked_rooms>"
        "<get_partial_available_rooms>0</get_partial_available_rooms>"
        "<get_unavailable_rooms>0</get_unavailable_rooms><date_wise_breakdown>0</date_wise_breakdown>"
        f"<associations><room_occupancies>{occ}</room_occupancies></associations>"
        "</hotel_ari></qloapps>"
    )


def idempotency_marker(key: str) -> str:
    """How the agent tags a booking's remark so the booking can be found again by its idempotency key."""
    return f"[hotelero:{key}]"


_PARTY = re.compile(r"\[party:(\d+)\+(\d+)\]")


def party_marker(adults: int, children: int) -> str:
    """The whole party in the remark: without child ages QloApps records 0 children
    (formatOccupancyInRequestData, WebserviceSpecificManagementBookings.php:539-541), and the guest gave none."""
    return f"[party:{int(adults)}+{int(children)}]"


def booking_json(req: BookingRequest) -> dict[str, Any]:
    """The `POST /api/bookings` JSON body (the only QloApps resource that accepts JSON).

    Every room carries `total_tax`: without it (or `id_tax_rules_group`) QloApps 1.7.0 saves the order, then answers
    HTTP 500 (WebserviceSpecificManagementBookings.php:510). The phone is always sent: a default install requires
    it (PS_ONE_PHONE_AT_LEAST, :670-673).
    """
    if not req.guest.phone:
        raise ValueError("QloApps needs the guest's phone to book (PS_ONE_PHONE_AT_LEAST): set GuestDetails.phone")
    # 1.6.1 reads `adult`, 1.7.0 `adults`; children are `child` in both.
    rooms = [
        {"adults": a, "adult": a, "child": c, "total_tax": float(req.total_tax_per_room)}
        for a, c in split_occupancy(req.adults, req.children, req.rooms)
    ]
    remark = f"{req.remark} {party_marker(req.adults, req.children)}".strip()
    if req.idempotency_key:
        remark = f"{remark} {idempotency_marker(req.idempotency_key)}"
    customer: dict[str, Any] = {
        "firstname": req.guest.firstname,
        "lastname": req.guest.lastname,
        "email": req.guest.email,
        "phone": req.guest.phone,
    }
    return {
        "booking": {
            "currency": req.currency,
            "id_property": req.hotel_id,
            "booking_status": 1,
            "payment_status": 3,
            "source": "whatsapp",
            "remark": remark,
            "customer_detail": customer,
            "payment_detail": {"payment_type": "pay at hotel", "payment_method": "WhatsApp receptionist"},
            "room_types": [
                {
                    "id_room_type": req.id_room_type,
                    "checkin_date": req.date_from.isoformat(),
                    "checkout_date": req.date_to.isoformat(),
                    "number_of_rooms": req.rooms,
                    "rooms": rooms,
                }
            ],
        }
    }


def order_history_xml(id_order: int, id_order_state: int) -> str:
    """The `POST /api/order_histories` body (generic resource: XML only)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><qloapps><order_history>'
        f"<id_order>{int(id_order)}</id_order><id_order_state>{int(id_order_state)}</id_order_state>"
        "</order_history></qloapps>"
    )


def filter_value(value: str) -> str:
    """A `filter[field]=[value]` operand; brackets and pipes would change the filter's meaning, so refuse them."""
    if any(ch in value for ch in "[]|%"):
        raise ValueError(f"{value!r} cannot be used in a QloApps filter; remove [ ] | % characters")
    return f"[{value}]"


def xml_text(value: str) -> str:
    """Escape text for an XML element body."""
    return escape(value)


# ---- response readers -----------------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation as exc:
        raise WireError(f"not a number: {value!r}") from exc


def _int(value: Any, default: int = 0) -> int:
    if value in (None, ""):
        return default
    try:
        return int(float(str(value)))
    except ValueError as exc:
        raise WireError(f"not an integer: {value!r}") from exc


def _text(value: Any) -> str:
    """A plain or i18n field: scalar for one language, else `[{"id": "1", "value": "..."}]` (first wins)."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item.get("value"):
                return str(item["value"])
        return ""
    if isinstance(value, dict):
        return str(value.get("value", ""))
    return "" if value is None else str(value)


def _items(container: Any, inner: str | None = None) -> list[Any]:
    """A list however QloApps renders it: a list, `{inner: [...]}`, `{inner: {...}}`, or a dict keyed by id."""
    if container in (None, "", 0, "0") or container == {}:
        return []
    if isinstance(container, list):
        return container
    if isinstance(container, dict):
        if inner and inner in container:
            sub = container[inner]
            return sub if isinstance(sub, list) else [sub]
        values = list(container.values())
        if values and all(isinstance(v, dict) for v in values):
            return values
        return [container]
    raise WireError(f"expected a list, got {type(container).__name__}")


def _root(body: Any, key: str) -> Any:
    if not isinstance(body, dict) or key not in body:
        raise WireError(f"expected a JSON object with {key!r}, got {str(body)[:200]}")
    return body[key]


def _list_root(body: Any, key: str) -> list[dict[str, Any]]:
    """A list response; an empty list is `[]` in QloApps JSON (not `{key: []}`)."""
    if body == [] or body == {} or body in (None, ""):
        return []
    items = _root(body, key)
    return [i for i in _items(items) if isinstance(i, dict)]


def parse_availability(body: Any, hotel_id: int, date_from: date, date_to: date) -> Availability:
    """Read a `hotel_ari` JSON answer (code shape or docs shape)."""
    ari = _root(body, "hotel_ari")
    if isinstance(ari, list):  # a date-wise breakdown was not requested, but tolerate a one-item list
        ari = ari[0] if ari else {}
    offers: list[RoomOffer] = []
    for rt in _items(ari.get("room_types"), "room_type"):
        if not isinstance(rt, dict):
            continue
        rooms = rt.get("rooms") or {}
        available = rooms.get("available") if isinstance(rooms, dict) else None
        count = len([r for r in _items(available, "room")]) if available not in (None, "", 0, "0") else 0
        nights = max((date_to - date_from).days, 1)
        total = _dec(rt.get("total_price"))
        total_tax = _dec(rt.get("total_price_with_tax"))
        offers.append(
            RoomOffer(
                id_room_type=_int(rt.get("id_room_type") or rt.get("id")),
                name=_text(rt.get("name")),
                available=count,
                nightly_price=_dec(rt.get("base_price")) if rt.get("base_price") is not None else total / nights,
                nightly_price_with_tax=_dec(rt.get("base_price_with_tax"))
                if rt.get("base_price_with_tax") is not None
                else total_tax / nights,
                total_price=total,
                total_price_with_tax=total_tax,
            )
        )
    offers.sort(key=lambda o: (o.nightly_price_with_tax, o.id_room_type))
    return Availability(
        hotel_id=_int(ari.get("id_hotel"), hotel_id),
        date_from=date_from,
        date_to=date_to,
        currency=str(ari.get("currency") or "EUR"),
        offers=tuple(o for o in offers if o.available > 0),
    )


def parse_hotel(body: Any) -> Hotel:
    """Read `GET /api/hotels/{id}`."""
    h = _root(body, "hotel")
    if isinstance(h, list):
        h = h[0]
    assoc = h.get("associations") or {}
    lat = h.get("latitude")
    lng = h.get("longitude")
    return Hotel(
        id=_int(h.get("id")),
        name=_text(h.get("hotel_name")),
        address=_text(h.get("address")),
        city=_text(h.get("city")),
        zipcode=_text(h.get("zipcode")),
        phone=_text(h.get("phone")),
        email=_text(h.get("email")),
        check_in=_text(h.get("check_in")) or "12:00",
        check_out=_text(h.get("check_out")) or "11:00",
        latitude=float(lat) if lat not in (None, "", "0", 0) else None,
        longitude=float(lng) if lng not in (None, "", "0", 0) else None,
        feature_ids=tuple(_int(x.get("id")) for x in _items(assoc.get("hotel_features"), "hotel_feature")),
        refund_rule_ids=tuple(_int(x.get("id")) for x in _items(assoc.get("hotel_refund_rules"), "hotel_refund_rule")),
        active_refund=str(h.get("active_refund", "1")) not in ("0", "False", "false"),
    )


def parse_room_types(room_types_body: Any, hotel_room_types_body: Any) -> list[RoomTypeInfo]:
    """Join `room_types` (name, base price) with `hotel_room_types` (occupancy limits)."""
    names = {_int(r.get("id")): r for r in _list_root(room_types_body, "room_types")}
    out: list[RoomTypeInfo] = []
    for hrt in _list_root(hotel_room_types_body, "hotel_room_types"):
        pid = _int(hrt.get("id_product"))
        rt = names.get(pid)
        if rt is None:
            continue
        out.append(
            RoomTypeInfo(
                id=pid,
                name=_text(rt.get("name")),
                base_price=_dec(rt.get("price")),
                adults=_int(hrt.get("adults"), 2),
                children=_int(hrt.get("children")),
                max_adults=_int(hrt.get("max_adults"), 2),
                max_children=_int(hrt.get("max_children")),
                max_guests=_int(hrt.get("max_guests"), 2),
            )
        )
    out.sort(key=lambda r: r.id)
    return out


def parse_customers(body: Any) -> list[Customer]:
    return [
        Customer(
            id=_int(c.get("id")),
            email=_text(c.get("email")),
            firstname=_text(c.get("firstname")),
            lastname=_text(c.get("lastname")),
        )
        for c in _list_root(body, "customers")
    ]


def parse_orders(body: Any) -> list[dict[str, Any]]:
    """Orders as raw dicts (id, reference, current_state, id_customer, total_paid_tax_incl)."""
    return _list_root(body, "orders")


def parse_booking(body: Any, order: dict[str, Any]) -> Booking:
    """Join `GET /api/bookings/{id}` (stay lines, guest) with its order (reference, state)."""
    b = _root(body, "booking")
    assoc = b.get("associations") or {}
    cust = assoc.get("customer_detail") or b.get("customer_detail") or {}
    if isinstance(cust, list):
        cust = cust[0] if cust else {}
    lines = []
    for rt in _items(assoc.get("room_types") or b.get("room_types"), "room_type"):
        if not isinstance(rt, dict):
            continue
        rooms = [r for r in _items(rt.get("rooms"), "room") if isinstance(r, dict)]
        lines.append(
            StayLine(
                id_room_type=_int(rt.get("id_room_type")),
                name=_text(rt.get("name")),
                date_from=date.fromisoformat(str(rt.get("checkin_date"))[:10]),
                date_to=date.fromisoformat(str(rt.get("checkout_date"))[:10]),
                rooms=_int(rt.get("number_of_rooms"), 1),
                # 1.6.1 answers `adult`, 1.7.0 `adults`; children are `child` in both.
                adults=sum(_int(r.get("adults", r.get("adult"))) for r in rooms),
                children=sum(_int(r.get("child")) for r in rooms),
            )
        )
    remarks = tuple(_text(r) for r in _items(assoc.get("remarks"), "remark") if r not in (None, "", 0, "0"))
    party = next((m for r in remarks if (m := _PARTY.search(r))), None)
    if party is not None and len(lines) == 1 and lines[0].children == 0:
        lines = [replace(lines[0], adults=int(party.group(1)), children=int(party.group(2)))]
    return Booking(
        id_order=_int(b.get("id")),
        reference=_text(order.get("reference")),
        hotel_id=_int(b.get("id_property")),
        current_state=_int(order.get("current_state")),
        email=_text(cust.get("email")),
        firstname=_text(cust.get("firstname")),
        lastname=_text(cust.get("lastname")),
        currency=_text(b.get("currency")) or "EUR",
        total_paid_tax_incl=_dec(order.get("total_paid_tax_incl")),
        lines=tuple(lines),
        remarks=remarks,
    )


def parse_refund_rules(body: Any) -> list[RefundRule]:
    rules = [
        RefundRule(
            id=_int(r.get("id")),
            days=_int(r.get("days")),
            payment_type=_int(r.get("payment_type"), 2),
            deduction=_dec(r.get("deduction_value_full_pay")),
            name=_text(r.get("name")),
        )
        for r in _list_root(body, "hotel_refund_rules")
    ]
    rules.sort(key=lambda r: r.days, reverse=True)
    return rules


def parse_features(body: Any) -> list[HotelFeature]:
    return [
        HotelFeature(id=_int(f.get("id")), name=_text(f.get("name")), parent_id=_int(f.get("parent_id")))
        for f in _list_root(body, "hotel_features")
    ]


def parse_errors(body: Any) -> tuple[int | None, str]:
    """The first webservice error (`{"errors": [{"code", "message"}]}` or its XML twin) as (code, message)."""
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        err = body["errors"][0]
        if isinstance(err, dict):
            code = err.get("code")
            return (_int(code) if code not in (None, "") else None, _text(err.get("message")))
    if isinstance(body, str) and "<error>" in body:
        code_m = re.search(r"<code><!\[CDATA\[(\d+)\]\]></code>", body)
        msg_m = re.search(r"<message><!\[CDATA\[(.*?)\]\]></message>", body, re.S)
        return (int(code_m.group(1)) if code_m else None, msg_m.group(1) if msg_m else body[:200])
    return (None, str(body)[:200])
