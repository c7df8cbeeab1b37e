"""Bad input on every endpoint: Meta's envelope (never a traceback), and no state change."""

from __future__ import annotations

import pytest

from tests.whatsapp.conftest import AUTH, GUEST, PNID, Harness, assert_envelope

FIVE_MB = b'{"x":"' + b"a" * (5 * 1024 * 1024) + b'"}'

# (method, path, bodies that must be refused with HTTP 400 / code 100)
JSON_ENDPOINTS = [
    (
        "POST",
        "/_sim/guests",
        [
            {"wa_id": "+34 600"},
            {"wa_id": GUEST, "profile_name": 7},
            {"wa_id": GUEST, "colour": "red"},
            {"wa_id": GUEST, "profile_name": "x" * 300},
            [1, 2],
        ],
    ),
    (
        "POST",
        f"/_sim/guests/{GUEST}/messages",
        [
            {"type": "fax"},
            {"text": 5},
            {"text": "hi", "mood": "happy"},
            {"text": "x" * 70000},
            {"type": "text"},
            {"type": "location"},
            {"type": "image", "data_b64": "***"},
            {"text": "hi", "phone_number_id": "000"},
            {"text": "hi", "context_wamid": "wamid.nope"},
        ],
    ),
    (
        "POST",
        "/_sim/faults",
        [{"duplicate_rate": 2}, {"graph_errors": [{"code": 999999}]}, {"nonsense": 1}, {"batch_size": "big"}],
    ),
    ("POST", "/_sim/clock/advance", [{"seconds": -5}, {}, {"seconds": 1, "ms": 1}, {"seconds": "soon"}]),
    (
        "POST",
        "/_sim/settings",
        [
            {"policies": {"window_mode": "maybe"}},
            {"payload_shape": "1999"},
            {"retry": {"factor": "x"}},
            {"unknown": True},
        ],
    ),
    ("POST", "/_sim/webhook", [{"url": "ftp://x"}, {"url": 5}, {"extra": 1}]),
    ("POST", "/_sim/templates", [{"templates": [{"language": "es"}]}, {"templates": "x"}]),
]


def snapshot(h: Harness) -> tuple:
    s = h.sim.sim
    return (
        len(s.state.guests),
        len(s.state.messages),
        s.faults.faults.model_dump_json(),
        s.clock.offset_s,
        s.settings.model_dump_json(),
    )


@pytest.fixture
def b(fresh: Harness) -> Harness:
    fresh.guest(profile_name="Ana")
    return fresh


@pytest.mark.parametrize(("method", "path", "bodies"), JSON_ENDPOINTS, ids=[p for _, p, _ in JSON_ENDPOINTS])
def test_control_endpoints_refuse_bad_bodies_without_state_change(b: Harness, method, path, bodies) -> None:
    before = snapshot(b)
    for body in bodies:
        r = b.http.request(method, path, json=body)
        assert_envelope(r, 400, 100, etype="SimulatorError")
        assert snapshot(b) == before, body
    r = b.http.request(method, path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_envelope(r, 400, 100, details="not valid JSON")
    r = b.http.request(method, path, content=FIVE_MB, headers={"Content-Type": "application/json"})
    assert_envelope(r, 413, 100, details="exceeds")
    assert snapshot(b) == before


@pytest.mark.parametrize(
    "path",
    [
        f"/_sim/guests/{GUEST}/replies?timeout=abc",
        f"/_sim/guests/{GUEST}/replies?timeout=-1",
        f"/_sim/guests/{GUEST}/replies?settle_ms=1e9",
        f"/_sim/guests/{GUEST}/replies?after=wamid.nope",
        "/_sim/guests/abc/conversation",
        "/_sim/journal?limit=0",
        "/_sim/journal?after=x",
    ],
)
def test_query_parameters_are_validated(b: Harness, path: str) -> None:
    r = b.http.get(path)
    assert r.status_code in (400, 404)
    assert r.json()["error"]["type"] == "SimulatorError"


def test_unknown_guest_is_404_envelope(b: Harness) -> None:
    for path in (
        "/_sim/guests/34999999999",
        "/_sim/guests/34999999999/conversation",
        "/_sim/guests/34999999999/replies?timeout=0",
    ):
        assert_envelope(b.http.get(path), 404, 100, etype="SimulatorError")


def test_graph_endpoints_refuse_five_megabytes_and_garbage(b: Harness) -> None:
    before = snapshot(b)
    for path in (f"/v21.0/{PNID}/messages",):
        r = b.http.post(path, content=FIVE_MB, headers={**AUTH, "Content-Type": "application/json"})
        assert_envelope(r, 413, 100)
        r = b.http.post(path, content=b"\xff\xfe\x00garbage", headers=AUTH)
        assert_envelope(r, 400, 100)
        r = b.http.post(path, json=[1, 2, 3], headers=AUTH)
        assert_envelope(r, 400, 100)
        r = b.http.post(path, content=b"", headers=AUTH)
        assert_envelope(r, 400, 100)
    r = b.http.post(f"/v21.0/{PNID}/media", content=b"junk", headers={**AUTH, "Content-Type": "text/plain"})
    assert_envelope(r, 400, 100)
    assert snapshot(b) == before


def test_unknown_path_and_method_are_envelopes(b: Harness) -> None:
    r = b.http.delete("/_sim/guests")
    assert r.status_code == 405 and r.json()["error"]["code"] == 100
    r = b.http.get("/v21.0/123/456/789", headers=AUTH)
    assert r.status_code == 400 and "error" in r.json()
