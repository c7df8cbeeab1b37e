"""How each generic resource's record renders: ordered values, i18n fields, xlinks and associations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from simulators.qloapps.state import Backend
from simulators.qloapps.wire import Assoc, Rendered


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
            # The item node is the resource name (`'resource' => 'room_types'`, HotelBranchInformation.php:122-126).
            Assoc("room_types", "room_types", "room_types", [{"id": rt.id} for rt in rts]),
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
        hrefs={"id_product": "products", "id_hotel": "hotels"},  # HotelRoomInformation.php:67-71
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
