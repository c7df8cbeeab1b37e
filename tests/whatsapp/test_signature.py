"""Meta's bytes and X-Hub-Signature-256: golden vector, escaped encoding, and the re-serialisation trap."""

from __future__ import annotations

import hashlib
import hmac
import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.whatsapp.config import SimSettings
from simulators.whatsapp.server import ThreadedSimulator
from simulators.whatsapp.wire import meta_bytes, sign, verify
from tests.waiting import wait_until
from tests.whatsapp.conftest import GUEST, SECRET, make_settings
from tests.whatsapp.receiver import Receiver

GOLDEN_SECRET = "1222e786b144d0e85b9f365372d93676"
GOLDEN_BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"264937493375603","changes":[{"value":{"messaging_product":'
    b'"whatsapp","metadata":{"display_phone_number":"15550953877","phone_number_id":"277321005464405"},"contacts":[{'
    b'"profile":{"name":"PyWa Tests"},"wa_id":"972544401243"}],"messages":[{"from":"972544401243","id":"wamid.HBgMOT'
    b'cyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA","timestamp":"1730231903","text":{"body":"'
    b'Hey there! I am using PyWa."},"type":"text"}]},"field":"messages"}]}]}'
)
GOLDEN_SIG = "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441"


def test_golden_vector_from_pywa_verifies() -> None:
    assert sign(GOLDEN_SECRET, GOLDEN_BODY) == GOLDEN_SIG
    assert verify(GOLDEN_SECRET, GOLDEN_BODY, GOLDEN_SIG)


def test_meta_bytes_reproduce_the_golden_body_exactly() -> None:
    assert meta_bytes(json.loads(GOLDEN_BODY)) == GOLDEN_BODY


def test_meta_bytes_escape_non_ascii_lowercase_and_slashes() -> None:
    body = meta_bytes({"caption": "Hola quiero un café 😀", "url": "https://lookaside.fbsbx.com/a?b=c"})
    assert body == (
        b'{"caption":"Hola quiero un caf\\u00e9 \\ud83d\\ude00","url":"https:\\/\\/lookaside.fbsbx.com\\/a?b=c"}'
    )


@pytest.mark.parametrize(
    "text", ["café con leche", "reserva 🛏️🌙", "mira https://hotel.example/rooms?id=3", "escribe a ana@hotel.es"]
)
def test_signature_breaks_after_a_json_round_trip(text: str) -> None:
    body = meta_bytes({"text": {"body": text}})
    signature = sign(SECRET, body)
    assert verify(SECRET, body, signature)
    reserialised = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":")).encode()
    assert reserialised != body
    assert not verify(SECRET, reserialised, signature)
    assert not verify(SECRET, json.dumps(json.loads(body)).encode(), signature)


def test_verify_rejects_missing_and_wrong_headers() -> None:
    body = meta_bytes({"a": 1})
    assert not verify(SECRET, body, None)
    assert not verify(SECRET, body, "sha256=" + "0" * 64)
    assert not verify("other", body, sign(SECRET, body))


@pytest.fixture(scope="module")
def live() -> tuple[ThreadedSimulator, Receiver]:
    rx = Receiver(verify_token="vt").start()
    sim = ThreadedSimulator(make_settings(rx.url)).start()
    yield sim, rx
    sim.stop()
    rx.stop()


def test_delivered_webhook_signature_is_hmac_over_raw_body(live) -> None:
    sim, rx = live
    import httpx

    before = len(rx.posts)
    r = httpx.post(f"{sim.base_url}/_sim/guests/{GUEST}/messages", json={"text": "Quería un café ☕ https://x.es/y"})
    assert r.status_code == 201
    posts = rx.wait_for(lambda p: len(p) > before)
    post = posts[before]
    expected = "sha256=" + hmac.new(SECRET.encode(), post.body, hashlib.sha256).hexdigest()
    assert post.headers["x-hub-signature-256"] == expected
    assert post.headers["content-type"] == "application/json"
    assert post.headers["user-agent"] == "facebookexternalua"
    assert b"caf\\u00e9 \\u2615 https:\\/\\/x.es\\/y" in post.body
    # Compact separators, exactly as Meta's captures.
    assert b'": ' not in post.body and b', "' not in post.body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=300).filter(lambda s: s != ""))
def test_any_unicode_text_round_trips_and_verifies(live, text: str) -> None:
    sim, rx = live
    import httpx

    r = httpx.post(f"{sim.base_url}/_sim/guests/{GUEST}/messages", json={"text": text})
    assert r.status_code == 201, r.text
    wamid = r.json()["wamid"]
    found = wait_until(lambda: [p for p in list(rx.posts) if wamid.encode() in p.body], what="the webhook POST")
    post = found[0]
    assert verify(SECRET, post.body, post.headers["x-hub-signature-256"])
    assert post.body.isascii()
    message = orjson.loads(post.body)["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["text"]["body"] == text


def test_settings_default_to_2026_shape() -> None:
    assert SimSettings().payload_shape == "2026"
