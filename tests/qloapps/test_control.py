"""The /_sim/ control plane and /metrics against a real server."""

from __future__ import annotations

import pytest

from tests.qloapps.conftest import KEY, Ws, ari_xml, available, booking_json

pytestmark = pytest.mark.e2e


def test_health_reports_version_key_and_counts(ws: Ws):
    h = ws.http.get("/_sim/health").json()
    assert h["status"] == "ok" and h["qloapps_version"] == "1.7.0" and h["api_key"] == KEY and len(KEY) == 32
    assert h["hotels"] == 1 and h["orders"] == 0


def test_reset_goes_back_to_the_seed_and_clears_faults(ws: Ws):
    ws.post("/api/bookings", booking_json(1, "2027-05-01", "2027-05-03"))
    ws.http.post("/_sim/faults", json={"latency_ms": 1, "resource": "orders"})
    assert ws.state()["counts"]["orders"] == 1
    r = ws.http.post("/_sim/reset").json()
    assert r["reset"] is True and r["faults"] == []
    assert ws.state()["counts"] == {"hotels": 1, "room_types": 4, "rooms": 20, "customers": 0, "orders": 0,
                                    "room_bookings": 0, "room_bookings_holding": 0, "order_histories": 0}  # fmt: skip
    assert available(ws, "2027-05-01", "2027-05-03", 1) == 5


def test_state_dump_lists_hotels_rooms_and_bookings(ws: Ws):
    ws.post("/api/bookings", booking_json(2, "2027-05-01", "2027-05-03"))
    s = ws.state()
    rooms = s["hotels"][0]["room_types"][1]["rooms"]
    assert [r["room_num"] for r in rooms] == ["DR-101", "DR-102", "DR-103", "DR-104", "DR-105"]
    assert s["room_bookings"] == [{"id": 1, "id_order": 1, "id_room": 6, "date_from": "2027-05-01",
                                   "date_to": "2027-05-03", "is_refunded": False, "is_cancelled": False}]  # fmt: skip
    assert s["invariants"] == [] and s["today"] == "2027-01-10"


def test_journal_records_method_path_status_latency_and_excerpts(ws: Ws):
    ws.post("/api/hotel_ari", ari_xml("2027-05-01", "2027-05-02"), json_out=True)
    ws.get("/api/nope")
    entries = ws.http.get("/_sim/journal", params={"limit": 2}).json()["entries"]
    assert [(e["method"], e["resource"], e["status"]) for e in entries] == [("POST", "hotel_ari", 200),
                                                                             ("GET", "nope", 400)]  # fmt: skip
    assert entries[0]["request_excerpt"].startswith("<qloapps><hotel_ari>")
    assert entries[0]["response_excerpt"].startswith('{"hotel_ari"') and entries[0]["latency_ms"] > 0
    only = ws.http.get("/_sim/journal", params={"resource": "nope"}).json()["entries"]
    assert len(only) == 1


def test_metrics_count_requests_by_resource_method_status(ws: Ws):
    ws.get_json("/api/hotels")
    ws.get_json("/api/hotels")
    text = ws.http.get("/metrics").text
    line = next(
        x for x in text.splitlines() if x.startswith('qloapps_sim_requests_total{method="GET",resource="hotels"')
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "qloapps_sim_request_seconds_bucket" in text and "qloapps_sim_orders 0.0" in text


def test_clock_controls_what_today_means_for_check_in_under_strict_dates(ws: Ws, sim_server):
    assert ws.post("/api/bookings", booking_json(1, "2027-02-01", "2027-02-02")).status_code == 200
    assert ws.http.post("/_sim/clock", json={"today": "2027-03-01"}).json()["today"] == "2027-03-01"
    sim_server.app.config.strict_dates = True
    try:
        r = ws.post("/api/bookings", booking_json(1, "2027-02-05", "2027-02-06"), json_out=True)
        assert r.json()["errors"][0]["message"] == "Invalid check in date in the request"
    finally:
        sim_server.app.config.strict_dates = False
    assert ws.http.post("/_sim/clock", json={"today": "bad"}).status_code == 400


def test_room_status_endpoint_disables_for_a_date_range(ws: Ws):
    r = ws.http.post("/_sim/rooms/16/status", json={"id_status": 3, "disable_dates": [["2027-05-02", "2027-05-04"]]})
    assert r.status_code == 200 and r.json()["id_status"] == 3
    assert available(ws, "2027-05-01", "2027-05-03", 4) == 4
    assert available(ws, "2027-05-04", "2027-05-06", 4) == 5
    room = ws.get_json("/api/hotel_rooms/16").json()["room"]
    assert room["id_status"] == "3" and room["associations"]["disable_dates"][0]["date_from"] == "2027-05-02"


def test_unknown_control_endpoint_and_wrong_method(ws: Ws):
    assert ws.http.get("/_sim/nothing").status_code == 404
    r = ws.http.get("/_sim/reset")
    assert r.status_code == 405 and "use POST" in r.json()["error"]


def test_early_check_out_frees_the_remaining_nights(ws: Ws):
    ws.post("/api/bookings", booking_json(4, "2027-05-10", "2027-05-14", rooms=5))
    assert available(ws, "2027-05-12", "2027-05-14", 4) == 0
    r = ws.http.post("/_sim/room_bookings/1/status", json={"id_status": 2, "at": "2027-05-10 14:00:00"})
    assert r.json()["check_in"] == "2027-05-10 14:00:00"
    r = ws.http.post("/_sim/room_bookings/1/status", json={"id_status": 3, "at": "2027-05-12 09:30:00"})
    assert r.status_code == 200 and r.json()["id_status"] == 3
    assert available(ws, "2027-05-12", "2027-05-14", 4) == 1
    assert available(ws, "2027-05-11", "2027-05-12", 4) == 0
    ws.http.post("/_sim/room_bookings/2/status", json={"id_status": 3, "at": "2027-05-10 18:00:00"})
    assert available(ws, "2027-05-10", "2027-05-14", 4) == 1
    rb = ws.get_json("/api/room_bookings/1").json()["booking"]
    assert (rb["id_status"], rb["check_out"]) == ("3", "2027-05-12 09:30:00")
    assert ws.state()["invariants"] == []
    assert ws.http.post("/_sim/room_bookings/1/status", json={"id_status": 7}).status_code == 400


def test_refund_quote_follows_the_hotels_refund_rules(ws: Ws):
    ws.post("/api/bookings", booking_json(1, "2027-01-20", "2027-01-21", booking_status=2))  # paid in full
    q = ws.http.get("/_sim/orders/1/refund_quote").json()
    # Today is 2027-01-10: 10 days before arrival -> the 7-day rule (50 % deduction).
    assert q["days_before_check_in"] == 10 and q["rule"]["days"] == 7
    assert (q["paid"], q["refundable"], q["full_payment"]) == ("1100.00", "550.00", True)
    ws.http.post("/_sim/clock", json={"today": "2026-12-01"})
    assert ws.http.get("/_sim/orders/1/refund_quote").json()["refundable"] == "990.00"
    assert ws.http.get("/_sim/orders/9/refund_quote").status_code == 404
