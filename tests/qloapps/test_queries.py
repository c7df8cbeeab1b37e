"""List parameters through HTTP: filters of every form, display, sort, limit, schema, HEAD, method override."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.qloapps.conftest import KEY, Ws, ari_xml, booking_json

pytestmark = pytest.mark.e2e


def ids(ws: Ws, path: str, **params) -> list[int]:
    r = ws.get_json(path, **params)
    assert r.status_code == 200, r.text
    if r.content == b"[]":
        return []
    (items,) = r.json().values()
    return [x["id"] for x in items]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("[2]", [2]),
        ("[1|3]", [1, 3]),
        ("[2,3]", [2, 3]),
        (">[2]", [3, 4]),
        ("<[2]", [1]),
        ("![1|4]", [2, 3]),
        ("2", [2]),
    ],
)
def test_filter_forms_on_ids(ws: Ws, flt: str, expected: list[int]):
    assert ids(ws, "/api/room_types", **{"filter[id]": flt}) == expected


def test_like_filters_and_i18n_fields(ws: Ws):
    assert ids(ws, "/api/room_types", **{"filter[name]": "[Del]%"}) == [2]
    assert ids(ws, "/api/room_types", **{"filter[name]": "%[Rooms]"}) == [1, 2, 3, 4]
    assert ids(ws, "/api/room_types", **{"filter[name]": "%[ecut]%"}) == [3]
    assert ids(ws, "/api/room_types", **{"filter[name]": "[delux rooms]"}) == [2]  # case-insensitive as MySQL
    assert ids(ws, "/api/hotel_rooms", **{"filter[room_num]": "[LR-101|GR-105]"}) == [5, 16]


def test_filters_combine_with_and(ws: Ws):
    got = ids(ws, "/api/hotel_rooms", **{"filter[id_product]": "[2]", "filter[room_num]": "%[3]"})
    assert got == [8]


def test_date_filters_need_date_1(ws: Ws):
    r = ws.get_json("/api/customers", **{"filter[date_add]": "[2027-01-01,2027-12-31]"})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == 32
    ok = ws.get_json("/api/customers", **{"filter[date_add]": "[2000-01-01,2100-12-31]", "date": "1"})
    assert ok.status_code == 200


def test_sort_and_limit(ws: Ws):
    assert ids(ws, "/api/room_types", sort="[price_DESC]") == [4, 3, 2, 1]
    assert ids(ws, "/api/room_types", sort="id_DESC", limit="1,2") == [3, 2]
    assert ids(ws, "/api/room_types", limit="3") == [1, 2, 3]
    assert ids(ws, "/api/hotel_rooms", sort="[id_product_DESC,id_ASC]", limit="4") == [16, 17, 18, 19]


def test_display_list_of_fields_in_xml(ws: Ws):
    r = ws.get("/api/room_types", display="[id,price]", **{"filter[id]": "[1]"})
    rt = ET.fromstring(r.text).find("room_types/room_type")
    assert [c.tag for c in rt] == ["id", "price"] and rt.findtext("price") == "1000.000000"


def test_schema_blank_and_synopsis(ws: Ws):
    blank = ET.fromstring(ws.get("/api/customers", schema="blank").text).find("customer")
    assert blank.find("email").text is None and blank.find("passwd") is not None
    syn = ET.fromstring(ws.get("/api/customers", schema="synopsis").text).find("customer")
    email = syn.find("email")
    assert (email.get("required"), email.get("maxSize"), email.get("format")) == ("true", "128", "isEmail")
    assert syn.find("date_add").get("read_only") == "true"
    ari = ET.fromstring(ws.get("/api/hotel_ari", schema="blank").text).find("hotel_ari")
    assert ari.find("date_from") is not None and ari.find("get_booked_rooms") is not None
    assert set(ws.get_json("/api/customers", schema="blank").json()["customer"]) >= {"email", "firstname"}


def test_head_has_headers_and_no_body(ws: Ws):
    r = ws.http.head("/api/hotels/1")
    assert r.status_code == 200 and r.content == b"" and r.headers["psws-version"] == "1.6.1.23"


def test_ps_method_overrides_post_with_put_and_delete(ws: Ws):
    customer = ("<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname>"
            "<email>a@b.co</email><phone>+346</phone>"
                "<passwd>secret1</passwd></customer></qloapps>")  # fmt: skip
    assert ws.post("/api/customers", customer).status_code == 201
    put = ws.post("/api/customers/1", customer.replace("<customer>", "<customer><id>1</id>").replace("Ana", "Eva"),
                  json_out=True, ps_method="PUT")  # fmt: skip
    assert put.status_code == 200 and put.json()["customer"]["firstname"] == "Eva"
    gone = ws.post("/api/customers/1", "", ps_method="DELETE")
    assert gone.status_code == 200 and gone.content == b""
    assert ws.get("/api/customers/1").status_code == 404


def test_delete_several_ids_with_the_id_parameter(ws: Ws):
    customer = ("<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname>"
            "<email>a@b.co</email><phone>+346</phone>"
                "<passwd>secret1</passwd></customer></qloapps>")  # fmt: skip
    for _ in range(3):
        ws.post("/api/customers", customer)
    assert ws.http.delete("/api/customers", params={"id": "[1,3]"}).status_code == 200
    assert ids(ws, "/api/customers") == [2]
    assert ws.http.delete("/api/customers", params={"id": "[2,9]"}).status_code == 404
    assert ids(ws, "/api/customers") == [2]


def test_webservice_disabled_is_503_code_22(ws: Ws, sim_server):
    sim_server.app.config.webservice_enabled = False
    try:
        r = ws.get_json("/api/hotels")
        assert r.status_code == 503 and r.json()["errors"][0]["code"] == 22
    finally:
        sim_server.app.config.webservice_enabled = True


def test_unmodelled_resources_exist_but_are_empty(ws: Ws):
    assert ws.get_json("/api/carriers").content == b"[]"
    assert ws.get_json("/api/carriers/1").status_code == 404
    r = ws.post("/api/carriers", "<qloapps><carrier/></qloapps>", json_out=True)
    assert r.status_code == 405 and r.json()["errors"][0]["code"] == 101


def test_version_161_has_extra_services_and_the_breakdown_total_bug(ws: Ws, sim_server):
    ws.post("/api/bookings", booking_json(1, "2027-05-01", "2027-05-02", rooms=2))
    flags = {"get_available_rooms": 1, "get_booked_rooms": 1, "get_unavailable_rooms": 1, "date_wise_breakdown": 1}
    body = ari_xml("2027-05-01", "2027-05-02", flags=flags)
    fixed = ws.post("/api/hotel_ari", body, json_out=True).json()["hotel_aris"][0]
    assert (fixed["total_available_rooms"], fixed["total_booked_rooms"], fixed["total_unavailable_rooms"]) == (18, 2, 0)
    assert ws.get_json("/api/extra_services").json()["errors"][0]["code"] == 27
    sim_server.app.config.qloapps_version = "1.6.1"
    try:
        buggy = ws.post("/api/hotel_ari", body, json_out=True).json()["hotel_aris"][0]
        assert (buggy["total_available_rooms"], buggy["total_booked_rooms"], buggy["total_unavailable_rooms"]) == (
            18, 18, 18)  # fmt: skip
        assert ws.get_json("/api/extra_services").content == b"[]"
    finally:
        sim_server.app.config.qloapps_version = "1.7.0"


def test_room_bookings_render_as_booking_nodes_with_bookings_xlinks(ws: Ws):
    ws.post("/api/bookings", booking_json(1, "2027-05-01", "2027-05-02"))
    root = ET.fromstring(ws.get("/api/room_bookings").text)
    item = root.find("bookings/booking")
    assert item.get("{http://www.w3.org/1999/xlink}href").endswith("/api/bookings/1")
    full = ws.get_json("/api/room_bookings/1").json()["booking"]
    assert full["room_num"] == "GR-101" and full["email"] == "hotelprime@htl.com"
    assert full["date_from"] == "2027-05-01 00:00:00" and full["is_refunded"] == "0"


def test_auth_header_with_password_is_ignored(ws: Ws):
    r = httpx.get(f"{ws.base_url}/api/hotels", auth=(KEY, "whatever"), params={"output_format": "JSON"})
    assert r.status_code == 200
