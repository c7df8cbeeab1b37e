"""Faults through /_sim/faults against a real server: latency, error rate, hang, drop, down, targeting, seeds."""

from __future__ import annotations

import random
import time

import httpx
import pytest

from tests.qloapps.conftest import Ws, ari_xml

pytestmark = pytest.mark.e2e


def add(ws: Ws, **spec) -> dict:
    r = ws.http.post("/_sim/faults", json=spec)
    assert r.status_code == 201, r.text
    return r.json()


def timed_get(ws: Ws, path: str = "/api/hotels") -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    r = ws.get_json(path)
    return (time.perf_counter() - t0) * 1000, r


def test_fixed_latency_shorthand_delays_every_request_until_cleared(ws: Ws):
    add(ws, latency_ms=250)
    slow, r = timed_get(ws)
    assert r.status_code == 200 and slow >= 245
    assert ws.http.delete("/_sim/faults").json() == {"cleared": 1, "faults": []}
    fast, _ = timed_get(ws)
    assert fast < 245
    journal = ws.http.get("/_sim/journal", params={"limit": 2}).json()["entries"]
    assert journal[0]["faults"] == ["latency#1"] and journal[0]["latency_ms"] >= 245 and journal[1]["faults"] == []


def test_latency_can_target_one_resource_and_method(ws: Ws):
    add(ws, kind="latency", latency_ms=300, resource="hotel_ari", method="POST")
    other, _ = timed_get(ws)
    t0 = time.perf_counter()
    assert ws.post("/api/hotel_ari", ari_xml("2027-05-01", "2027-05-02")).status_code == 200
    assert other < 295 and (time.perf_counter() - t0) * 1000 >= 295


def test_error_rate_is_seeded_and_repeatable(ws: Ws):
    def run() -> list[int]:
        ws.http.delete("/_sim/faults")
        add(ws, kind="error", rate=0.5, seed=42, status=503, code=46, message="boom")
        return [ws.get_json("/api/hotels").status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert 5 < first.count(503) < 25 and set(first) == {200, 503}
    replies = [ws.get_json("/api/hotels") for _ in range(20)]
    err = next(x for x in replies if x.status_code == 503)
    assert err.json() == {"errors": [{"code": 46, "message": "boom"}]}


def test_error_fault_speaks_xml_by_default_and_honours_count(ws: Ws):
    add(ws, kind="error", status=500, count=2)
    a, b, c = (ws.get("/api/hotels") for _ in range(3))
    assert (a.status_code, b.status_code, c.status_code) == (500, 500, 200)
    assert "<code><![CDATA[46]]></code>" in a.text and a.headers["psws-version"] == "1.6.1.23"


def test_hang_outlasts_the_client_timeout(ws: Ws):
    add(ws, kind="hang", hang_s=3, resource="customers")
    with pytest.raises(httpx.ReadTimeout):
        ws.http.get("/api/customers", timeout=0.5)
    assert ws.get_json("/api/hotels").status_code == 200


def test_drop_closes_the_connection_without_a_response(ws: Ws):
    add(ws, kind="drop", method="GET")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{ws.base_url}/api/hotels", auth=ws.http.auth)
    assert ws.http.get("/_sim/journal", params={"limit": 1}).json()["entries"][0]["status"] == 0


def test_down_fails_every_request_until_cleared_but_not_the_control_plane(ws: Ws):
    add(ws, kind="down")
    for path in ("/api/hotels", "/api/customers/1", "/api/"):
        r = ws.get_json(path)
        assert r.status_code == 503 and "Service Unavailable" in r.text
    assert ws.post("/api/hotel_ari", ari_xml("2027-05-01", "2027-05-02")).status_code == 503
    assert ws.http.get("/_sim/health").status_code == 200
    ws.http.delete("/_sim/faults")
    assert ws.get_json("/api/hotels").status_code == 200


def test_down_in_drop_mode_refuses_with_transport_errors(ws: Ws):
    add(ws, down=True, mode="drop")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{ws.base_url}/api/hotels", auth=ws.http.auth)


def test_latency_distribution_is_seeded(ws: Ws, sim_server):
    add(ws, kind="latency", distribution={"type": "uniform", "min_ms": 0, "max_ms": 40}, seed=3)
    for _ in range(3):
        ws.get_json("/api/hotels")
    faults = ws.http.get("/_sim/faults").json()["faults"]
    assert faults[0]["fired"] == 3 and faults[0]["distribution"]["type"] == "uniform"
    rng = random.Random(3)
    expected = [rng.uniform(0, 40) for _ in range(3)]
    observed = [e["latency_ms"] for e in ws.http.get("/_sim/journal", params={"limit": 3}).json()["entries"]]
    # Each request took at least its seeded draw (plus handling time).
    assert all(o >= e - 1 for o, e in zip(observed, expected, strict=True))


def test_faults_list_and_remove_one(ws: Ws):
    a = add(ws, latency_ms=10)["id"]
    b = add(ws, kind="error", rate=0.1)["id"]
    assert [f["id"] for f in ws.http.get("/_sim/faults").json()["faults"]] == [a, b]
    assert ws.http.delete(f"/_sim/faults/{a}").status_code == 200
    assert [f["id"] for f in ws.http.get("/_sim/faults").json()["faults"]] == [b]
    assert ws.http.delete("/_sim/faults/999").status_code == 404
