"""The generic (ObjectModel) resources the simulator models: one ResourceDef per table, as QloApps declares it."""

from __future__ import annotations

from simulators.qloapps.fields import F, FieldDef, ResourceDef, check_fields, is_date, parse_date, xml_fields
from simulators.qloapps.models import ORDER_STATES
from simulators.qloapps.protocol import SchemaAssoc
from simulators.qloapps.renderers import (
    render_address,
    render_cart,
    render_currency,
    render_customer,
    render_feature,
    render_feature_price,
    render_hotel,
    render_hotel_room_type,
    render_language,
    render_order,
    render_order_history,
    render_order_state,
    render_refund_rule,
    render_room,
    render_room_booking,
    render_room_type,
)
from simulators.qloapps.writers import (
    _int,
    create_address,
    create_cart,
    create_customer,
    create_order,
    create_order_history,
    update_customer,
    update_room,
)

__all__ = ["GENERIC", "FieldDef", "ResourceDef", "check_fields", "is_date", "parse_date", "xml_fields"]

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

# modules/hotelreservationsystem/classes/HotelRoomInformation.php:43-79: nothing required, id_hotel not writable.
_add(ResourceDef("hotel_rooms", "room", "rooms", "HotelRoomInformation", [
    F("id_product", "isUnsignedId", href="products"), F("id_hotel", "isUnsignedId", href="hotels", writable=False),
    F("room_num"), F("id_status", "isUnsignedInt"), F("floor"), F("comment"),
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
    schema_assocs=[SchemaAssoc("groups", "group")],
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
