"""whatsapp-python (pinned in the `test` extra) against the simulator: its own FastAPI webhook app for the
handshake and messages, its senders, and its static parsers for statuses.

Its hard-coded https://graph.facebook.com is redirected at the transport (requests' adapter), as a user
would in a test. whatsapp-python gaps worked around here, each named where it bites:
- `WhatsApp.__init__` always fetches developers.facebook.com, even with `version=` pinned: answered with
  a canned empty page so the suite runs offline;
- its webhook app has no signature check: the test puts an X-Hub-Signature-256 check in front of it;
- its webhook app ignores statuses: the test parses status webhooks with its static `get_delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.metadata
import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import requests

from simulators.serving import ThreadedServer, free_port
from simulators.whatsapp.server import ThreadedSimulator
from tests.clients.conftest import (
    GUEST,
    PNID,
    SECRET,
    TOKEN,
    VERIFY,
    Collected,
    redirect_requests,
    start_simulator,
    wait_verified,
)

pytestmark = pytest.mark.e2e


def _load_whatsapp_python():
    """This repository's tests/whatsapp package shadows the `whatsapp` distribution on sys.path under
    pytest, so load the client's package under its own name (its imports are relative)."""
    if "whatsapp_python" in sys.modules:
        return sys.modules["whatsapp_python"]
    init = importlib.metadata.distribution("whatsapp-python").locate_file("whatsapp/__init__.py")
    spec = importlib.util.spec_from_file_location(
        "whatsapp_python", init, submodule_search_locations=[str(init.parent)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["whatsapp_python"] = module
    spec.loader.exec_module(module)
    return module


_wp = _load_whatsapp_python()
WhatsApp = _wp.WhatsApp


def _empty_changelog() -> requests.Response:
    resp = requests.Response()
    resp.status_code = 200
    resp._content = b"<html><body></body></html>"
    return resp


class SignatureCheck:
    """ASGI middleware: refuse POSTs whose X-Hub-Signature-256 does not match (whatsapp-python has none)."""

    def __init__(self, app: Any, seen: Collected) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        header = dict(scope["headers"]).get(b"x-hub-signature-256", b"").decode()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, header):
            self.seen.add("rejected", body)
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"bad signature"})
            return
        self.seen.add("signed", body)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


@dataclass
class Env:
    messenger: Any
    sim: ThreadedSimulator
    seen: Collected
    control: httpx.Client
    webhook_url: str

    def guest(self, **body: Any) -> dict:
        r = self.control.post(f"/_sim/guests/{GUEST}/messages", json={"type": "text", "text": "hola", **body})
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}/"
    sim = start_simulator(webhook_url)
    seen = Collected()
    with redirect_requests(sim.base_url, canned={"developers.facebook.com": _empty_changelog}):
        messenger = WhatsApp(
            token=TOKEN, phone_number_id={"main": PNID}, verify_token=VERIFY, update_check=False, version="v21.0"
        )

        async def on_message(msg: Any) -> None:
            seen.add("message", msg)

        messenger.on_message(on_message)
        server = ThreadedServer(SignatureCheck(messenger.app, seen), "127.0.0.1", port).start()
        control = httpx.Client(base_url=sim.base_url, timeout=10)
        try:
            yield Env(messenger, sim, seen, control, webhook_url)
        finally:
            control.close()
            server.stop()
            sim.stop()


def test_handshake_answers_the_challenge(env: Env) -> None:
    # Its verify endpoint returns int(challenge) as JSON: the same digits, which is what Meta compares.
    wait_verified(env.sim)


def test_signed_text_reaches_its_message_handler(env: Env) -> None:
    wait_verified(env.sim)
    sent = env.guest(text="¿Hay desayuno?", profile_name="Ana")
    msg = env.seen.wait("message", lambda m: m.id == sent["wamid"])
    assert msg.content == "¿Hay desayuno?" and msg.type == "text"
    assert env.messenger.get_mobile(msg.data) == GUEST


def test_forged_webhook_never_reaches_the_handler(env: Env) -> None:
    wait_verified(env.sim)
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    r = httpx.post(env.webhook_url, content=body, headers={"x-hub-signature-256": "sha256=" + "0" * 64})
    assert r.status_code == 401 and body in env.seen.of("rejected")


def test_reply_and_mark_as_read_are_accepted(env: Env) -> None:
    wait_verified(env.sim)
    sent = env.guest(text="hola")
    msg = env.seen.wait("message", lambda m: m.id == sent["wamid"])
    assert msg.reply("¡Hola! ¿En qué te ayudo?")["messages"][0]["id"].startswith("wamid.")
    assert msg.mark_as_read() == {"success": True}


def test_template_location_and_buttons_are_accepted(env: Env) -> None:
    env.guest()
    m = env.messenger
    params = [{"type": "text", "text": "Ana"}, {"type": "text", "text": "1 dic"}]
    tpl = m.send_template("booking_reminder", GUEST, components=[{"type": "body", "parameters": params}], lang="es")
    assert tpl["messages"][0]["message_status"] == "accepted"
    assert "messages" in m.send_location("40.4168", "-3.7038", "Hotel", "Madrid", GUEST)
    rows = [{"id": "double", "title": "Doble"}]
    listing = {"header": "Habitaciones", "body": "Elige", "footer": "Hotel",
               "action": {"button": "Ver", "sections": [{"title": "Tipos", "rows": rows}]}}  # fmt: skip
    assert "messages" in m.send_button(listing, GUEST)
    buttons = {"type": "button", "body": {"text": "¿Confirmas?"},
               "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Sí"}}]}}  # fmt: skip
    assert "messages" in m.send_reply_button(buttons, GUEST)


def test_button_tap_parses_as_interactive(env: Env) -> None:
    wait_verified(env.sim)
    env.guest()
    buttons = {"type": "button", "body": {"text": "¿Confirmas?"},
               "action": {"buttons": [{"type": "reply", "reply": {"id": "ok", "title": "Vale"}}]}}  # fmt: skip
    env.messenger.send_reply_button(buttons, GUEST)
    tap = env.control.post(f"/_sim/guests/{GUEST}/messages", json={"type": "button", "button_id": "ok"}).json()
    msg = env.seen.wait("message", lambda m: m.id == tap["wamid"])
    assert msg.type == "interactive" and msg.interactive["button_reply"] == {"id": "ok", "title": "Vale"}


def test_statuses_parse_with_get_delivery(env: Env) -> None:
    wait_verified(env.sim)
    env.guest()
    wamid = env.messenger.send_template("hello_world", GUEST)["messages"][0]["id"]

    def read_status(body: bytes) -> dict | None:
        data = httpx.Response(200, content=body).json()
        statuses = data["entry"][0]["changes"][0]["value"].get("statuses", [])
        return data if any(s["id"] == wamid and s["status"] == "read" for s in statuses) else None

    body = env.seen.wait("signed", lambda b: read_status(b) is not None)
    assert env.messenger.get_delivery(read_status(body)) == "read"


def test_authorized_tells_a_good_token_from_a_bad_one(env: Env) -> None:
    assert env.messenger.authorized is True
    good = env.messenger.headers
    env.messenger.headers = {**good, "Authorization": "Bearer wrong"}
    try:
        assert env.messenger.authorized is False
    finally:
        env.messenger.headers = good
