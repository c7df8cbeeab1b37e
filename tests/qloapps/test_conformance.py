"""One test group per line of the reference's fidelity checklist (§5), in XML and JSON, against a real server."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from simulators.qloapps.config import ApiKey
from tests.qloapps.conftest import KEY, Ws, ari_xml, available, booking_json, rt_row

pytestmark = pytest.mark.e2e
XLINK = "{http://www.w3.org/1999/xlink}href"


def errors_xml(text: str) -> list[tuple[int, str]]:
    root = ET.fromstring(text)
    assert root.tag == "qloapps"
    return [(int(e.findtext("code")), e.findtext("message")) for e in root.findall("errors/error")]


# ---- 1. auth, XML root and CDATA, JSON selection and quirks --------------------------------------------------


def test_key_as_basic_user_or_ws_key_is_accepted(ws: Ws):
    basic = ws.get_json("/api/hotels")
    by_query = httpx.get(f"{ws.base_url}/api/hotels", params={"ws_key": KEY, "output_format": "JSON"})
    assert basic.status_code == by_query.status_code == 200
    assert basic.json() == by_query.json() == {"hotels": [{"id": 1}]}


def test_no_key_is_a_plain_text_401_with_basic_challenge(ws: Ws):
    r = httpx.get(f"{ws.base_url}/api/hotels", params={"output_format": "JSON"})
    assert r.status_code == 401
    assert r.text == "401 Unauthorized"
    assert r.headers["www-authenticate"].startswith('Basic realm="')
    assert "psws-version" not in r.headers


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize(
    ("key", "code", "message"),
    [
        ("", 17, "Authentication key is empty"),
        ("SHORTKEY", 18, "Invalid authentication key format"),
        ("X" * 32, 20, "Authentification key is not active"),  # then 21 (WebserviceRequest.php:756-761)
    ],
)
def test_key_checks_answer_401_with_their_codes(ws: Ws, key: str, code: int, message: str, as_json: bool):
    params = {"ws_key": key, **({"output_format": "JSON"} if as_json else {})}
    r = httpx.get(f"{ws.base_url}/api/hotels", params=params)
    assert r.status_code == 401
    if as_json:
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["errors"][0] == {"code": code, "message": message}
    else:
        assert r.headers["content-type"].startswith("text/xml")
        assert errors_xml(r.text)[0] == (code, message)
        assert f"<code><![CDATA[{code}]]></code>" in r.text
    assert r.headers["www-authenticate"].startswith('Basic realm="Welcome to QloApps Webservice')  # :765


@pytest.fixture
def limited_keys(sim_server):
    keys = sim_server.app.config.keys
    extra = [
        ApiKey("READHOTELSONLY00000000000000000A", permissions={"hotels": {"GET"}, "bookings": {"GET", "DELETE"}}),
        ApiKey("NOPERMISSIONS0000000000000000000", permissions={}),
        ApiKey("INACTIVEKEY000000000000000000000", active=False),
    ]
    keys.extend(extra)
    yield
    for k in extra:
        keys.remove(k)


@pytest.mark.parametrize("as_json", [False, True])
def test_permissions_per_resource_and_method(ws: Ws, limited_keys, as_json: bool):
    fmt = {"output_format": "JSON"} if as_json else {}

    def call(method: str, path: str, key: str) -> tuple[int, list[tuple[int, str]]]:
        r = httpx.request(method, f"{ws.base_url}{path}", params=fmt, auth=(key, ""), content=b"<qloapps/>")
        body = r.json()["errors"] if as_json else errors_xml(r.text)
        return r.status_code, [(e["code"], e["message"]) for e in body] if as_json else body

    ro = "READHOTELSONLY00000000000000000A"
    assert httpx.get(f"{ws.base_url}/api/hotels", params=fmt, auth=(ro, "")).status_code == 200
    status, errs = call("GET", "/api/customers", ro)
    assert (status, errs[0][0]) == (401, 26)
    assert errs[0][1] == 'Resource of type "customers" is not allowed with this authentication key'
    status, errs = call("POST", "/api/hotels", ro)
    assert (status, errs[0][0]) == (405, 25)
    status, errs = call("DELETE", "/api/bookings/1", ro)
    assert (status, errs[0][0]) == (405, 101)
    status, errs = call("GET", "/api/hotels", "NOPERMISSIONS0000000000000000000")
    assert (status, errs) == (401, [(21, "No permission for this authentication key")])
    status, errs = call("GET", "/api/hotels", "INACTIVEKEY000000000000000000000")
    assert (status, errs[0][0]) == (401, 20)


def test_api_root_lists_only_granted_resources_with_method_flags(ws: Ws, limited_keys):
    r = httpx.get(f"{ws.base_url}/api/", auth=("READHOTELSONLY00000000000000000A", ""))
    root = ET.fromstring(r.text)
    api = root.find("api")
    assert [child.tag for child in api] == ["bookings", "hotels"]
    hotels = api.find("hotels")
    assert (hotels.get("get"), hotels.get("post"), hotels.get("delete")) == ("true", "false", "false")
    schemas = [s.get("type") for s in hotels.findall("schema")]
    assert schemas == ["blank", "synopsis"]
    full = ws.get_json("/api/").json()  # only the names in JSON (WebserviceOutputJSON.php:121-122)
    assert isinstance(full, list) and {"hotel_ari", "bookings", "room_bookings", "customers"} <= set(full)


def test_xml_has_qloapps_root_cdata_values_xlinks_and_i18n_nodes(ws: Ws):
    r = ws.get("/api/room_types/1")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/xml;charset=UTF-8"
    assert r.text.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<qloapps xmlns:xlink="http://www.w3.org/1999/xlink">'
    )
    assert "<price><![CDATA[1000.000000]]></price>" in r.text
    root = ET.fromstring(r.text)
    rt = root.find("room_type")
    lang = rt.find("name/language")
    assert lang.get("id") == "1" and lang.text == "General Rooms"
    assert lang.get(XLINK).endswith("/api/languages/1")
    assert rt.find("id_hotel").get(XLINK).endswith("/api/hotels/1")
    rooms = rt.findall("associations/hotel_rooms/hotel_room")
    assert len(rooms) == 5 and rooms[0].get(XLINK).endswith("/api/hotel_rooms/1")


def test_list_xml_has_id_and_xlink_attributes(ws: Ws):
    root = ET.fromstring(ws.get("/api/room_types").text)
    items = root.findall("room_types/room_type")
    assert [i.get("id") for i in items] == ["1", "2", "3", "4"]
    assert items[2].get(XLINK).endswith("/api/room_types/3")


@pytest.mark.parametrize(
    ("headers", "params", "is_json"),
    [
        ({}, {"output_format": "JSON"}, True),
        ({}, {"io_format": "JSON"}, True),
        ({"Output-Format": "JSON"}, {}, True),
        ({"Io-Format": "JSON"}, {"output_format": "XML"}, True),
        ({}, {"output_format": "json"}, False),
        ({}, {"output_format": "Json"}, False),
        ({"Io-Format": "XML"}, {"output_format": "JSON"}, False),
        ({}, {}, False),
    ],
)
def test_json_only_for_exactly_upper_case_json_with_header_precedence(ws: Ws, headers, params, is_json):
    r = ws.http.get("/api/hotels", headers=headers, params=params)
    assert r.status_code == 200
    if is_json:
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"hotels": [{"id": 1}]}
    else:
        assert r.headers["content-type"] == "text/xml;charset=UTF-8"
        assert ET.fromstring(r.text).find("hotels/hotel").get("id") == "1"


def test_empty_list_is_bare_brackets_in_json_and_empty_node_in_xml(ws: Ws):
    r = ws.get_json("/api/customers")
    assert r.status_code == 200 and r.content == b"[]"
    x = ws.get("/api/customers")
    root = ET.fromstring(x.text)
    assert root.find("customers") is not None and len(root.find("customers")) == 0


def test_display_on_one_id_gives_the_plural_wrapper_and_only_the_id(ws: Ws):
    plain = ws.get_json("/api/hotels/1").json()
    assert set(plain) == {"hotel"} and plain["hotel"]["hotel_name"] == "The Hotel Prime"
    # full is forced only without display (WebserviceRequest.php:1229-1233): the minimum form
    # (WebserviceOutputBuilder.php:412-421), the fields asked for are not shown.
    forced = ws.get_json("/api/hotels/1", display="[id,hotel_name]").json()
    assert forced == {"hotels": [{"id": 1}]}
    xml = ws.get("/api/hotels/1", display="[id,hotel_name]").text
    assert '<hotel id="1" xlink:href="' in xml and "hotel_name" not in xml
    full = ws.get_json("/api/hotels/1", display="full").json()
    assert isinstance(full["hotels"], list) and full["hotels"][0]["check_in"] == "12:00"


def test_webservice_headers_are_present(ws: Ws):
    r = ws.get_json("/api/hotels")
    assert r.headers["psws-version"] == "1.6.1.23"
    assert r.headers["x-powered-by"] == "PrestaShop Webservice"
    assert "execution-time" in r.headers and "access-time" in r.headers
    import hashlib

    assert r.headers["content-sha1"] == hashlib.sha1(r.content).hexdigest()


# ---- 2. generic resources ------------------------------------------------------------------------------------

CUSTOMER_XML = (
    "<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname><email>ana@example.com</email><phone>+346</phone>"
    "<passwd>secret123</passwd></customer></qloapps>"
)


@pytest.mark.parametrize("as_json", [False, True])
def test_generic_post_takes_xml_and_answers_201_with_the_entity_and_its_id(ws: Ws, as_json: bool):
    r = ws.post("/api/customers", CUSTOMER_XML, json_out=as_json)
    assert r.status_code == 201
    if as_json:
        c = r.json()["customer"]
        assert c["id"] == 1 and c["email"] == "ana@example.com" and c["passwd"] != "secret123"
    else:
        c = ET.fromstring(r.text).find("customer")
        assert c.findtext("id") == "1" and c.findtext("lastname") == "Lopez"
    again = ws.get_json("/api/customers", **{"filter[email]": "[ana@example.com]", "display": "full"}).json()
    assert [x["firstname"] for x in again["customers"]] == ["Ana"]


@pytest.mark.parametrize("as_json", [False, True])
def test_json_body_to_a_generic_resource_is_500_code_127_and_creates_nothing(ws: Ws, as_json: bool):
    body = json.dumps({"customer": {"firstname": "Ana", "lastname": "Lopez", "email": "a@b.co", "passwd": "xxxxxx"}})
    r = ws.post("/api/customers", body, json_out=as_json)
    assert r.status_code == 500
    errs = [(e["code"], e["message"]) for e in r.json()["errors"]] if as_json else errors_xml(r.text)
    assert errs[0][0] == 127 and errs[0][1].startswith("XML error : String could not be parsed as XML")
    assert ws.state()["counts"]["customers"] == 0


def test_xml_prefix_and_any_root_name_are_accepted(ws: Ws):
    from urllib.parse import quote_plus

    body = "xml=" + quote_plus(CUSTOMER_XML.replace("qloapps>", "prestashop>"))
    r = ws.post("/api/customers", body)
    assert r.status_code == 201


@pytest.mark.parametrize("path", ["/api/customers/999", "/api/hotels/7", "/api/orders/1", "/api/bookings/55"])
def test_missing_id_is_an_empty_404(ws: Ws, path: str):
    for r in (ws.get(path), ws.get_json(path)):
        assert r.status_code == 404 and r.content == b""


def test_put_customer_updates_and_returns_200(ws: Ws):
    ws.post("/api/customers", CUSTOMER_XML)
    body = CUSTOMER_XML.replace("<customer>", "<customer><id>1</id>").replace("Lopez", "Garcia")
    r = ws.put("/api/customers/1", body, json_out=True)
    assert r.status_code == 200 and r.json()["customer"]["lastname"] == "Garcia"


# ---- 3. hotel_ari and bookings -------------------------------------------------------------------------------


def test_hotel_ari_json_has_the_code_shape(ws: Ws):
    r = ws.post("/api/hotel_ari", ari_xml("2027-05-03", "2027-05-05", occupancies=((2, 0), (1, 1))), json_out=True)
    assert r.status_code == 200
    ari = r.json()["hotel_ari"]
    assert isinstance(ari["room_types"], list)  # rows appended (…HotelAri.php:431); id_hotel echoed as sent (:390)
    assert (ari["id_hotel"], ari["currency"], ari["total_rooms"], ari["total_available_rooms"]) == ("1", "EUR", 20, 20)
    assert "total_booked_rooms" not in ari
    gr = rt_row(ari, 1)
    assert gr["name"] == "General Rooms" and gr["base_price"] == 1000 and gr["base_price_with_tax"] == 1100
    assert gr["total_price"] == 4000  # 2 nights x 1000 x 2 occupancies: occupancies only multiply the total
    room = gr["rooms"]["available"]["1"]
    assert room == {"id_room": 1, "id_product": 1, "id_hotel": 1, "room_num": "GR-101", "room_comment": "",
                    "max_adult": 2, "max_children": 2, "max_occupancy": 4}  # fmt: skip


def test_hotel_ari_xml_lists_rooms_with_numbers(ws: Ws):
    r = ws.post("/api/hotel_ari", ari_xml("2027-05-03", "2027-05-05"))
    ari = ET.fromstring(r.text).find("hotel_ari")
    assert ari.findtext("total_available_rooms") == "20"
    rt = ari.find("room_types/room_type[@id='2']")
    nums = [x.findtext("room_number") for x in rt.findall("rooms/available/room")]
    assert nums == ["DR-101", "DR-102", "DR-103", "DR-104", "DR-105"]


def test_hotel_ari_flags_booked_partial_unavailable_and_breakdown(ws: Ws):
    ws.post("/api/bookings", booking_json(1, "2027-05-04", "2027-05-05", rooms=5))
    ws.http.post("/_sim/rooms/6/status", json={"id_status": 2})
    flags = {"get_available_rooms": 1, "get_booked_rooms": 1, "get_partial_available_rooms": 1,
             "get_unavailable_rooms": 1}  # fmt: skip
    ari = ws.post("/api/hotel_ari", ari_xml("2027-05-03", "2027-05-06", flags=flags), json_out=True).json()["hotel_ari"]
    assert ari["total_available_rooms"] == 14
    assert ari["total_partial_available_rooms"] == 5 and ari["total_unavailable_rooms"] == 1
    assert ari["total_booked_rooms"] == 0
    partial = rt_row(ari, 1)["rooms"]["partially_available"]["1"]["avail_dates"]
    assert partial == [{"date_from": "2027-05-03", "date_to": "2027-05-04"},
                       {"date_from": "2027-05-05", "date_to": "2027-05-06"}]  # fmt: skip
    no_partial = {**flags, "get_partial_available_rooms": 0}
    ari2 = ws.post("/api/hotel_ari", ari_xml("2027-05-03", "2027-05-06", flags=no_partial), json_out=True).json()
    booked = rt_row(ari2["hotel_ari"], 1)["rooms"]["booked"]["1"]["detail"]
    assert booked[0]["date_from"] == "2027-05-04 00:00:00" and booked[0]["id_order"] == 1
    days = ws.post("/api/hotel_ari", ari_xml("2027-05-03", "2027-05-06", flags={"get_available_rooms": 1,
                   "date_wise_breakdown": 1}), json_out=True).json()["hotel_aris"]  # fmt: skip
    assert [d["total_available_rooms"] for d in days] == [19, 14, 19]
    xml = ET.fromstring(ws.post("/api/hotel_ari", ari_xml("2027-05-03", "2027-05-06", flags=flags)).text)
    group = xml.find("hotel_ari/room_types/room_type[@id='1']/rooms/partial_available/rooms")
    assert group.get("date_from") == "2027-05-03" and len(group.findall("room")) == 5


def test_bookings_post_json_answers_200_with_order_id(ws: Ws):
    r = ws.post("/api/bookings", booking_json(2, "2027-05-10", "2027-05-12"), json_out=True)
    assert r.status_code == 200
    b = r.json()["booking"]
    assert b["id"] == 1 and b["id_property"] == 1 and b["currency"] == "EUR"
    line = b["associations"]["room_types"][0]
    assert (line["id_room_type"], line["checkin_date"], line["number_of_rooms"]) == (2, "2027-05-10 00:00:00", 1)
    assert line["rooms"][0]["unit_price_without_tax"] == 3000.0
    order = ws.get_json("/api/orders/1").json()["order"]
    assert order["current_state"] == "1" and len(order["reference"]) == 9 and order["reference"].isupper()
    assert ws.get_json("/api/bookings/1").json() == r.json()


def test_bookings_post_xml_is_accepted_and_rendered_in_xml(ws: Ws):
    xml = (
        "<qloapps><booking><currency>EUR</currency><id_property>1</id_property><booking_status>2</booking_status>"
        "<associations><customer_detail><firstname>Ana</firstname><lastname>Lopez</lastname>"
        "<email>ana@example.com</email><phone>+34600000001</phone></customer_detail><room_types><room_type><id_room_type>3</id_room_type>"
        "<checkin_date>2027-06-01</checkin_date><checkout_date>2027-06-02</checkout_date>"
        "<number_of_rooms>2</number_of_rooms></room_type></room_types></associations></booking></qloapps>"
    )
    r = ws.post("/api/bookings", xml)
    assert r.status_code == 200
    b = ET.fromstring(r.text).find("booking")
    assert b.findtext("id") == "1"
    assert b.find("associations/cart_rules").text == "0"  # empty list renders as 0
    assert len(b.findall("associations/room_types/room_type/rooms/room")) == 2
    assert ws.get_json("/api/orders/1").json()["order"]["current_state"] == "2"


def test_bookings_list_and_delete_refused_with_101(ws: Ws):
    assert ws.get_json("/api/bookings").content == b"[]"
    ws.post("/api/bookings", booking_json(1, "2027-05-10", "2027-05-11"))
    assert ws.get_json("/api/bookings").json() == {"bookings": [{"id": 1}]}
    r = ws.http.delete("/api/bookings/1", params={"output_format": "JSON"})
    assert r.status_code == 405 and r.json()["errors"][0]["code"] == 101
    assert ws.get_json("/api/bookings/1").status_code == 200


def test_bookings_put_is_a_full_replacement_with_id_from_the_body(ws: Ws):
    two_lines = json.loads(booking_json(1, "2027-05-10", "2027-05-12"))
    two_lines["booking"]["room_types"].append(
        {"id_room_type": 2, "checkin_date": "2027-05-10", "checkout_date": "2027-05-12", "number_of_rooms": 1}
    )
    ws.post("/api/bookings", json.dumps(two_lines))
    assert available(ws, "2027-05-10", "2027-05-12", 2) == 4
    got = ws.get_json("/api/bookings/1").json()["booking"]
    keep = [rt for rt in got["associations"]["room_types"] if rt["id_room_type"] == 1]
    put = {"booking": {"id": 1, "id_property": 1, "booking_status": 1,
                       "customer_detail": {"email": "ana@example.com"}, "room_types": keep}}  # fmt: skip
    r = ws.put("/api/bookings", json.dumps(put), json_out=True)
    assert r.status_code == 200
    assert [rt["id_room_type"] for rt in r.json()["booking"]["associations"]["room_types"]] == [1]
    assert available(ws, "2027-05-10", "2027-05-12", 2) == 5  # the dropped line's room is free again
    assert available(ws, "2027-05-10", "2027-05-12", 1) == 4


@pytest.mark.parametrize(("version", "expected_adults"), [("1.7.0", 1), ("1.6.1", 2)])
def test_adults_field_is_read_as_adults_in_170_and_adult_in_161(ws: Ws, sim_server, version, expected_adults):
    cfg = sim_server.app.config
    cfg.qloapps_version = version
    try:
        body = json.loads(booking_json(1, "2027-05-10", "2027-05-11"))
        body["booking"]["room_types"][0]["rooms"] = [{"adults": 1, "child": 0, "total_tax": 0}]
        r = ws.post("/api/bookings", json.dumps(body), json_out=True)
        assert r.status_code == 200
        assert r.json()["booking"]["associations"]["room_types"][0]["rooms"][0]["adults"] == expected_adults
    finally:
        cfg.qloapps_version = "1.7.0"


# ---- 4. half-open inventory and cancellation -----------------------------------------------------------------


def test_check_out_day_is_free_for_the_next_check_in(ws: Ws):
    assert ws.post("/api/bookings", booking_json(4, "2027-05-10", "2027-05-12", rooms=5)).status_code == 200
    assert available(ws, "2027-05-10", "2027-05-12", 4) == 0
    assert available(ws, "2027-05-11", "2027-05-12", 4) == 0
    assert available(ws, "2027-05-12", "2027-05-14", 4) == 5
    assert available(ws, "2027-05-08", "2027-05-10", 4) == 5


@pytest.mark.parametrize("state", [4, 5, 6])
def test_order_history_state_4_5_6_frees_the_rooms(ws: Ws, state: int):
    ws.post("/api/bookings", booking_json(4, "2027-05-10", "2027-05-12", rooms=5))
    body = (
        "<qloapps><order_history><id_order>1</id_order>"
        f"<id_order_state>{state}</id_order_state></order_history></qloapps>"
    )
    r = ws.post("/api/order_histories", body, json_out=True)
    assert r.status_code == 201 and r.json()["order_history"]["id_order_state"] == str(state)
    assert ws.get_json("/api/orders/1").json()["order"]["current_state"] == str(state)
    assert available(ws, "2027-05-10", "2027-05-12", 4) == 5
    rb = ws.get_json("/api/room_bookings", **{"filter[id_order]": "[1]", "display": "full"}).json()["bookings"]
    assert {x["is_refunded"] for x in rb} == {"1"}
    assert {x["is_cancelled"] for x in rb} == {"1" if state == 4 else "0"}


def test_order_history_state_2_keeps_the_rooms(ws: Ws):
    ws.post("/api/bookings", booking_json(4, "2027-05-10", "2027-05-12", rooms=5))
    body = "<qloapps><order_history><id_order>1</id_order><id_order_state>2</id_order_state></order_history></qloapps>"
    assert ws.post("/api/order_histories", body).status_code == 201
    assert available(ws, "2027-05-10", "2027-05-12", 4) == 0


@pytest.mark.parametrize(("status", "state"), [(3, 4), (4, 5)])
def test_bookings_put_status_3_or_4_cancels_or_refunds_and_frees(ws: Ws, status: int, state: int):
    ws.post("/api/bookings", booking_json(4, "2027-05-10", "2027-05-12", rooms=2))
    got = ws.get_json("/api/bookings/1").json()["booking"]
    put = {"booking": {"id": 1, "id_property": 1, "booking_status": status,
                       "customer_detail": {"email": "ana@example.com"},
                       "room_types": got["associations"]["room_types"]}}  # fmt: skip
    assert ws.put("/api/bookings", json.dumps(put)).status_code == 200
    assert ws.get_json("/api/orders/1").json()["order"]["current_state"] == str(state)
    assert available(ws, "2027-05-10", "2027-05-12", 4) == 5


def test_bookings_cart_rules_total_override_and_customer_address(ws: Ws):
    body = json.loads(booking_json(1, "2027-05-10", "2027-05-12"))  # 2 nights x 1100 = 2200 tax incl
    body["booking"]["cart_rules"] = [{"name": "Promo", "code": "SPRING", "type": 2, "value": 10, "currency": "EUR"}]
    body["booking"]["customer_detail"].update({"address": "Calle Mayor 1", "city": "Madrid", "country_code": "ES"})
    r = ws.post("/api/bookings", json.dumps(body), json_out=True)
    assert r.status_code == 200
    assoc = r.json()["booking"]["associations"]
    assert assoc["cart_rules"] == [{"code": "SPRING", "value": "220.00", "currency": "EUR", "id_order_invoice": "0"}]
    order = ws.get_json("/api/orders/1").json()["order"]
    assert (order["total_paid_tax_incl"], order["total_discounts"]) == ("1980.000000", "220.000000")
    address = ws.get_json("/api/addresses", display="full").json()["addresses"][0]
    assert (address["id_customer"], address["city"], address["id_country"]) == ("1", "Madrid", "6")

    higher = json.loads(booking_json(2, "2027-05-10", "2027-05-11"))  # 1650 tax incl
    higher["booking"]["price_details"] = {"total_price_with_tax": 1800}
    r = ws.post("/api/bookings", json.dumps(higher), json_out=True)
    assert ws.get_json("/api/orders/2").json()["order"]["total_paid_tax_incl"] == "1800.000000"
    lower = json.loads(booking_json(2, "2027-05-10", "2027-05-11"))
    lower["booking"]["price_details"] = {"total_price_with_tax": 1500}
    r = ws.post("/api/bookings", json.dumps(lower), json_out=True)
    assert r.json()["booking"]["associations"]["cart_rules"][0]["value"] == "150.00"
    assert ws.get_json("/api/orders/3").json()["order"]["total_paid_tax_incl"] == "1500.000000"
    bad = json.loads(booking_json(2, "2027-05-10", "2027-05-11"))
    bad["booking"]["cart_rules"] = [{"type": 3, "value": 1}]
    r = ws.post("/api/bookings", json.dumps(bad), json_out=True)
    assert r.status_code == 400 and r.json()["errors"][0]["message"] == "Invalid cart rule type in the request."


def test_legacy_path_cart_then_order_books_rooms_with_remote_payment_states(ws: Ws):
    ws.post("/api/customers", CUSTOMER_XML)
    cart = (
        "<qloapps><cart><id_currency>1</id_currency><id_lang>1</id_lang><id_customer>1</id_customer><associations>"
        "<cart_bookings>" + "<booking><id_hotel>1</id_hotel><id_product>3</id_product><date_from>2027-05-10</date_from>"
        "<date_to>2027-05-12</date_to></booking>" * 2 + "</cart_bookings></associations></cart></qloapps>"
    )
    r = ws.post("/api/carts", cart, json_out=True)
    assert r.status_code == 201 and len(r.json()["cart"]["associations"]["cart_bookings"]) == 2
    order = (
        "<qloapps><order><id_cart>1</id_cart><id_customer>1</id_customer><id_currency>1</id_currency>"
        "<id_lang>1</id_lang><module>wsorder</module><payment>Bank wire</payment><total_paid>8800</total_paid>"
        "<total_paid_real>{paid}</total_paid_real><total_products>8000</total_products>"
        "<total_products_wt>8800</total_products_wt><conversion_rate>1</conversion_rate></order></qloapps>"
    )
    made = ws.post("/api/orders", order.format(paid="100"), json_out=True)
    assert made.status_code == 201
    o = made.json()["order"]
    assert (o["current_state"], o["id_cart"], o["total_paid_tax_incl"]) == ("10", "1", "8800.000000")
    assert available(ws, "2027-05-10", "2027-05-12", 3) == 3
    again = ws.post("/api/orders", order.format(paid="0"), json_out=True)
    assert again.status_code == 500 and again.json()["errors"][0]["code"] == 46
    assert ws.post("/api/carts", cart.replace("<id_product>3", "<id_product>9"), json_out=True).status_code == 400
