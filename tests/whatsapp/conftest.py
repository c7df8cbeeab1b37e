"""Fixtures: a real simulator (uvicorn on a free 127.0.0.1 port) and a real webhook receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest

from simulators.whatsapp.config import SimSettings, Template, TemplateButton
from simulators.whatsapp.server import ThreadedSimulator
from tests.waiting import wait_until
from tests.whatsapp.receiver import Receiver

SECRET = "test-app-secret"
TOKEN = "test-token"
VERIFY = "vt"
PNID = "106540352242922"
GUEST = "34600111222"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

TEMPLATES = [
    Template(
        name="booking_reminder",
        language="es",
        body_params=2,
        body="Hola {{1}}, te esperamos el {{2}}.",
        buttons=[TemplateButton(text="Confirmar"), TemplateButton(text="Cancelar")],
    ),
    Template(name="promo", language="es", category="marketing"),
    Template(name="old_promo", language="es", status="PAUSED"),
    Template(name="banned", language="es", status="DISABLED"),
]


def make_settings(webhook_url: str | None, **overrides: Any) -> SimSettings:
    data: dict[str, Any] = {
        "webhook_url": webhook_url,
        "app_secret": SECRET,
        "verify_token": VERIFY,
        "access_token": TOKEN,
        "templates": [t.model_dump() for t in TEMPLATES],
        "statuses": {"sent_after_ms": 5, "delivered_after_ms": 20, "read_after_ms": 40},
        "delivery": {
            "handshake_retry_s": 0.05,
            "handshake_retry_max_s": 0.2,
            "timeout_s": 2,
            "retry": {"schedule_s": [0.05, 0.1, 0.2]},
        },
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return SimSettings.model_validate(data)


class Harness:
    """A running simulator + receiver + an HTTP client, with helpers that keep tests short."""

    def __init__(self, sim: ThreadedSimulator, rx: Receiver | None) -> None:
        self.sim = sim
        self.rx = rx
        self.http = httpx.Client(base_url=sim.base_url, timeout=30)

    @property
    def state(self):
        return self.sim.sim.state

    def send(
        self, body: dict[str, Any], pnid: str = PNID, headers: dict[str, str] | None = None, version: str = "v21.0"
    ) -> httpx.Response:
        return self.http.post(f"/{version}/{pnid}/messages", json=body, headers=headers or AUTH)

    def text(self, to: str = GUEST, body: str = "hola", **extra: Any) -> httpx.Response:
        return self.send({"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}, **extra})

    def guest(self, wa_id: str = GUEST, **fields: Any) -> dict[str, Any]:
        r = self.http.post("/_sim/guests", json={"wa_id": wa_id, **fields})
        assert r.status_code in (200, 201), r.text
        return r.json()

    def guest_says(self, text: str = "hola", wa_id: str = GUEST, **fields: Any) -> dict[str, Any]:
        r = self.http.post(f"/_sim/guests/{wa_id}/messages", json={"type": "text", "text": text, **fields})
        assert r.status_code == 201, r.text
        return r.json()

    def webhook_items(self, key: str) -> list[dict[str, Any]]:
        """Every messages[] or statuses[] item the receiver got, in arrival order."""
        assert self.rx is not None
        out = []
        for post in list(self.rx.posts):
            for entry in orjson.loads(post.body)["entry"]:
                for change in entry["changes"]:
                    out.extend(change["value"].get(key, []))
        return out

    def wait_statuses(self, wamid: str, predicate: Callable[[list[str]], bool], timeout: float = 5) -> list[dict]:
        def matching() -> list[dict]:
            items = [s for s in self.webhook_items("statuses") if s["id"] == wamid]
            return items if predicate([s["status"] for s in items]) else []

        return wait_until(matching, timeout, what=f"the expected statuses of {wamid}", step=0.02)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver(verify_token=VERIFY).start()
    yield rx
    rx.stop()


@pytest.fixture
def make_harness(receiver: Receiver) -> Iterator[Callable[..., Harness]]:
    started: list[Harness] = []

    def factory(webhook: bool = True, **overrides: Any) -> Harness:
        settings = make_settings(receiver.url if webhook else None, **overrides)
        h = Harness(ThreadedSimulator(settings).start(), receiver if webhook else None)
        started.append(h)
        return h

    yield factory
    for h in started:
        h.http.close()
        h.sim.stop()


@pytest.fixture
def h(make_harness: Callable[..., Harness]) -> Harness:
    """A simulator delivering to the receiver, with the default policies."""
    harness = make_harness()
    wait_until(harness.sim.sim.delivery.verified.is_set, what="the webhook handshake")
    return harness


def assert_envelope(
    resp: httpx.Response,
    status: int,
    code: int,
    *,
    subcode: int | None = None,
    etype: str = "OAuthException",
    details: str | None = None,
) -> dict[str, Any]:
    """Meta's error envelope, exactly: HTTP status, type, code, subcode, details, fbtrace_id."""
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code, err
    assert err["type"] == etype, err
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["fbtrace_id"], str) and len(err["fbtrace_id"]) >= 16
    if subcode is None:
        assert "error_subcode" not in err, err
    else:
        assert err["error_subcode"] == subcode, err
    if details is not None:
        assert details in err["error_data"]["details"], err
        assert err["error_data"]["messaging_product"] == "whatsapp"
    return err


@pytest.fixture(scope="module")
def shared_harness() -> Iterator[Harness]:
    """One simulator + receiver per test module (fast); use `fresh` to get it reset for each test."""
    rx = Receiver(verify_token=VERIFY).start()
    harness = Harness(ThreadedSimulator(make_settings(rx.url)).start(), rx)
    yield harness
    harness.http.close()
    harness.sim.stop()
    rx.stop()


@pytest.fixture
def fresh(shared_harness: Harness) -> Harness:
    """The module's simulator, reset: no guests, journal or faults, default settings, receiver answering 200."""
    h = shared_harness
    r = h.http.post("/_sim/reset")
    assert r.status_code == 200
    defaults = make_settings(h.rx.url if h.rx else None)
    live = h.sim.sim.settings
    live.policies = defaults.policies.model_copy()
    live.statuses = defaults.statuses.model_copy()
    live.payload_shape = defaults.payload_shape
    live.payload_version = defaults.payload_version
    live.auto_create_guests = defaults.auto_create_guests
    live.templates = [t.model_copy() for t in defaults.templates]
    live.delivery.retry = defaults.delivery.retry.model_copy()
    live.delivery.timeout_s = defaults.delivery.timeout_s
    for n in live.numbers:
        n.throughput_mps = 80.0
    if h.rx is not None:
        h.rx.posts.clear()
        h.rx.statuses.clear()
        h.rx.default_status = 200
    wait_until(h.sim.sim.delivery.verified.is_set, what="the webhook handshake")
    return h
