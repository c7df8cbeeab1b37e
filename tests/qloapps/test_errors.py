"""Every webservice error code the simulator reproduces, with status and exact envelope in XML and JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.qloapps.conftest import Ws, ari_xml, booking_json

pytestmark = pytest.mark.e2e

CUSTOMER = (
    "<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname><email>ana@example.com</email><phone>+346</phone>"
    "<passwd>secret123</passwd></customer></qloapps>"
)


def call(ws: Ws, method: str, path: str, as_json: bool, body: str | None = None, **params) -> httpx.Response:
    if as_json:
        params["output_format"] = "JSON"
    return ws.http.request(method, path, params=params, content=body)


def first_error(r: httpx.Response, as_json: bool) -> tuple[int, str]:
    if as_json:
        assert r.headers["content-type"] == "application/json"
        data = r.json()
        assert list(data) == ["errors"] and isinstance(data["errors"], list)
        e = data["errors"][0]
        assert set(e) == {"code", "message"} and isinstance(e["code"], int)
        return e["code"], e["message"]
    assert r.headers["content-type"] == "text/xml;charset=UTF-8"
    root = ET.fromstring(r.text)
    assert root.tag == "qloapps" and [c.tag for c in root] == ["errors"]
    err = root.find("errors/error")
    assert "<code><![CDATA[" in r.text and "<message><![CDATA[" in r.text
    return int(err.findtext("code")), err.findtext("message")


CASES = [
    # (id, method, path, params, body, status, code, message start)
    # classes/webservice/WebserviceRequest.php:854
    ("unknown method", "PATCH", "/api/hotels", {}, None, 405, 23, "Method PATCH is not valid"),
    # classes/webservice/WebserviceRequest.php:882
    ("unknown resource", "GET", "/api/hotel_bookings", {}, None, 400, 27,
     'Resource of type "hotel_bookings" does not exists. Did you mean: "'),
    # classes/webservice/WebserviceRequest.php:1057
    ("bad schema", "GET", "/api/customers", {"schema": "full"}, None, 400, 28, "Please select a schema of type"),
    # classes/webservice/WebserviceRequest.php:1103
    ("unknown filter", "GET", "/api/customers", {"filter[emial]": "[x]"}, None, 400, 32,
     'This filter does not exist. Did you mean: "email"?'),
    # classes/webservice/WebserviceRequest.php:1107
    ("empty filter", "GET", "/api/customers", {"filter[email]": ""}, None, 400, 33,
     'The "email" filter value is empty'),
    # classes/webservice/WebserviceRequest.php:1111
    ("dynamic filter", "GET", "/api/room_types", {"filter[id_hotel]": "[1]"}, None, 400, 34,
     'The field "id_hotel" is dynamic.'),
    # classes/webservice/WebserviceRequest.php:992
    ("unknown display field", "GET", "/api/hotels", {"display": "[id,nmae]"}, None, 400, 35,
     'Unable to display this field. Did you mean: "'),
    # classes/webservice/WebserviceRequest.php:998
    ("display syntax", "GET", "/api/hotels", {"display": "id,name"}, None, 400, 36, 'The "display" syntax is wrong'),
    # classes/webservice/WebserviceRequest.php:1149
    ("sort syntax", "GET", "/api/hotels", {"sort": "id_UP"}, None, 400, 37, 'The "sort" value has to be formed'),
    # classes/webservice/WebserviceRequest.php:1152
    ("sort field", "GET", "/api/hotels", {"sort": "[nope_ASC]"}, None, 400, 38, "Unable to sort by this field"),
    # classes/webservice/WebserviceRequest.php:1182
    ("limit syntax", "GET", "/api/hotels", {"limit": "a,b"}, None, 400, 39, 'The "limit" value has to be formed'),
    # classes/webservice/WebserviceRequest.php:1463
    ("missing required", "POST", "/api/customers", {}, CUSTOMER.replace("<email>ana@example.com</email>", ""), 400,
     41, 'parameter "email" required'),
    # classes/ObjectModel.php:1090
    ("invalid field", "POST", "/api/customers", {}, CUSTOMER.replace("Lopez", "L0pez"), 400, 85,
     'Validation error: "Property Customer->lastname is not valid"'),
    # classes/ObjectModel.php:1064
    ("too long", "POST", "/api/customers", {}, CUSTOMER.replace("Lopez", "L" * 40), 400, 85,
     'Validation error: "Property Customer->lastname length (40) must be between 0 and 32"'),
    # classes/webservice/WebserviceRequest.php:1355
    ("delete unknown", "DELETE", "/api/customers/77", {}, None, 404, 87, "Id(s) not exists: 77"),
    # classes/webservice/WebserviceRequest.php:1414
    ("put without id", "PUT", "/api/customers/1", {}, CUSTOMER, 400, 90, "id is required when modifying a resource"),
    # classes/webservice/WebserviceRequest.php:1433
    ("put unknown id", "PUT", "/api/customers/9", {}, CUSTOMER.replace("<customer>", "<customer><id>9</id>"), 404, 92,
     "Invalid ID"),
    # classes/webservice/WebserviceRequest.php:1418
    ("post with id", "POST", "/api/customers", {}, CUSTOMER.replace("<customer>", "<customer><id>4</id>"), 400, 91,
     "id is forbidden when adding a new resource"),
    # classes/webservice/WebserviceRequest.php:1391
    ("json body", "POST", "/api/customers", {}, '{"customer": {}}', 500, 127, "XML error : String could not be parsed"),
    # classes/webservice/WebserviceRequest.php:856 (bookings forbids DELETE)
    ("bookings delete", "DELETE", "/api/bookings/1", {}, None, 405, 101, "Method DELETE is not allowed"),
    # classes/webservice/WebserviceRequest.php:304 (forbidden_method), :856
    ("search post", "POST", "/api/search", {}, "<qloapps/>", 405, 101, "Method POST is not allowed"),
    # modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php:149
    ("ari get", "GET", "/api/hotel_ari", {}, None, 405, 23, "Method GET is not valid"),
    # modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php:588
    ("ari empty", "POST", "/api/hotel_ari", {}, "", 400, 85, "Validation error: ARI search parameters are missing."),
    # modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php:523-525
    ("ari missing hotel", "POST", "/api/hotel_ari", {}, ari_xml("2027-05-01", "2027-05-02").replace(
        "<id_hotel>1</id_hotel>", ""), 400, 41, 'parameter "id_hotel" required'),
    # modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php:544-546
    ("ari dates reversed", "POST", "/api/hotel_ari", {}, ari_xml("2027-05-03", "2027-05-01"), 400, 85,
     'Validation error: "Date to" must be after "date from"'),
    # modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php:558-561
    ("ari bad occupancy", "POST", "/api/hotel_ari", {}, ari_xml("2027-05-01", "2027-05-02", occupancies=((0, 1),)),
     400, 85, "Validation error: Invalid value for number of adults for Room-1"),
    # classes/webservice/WebserviceSpecificManagementBookings.php:688-692
    ("booking unavailable", "POST", "/api/bookings", {}, booking_json(1, "2027-05-01", "2027-05-02", rooms=6), 400,
     404, "Requested room(s) not available."),
    # classes/webservice/WebserviceSpecificManagementBookings.php:636-642
    ("booking currency", "POST", "/api/bookings", {}, booking_json(1, "2027-05-01", "2027-05-02").replace(
        '"EUR"', '"XXX"'), 400, 404, "Please provide valid currency."),
    # classes/webservice/WebserviceSpecificManagementBookings.php:2996-3000
    ("booking room type", "POST", "/api/bookings", {}, booking_json(99, "2027-05-01", "2027-05-02"), 400, 404,
     "Invalid room type in the request"),
]  # fmt: skip


@pytest.mark.parametrize("as_json", [False, True], ids=["xml", "json"])
@pytest.mark.parametrize(("method", "path", "params", "body", "status", "code", "message"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])  # fmt: skip
def test_error_code(ws: Ws, as_json, method, path, params, body, status, code, message):
    if "customers/" in path and method in ("PUT",) and "/1" in path:
        ws.post("/api/customers", CUSTOMER)
    r = call(ws, method, path, as_json, body, **params)
    assert r.status_code == status
    got_code, got_message = first_error(r, as_json)
    assert got_code == code
    assert got_message.startswith(message), got_message
    assert r.headers["psws-version"] == "1.6.1.23"


def test_unknown_resource_suggests_and_lists_every_resource(ws: Ws):
    msg = first_error(call(ws, "GET", "/api/hotel_bookings", True), True)[1]
    assert '"bookings"' in msg and '"hotel_ari"' in msg and msg.count('", "') > 50
    assert '"products"' not in msg  # QloApps has no products resource


def test_occupancy_over_the_maximum_is_accepted_as_qloapps_does_unless_strict(ws: Ws, sim_server):
    # "we are not validating occupancy" (WebserviceSpecificManagementBookings.php:524); strictness is a flag.
    import json

    body = json.loads(booking_json(1, "2027-05-01", "2027-05-02"))
    body["booking"]["room_types"][0]["rooms"] = [{"adults": 3, "child": 0, "total_tax": 0}]
    lax = ws.post("/api/bookings", json.dumps(body), json_out=True)
    assert lax.status_code == 200
    assert lax.json()["booking"]["associations"]["room_types"][0]["rooms"][0]["adults"] == 3
    sim_server.app.backend.strict_occupancy = True
    try:
        r = ws.post("/api/bookings", json.dumps(body), json_out=True)
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == 404
        assert "max_adults 2" in r.json()["errors"][0]["message"]
    finally:
        sim_server.app.backend.strict_occupancy = False


def test_past_check_in_is_accepted_as_qloapps_does_unless_strict_dates(ws: Ws, sim_server):
    # validateRoomType has no past-date check (WebserviceSpecificManagementBookings.php:2981-3013).
    assert ws.post("/api/bookings", booking_json(1, "2026-05-01", "2026-05-02")).status_code == 200
    sim_server.app.config.strict_dates = True
    try:
        r = ws.post("/api/bookings", booking_json(1, "2026-06-01", "2026-06-02"), json_out=True)
        assert r.status_code == 400 and r.json()["errors"][0]["message"] == "Invalid check in date in the request"
    finally:
        sim_server.app.config.strict_dates = False


def test_los_restrictions_make_rooms_unavailable(ws: Ws, sim_server):
    rt = sim_server.app.backend.room_types[3]
    rt.min_los, rt.max_los = 2, 3
    try:
        flags = {"get_available_rooms": 1, "get_unavailable_rooms": 1}
        one = ws.post("/api/hotel_ari", ari_xml("2027-05-01", "2027-05-02", flags=flags), json_out=True).json()
        rooms = next(x for x in one["hotel_ari"]["room_types"] if x["id_room_type"] == 3)["rooms"]
        assert rooms["available"] == [] and {r["status"] for r in rooms["unavailable"].values()} == {4}
        assert ws.post("/api/bookings", booking_json(3, "2027-05-01", "2027-05-02")).status_code == 400
        assert ws.post("/api/bookings", booking_json(3, "2027-05-01", "2027-05-03")).status_code == 200
        assert ws.post("/api/bookings", booking_json(3, "2027-06-01", "2027-06-05")).status_code == 400
    finally:
        rt.min_los, rt.max_los = 1, 0
