"""How POST and PUT bodies of the writable generic resources change the Backend."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from simulators.qloapps.errors import DomainError, WsError
from simulators.qloapps.fields import parse_date
from simulators.qloapps.models import ORDER_STATES, Address, Customer
from simulators.qloapps.state import Backend


def _int(v: str, default: int = 0) -> int:
    try:
        return int(v) if v not in ("", None) else default
    except ValueError:
        return default


def _bool(v: str, default: bool = False) -> bool:
    if v in ("", None):
        return default
    return v in ("1", "true")


def _dec(v: str, default: Decimal = Decimal(0)) -> Decimal:
    try:
        return Decimal(v) if v not in ("", None) else default
    except InvalidOperation:
        return default


def _hash_passwd(raw: str) -> str:
    # setWsPasswd hashes the clear password; the stored value is never the clear text.
    return hashlib.md5(raw.encode()).hexdigest()


def _customer(v: dict[str, str], passwd: str, id_customer: int = 0) -> Customer:
    """A customer record from the body alone: absent optional fields take their empty values."""
    return Customer(
        id=id_customer, firstname=v["firstname"], lastname=v["lastname"], email=v["email"], passwd=passwd,
        phone=v.get("phone", ""), id_gender=_int(v.get("id_gender", "")), birthday=v.get("birthday") or "0000-00-00",
        newsletter=_bool(v.get("newsletter", "")), optin=_bool(v.get("optin", "")),
        active=_bool(v.get("active", "")), is_guest=_bool(v.get("is_guest", "")),
        id_default_group=_int(v.get("id_default_group", ""), 3), id_lang=_int(v.get("id_lang", ""), 1),
        note=v.get("note", ""),
    )  # fmt: skip


def create_customer(b: Backend, v: dict[str, str], el: Element) -> Customer:
    return b.add_customer(_customer(v, _hash_passwd(v["passwd"])))


def update_customer(b: Backend, old: Customer, v: dict[str, str], el: Element) -> Customer:
    """PUT replaces every field (WebserviceRequest.php:1463-1464 nulls the absent ones); setWsPasswd keeps a hash
    sent back unchanged (classes/Customer.php:887-893)."""
    passwd = old.passwd if v["passwd"] == old.passwd else _hash_passwd(v["passwd"])
    new = _customer(v, passwd, old.id)
    new.secure_key, new.date_add = old.secure_key, old.date_add
    return b.replace_customer(new)


def create_address(b: Backend, v: dict[str, str], el: Element) -> Address:
    if _int(v.get("id_customer", "")) and _int(v["id_customer"]) not in b.customers:
        raise WsError(400, 85, 'Validation error: "Property Address->id_customer is not valid"')
    return b.add_address(
        Address(
            id=0, id_customer=_int(v.get("id_customer", "")), id_country=_int(v["id_country"]), alias=v["alias"],
            lastname=v["lastname"], firstname=v["firstname"], address1=v["address1"], city=v["city"],
            id_state=_int(v.get("id_state", "")), address2=v.get("address2", ""), postcode=v.get("postcode", ""),
            phone=v.get("phone", ""), phone_mobile=v.get("phone_mobile", ""), company=v.get("company", ""),
            other=v.get("other", ""),
        )
    )  # fmt: skip


def create_order_history(b: Backend, v: dict[str, str], el: Element) -> Any:
    id_order, id_state = _int(v["id_order"]), _int(v["id_order_state"])
    if not b.has_order(id_order):
        raise WsError(400, 85, 'Validation error: "Property OrderHistory->id_order is not valid"')
    if id_state not in ORDER_STATES:
        raise WsError(400, 85, 'Validation error: "Property OrderHistory->id_order_state is not valid"')
    try:
        return b.change_state(id_order, id_state, _int(v.get("id_employee", "")))
    except DomainError as exc:
        raise WsError(500, 46, f"Cannot add order history: {exc}") from None


def create_cart(b: Backend, v: dict[str, str], el: Element) -> Any:
    """Legacy path step 1: `associations/cart_bookings/booking{id_hotel, id_product, date_from, date_to}`."""
    from simulators.qloapps.models import Cart

    if _int(v.get("id_currency", "")) not in b.currencies:
        raise WsError(400, 85, 'Validation error: "Property Cart->id_currency is not valid"')
    if v.get("id_customer") and _int(v["id_customer"]) not in b.customers:
        raise WsError(400, 85, 'Validation error: "Property Cart->id_customer is not valid"')
    lines = []
    node = el.find("associations/cart_bookings")
    for item in list(node) if node is not None else []:
        hotel = _int((item.findtext("id_hotel") or "").strip(), -1)
        product = _int((item.findtext("id_product") or "").strip(), -1)
        f = parse_date((item.findtext("date_from") or "").strip())
        t = parse_date((item.findtext("date_to") or "").strip())
        rt = b.room_types.get(product)
        if rt is None or rt.id_hotel != hotel or f is None or t is None or t <= f:
            raise WsError(400, 85, 'Validation error: "Property Cart->cart_bookings is not valid"')
        lines.append((hotel, product, f, t))
    return b.add_cart(Cart(0, _int(v["id_currency"]), _int(v.get("id_lang", ""), 1), _int(v.get("id_customer", "")),
                           _int(v.get("id_guest", "")), lines))  # fmt: skip


def create_order(b: Backend, v: dict[str, str], el: Element) -> Any:
    """Legacy path step 2 (Order::addWs): orders the cart; no free room is refused (stricter than QloApps)."""
    try:
        return b.order_cart(_int(v["id_cart"]), _int(v["id_customer"]), _dec(v.get("total_paid_real", "")),
                            v.get("payment", ""), v.get("module", ""))  # fmt: skip
    except DomainError as exc:
        raise WsError(500, 46, str(exc)) from None


def update_room(b: Backend, room: Any, v: dict[str, str], el: Element) -> Any:
    """PUT hotel_rooms: the whole record from the body; updateWs needs a room type's id_product
    (modules/hotelreservationsystem/classes/HotelRoomInformation.php:314-325). `id_status` 3 takes
    `associations/disable_dates`."""
    id_product = _int(v.get("id_product", ""))
    rt = b.room_types.get(id_product)
    if rt is None:
        exc = WsError(500, 46, "Unable to save resource")
        exc.errors = [(134, "Invalid id product"), (46, "Unable to save resource")]
        raise exc
    status = _int(v.get("id_status", ""))
    ranges: list[tuple[date, date]] = []
    dd = el.find("associations/disable_dates")
    for item in list(dd) if dd is not None else []:
        f = parse_date((item.findtext("date_from") or "").strip())
        t = parse_date((item.findtext("date_to") or "").strip())
        if f is None or t is None or t <= f:
            raise WsError(400, 85, 'Validation error: "Property HotelRoomInformation->disable_dates is not valid"')
        ranges.append((f, t))
    try:
        b.replace_room(room.id, id_product, v.get("room_num", ""), status, v.get("floor", ""), v.get("comment", ""),
                       ranges)  # fmt: skip
    except DomainError:
        raise WsError(400, 85, 'Validation error: "Property HotelRoomInformation->id_status is not valid"') from None
    return b.rooms[room.id]
