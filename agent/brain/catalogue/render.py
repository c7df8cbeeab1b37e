"""Render dialogue replies into WhatsApp Cloud API message objects (the body of POST /{phone_id}/messages,
without `messaging_product` and `to`), enforcing WhatsApp's length and count limits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from agent.brain.catalogue import en, es
from agent.brain.dialogue.replies import Reply, Say, SendLocation

CATALOGUES: dict[str, dict[str, Any]] = {"es": es.TEXTS, "en": en.TEXTS}
LIMITS = {
    "text_body": 4096,
    "interactive_body": 1024,
    "buttons": 3,
    "button_title": 20,
    "rows": 10,
    "row_title": 24,
    "row_description": 72,
    "list_button": 20,
    "reply_id": 256,
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text_of(key: str, params: dict[str, Any], language: str) -> str:
    """The catalogue text for a key in a language (English if the language is unknown)."""
    texts = CATALOGUES.get(language, en.TEXTS)
    entry = texts[key]
    prepared = {k: _localise(v, language) for k, v in params.items()}
    if callable(entry):
        return str(entry(prepared))
    return str(entry).format_map(prepared)


def _localise(value: Any, language: str) -> Any:
    # Knowledge-file entries carry one text per language.
    if isinstance(value, dict) and set(value) >= {"es", "en"}:
        return value[language]
    if isinstance(value, Decimal):
        return value
    if isinstance(value, date):
        return value
    return value


def render(reply: Reply, language: str) -> dict[str, Any]:
    """One WhatsApp message object for one reply."""
    if isinstance(reply, SendLocation):
        return {
            "type": "location",
            "location": {
                "latitude": reply.latitude,
                "longitude": reply.longitude,
                "name": _clip(reply.name, 1000),
                "address": _clip(reply.address, 1000),
            },
        }
    assert isinstance(reply, Say)
    body = text_of(reply.key, reply.params, language)
    if reply.buttons:
        buttons = [
            {
                "type": "reply",
                "reply": {
                    "id": b.id[: LIMITS["reply_id"]],
                    "title": _clip(
                        b.title if b.title is not None else text_of(str(b.title_key), {}, language),
                        LIMITS["button_title"],
                    ),
                },
            }
            for b in reply.buttons[: LIMITS["buttons"]]
        ]
        return {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": _clip(body, LIMITS["interactive_body"])},
                "action": {"buttons": buttons},
            },
        }
    if reply.rows:
        rows = [
            {
                "id": r.id[: LIMITS["reply_id"]],
                "title": _clip(r.title, LIMITS["row_title"]),
                **({"description": _clip(r.description, LIMITS["row_description"])} if r.description else {}),
            }
            for r in reply.rows[: LIMITS["rows"]]
        ]
        button = _clip(text_of(reply.list_button_key, {}, language), LIMITS["list_button"])
        return {
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": _clip(body, LIMITS["interactive_body"])},
                "action": {"button": button, "sections": [{"title": _clip(button, 24), "rows": rows}]},
            },
        }
    return {"type": "text", "text": {"body": _clip(body, LIMITS["text_body"]), "preview_url": False}}
