"""Generic (ObjectModel) resources: their fields as QloApps defines them, how a record renders, how XML writes it.

Each ResourceDef is the protocol view of one table in the Backend; the Backend stays free of rendering.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from simulators.qloapps.errors import DomainError, WsError
from simulators.qloapps.models import ORDER_STATES, Address, Customer
from simulators.qloapps.state import Backend
from simulators.qloapps.wire import Assoc, Rendered

# ---- field validation (Validate::* subsets the simulator enforces) ------------------------------------------

_NAME_BAD = re.compile(r"[0-9!<>,;?=+()@#\"°{}_$%:]")
_EMAIL = re.compile(
    r"^[a-zÀ-ÿ0-9!#$%&'*+/=?^`{}|~_-]+[.a-zÀ-ÿ0-9!#$%&'*+/=?^`{}|~_-]*@[a-zÀ-ÿ0-9]+(?:[.]?[_a-zÀ-ÿ0-9-])*\.[a-zÀ-ÿ0-9]+$",
    re.I,
)
_PHONE = re.compile(r"^\+?[\s\d.()-]*\d+$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})( (\d{2}):(\d{2}):(\d{2}))?$")


def is_date(value: str) -> bool:
    """Validate::isDate: YYYY-MM-DD with optional ` HH:MM:SS`, and a real calendar day (no 2026-02-30)."""
    m = _DATE.match(value)
    if not m:
        return False
    if value.startswith("0000-00-00"):
        return True
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def parse_date(value: str) -> date | None:
    """A stay date (`Y-m-d` or `Y-m-d H:i:s`) as a date, None if Validate::isDate refuses it."""
    if not is_date(value) or value.startswith("0000"):
        return None
    return date.fromisoformat(value[:10])


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "isUnsignedId": lambda v: v.isdigit(),
    "isUnsignedInt": lambda v: v.isdigit(),
    "isInt": lambda v: re.fullmatch(r"[+-]?\d+", v) is not None,
    "isBool": lambda v: v in ("0", "1", "true", "false", ""),
    "isPrice": lambda v: re.fullmatch(r"\d{1,10}(\.\d{1,9})?", v) is not None,
    "isNegativePrice": lambda v: re.fullmatch(r"-?\d{1,10}(\.\d{1,9})?", v) is not None,
    "isFloat": lambda v: re.fullmatch(r"[+-]?\d+(\.\d+)?", v) is not None,
    "isDate": is_date,
    "isBirthDate": lambda v: v in ("", "0000-00-00") or is_date(v),
    "isEmail": lambda v: _EMAIL.match(v) is not None,
    "isName": lambda v: _NAME_BAD.search(v) is None and v.strip() != "",
    "isPasswd": lambda v: len(v) >= 5,
    "isPhoneNumber": lambda v: _PHONE.match(v) is not None,
    "isGenericName": lambda v: re.search(r"[<>={}]", v) is None,
    "isCleanHtml": lambda v: re.search(r"<\s*script", v, re.I) is None,
    "isString": lambda v: True,
    "isAddress": lambda v: re.search(r"[!<>?=+@{}_$%]", v) is None,
    "isCityName": lambda v: re.search(r"[!<>;?=+@#\"°{}_$%]", v) is None,
    "isPostCode": lambda v: re.fullmatch(r"[a-zA-Z 0-9-]*", v) is not None,
    "isMessage": lambda v: re.search(r"[<>{}]", v) is None,
    "isHotelTime": lambda v: re.fullmatch(r"\d{1,2}:\d{2}", v) is not None,
}


@dataclass(frozen=True)
class FieldDef:
    """One field of a resource as `$definition` / `$webserviceParameters` declare it."""

    name: str
    validate: str = "isString"
    required: bool = False
    i18n: bool = False
    href: str | None = None  # resource the value points at (xlink)
    read_only: bool = False
    getter: bool = False  # computed by a getter: displayed, never filterable or sortable
    max_size: int | None = None


def F(name: str, validate: str = "isString", **kw: Any) -> FieldDef:  # noqa: N802 - table-like declarations
    return FieldDef(name, validate, **kw)


@dataclass
class ResourceDef:
    """A generic webservice resource over one Backend table."""

    name: str
    node: str  # item node; the list node is `plural`
    plural: str
    class_name: str
    fields: list[FieldDef]
    table: Callable[[Backend], dict[int, Any]]
    render: Callable[[Backend, Any], Rendered]
    methods: frozenset[str] = frozenset({"GET", "HEAD"})
    create: Callable[[Backend, dict[str, str], Element], Any] | None = None
    update: Callable[[Backend, Any, dict[str, str], Element], Any] | None = None
    delete: Callable[[Backend, int], None] | None = None
    # Exact-match fast paths: field -> (backend, lowered value) -> candidate ids (filters then run on those only).
    indexes: dict[str, Callable[[Backend, str], Iterable[int]]] = field(default_factory=dict)
    description: str = ""
    href_base: str | None = None  # resource name used in list xlinks (room_bookings: "bookings", a real quirk)

    @property
    def field_names(self) -> list[str]:
        return ["id"] + [f.name for f in self.fields]

    def fielddef(self, name: str) -> FieldDef | None:
        if name == "id":
            return FieldDef("id", "isUnsignedId", read_only=True)
        return next((f for f in self.fields if f.name == name), None)


# ---- reading values out of an XML entity --------------------------------------------------------------------


def xml_fields(entity: Element, rdef: ResourceDef) -> dict[str, str]:
    """Field -> raw text of the fields present in the body (i18n: the language 1 value, else the first)."""
    out: dict[str, str] = {}
    for child in entity:
        if child.tag == "associations":
            continue
        fd = rdef.fielddef(child.tag)
        if fd is None:
            continue  # QloApps ignores nodes that are not fields of the resource
        if fd.i18n:
            langs = list(child)
            chosen = next((x for x in langs if x.get("id") == "1"), langs[0] if langs else None)
            out[child.tag] = (chosen.text or "").strip() if chosen is not None else (child.text or "").strip()
        else:
            out[child.tag] = (child.text or "").strip()
    return out


def check_fields(rdef: ResourceDef, values: dict[str, str], *, creating: bool) -> None:
    """Required fields (code 41), then Validate::* and maxSize (code 85), in declaration order."""
    for fd in rdef.fields:
        if fd.read_only:
            continue
        present = values.get(fd.name, "")
        if fd.required and present == "" and (creating or fd.name in values):
            raise WsError(400, 41, f'parameter "{fd.name}" required')
    for fd in rdef.fields:
        if fd.read_only or fd.name not in values or values[fd.name] == "":
            continue
        v = values[fd.name]
        check = VALIDATORS.get(fd.validate, VALIDATORS["isString"])
        if not check(v):
            code = 84 if fd.i18n else 85
            raise WsError(400, code, f'Validation error: "Property {rdef.class_name}->{fd.name} is not valid"')
        if fd.max_size and len(v) > fd.max_size:
            raise WsError(
                400,
                85,
                f'Validation error: "Property {rdef.class_name}->{fd.name} is too long ({fd.max_size} chars max)"',
            )


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


# ---- renderers ------------------------------------------------------------------------------------------------


def _r(values: dict[str, Any], i18n: Iterable[str] = (), hrefs: dict[str, str] | None = None,
       assocs: list[Assoc] | None = None) -> Rendered:  # fmt: skip
    return Rendered(values, set(i18n), hrefs or {}, assocs or [])


def render_hotel(b: Backend, h: Any) -> Rendered:
    rts = b.hotel_room_types(h.id)
    return _r(
        {
            "id": h.id, "id_default_category": 0, "active": h.active, "active_refund": h.active_refund,
            "rating": h.rating, "check_in": h.check_in, "check_out": h.check_out, "email": h.email,
            "latitude": h.latitude, "longitude": h.longitude, "max_checkout_offset": h.max_checkout_offset,
            "min_booking_offset": h.min_booking_offset, "use_global_max_checkout_offset": True,
            "use_global_min_booking_offset": True, "date_add": h.date_add, "date_upd": h.date_upd,
            "hotel_name": h.hotel_name, "short_description": h.short_description, "description": h.description,
            "policies": h.policies, "phone": h.phone, "address": h.address, "city": h.city, "id_country": h.id_country,
            "id_state": h.id_state, "zipcode": h.zipcode,
        },
        i18n=("hotel_name", "short_description", "description", "policies"),
        hrefs={"id_country": "countries", "id_state": "states"},
        assocs=[
            Assoc("room_types", "room_type", "room_types", [{"id": rt.id} for rt in rts]),
            Assoc("images", "image", None, []),
            Assoc("hotel_features", "hotel_feature", "hotel_features", [{"id": f} for f in h.feature_ids]),
            Assoc("hotel_refund_rules", "hotel_refund_rule", "hotel_refund_rules",
                  [{"id": r} for r in h.refund_rule_ids]),
        ],
    )  # fmt: skip


def render_room_type(b: Backend, rt: Any) -> Rendered:
    return _r(
        {
            "id": rt.id, "id_manufacturer": 0, "id_supplier": 0, "id_category_default": 2, "id_tax_rules_group":
            rt.id_tax_rules_group, "type": "simple", "id_default_image": 0, "reference": rt.reference,
            "booking_product": True, "show_at_front": rt.show_at_front, "price": rt.price, "wholesale_price":
            Decimal(0), "active": rt.active, "available_for_order": True, "date_add": rt.date_add, "date_upd":
            rt.date_upd, "name": rt.name, "description": rt.description, "description_short": rt.short_description,
            "link_rewrite": re.sub(r"[^a-z0-9]+", "-", rt.name.lower()).strip("-"),
            "id_hotel": rt.id_hotel, "adults": rt.adults, "children": rt.children,
        },
        i18n=("name", "description", "description_short", "link_rewrite"),
        hrefs={"id_tax_rules_group": "tax_rule_groups", "id_hotel": "hotels"},
        assocs=[
            Assoc("hotel_rooms", "hotel_room", "hotel_rooms",
                  [{"id": rid} for rid in b.rooms_by_type.get(rt.id, ())]),
            Assoc("feature_prices", "feature_price", "feature_prices",
                  [{"id": fp.id} for fp in b.feature_prices.values() if fp.id_product == rt.id]),
            Assoc("images", "image", None, []),
        ],
    )  # fmt: skip


def render_hotel_room_type(b: Backend, rt: Any) -> Rendered:
    return _r(
        {
            "id": rt.id_hotel_room_type, "id_product": rt.id, "id_hotel": rt.id_hotel, "adults": rt.adults,
            "children": rt.children, "max_adults": rt.max_adults, "max_children": rt.max_children,
            "max_guests": rt.max_guests, "min_los": rt.min_los, "max_los": rt.max_los,
        },
        hrefs={"id_product": "room_types", "id_hotel": "hotels"},
    )  # fmt: skip


def render_room(b: Backend, r: Any) -> Rendered:
    return _r(
        {"id": r.id, "id_product": r.id_product, "id_hotel": r.id_hotel, "room_num": r.room_num,
         "id_status": r.id_status, "floor": r.floor, "comment": r.comment},
        hrefs={"id_product": "room_types", "id_hotel": "hotels"},
        assocs=[Assoc("disable_dates", "disable_date", None,
                      [{"date_from": f, "date_to": t} for f, t in r.disable_dates])] if r.disable_dates else [],
    )  # fmt: skip


def render_feature(b: Backend, f: Any) -> Rendered:
    return _r({"id": f.id, "parent_id": f.parent_id, "position": f.position, "active": f.active, "name": f.name},
              i18n=("name",))  # fmt: skip


def render_refund_rule(b: Backend, r: Any) -> Rendered:
    return _r(
        {"id": r.id, "payment_type": r.payment_type, "deduction_value_full_pay": r.deduction_value_full_pay,
         "deduction_value_adv_pay": r.deduction_value_adv_pay, "days": r.days, "name": r.name,
         "description": r.description},
        i18n=("name", "description"),
    )  # fmt: skip


def render_feature_price(b: Backend, fp: Any) -> Rendered:
    return _r(
        {"id": fp.id, "id_product": fp.id_product, "feature_price_name": fp.feature_price_name,
         "impact_way": fp.impact_way, "impact_type": fp.impact_type, "impact_value": fp.impact_value,
         "active": fp.active, "date_from": fp.date_from, "date_to": fp.date_to},
        i18n=("feature_price_name",),
        hrefs={"id_product": "room_types"},
        assocs=[Assoc("restrictions", "restriction", None, [{
            "date_from": fp.date_from, "date_to": fp.date_to, "date_selection_type": fp.date_selection_type,
            "special_days": ",".join(fp.special_days)}])],
    )  # fmt: skip


def render_customer(b: Backend, c: Any) -> Rendered:
    return _r(
        {"id": c.id, "id_default_group": c.id_default_group, "id_lang": c.id_lang, "newsletter_date_add": "",
         "ip_registration_newsletter": "", "last_passwd_gen": c.date_add, "secure_key": c.secure_key,
         "deleted": c.deleted, "passwd": c.passwd, "lastname": c.lastname, "firstname": c.firstname,
         "email": c.email, "phone": c.phone, "id_gender": c.id_gender, "birthday": c.birthday,
         "newsletter": c.newsletter, "optin": c.optin, "active": c.active, "note": c.note, "is_guest": c.is_guest,
         "id_shop": 1, "id_shop_group": 1, "date_add": c.date_add, "date_upd": c.date_upd},
        hrefs={"id_default_group": "groups", "id_lang": "languages", "id_gender": "genders"},
        assocs=[Assoc("groups", "group", "groups", [{"id": c.id_default_group}])],
    )  # fmt: skip


def render_address(b: Backend, a: Any) -> Rendered:
    return _r(
        {"id": a.id, "id_customer": a.id_customer, "id_manufacturer": 0, "id_supplier": 0, "id_warehouse": 0,
         "id_country": a.id_country, "id_state": a.id_state, "alias": a.alias, "company": a.company,
         "lastname": a.lastname, "firstname": a.firstname, "address1": a.address1, "address2": a.address2,
         "postcode": a.postcode, "city": a.city, "other": a.other, "phone": a.phone, "phone_mobile": a.phone_mobile,
         "deleted": a.deleted, "date_add": a.date_add, "date_upd": a.date_upd},
        hrefs={"id_customer": "customers", "id_country": "countries", "id_state": "states"},
    )  # fmt: skip


def render_order(b: Backend, o: Any) -> Rendered:
    rows = [b.room_bookings[x] for x in b.bookings_by_order.get(o.id, ())]
    return _r(
        {"id": o.id, "id_address_delivery": o.id_address_delivery, "id_address_invoice": o.id_address_invoice,
         "id_cart": o.id_cart, "id_currency": o.id_currency, "id_lang": o.id_lang, "id_customer": o.id_customer,
         "id_carrier": 0, "current_state": o.current_state, "module": o.module, "invoice_number": 0,
         "invoice_date": "0000-00-00 00:00:00", "delivery_number": 0, "delivery_date": "0000-00-00 00:00:00",
         "valid": o.valid, "date_add": o.date_add, "date_upd": o.date_upd, "shipping_number": "",
         "id_shop_group": 1, "id_shop": 1, "secure_key": o.secure_key, "payment": o.payment, "recyclable": False,
         "gift": False, "gift_message": "", "mobile_theme": False, "total_discounts": o.total_discounts_tax_incl,
         "total_discounts_tax_incl": o.total_discounts_tax_incl,
         "total_discounts_tax_excl": o.total_discounts_tax_excl, "total_paid": o.total_paid,
         "total_paid_tax_incl": o.total_paid_tax_incl, "total_paid_tax_excl": o.total_paid_tax_excl,
         "total_paid_real": o.total_paid_real, "total_products": o.total_products,
         "total_products_wt": o.total_products_wt, "total_shipping": Decimal(0), "conversion_rate": Decimal(1),
         "source": o.source, "reference": o.reference},
        hrefs={"id_address_delivery": "addresses", "id_address_invoice": "addresses", "id_cart": "carts",
               "id_currency": "currencies", "id_lang": "languages", "id_customer": "customers",
               "current_state": "order_states"},
        assocs=[Assoc("order_rows", "order_row", None, [
            {"id": rb.id_order_detail, "product_id": rb.id_product, "product_name": rb.room_type_name,
             "product_quantity": 1, "unit_price_tax_incl": rb.total_price_tax_incl,
             "unit_price_tax_excl": rb.total_price_tax_excl} for rb in rows])],
    )  # fmt: skip


def render_order_state(b: Backend, st: tuple[int, tuple[str, bool, bool]]) -> Rendered:
    sid, (name, paid, logable) = st
    return _r(
        {"id": sid, "unremovable": True, "delivery": False, "hidden": False, "send_email": sid in (2, 4, 5, 6),
         "module_name": "", "invoice": paid, "color": "#4169E1", "logable": logable, "shipped": False,
         "paid": paid, "pdf_delivery": False, "pdf_invoice": paid, "deleted": False, "name": name, "template": ""},
        i18n=("name", "template"),
    )  # fmt: skip


def render_order_history(b: Backend, h: Any) -> Rendered:
    return _r({"id": h.id, "id_employee": h.id_employee, "id_order_state": h.id_order_state, "id_order": h.id_order,
               "date_add": h.date_add},
              hrefs={"id_order_state": "order_states", "id_order": "orders", "id_employee": "employees"})  # fmt: skip


def render_room_booking(b: Backend, rb: Any) -> Rendered:
    # room_bookings builds xlinks from its node name `booking`, so they point at /api/bookings (a real quirk).
    return _r(
        {"id": rb.id, "id_product": rb.id_product, "id_order": rb.id_order, "id_order_detail": rb.id_order_detail,
         "id_cart": rb.id_cart, "id_room": rb.id_room, "id_hotel": rb.id_hotel, "id_customer": rb.id_customer,
         "booking_type": rb.booking_type, "comment": "", "check_in": rb.check_in, "check_out": rb.check_out,
         "date_from": f"{rb.date_from.isoformat()} 00:00:00", "date_to": f"{rb.date_to.isoformat()} 00:00:00",
         "total_price_tax_excl": rb.total_price_tax_excl, "total_price_tax_incl": rb.total_price_tax_incl,
         "total_paid_amount": rb.total_paid_amount, "is_back_order": rb.is_back_order, "id_status": rb.id_status,
         "is_refunded": rb.is_refunded, "is_cancelled": rb.is_cancelled, "available_for_order": True,
         "hotel_name": rb.hotel_name, "room_type_name": rb.room_type_name, "city": rb.city, "state": "",
         "country": rb.country, "zipcode": "", "phone": rb.phone, "email": rb.email,
         "check_in_time": rb.check_in_time, "check_out_time": rb.check_out_time, "room_num": rb.room_num,
         "adults": rb.adults, "children": rb.children, "child_ages": "[" + ",".join(map(str, rb.child_ages)) + "]",
         "date_add": rb.date_add, "date_upd": rb.date_upd},
        hrefs={"id_product": "room_types", "id_order": "orders", "id_room": "hotel_rooms", "id_hotel": "hotels",
               "id_customer": "customers"},
    )  # fmt: skip


def render_currency(b: Backend, c: Any) -> Rendered:
    return _r({"id": c.id, "name": c.name, "iso_code": c.iso_code, "iso_code_num": c.iso_code_num,
               "blank": True, "sign": c.sign, "format": 2, "decimals": c.decimals,
               "conversion_rate": c.conversion_rate, "deleted": False, "active": c.active})  # fmt: skip


def render_language(b: Backend, lang: Any) -> Rendered:
    return _r({"id": lang.id, "name": lang.name, "iso_code": lang.iso_code, "language_code": lang.language_code,
               "active": lang.active, "is_rtl": False, "date_format_lite": "Y-m-d",
               "date_format_full": "Y-m-d H:i:s"})  # fmt: skip


def render_cart(b: Backend, c: Any) -> Rendered:
    return _r(
        {"id": c.id, "id_address_delivery": 0, "id_address_invoice": 0, "id_currency": c.id_currency,
         "id_customer": c.id_customer, "id_guest": c.id_guest, "id_lang": c.id_lang, "id_shop_group": 1,
         "id_shop": 1, "id_carrier": 0, "recyclable": False, "gift": False, "gift_message": "",
         "mobile_theme": False, "delivery_option": "", "secure_key": "", "allow_seperated_package": False,
         "date_add": c.date_add, "date_upd": c.date_upd},
        hrefs={"id_currency": "currencies", "id_customer": "customers", "id_guest": "guests", "id_lang": "languages"},
        assocs=[Assoc("cart_bookings", "booking", None, [
            {"id_hotel": h, "id_product": p, "date_from": f"{f} 00:00:00", "date_to": f"{t} 00:00:00"}
            for h, p, f, t in c.lines])],
    )  # fmt: skip


# ---- writers --------------------------------------------------------------------------------------------------


def _hash_passwd(raw: str) -> str:
    # setWsPasswd hashes the clear password; the stored value is never the clear text.
    return hashlib.md5(raw.encode()).hexdigest()


def create_customer(b: Backend, v: dict[str, str], el: Element) -> Customer:
    return b.add_customer(
        Customer(
            id=0, firstname=v["firstname"], lastname=v["lastname"], email=v["email"],
            passwd=_hash_passwd(v["passwd"]), phone=v.get("phone", ""), id_gender=_int(v.get("id_gender", "")),
            birthday=v.get("birthday") or "0000-00-00", newsletter=_bool(v.get("newsletter", "")),
            optin=_bool(v.get("optin", "")), active=_bool(v.get("active", ""), True),
            is_guest=_bool(v.get("is_guest", "")), id_default_group=_int(v.get("id_default_group", ""), 3),
            id_lang=_int(v.get("id_lang", ""), 1), note=v.get("note", ""),
        )
    )  # fmt: skip


def update_customer(b: Backend, old: Customer, v: dict[str, str], el: Element) -> Customer:
    new = replace(
        old,
        firstname=v.get("firstname", old.firstname), lastname=v.get("lastname", old.lastname),
        email=v.get("email", old.email), phone=v.get("phone", old.phone),
        passwd=_hash_passwd(v["passwd"]) if v.get("passwd") and v["passwd"] != old.passwd else old.passwd,
        id_gender=_int(v["id_gender"]) if "id_gender" in v else old.id_gender,
        birthday=v.get("birthday", old.birthday) or "0000-00-00",
        newsletter=_bool(v["newsletter"]) if "newsletter" in v else old.newsletter,
        optin=_bool(v["optin"]) if "optin" in v else old.optin,
        active=_bool(v["active"], True) if "active" in v else old.active,
        note=v.get("note", old.note),
    )  # fmt: skip
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
    if id_order not in b.orders:
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
    """Disable or enable a room (`id_status` 1/2/3; 3 takes `associations/disable_dates`)."""
    status = _int(v.get("id_status", ""), room.id_status)
    ranges: list[tuple[date, date]] = []
    dd = el.find("associations/disable_dates")
    for item in list(dd) if dd is not None else []:
        f = parse_date((item.findtext("date_from") or "").strip())
        t = parse_date((item.findtext("date_to") or "").strip())
        if f is None or t is None or t <= f:
            raise WsError(400, 85, 'Validation error: "Property HotelRoomInformation->disable_dates is not valid"')
        ranges.append((f, t))
    try:
        b.set_room_status(room.id, status, ranges)
    except DomainError:
        raise WsError(400, 85, 'Validation error: "Property HotelRoomInformation->id_status is not valid"') from None
    room.room_num = v.get("room_num", room.room_num)
    room.floor = v.get("floor", room.floor)
    room.comment = v.get("comment", room.comment)
    return room


# ---- the registry ---------------------------------------------------------------------------------------------

RW = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})

GENERIC: dict[str, ResourceDef] = {}


def _add(rdef: ResourceDef) -> None:
    GENERIC[rdef.name] = rdef


_add(ResourceDef("hotels", "hotel", "hotels", "HotelBranchInformation", [
    F("id_default_category", "isUnsignedId", read_only=True), F("active", "isBool"), F("active_refund", "isBool"),
    F("rating", "isUnsignedInt", required=True), F("check_in", "isHotelTime", required=True),
    F("check_out", "isHotelTime", required=True), F("email", "isEmail", required=True), F("latitude", "isFloat"),
    F("longitude", "isFloat"), F("max_checkout_offset", "isUnsignedInt"), F("min_booking_offset", "isUnsignedInt"),
    F("use_global_max_checkout_offset", "isBool"), F("use_global_min_booking_offset", "isBool"),
    F("date_add", "isDate", read_only=True), F("date_upd", "isDate", read_only=True),
    F("hotel_name", "isGenericName", required=True, i18n=True, max_size=128),
    F("short_description", "isCleanHtml", i18n=True), F("description", "isCleanHtml", i18n=True),
    F("policies", "isCleanHtml", i18n=True), F("phone", "isPhoneNumber", required=True, getter=True),
    F("address", "isAddress", required=True, getter=True), F("city", "isCityName", required=True, getter=True),
    F("id_country", "isUnsignedId", required=True, href="countries", getter=True),
    F("id_state", "isUnsignedId", href="states", getter=True), F("zipcode", "isPostCode", getter=True),
], lambda b: b.hotels, render_hotel))  # fmt: skip

_add(ResourceDef("room_types", "room_type", "room_types", "Product", [
    F("id_manufacturer", "isUnsignedId"), F("id_supplier", "isUnsignedId"), F("id_category_default", "isUnsignedId"),
    F("id_tax_rules_group", "isUnsignedId", href="tax_rule_groups"), F("type", read_only=True),
    F("id_default_image", "isUnsignedId", read_only=True), F("reference", "isGenericName", max_size=32),
    F("booking_product", "isBool"), F("show_at_front", "isBool"), F("price", "isPrice", required=True),
    F("wholesale_price", "isPrice"), F("active", "isBool"), F("available_for_order", "isBool"),
    F("date_add", "isDate", read_only=True), F("date_upd", "isDate", read_only=True),
    F("name", "isGenericName", required=True, i18n=True, max_size=128), F("description", "isCleanHtml", i18n=True),
    F("description_short", "isCleanHtml", i18n=True), F("link_rewrite", "isGenericName", i18n=True),
    F("id_hotel", "isUnsignedId", href="hotels", getter=True), F("adults", "isUnsignedInt", getter=True),
    F("children", "isUnsignedInt", getter=True),
], lambda b: b.room_types, render_room_type))  # fmt: skip

_add(ResourceDef("hotel_room_types", "hotel_room_type", "hotel_room_types", "HotelRoomType", [
    F("id_product", "isUnsignedId", required=True, href="room_types"),
    F("id_hotel", "isUnsignedId", required=True, href="hotels"), F("adults", "isUnsignedInt"),
    F("children", "isUnsignedInt"), F("max_adults", "isUnsignedInt"), F("max_children", "isUnsignedInt"),
    F("max_guests", "isUnsignedInt"), F("min_los", "isUnsignedInt"), F("max_los", "isUnsignedInt"),
], lambda b: {rt.id_hotel_room_type: rt for rt in b.room_types.values()}, render_hotel_room_type))  # fmt: skip

_add(ResourceDef("hotel_rooms", "room", "rooms", "HotelRoomInformation", [
    F("id_product", "isUnsignedId", required=True, href="room_types"),
    F("id_hotel", "isUnsignedId", href="hotels", read_only=True), F("room_num", "isGenericName", required=True),
    F("id_status", "isUnsignedId", required=True), F("floor", "isGenericName"), F("comment", "isGenericName"),
], lambda b: b.rooms, render_room, methods=frozenset({"GET", "HEAD", "PUT"}), update=update_room))  # fmt: skip

_add(ResourceDef("hotel_features", "hotel_feature", "hotel_features", "HotelFeatures", [
    F("parent_id", "isUnsignedInt"), F("position", "isUnsignedInt"), F("active", "isBool"),
    F("name", "isGenericName", required=True, i18n=True),
], lambda b: b.features, render_feature))  # fmt: skip

_add(ResourceDef("hotel_refund_rules", "hotel_refund_rule", "hotel_refund_rules", "HotelOrderRefundRules", [
    F("payment_type", "isUnsignedInt", required=True), F("deduction_value_full_pay", "isPrice"),
    F("deduction_value_adv_pay", "isPrice"), F("days", "isUnsignedInt", required=True),
    F("name", "isGenericName", required=True, i18n=True), F("description", "isCleanHtml", i18n=True),
], lambda b: b.refund_rules, render_refund_rule))  # fmt: skip

_add(ResourceDef("feature_prices", "feature_price", "feature_prices", "HotelRoomTypeFeaturePricing", [
    F("id_product", "isUnsignedId", required=True, href="room_types"),
    F("feature_price_name", "isGenericName", required=True, i18n=True), F("impact_way", "isUnsignedInt", required=True),
    F("impact_type", "isUnsignedInt", required=True), F("impact_value", "isPrice", required=True),
    F("active", "isBool"), F("date_from", "isDate"), F("date_to", "isDate"),
], lambda b: b.feature_prices, render_feature_price))  # fmt: skip

_add(ResourceDef("customers", "customer", "customers", "Customer", [
    F("id_default_group", "isUnsignedId", href="groups"), F("id_lang", "isUnsignedId", href="languages"),
    F("newsletter_date_add", "isDate", read_only=True), F("ip_registration_newsletter", read_only=True),
    F("last_passwd_gen", read_only=True), F("secure_key", read_only=True), F("deleted", "isBool"),
    F("passwd", "isPasswd", required=True, max_size=60), F("lastname", "isName", required=True, max_size=32),
    F("firstname", "isName", required=True, max_size=32), F("email", "isEmail", required=True, max_size=128),
    F("phone", "isPhoneNumber", max_size=32), F("id_gender", "isUnsignedId", href="genders"),
    F("birthday", "isBirthDate"), F("newsletter", "isBool"), F("optin", "isBool"), F("active", "isBool"),
    F("note", "isCleanHtml", max_size=65000), F("is_guest", "isBool"), F("id_shop", "isUnsignedId", read_only=True),
    F("id_shop_group", "isUnsignedId", read_only=True), F("date_add", "isDate", read_only=True),
    F("date_upd", "isDate", read_only=True),
], lambda b: b.customers, render_customer, methods=RW, create=create_customer, update=update_customer,
    delete=lambda b, i: b.delete_customer(i),
    indexes={"email": lambda b, v: list(b.customers_by_email.get(v, ()))}))  # fmt: skip

_add(ResourceDef("addresses", "address", "addresses", "Address", [
    F("id_customer", "isUnsignedId", href="customers"), F("id_manufacturer", "isUnsignedId", read_only=True),
    F("id_supplier", "isUnsignedId", read_only=True), F("id_warehouse", "isUnsignedId", read_only=True),
    F("id_country", "isUnsignedId", required=True, href="countries"), F("id_state", "isUnsignedId", href="states"),
    F("alias", "isGenericName", required=True, max_size=32), F("company", "isGenericName", max_size=255),
    F("lastname", "isName", required=True, max_size=32), F("firstname", "isName", required=True, max_size=32),
    F("address1", "isAddress", required=True, max_size=128), F("address2", "isAddress", max_size=128),
    F("postcode", "isPostCode", max_size=12), F("city", "isCityName", required=True, max_size=64),
    F("other", "isMessage", max_size=300), F("phone", "isPhoneNumber", max_size=32),
    F("phone_mobile", "isPhoneNumber", max_size=32), F("deleted", "isBool"), F("date_add", "isDate", read_only=True),
    F("date_upd", "isDate", read_only=True),
], lambda b: b.addresses, render_address, methods=frozenset({"GET", "HEAD", "POST"}),
    create=create_address))  # fmt: skip

_add(ResourceDef("orders", "order", "orders", "Order", [
    F("id_address_delivery", "isUnsignedId", href="addresses"),
    F("id_address_invoice", "isUnsignedId", href="addresses"),
    F("id_cart", "isUnsignedId", required=True, href="carts"),
    F("id_currency", "isUnsignedId", required=True, href="currencies"),
    F("id_lang", "isUnsignedId", required=True, href="languages"),
    F("id_customer", "isUnsignedId", required=True, href="customers"),
    F("id_carrier", "isUnsignedId"), F("current_state", "isUnsignedId", href="order_states", read_only=True),
    F("module", "isGenericName", required=True), F("invoice_number", read_only=True), F("invoice_date", read_only=True),
    F("delivery_number", read_only=True), F("delivery_date", read_only=True), F("valid", read_only=True),
    F("date_add", "isDate", read_only=True), F("date_upd", "isDate", read_only=True),
    F("shipping_number", read_only=True),
    F("id_shop_group", read_only=True), F("id_shop", read_only=True), F("secure_key", read_only=True),
    F("payment", "isGenericName", required=True), F("recyclable", "isBool"), F("gift", "isBool"),
    F("gift_message", "isMessage"), F("mobile_theme", "isBool"), F("total_discounts", "isPrice"),
    F("total_discounts_tax_incl", "isPrice"), F("total_discounts_tax_excl", "isPrice"),
    F("total_paid", "isPrice", required=True), F("total_paid_tax_incl", "isPrice"), F("total_paid_tax_excl", "isPrice"),
    F("total_paid_real", "isPrice", required=True), F("total_products", "isPrice", required=True),
    F("total_products_wt", "isPrice", required=True), F("total_shipping", "isPrice"),
    F("conversion_rate", "isFloat", required=True), F("source", "isGenericName"), F("reference", read_only=True),
], lambda b: b.orders, render_order, methods=frozenset({"GET", "HEAD", "POST"}), create=create_order,
    indexes={"reference": lambda b, v: list(b.orders_by_reference.get(v.upper(), ())),
             "id_customer": lambda b, v: list(b.orders_by_customer.get(_int(v, -1), ())) if v.isdigit() else []},
))  # fmt: skip

_add(ResourceDef("carts", "cart", "carts", "Cart", [
    F("id_address_delivery", "isUnsignedId", href="addresses"),
    F("id_address_invoice", "isUnsignedId", href="addresses"),
    F("id_currency", "isUnsignedId", required=True, href="currencies"),
    F("id_customer", "isUnsignedId", href="customers"), F("id_guest", "isUnsignedId", href="guests"),
    F("id_lang", "isUnsignedId", required=True, href="languages"), F("id_shop_group", "isUnsignedId", read_only=True),
    F("id_shop", "isUnsignedId", read_only=True), F("id_carrier", "isUnsignedId"), F("recyclable", "isBool"),
    F("gift", "isBool"), F("gift_message", "isMessage"), F("mobile_theme", "isBool"), F("delivery_option"),
    F("secure_key", read_only=True), F("allow_seperated_package", "isBool"), F("date_add", "isDate", read_only=True),
    F("date_upd", "isDate", read_only=True),
], lambda b: b.carts, render_cart, methods=frozenset({"GET", "HEAD", "POST"}), create=create_cart))  # fmt: skip

_add(ResourceDef("order_states", "order_state", "order_states", "OrderState", [
    F("unremovable", "isBool"), F("delivery", "isBool"), F("hidden", "isBool"), F("send_email", "isBool"),
    F("module_name"), F("invoice", "isBool"), F("color"), F("logable", "isBool"), F("shipped", "isBool"),
    F("paid", "isBool"), F("pdf_delivery", "isBool"), F("pdf_invoice", "isBool"), F("deleted", "isBool"),
    F("name", "isGenericName", required=True, i18n=True), F("template", i18n=True),
], lambda b: {k: (k, v) for k, v in ORDER_STATES.items()}, render_order_state))  # fmt: skip

_add(ResourceDef("order_histories", "order_history", "order_histories", "OrderHistory", [
    F("id_employee", "isUnsignedId", href="employees"),
    F("id_order_state", "isUnsignedId", required=True, href="order_states"),
    F("id_order", "isUnsignedId", required=True, href="orders"), F("date_add", "isDate", read_only=True),
], lambda b: b.order_histories, render_order_history, methods=frozenset({"GET", "HEAD", "POST"}),
    create=create_order_history,
    indexes={"id_order": lambda b, v: list(b.histories_by_order.get(_int(v, -1), ())) if v.isdigit() else []},
))  # fmt: skip

_add(ResourceDef("room_bookings", "booking", "bookings", "HotelBookingDetail", [
    F("id_product", "isUnsignedId", required=True, href="room_types"),
    F("id_order", "isUnsignedId", required=True, href="orders"),
    F("id_order_detail", "isUnsignedId"), F("id_cart", "isUnsignedId"),
    F("id_room", "isUnsignedId", required=True, href="hotel_rooms"),
    F("id_hotel", "isUnsignedId", required=True, href="hotels"), F("id_customer", "isUnsignedId", href="customers"),
    F("booking_type", "isUnsignedInt"), F("comment", "isGenericName"), F("check_in", "isDate"),
    F("check_out", "isDate"),
    F("date_from", "isDate", required=True), F("date_to", "isDate", required=True),
    F("total_price_tax_excl", "isPrice"),
    F("total_price_tax_incl", "isPrice"), F("total_paid_amount", "isPrice"), F("is_back_order", "isBool"),
    F("id_status", "isUnsignedInt"), F("is_refunded", "isBool"), F("is_cancelled", "isBool"),
    F("available_for_order", "isBool"), F("hotel_name", "isGenericName"), F("room_type_name", "isGenericName"),
    F("city", "isGenericName"), F("state", "isGenericName"), F("country", "isGenericName"),
    F("zipcode", "isGenericName"),
    F("phone", "isGenericName"), F("email", "isGenericName"), F("check_in_time", "isGenericName"),
    F("check_out_time", "isGenericName"), F("room_num", "isGenericName"), F("adults", "isUnsignedInt"),
    F("children", "isUnsignedInt"), F("child_ages"), F("date_add", "isDate", read_only=True),
    F("date_upd", "isDate", read_only=True),
], lambda b: b.room_bookings, render_room_booking, href_base="bookings",
    indexes={"id_order": lambda b, v: list(b.bookings_by_order.get(_int(v, -1), ())) if v.isdigit() else []},
))  # fmt: skip

_add(ResourceDef("currencies", "currency", "currencies", "Currency", [
    F("name", "isGenericName", required=True), F("iso_code", required=True), F("iso_code_num"), F("blank", "isBool"),
    F("sign", required=True), F("format", "isUnsignedInt"), F("decimals", "isBool"),
    F("conversion_rate", "isFloat", required=True), F("deleted", "isBool"), F("active", "isBool"),
], lambda b: b.currencies, render_currency))  # fmt: skip

_add(ResourceDef("languages", "language", "languages", "Language", [
    F("name", "isGenericName", required=True), F("iso_code", required=True), F("language_code"), F("active", "isBool"),
    F("is_rtl", "isBool"), F("date_format_lite", required=True), F("date_format_full", required=True),
], lambda b: b.languages, render_language))  # fmt: skip


def to_datetime(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
