"""The reply catalogues: same keys in both languages, every fixed title within WhatsApp's limits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from agent.brain.catalogue import render, text_of
from agent.brain.catalogue.en import TEXTS as EN
from agent.brain.catalogue.es import TEXTS as ES
from agent.brain.dialogue.replies import Button, Row, Say


def test_both_languages_have_exactly_the_same_keys():
    assert set(ES) == set(EN)


def test_button_and_list_titles_fit_whatsapp_limits_in_both_languages():
    for texts in (ES, EN):
        for key, value in texts.items():
            if key.startswith(("btn.", "list.")):
                assert isinstance(value, str) and 0 < len(value) <= 20, key


def test_long_room_names_are_clipped_to_button_and_row_limits():
    long = "Presidential Ocean View Suite With Terrace"
    m = render(Say("greeting", buttons=(Button("room:9", title=long),)), "en")
    title = m["interactive"]["action"]["buttons"][0]["reply"]["title"]
    assert len(title) <= 20 and title.startswith("Presidential") and title.endswith("…")
    m = render(Say("offers.list", _offer_params(), rows=(Row("room:9", long, "x" * 100),)), "es")
    row = m["interactive"]["action"]["sections"][0]["rows"][0]
    assert len(row["title"]) <= 24 and len(row["description"]) <= 72 and row["title"].endswith("…")


def _offer_params():
    offer = {"name": "General Rooms", "nightly": Decimal("1100"), "total": Decimal("2200"), "currency": "EUR"}
    return {"check_in": date(2026, 12, 3), "check_out": date(2026, 12, 5), "nights": 2, "adults": 2, "offers": [offer]}


def test_offer_text_states_nightly_price_and_stay_total_with_currency():
    en = text_of("offers.buttons", _offer_params(), "en")
    es = text_of("offers.buttons", _offer_params(), "es")
    assert "1100.00 EUR/night" in en and "2200.00 EUR in total" in en and "3 Dec 2026" in en
    assert "1100.00 EUR/noche" in es and "3 dic 2026" in es


def test_plain_text_reply_is_a_whatsapp_text_message():
    m = render(Say("thanks"), "es")
    assert m == {"type": "text", "text": {"body": ES["thanks"], "preview_url": False}}
