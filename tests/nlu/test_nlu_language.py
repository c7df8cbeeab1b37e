"""Language detection per message, with the conversation's language as tie-breaker."""

from __future__ import annotations

from datetime import date

import pytest

from tests.nlu.shipped import parse

REF = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola, quiero reservar", "es"),
        ("tenéis wifi?", "es"),
        ("donde estais", "es"),
        ("Hi, I'd like to book a room", "en"),
        ("is breakfast included", "en"),
        ("Hi! quiero reservar una habitación doble", "es"),
        ("hola, how much is a room for tonight?", "en"),
    ],
)
def test_language_detected_per_message(text: str, language: str) -> None:
    assert parse(text, REF).language == language


@pytest.mark.parametrize("text", ["ok", "3", "👍", "XKBKNABJK"])
def test_short_messages_keep_the_conversation_language(text: str) -> None:
    assert parse(text, REF, previous_language="en").language == "en"
    assert parse(text, REF, previous_language="es").language == "es"


def test_a_clear_message_overrides_the_previous_language() -> None:
    assert parse("quiero cancelar mi reserva", REF, previous_language="en").language == "es"
    assert parse("I want to cancel my booking", REF, previous_language="es").language == "en"


def test_short_message_without_history_defaults_to_spanish() -> None:
    assert parse("ok", REF).language == "es"
