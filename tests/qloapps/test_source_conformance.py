"""The QloApps 1.7.0 behaviours a client most easily gets wrong, each pinned to the PHP line that produces it.

Paths are relative to the QloApps 1.7.0.0 tree (`QloApps/` in hotyanovicha/demo-sdd-qloapps at 086ff59).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.qloapps.conftest import KEY, Ws, ari_xml, booking_json, rt_row

pytestmark = pytest.mark.e2e

XLINK = "{http://www.w3.org/1999/xlink}href"
BOOKINGS = "classes/webservice/WebserviceSpecificManagementBookings.php"
REQUEST = "classes/webservice/WebserviceRequest.php"
ARI = "modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php"
CUSTOMER = ("<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname><email>ana@example.com</email>"
            "<phone>+34600000001</phone><passwd>secret123</passwd><birthday>1990-01-02</birthday><note>VIP</note>"
            "</customer></qloapps>")  # fmt: skip


def with_rooms(rooms: list[dict], **kw) -> str:
    body = json.loads(booking_json(2, "2027-05-10", "2027-05-12", **kw))
    body["booking"]["room_types"][0]["rooms"] = rooms
    return json.dumps(body)


# ---- bookings -------------------------------------------------------------------------------------------------


def test_a_room_without_total_tax_answers_500_code_3_after_the_order_is_saved(ws: Ws):
    # BOOKINGS:510 reads $room['total_tax'] unchecked; REQUEST:686-688 turns the warning into error 3 and
    # processing goes on, so the order is made (config/defines.inc.php:33-39: display_errors off in production).
    r = ws.post("/api/bookings", with_rooms([{"adults": 2, "child": 0}]), json_out=True)
    assert r.status_code == 500
    assert r.json()["errors"][0]["code"] == 3 and 'Undefined array key "total_tax"' in r.json()["errors"][0]["message"]
    assert len(ws.state()["orders"]) == 1


def test_a_per_room_total_tax_is_the_tax_billed(ws: Ws):
    # BOOKINGS:1090-1091: a non-zero total_tax becomes a tax rule at total_tax / price.
    r = ws.post("/api/bookings", with_rooms([{"adults": 2, "child": 0, "total_tax": 100}]), json_out=True)
    room = r.json()["booking"]["associations"]["room_types"][0]["rooms"][0]
    assert r.status_code == 200 and room["total_tax"] == 100.0 and room["unit_price_without_tax"] == 3000.0


def test_booking_rooms_carry_only_the_source_keys(ws: Ws):
    # BOOKINGS:3630-3706: facilities and services only when the room has some; child_ages never.
    r = ws.post("/api/bookings", with_rooms([{"adults": 2, "child": 0, "total_tax": 0}]), json_out=True)
    room = r.json()["booking"]["associations"]["room_types"][0]["rooms"][0]
    assert list(room) == ["id_room", "id_hotel_booking", "adults", "child", "unit_price_without_tax", "total_tax"]


def test_children_without_ages_are_booked_as_none(ws: Ws):
    # BOOKINGS:537-541: without child_ages, `child` is forced to 0.
    r = ws.post("/api/bookings", with_rooms([{"adults": 1, "child": 1, "total_tax": 0}]), json_out=True)
    with_ages = ws.post("/api/bookings", with_rooms([{"adults": 1, "child": 1, "child_ages": [7], "total_tax": 0}]),
                        json_out=True)  # fmt: skip
    assert r.json()["booking"]["associations"]["room_types"][0]["rooms"][0]["child"] == 0
    assert with_ages.json()["booking"]["associations"]["room_types"][0]["rooms"][0]["child"] == 1


def test_a_booking_without_a_phone_is_refused_on_a_default_install(ws: Ws, sim_server):
    # BOOKINGS:670-673 with PS_ONE_PHONE_AT_LEAST=1 (install/data/xml/configuration.xml:11-13 in Qloapps/QloApps).
    body = json.loads(booking_json(1, "2027-05-10", "2027-05-11"))
    del body["booking"]["customer_detail"]["phone"]
    r = ws.post("/api/bookings", json.dumps(body), json_out=True)
    assert r.status_code == 400
    assert r.json()["errors"] == [{"code": 404, "message": "Please provide a valid phone number."}]
    sim_server.app.config.phone_required = False
    try:
        assert ws.post("/api/bookings", json.dumps(body)).status_code == 200
    finally:
        sim_server.app.config.phone_required = True


def test_a_booking_for_a_known_email_overwrites_the_customers_names_and_phone(ws: Ws):
    # BOOKINGS:1312-1332 finds the customer by email; :1386-1403 overwrites names, email and phone.
    ws.post("/api/bookings", booking_json(1, "2027-05-10", "2027-05-11"))
    body = json.loads(booking_json(1, "2027-06-10", "2027-06-11"))
    body["booking"]["customer_detail"].update({"firstname": "Anita", "phone": "+34699999999"})
    ws.post("/api/bookings", json.dumps(body))
    customers = ws.state()["customers"]
    assert len(customers) == 1 and (customers[0]["firstname"], customers[0]["phone"]) == ("Anita", "+34699999999")


def test_validation_follows_the_source_order_and_words(ws: Ws):
    # BOOKINGS:631-722 (validatePostRequest) and :2981-3013 (validateRoomType).
    def first(body: str) -> str:
        return ws.post("/api/bookings", body, json_out=True).json()["errors"][0]["message"]

    base = json.loads(booking_json(1, "2027-05-10", "2027-05-11"))
    no_detail = {**base["booking"], "customer_detail": {}}
    assert first(json.dumps({"booking": no_detail})) == "Customer details not found."
    bad_hotel = {**base["booking"], "id_property": 9}
    assert first(json.dumps({"booking": bad_hotel})) == "Please provide a valid id_property."
    assert first(booking_json(1, "2027-05-12", "2027-05-10")) == "Invalid check in and check out dates in the request"
    rt = json.loads(booking_json(1, "2027-05-10", "2027-05-11"))
    del rt["booking"]["room_types"][0]["number_of_rooms"]
    assert first(json.dumps(rt)) == "number of rooms is missing"


# ---- generic resources ----------------------------------------------------------------------------------------


def test_put_replaces_the_record_and_refuses_a_missing_required_field(ws: Ws):
    # REQUEST:1463 (code 41 for an absent required field), :1464-1466 (absent optional fields are nulled); fields
    # are checked $webserviceParameters first, so passwd before lastname (classes/ObjectModel.php:1252-1257).
    ws.post("/api/customers", CUSTOMER)
    partial = "<qloapps><customer><id>1</id><firstname>Janet</firstname></customer></qloapps>"
    r = ws.put("/api/customers/1", partial, json_out=True)
    assert (r.status_code, r.json()["errors"][0]) == (400, {"code": 41, "message": 'parameter "passwd" required'})
    full = CUSTOMER.replace("<customer>", "<customer><id>1</id>").replace("<note>VIP</note>", "")
    put = ws.put("/api/customers/1", full, json_out=True).json()["customer"]
    assert put["note"] == "" and put["birthday"] == "1990-01-02"


def test_put_takes_the_id_from_the_body_not_the_url(ws: Ws):
    # REQUEST:1405-1436: the URL's id is never compared with the body's.
    ws.post("/api/customers", CUSTOMER)
    ws.post("/api/customers", CUSTOMER.replace("ana@", "eva@"))
    r = ws.put("/api/customers/2", CUSTOMER.replace("<customer>", "<customer><id>1</id>").replace("Ana", "Anabel"),
               json_out=True)  # fmt: skip
    assert r.status_code == 200 and r.json()["customer"]["id"] == 1 and r.json()["customer"]["firstname"] == "Anabel"


def test_put_of_a_non_writable_field_is_refused_with_93(ws: Ws):
    # REQUEST:1449-1452 (code 93 at :1451) with 'setter' => false on id_hotel
    # (modules/hotelreservationsystem/classes/HotelRoomInformation.php:72-76).
    room = ws.get("/api/hotel_rooms/3").text
    r = ws.put("/api/hotel_rooms/3", room, json_out=True)
    assert (r.status_code, r.json()["errors"][0]["code"]) == (400, 93)


def test_put_of_a_room_without_id_product_fails_to_save(ws: Ws):
    # HotelRoomInformation.php:314-325 (updateWs needs a room type) then REQUEST:1548 (code 46).
    r = ws.put("/api/hotel_rooms/3", "<qloapps><room><id>3</id><id_status>2</id_status></room></qloapps>",
               json_out=True)  # fmt: skip
    assert r.status_code == 500 and [e["code"] for e in r.json()["errors"]] == [134, 46]


def test_a_customer_without_a_phone_is_refused_on_a_default_install(ws: Ws):
    # classes/Customer.php:204-211 makes phone required when PS_ONE_PHONE_AT_LEAST; REQUEST:1463.
    r = ws.post("/api/customers", CUSTOMER.replace("<phone>+34600000001</phone>", ""), json_out=True)
    assert (r.status_code, r.json()["errors"][0]["message"]) == (400, 'parameter "phone" required')


def test_blank_schema_starts_with_id_and_lists_associations(ws: Ws):
    # classes/webservice/WebserviceOutputBuilder.php:433-446 (renderSchema: every field, then the associations).
    root = ET.fromstring(ws.get("/api/customers", schema="blank").text)
    customer = root.find("customer")
    assert customer[0].tag == "id" and customer.find("associations/groups/group/id") is not None


def test_the_hotel_room_types_association_item_is_named_room_types(ws: Ws):
    # modules/hotelreservationsystem/classes/HotelBranchInformation.php:122-126 ('resource' => 'room_types').
    root = ET.fromstring(ws.get("/api/hotels/1").text)
    assoc = root.find("hotel/associations/room_types")
    assert [c.tag for c in assoc] == ["room_types"] * 4


def test_hotel_rooms_point_their_room_type_at_products(ws: Ws):
    # HotelRoomInformation.php:67-71 (xlink resourceName products).
    root = ET.fromstring(ws.get("/api/hotel_rooms/3").text)
    assert root.find("room/id_product").get(XLINK).endswith("/api/products/1")


# ---- auth and output ------------------------------------------------------------------------------------------


def test_an_unknown_key_gets_20_and_21_with_the_qloapps_realm(ws: Ws):
    # REQUEST:756-761 (20, then 21 as no permissions were loaded) and :765 (the realm).
    r = httpx.get(f"{ws.base_url}/api/hotels", params={"ws_key": "Z" * 32, "output_format": "JSON"})
    assert [e["code"] for e in r.json()["errors"]] == [20, 21]
    assert r.headers["www-authenticate"].startswith('Basic realm="Welcome to QloApps Webservice')


def test_json_content_type_has_no_charset_and_the_api_root_is_a_list(ws: Ws):
    # classes/webservice/WebserviceOutputJSON.php:79-82 and :115-123 (the api node collects names only).
    r = ws.get_json("/api/")
    assert r.headers["content-type"] == "application/json" and "hotels" in r.json()
    assert httpx.get(f"{ws.base_url}/api/hotels", auth=(KEY, "")).headers["content-type"] == "text/xml;charset=UTF-8"


# ---- hotel_ari ------------------------------------------------------------------------------------------------


def test_hotel_ari_xml_name_is_translated_and_ids_carry_xlinks(ws: Ws):
    # ARI:613-614 (id_hotel xlink), :653-660 (room_type and id_room_type xlinks), :675-677 (name as i18n).
    root = ET.fromstring(ws.post("/api/hotel_ari", ari_xml("2027-05-01", "2027-05-03")).text)
    ari = root.find("hotel_ari")
    assert ari.find("id_hotel").get(XLINK).endswith("/api/hotels/1")
    rt = ari.find("room_types/room_type")
    assert rt.get(XLINK).endswith("/api/room_types/1") and rt.find("id_room_type").get(XLINK).endswith("/room_types/1")
    assert rt.find("name/language").text == "General Rooms" and (rt.find("name").text or "").strip() == ""


def test_hotel_ari_json_lists_room_types_and_echoes_id_hotel(ws: Ws):
    # ARI:390 (id_hotel copied from the request) and :431 (rows appended): json_encode at :759-773.
    ari = ws.post("/api/hotel_ari", ari_xml("2027-05-01", "2027-05-03"), json_out=True).json()["hotel_ari"]
    assert ari["id_hotel"] == "1" and isinstance(ari["room_types"], list) and rt_row(ari, 4)["name"] == "Luxury Rooms"


def test_hotel_ari_json_body_is_refused_with_85(ws: Ws):
    # ARI:584 (simplexml_load_string refuses it).
    r = ws.post("/api/hotel_ari", '{"hotel_ari": {"id_hotel": 1}}', json_out=True)
    assert (r.status_code, r.json()["errors"][0]) == (
        400, {"code": 85, "message": "Validation error: Invalid ARI search parameters found."})  # fmt: skip


def test_bookings_blank_schema_is_a_template_to_fill(ws: Ws):
    # BOOKINGS:282-301 (XML schema), :190-225 (JSON: leaves empty, child_ages an empty array), fields :62-160.
    blank = ws.get_json("/api/bookings", schema="blank").json()["booking"]
    assert blank["associations"]["customer_detail"]["phone"] == ""
    room = blank["associations"]["room_types"][0]["rooms"][0]
    assert room["total_tax"] == "" and room["child_ages"] == []
    xml = ET.fromstring(ws.get("/api/bookings", schema="blank").text)
    assert xml.find("booking/associations/room_types/room_type/rooms/room/total_tax") is not None


def test_every_check_here_cites_the_php_line_it_follows():
    from tests.qloapps.citations import session_checks, source_checks

    uncited = [name for name, src in source_checks() + session_checks() if src is None]
    assert uncited == []
