"""pywa (pinned in the `test` extra) against the simulator: typed handlers for messages, callbacks and
statuses (failed included), its signature check, sends, and the business-management reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from pywa import WhatsApp, errors, types
from pywa.types import templates as t
from pywa.types.message_status import MessageStatusType
from pywa.types.templates import TemplateLanguage

from simulators.serving import ThreadedServer, free_port
from simulators.whatsapp.server import ThreadedSimulator
from simulators.whatsapp.wire import sign
from tests.clients.conftest import (
    GUEST,
    PNID,
    SECRET,
    TOKEN,
    VERIFY,
    WABA,
    Collected,
    GraphRedirect,
    start_simulator,
    wait_verified,
)

pytestmark = pytest.mark.e2e


@dataclass
class Env:
    wa: WhatsApp
    sim: ThreadedSimulator
    seen: Collected
    control: httpx.Client
    webhook_url: str

    def guest(self, wa_id: str = GUEST, **body: object) -> dict:
        r = self.control.post(f"/_sim/guests/{wa_id}/messages", json={"type": "text", "text": "hola", **body})
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}/webhook"
    sim = start_simulator(webhook_url)
    app = FastAPI()
    seen = Collected()
    wa = WhatsApp(
        phone_id=PNID,
        token=TOKEN,
        session=httpx.Client(transport=GraphRedirect(sim.base_url), timeout=10),
        server=app,
        webhook_endpoint="/webhook",
        verify_token=VERIFY,
        app_secret=SECRET,
        waba_id=WABA,
        api_version="21.0",
    )
    wa.on_message()(lambda _c, m: seen.add("message", m))
    wa.on_callback_button()(lambda _c, b: seen.add("button", b))
    wa.on_callback_selection()(lambda _c, s: seen.add("selection", s))
    wa.on_message_status()(lambda _c, s: seen.add("status", s))
    wa.on_template_status_update()(lambda _c, u: seen.add("template", u))
    server = ThreadedServer(app, "127.0.0.1", port).start()
    control = httpx.Client(base_url=sim.base_url, timeout=10)
    try:
        wait_verified(sim)
        yield Env(wa, sim, seen, control, webhook_url)
    finally:
        control.close()
        server.stop()
        sim.stop()


def test_text_message_reaches_the_typed_handler(env: Env) -> None:
    sent = env.guest(text="Hola, ¿tenéis habitación?")
    msg: types.Message = env.seen.wait("message", lambda m: m.id == sent["wamid"])
    assert msg.text == "Hola, ¿tenéis habitación?" and msg.from_user.wa_id == GUEST


def test_send_text_and_statuses_reach_the_status_handler(env: Env) -> None:
    env.guest()
    sent = env.wa.send_message(to=GUEST, text="*Bienvenida* al hotel", tracker="turn-1")
    read = env.seen.wait("status", lambda s: s.id == sent.id and s.status == MessageStatusType.READ)
    assert read.tracker == "turn-1"
    seen = [s.status for s in env.seen.of("status") if s.id == sent.id]
    assert seen == [MessageStatusType.SENT, MessageStatusType.DELIVERED, MessageStatusType.READ]


def test_reply_button_tap_reaches_the_callback_button_handler(env: Env) -> None:
    env.guest()
    sent = env.wa.send_message(
        to=GUEST, text="¿Confirmas?", buttons=[types.Button("Sí", "yes"), types.Button("No", "no")]
    )
    env.control.post(f"/_sim/guests/{GUEST}/messages", json={"type": "button", "button_id": "yes"})
    button: types.CallbackButton = env.seen.wait("button", lambda b: b.reply_to_message.id == sent.id)
    assert button.data == "yes" and button.title == "Sí"


def test_list_row_reaches_the_callback_selection_handler(env: Env) -> None:
    env.guest()
    section = types.Section(title="Rooms", rows=[types.SectionRow("Doble", "double"), types.SectionRow("Suite", "s")])
    env.wa.send_message(to=GUEST, text="Elige", buttons=types.SectionList("Ver", sections=[section]))
    env.control.post(f"/_sim/guests/{GUEST}/messages", json={"type": "list", "row_id": "s"})
    selection: types.CallbackSelection = env.seen.wait("selection", lambda s: s.data == "s")
    assert selection.title == "Suite"


def test_failed_status_reaches_the_status_handler_with_its_error(env: Env) -> None:
    # Unknown recipient: Meta accepts, then sends `failed` 131026 with contacts:[{wa_id}] (D1, pywa#227).
    sent = env.wa.send_message(to="+34699999998", text="hola")
    failed = env.seen.wait("status", lambda s: s.id == sent.id and s.status == MessageStatusType.FAILED)
    assert failed.error.code == 131026 and isinstance(failed.error, errors.MessageUndeliverable)


def test_outside_the_window_failed_131047_reaches_the_handler(env: Env) -> None:
    wa_id = "34600999000"
    env.control.post("/_sim/guests", json={"wa_id": wa_id, "profile_name": "Luis"})
    sent = env.wa.send_message(to=wa_id, text="¿Sigues ahí?")
    failed = env.seen.wait("status", lambda s: s.id == sent.id and s.status == MessageStatusType.FAILED)
    assert failed.error.code == 131047 and isinstance(failed.error, errors.ReEngagementMessage)


def test_template_send_and_its_statuses(env: Env) -> None:
    env.guest()
    sent = env.wa.send_template(to=GUEST, name="hello_world", language=TemplateLanguage.ENGLISH_US)
    env.seen.wait("status", lambda s: s.id == sent.id and s.status == MessageStatusType.DELIVERED)


def test_forged_signature_is_rejected_and_no_handler_runs(env: Env) -> None:
    # A text message in the 2026 shape of Meta's BSUID page (contacts[].user_id, messages[].from_user_id);
    # pywa 4.x needs user_id in every update (KeyError 'user_id' otherwise, whatsapp-real-payloads.md).
    body = (
        b'{"object":"whatsapp_business_account","entry":[{"id":"' + WABA.encode() + b'","changes":[{"value":'
        b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"'
        + PNID.encode()
        + b'"},"contacts":[{"profile":{"name":"X"},"wa_id":"34611","user_id":"ES.1"}],"messages":[{"from":"34611",'
        b'"from_user_id":"ES.1","id":"wamid.FORGED","timestamp":"1","type":"text","text":{"body":"forged"}}]},"field":"messages"}]}]}'
    )
    before = len(env.seen.of("message"))
    good = {"content-type": "application/json", "x-hub-signature-256": sign(SECRET, body)}
    bad = {**good, "x-hub-signature-256": sign("another-secret", body)}
    assert httpx.post(env.webhook_url, content=body, headers=bad).status_code in (401, 403)
    assert len(env.seen.of("message")) == before
    # The same bytes with the right signature are accepted: the check is on the signature, not the body.
    assert httpx.post(env.webhook_url, content=body, headers=good).status_code == 200
    env.seen.wait("message", lambda m: m.id == "wamid.FORGED")


def test_phone_number_node_and_template_list_parse(env: Env) -> None:
    phone = env.wa.get_business_phone_number()
    assert phone.id == PNID and phone.display_phone_number == "+1 555-078-3881"
    assert phone.platform_type == "CLOUD_API"
    names = {t.name for t in env.wa.get_templates()}
    assert {"hello_world", "booking_reminder"} <= names


def test_created_template_is_approved_by_webhook_and_listed(env: Env) -> None:
    # pywa's own create_template example: NAMED parameters with their samples.
    template = t.Template(
        name="seasonal_promotion",
        category=t.TemplateCategory.MARKETING,
        language=TemplateLanguage.ENGLISH_US,
        parameter_format=t.ParamFormat.NAMED,
        components=[
            t.BodyText(text="Shop now through {{end_date}} with code {{code}}.", end_date="August", code="25OFF"),
            t.Buttons(buttons=[t.QuickReplyButton(text="Unsubscribe")]),
        ],
    )
    created = env.wa.create_template(template)
    assert created.status == t.TemplateStatus.PENDING
    update = env.seen.wait("template", lambda u: u.template_name == "seasonal_promotion")
    assert update.new_status == t.TemplateStatus.APPROVED and str(update.template_id) == created.id
    listed = {x.name: x for x in env.wa.get_templates(name="seasonal_promotion")}
    assert listed["seasonal_promotion"].status == t.TemplateStatus.APPROVED
