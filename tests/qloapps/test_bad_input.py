"""Bad input gets QloApps' error envelope and code, never a traceback, and never changes state."""

from __future__ import annotations

import json

import pytest

from tests.qloapps.conftest import Ws, ari_xml, booking_json

pytestmark = pytest.mark.e2e


def snapshot(ws: Ws) -> dict:
    s = ws.state()
    return {k: s[k] for k in ("counts", "customers", "orders", "room_bookings")}


def assert_envelope(r, status: int, code: int) -> str:
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text and 'File "' not in r.text
    err = r.json()["errors"][0]
    assert err["code"] == code
    return err["message"]


@pytest.fixture
def seeded(ws: Ws) -> Ws:
    assert ws.post("/api/bookings", booking_json(1, "2027-05-01", "2027-05-03")).status_code == 200
    return ws


B = booking_json(1, "2027-05-10", "2027-05-11")
BASE = json.loads(B)["booking"]

BAD_BOOKINGS = {
    "malformed json falls back to xml": b'{"booking": {"currency": "EUR",',
    "malformed xml": b"<qloapps><booking><currency>EUR</currency></booking>",
    "wrong root": b'{"bookings": {}}',
    "room count is text": B.replace('"number_of_rooms": 1', '"number_of_rooms": "two"'),
    "negative room count": booking_json(1, "2027-05-10", "2027-05-11", rooms=-2),
    "zero rooms": booking_json(1, "2027-05-10", "2027-05-11", rooms=0),
    "february 30": booking_json(1, "2027-02-28", "2027-02-30"),
    "check-out before check-in": booking_json(1, "2027-05-12", "2027-05-10"),
    "same day": booking_json(1, "2027-05-12", "2027-05-12"),
    "year 9999": booking_json(1, "2027-05-12", "9999-12-31"),
    "id_property text": B.replace('"id_property": 1', '"id_property": "one"'),
    "unknown hotel": B.replace('"id_property": 1', '"id_property": 42'),
    "email invalid": booking_json(1, "2027-05-10", "2027-05-11", email="not-an-email"),
    "room type of nothing": B.replace('"id_room_type": 1', '"id_room_type": null'),
    "booking status 9": B.replace('"booking_status": 1', '"booking_status": 9'),
    "rooms count mismatch": json.dumps({"booking": {**BASE,
        "room_types": [{"id_room_type": 1, "checkin_date": "2027-05-10", "checkout_date": "2027-05-11",
                        "number_of_rooms": 2, "rooms": [{"adults": 1, "total_tax": 0}]}]}}),
    "negative adults": json.dumps({"booking": {**BASE,
        "room_types": [{"id_room_type": 1, "checkin_date": "2027-05-10", "checkout_date": "2027-05-11",
                        "number_of_rooms": 1, "rooms": [{"adults": -1, "child": 0, "total_tax": 0}]}]}}),
    "id in post": booking_json(1, "2027-05-10", "2027-05-11", id=5),
    "empty body": b"",
}  # fmt: skip


@pytest.mark.parametrize("body", list(BAD_BOOKINGS.values()), ids=list(BAD_BOOKINGS))
def test_bad_booking_is_refused_with_the_envelope_and_changes_nothing(seeded: Ws, body):
    before = snapshot(seeded)
    r = seeded.post("/api/bookings", body, json_out=True)
    assert r.status_code in (400, 500)
    assert_envelope(r, r.status_code, 404 if r.status_code == 400 else 127)
    assert snapshot(seeded) == before


BAD_GENERIC = {
    "malformed xml": ("<qloapps><customer><firstname>Ana</firstname>", 500, 127),
    "not xml at all": ("firstname=Ana&lastname=Lopez", 500, 127),
    "entity expansion bomb": ('<?xml version="1.0"?><!DOCTYPE z [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                              "<qloapps><customer><firstname>&b;</firstname></customer></qloapps>", 500, 127),
    "wrong type for a bool": ("<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname>"
                              "<email>a@b.co</email><phone>+346</phone><passwd>secret1</passwd><newsletter>maybe</newsletter>"
                              "</customer></qloapps>", 400, 85),
    "birthday february 30": ("<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname>"
                             "<email>a@b.co</email><phone>+346</phone><passwd>secret1</passwd><birthday>2026-02-30</birthday>"
                             "</customer></qloapps>", 400, 85),
    "short password": ("<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname>"
                       "<email>a@b.co</email><phone>+346</phone><passwd>123</passwd></customer></qloapps>", 400, 85),
    "unknown order state": ("<qloapps><order_history><id_order>1</id_order><id_order_state>99</id_order_state>"
                            "</order_history></qloapps>", 400, 85),
    "order history of no order": ("<qloapps><order_history><id_order>77</id_order><id_order_state>4</id_order_state>"
                                  "</order_history></qloapps>", 400, 85),
}  # fmt: skip


@pytest.mark.parametrize(("body", "status", "code"), list(BAD_GENERIC.values()), ids=list(BAD_GENERIC))
def test_bad_generic_write_is_refused_with_the_envelope_and_changes_nothing(seeded: Ws, body, status, code):
    path = "/api/order_histories" if "order_history" in body else "/api/customers"
    before = snapshot(seeded)
    r = seeded.post(path, body, json_out=True)
    assert_envelope(r, status, code)
    assert snapshot(seeded) == before


def test_unknown_xml_fields_are_ignored_as_qloapps_does(ws: Ws):
    body = ("<qloapps><customer><firstname>Ana</firstname><lastname>Lopez</lastname>"
            "<email>a@b.co</email><phone>+346</phone>"
            "<passwd>secret1</passwd><favourite_colour>blue</favourite_colour></customer></qloapps>")  # fmt: skip
    r = ws.post("/api/customers", body, json_out=True)
    assert r.status_code == 201 and "favourite_colour" not in r.json()["customer"]


@pytest.mark.parametrize(
    ("date_from", "date_to", "code"),
    [("2027-02-30", "2027-03-02", 85), ("2027-05-03", "2027-05-01", 85), ("2027-05-01", "9999-12-31", 85),
     ("01/05/2027", "2027-05-03", 85), ("", "2027-05-03", 41)],
)  # fmt: skip
def test_absurd_ari_dates_are_refused(ws: Ws, date_from, date_to, code):
    r = ws.post("/api/hotel_ari", ari_xml(date_from, date_to), json_out=True)
    assert_envelope(r, 400, code)


def test_year_9999_short_stay_is_searchable(ws: Ws):
    r = ws.post("/api/hotel_ari", ari_xml("9999-12-01", "9999-12-03"), json_out=True)
    assert r.status_code == 200 and r.json()["hotel_ari"]["total_available_rooms"] == 20


def test_huge_body_gets_413_and_a_large_garbage_body_gets_127(ws: Ws):
    before = snapshot(ws)
    r = ws.http.post("/api/customers", content=b"x" * 9_000_000)
    assert r.status_code == 413
    garbage = ws.post("/api/customers", b"<" * 500_000, json_out=True)
    assert_envelope(garbage, 500, 127)
    assert snapshot(ws) == before


def test_bad_control_plane_input_is_a_clear_400(ws: Ws):
    r = ws.http.post("/_sim/faults", json={"kind": "latency"})
    assert r.status_code == 400 and "latency_ms or a distribution" in r.json()["error"]
    r = ws.http.post("/_sim/faults", content=b"{nope")
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    r = ws.http.post("/_sim/faults", json={"kind": "meteor"})
    assert r.status_code == 400
    assert ws.http.get("/_sim/faults").json() == {"faults": []}
