"""The chat page renders what the business sends as WhatsApp does, in a real headless chromium: the test is
the business (Graph API sends to the real simulator), the page is the guest."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Locator, Page

from simulators.whatsapp.server import ThreadedSimulator
from tests.browser import chromium, offline_context
from tests.whatsapp.conftest import AUTH, PNID, make_settings

pytestmark = pytest.mark.e2e

GUEST = "34655000111"
LATE = "34655000222"
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def sim() -> Iterator[ThreadedSimulator]:
    settings = make_settings(None, statuses={"sent_after_ms": 5, "delivered_after_ms": 20, "read_after_ms": 40,
                                             "played_after_ms": 40})  # fmt: skip
    server = ThreadedSimulator(settings).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(sim: ThreadedSimulator) -> Iterator[Page]:
    with chromium() as browser, offline_context(browser) as (context, offline):
        tab = context.new_page()
        tab.goto(f"{sim.base_url}/_sim/chat")
        tab.locator("#status").filter(has_text="live").wait_for()
        yield tab
        assert offline.refused == [], offline.refused


def send(sim: ThreadedSimulator, to: str, mtype: str, payload: object, **extra: object) -> str:
    body = {"messaging_product": "whatsapp", "to": to, "type": mtype, mtype: payload, **extra}
    r = httpx.post(f"{sim.base_url}/v21.0/{PNID}/messages", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()["messages"][0]["id"]


def bubble(page: Page, wamid: str) -> Locator:
    loc = page.locator(f'.msg[data-wamid="{wamid}"]')
    loc.wait_for(timeout=WAIT_MS)
    return loc


@pytest.fixture(scope="module")
def pane(page: Page, sim: ThreadedSimulator) -> Locator:
    form = page.locator("#newguest")
    form.locator("input[name=profile_name]").fill("Marta")
    form.locator("input[name=wa_id]").fill(GUEST)
    form.locator("button[type=submit]").click()
    pane = page.locator(f'section.pane[data-wa="{GUEST}"]')
    pane.locator(".composer input").fill("Hola")
    pane.locator(".composer input").press("Enter")
    pane.locator(".msg.in").first.wait_for(timeout=WAIT_MS)
    return pane


def test_whatsapp_formatting_and_ticks(pane: Locator, page: Page, sim: ThreadedSimulator) -> None:
    wamid = send(sim, GUEST, "text", {"body": "*Hotel* _Sol_ ~cerrado~ ```cod 1``` y `x`\nfin"})
    msg = bubble(page, wamid)
    assert msg.locator("b").inner_text() == "Hotel" and msg.locator("i").inner_text() == "Sol"
    assert msg.locator("s").inner_text() == "cerrado" and msg.locator("pre").inner_text() == "cod 1"
    assert msg.locator("code").inner_text() == "x" and msg.locator("br").count() == 1
    msg.locator(".ticks.read").wait_for(timeout=WAIT_MS)
    assert pane.locator(".window.open").count() == 1


def test_reply_buttons_tap_sends_the_interactive_reply(pane: Locator, page: Page, sim: ThreadedSimulator) -> None:
    buttons = {"type": "button", "header": {"type": "text", "text": "Reserva"}, "body": {"text": "¿Confirmas?"},
               "footer": {"text": "Hotel Sol"}, "action": {"buttons": [
                   {"type": "reply", "reply": {"id": "yes", "title": "Sí"}},
                   {"type": "reply", "reply": {"id": "no", "title": "No"}}]}}  # fmt: skip
    wamid = send(sim, GUEST, "interactive", buttons)
    msg = bubble(page, wamid)
    assert msg.locator(".hdr").inner_text() == "Reserva" and msg.locator(".ftr").inner_text() == "Hotel Sol"
    msg.locator("button.reply-btn", has_text="Sí").click()
    pane.locator(".msg.in", has_text="Sí").wait_for(timeout=WAIT_MS)
    inbound = sim.sim.state.last_inbound(GUEST)
    assert inbound is not None
    assert inbound.payload["interactive"] == {"type": "button_reply", "button_reply": {"id": "yes", "title": "Sí"}}
    assert inbound.payload["context"]["id"] == wamid


def test_list_rows_open_and_tap_sends_the_list_reply(pane: Locator, page: Page, sim: ThreadedSimulator) -> None:
    listing = {"type": "list", "body": {"text": "Elige habitación"}, "action": {"button": "Ver", "sections": [
        {"title": "Dobles", "rows": [{"id": "d1", "title": "Doble", "description": "Vista al mar"}]},
        {"title": "Suites", "rows": [{"id": "s1", "title": "Suite"}]}]}}  # fmt: skip
    msg = bubble(page, send(sim, GUEST, "interactive", listing))
    assert not msg.locator("button.list-row").first.is_visible()
    msg.locator("button.list-open").click()
    msg.locator("button.list-row", has_text="Suite").click()
    pane.locator(".msg.in", has_text="Suite").wait_for(timeout=WAIT_MS)
    inbound = sim.sim.state.last_inbound(GUEST)
    assert inbound is not None and inbound.payload["interactive"]["list_reply"] == {"id": "s1", "title": "Suite"}


def test_cta_template_media_location_and_reaction(pane: Locator, page: Page, sim: ThreadedSimulator) -> None:
    params = {"display_text": "Ver reserva", "url": "https://hotel.example/r/1"}
    cta = {"type": "cta_url", "body": {"text": "Tu reserva"}, "action": {"name": "cta_url", "parameters": params}}
    link = bubble(page, send(sim, GUEST, "interactive", cta)).locator("a.cta")
    assert link.get_attribute("href") == "https://hotel.example/r/1" and "Ver reserva" in link.inner_text()

    params = [{"type": "text", "text": "Marta"}, {"type": "text", "text": "lunes"}]
    tpl = {"name": "booking_reminder", "language": {"code": "es"},
           "components": [{"type": "body", "parameters": params}]}  # fmt: skip
    template = bubble(page, send(sim, GUEST, "template", tpl))
    assert "Hola Marta, te esperamos el lunes." in template.inner_text()
    template.locator("button.reply-btn", has_text="Confirmar").click()
    pane.locator(".msg.in", has_text="Confirmar").wait_for(timeout=WAIT_MS)
    assert sim.sim.state.last_inbound(GUEST).payload["button"]["text"] == "Confirmar"

    image = bubble(page, send(sim, GUEST, "image", {"link": "https://hotel.example/a.jpg", "caption": "*Piscina*"}))
    assert "Photo" in image.inner_text() and image.locator("b").inner_text() == "Piscina"
    doc = bubble(page, send(sim, GUEST, "document", {"link": "https://hotel.example/f.pdf", "filename": "factura.pdf"}))
    assert "factura.pdf" in doc.inner_text()
    place = {"latitude": 36.5, "longitude": -4.9, "name": "Hotel Sol", "address": "Marbella"}
    where = bubble(page, send(sim, GUEST, "location", place))
    assert "Hotel Sol" in where.inner_text() and "Marbella" in where.inner_text()

    guest_msg = sim.sim.state.last_inbound(GUEST)
    send(sim, GUEST, "reaction", {"message_id": guest_msg.wamid, "emoji": "❤"})
    page.locator(f'.msg[data-wamid="{guest_msg.wamid}"] .reaction', has_text="❤").wait_for(timeout=WAIT_MS)


def test_voice_message_shows_played_and_location_request_shares_a_location(
    pane: Locator, page: Page, sim: ThreadedSimulator
) -> None:
    voice = bubble(page, send(sim, GUEST, "audio", {"link": "https://hotel.example/v.ogg", "voice": True}))
    assert "Voice message" in voice.inner_text()
    voice.locator(".ticks[title=played]").wait_for(timeout=WAIT_MS)
    ask = {"type": "location_request_message", "body": {"text": "¿Dónde te recogemos?"},
           "action": {"name": "send_location"}}  # fmt: skip
    bubble(page, send(sim, GUEST, "interactive", ask)).locator("button.loc-btn").click()
    pane.locator(".msg.in", has_text="Puerta del Sol").wait_for(timeout=WAIT_MS)
    assert sim.sim.state.last_inbound(GUEST).type == "location"


def test_typing_indicator_shows_until_the_reply(pane: Locator, page: Page, sim: ThreadedSimulator) -> None:
    last = sim.sim.state.last_inbound(GUEST)
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": last.wamid,
            "typing_indicator": {"type": "text"}}  # fmt: skip
    assert httpx.post(f"{sim.base_url}/v21.0/{PNID}/messages", json=body, headers=AUTH).status_code == 200
    pane.locator(".typing", has_text="typing").wait_for(timeout=WAIT_MS)
    bubble(page, send(sim, GUEST, "text", {"body": "Aquí estoy"}))
    assert pane.locator(".typing").inner_text() == ""


def test_failed_send_shows_its_error_code_and_closed_window(page: Page, sim: ThreadedSimulator) -> None:
    httpx.post(f"{sim.base_url}/_sim/guests", json={"wa_id": LATE, "profile_name": "Pedro"})
    page.reload()
    page.locator("#status").filter(has_text="live").wait_for()
    page.locator(f'#guests li[data-wa="{LATE}"]').click()
    late = page.locator(f'section.pane[data-wa="{LATE}"]')
    assert "closed" in late.locator(".window").inner_text()
    msg = bubble(page, send(sim, LATE, "text", {"body": "¿Sigues ahí?"}))
    error = msg.locator(".err[data-code='131047']")
    error.wait_for(timeout=WAIT_MS)
    assert "Re-engagement message" in error.inner_text()
