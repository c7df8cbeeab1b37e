"""Drive the pure dialogue with hand-made NLU results, and render every reply to check WhatsApp limits."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

from agent.brain.catalogue import LIMITS, render
from agent.brain.dialogue import Context, ConversationState, Decision, GuestMessage, decide
from agent.brain.dialogue.facts import BookingView, Offer
from agent.brain.dialogue.replies import Say
from agent.brain.nlu.model import ParseResult

TODAY = date(2026, 11, 25)
CTX = Context(today=TODAY)


def msg(
    intent: str = "unknown", text: str = "", lang: str = "es", reply_id: str | None = None, kind: str = "text", **ents
) -> GuestMessage:
    ents = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in ents.items()}
    return GuestMessage(kind=kind, text=text, nlu=ParseResult(lang, intent, 0.9, ents), reply_id=reply_id)  # type: ignore[arg-type]


def tap(reply_id: str, title: str = "", lang: str = "es") -> GuestMessage:
    return msg("unknown", title, lang, reply_id=reply_id, kind="button")


def step(state: ConversationState, event: Any) -> Decision:
    """One decision, with every reply rendered and checked against WhatsApp's limits, and the state JSON-safe.

    The state given is left exactly as it was, nested dicts included (`ConversationState.copy` shares them).
    """
    before = copy.deepcopy(state)
    d = decide(state, event, CTX)
    assert state == before, "decide changed the state it was given"
    for reply in d.replies:
        check_limits(render(reply, d.state.language))
    json.dumps(d.state.to_dict())
    return d


def check_limits(m: dict[str, Any]) -> None:
    if m["type"] == "text":
        assert 0 < len(m["text"]["body"]) <= LIMITS["text_body"]
    elif m["type"] == "interactive":
        inter = m["interactive"]
        assert 0 < len(inter["body"]["text"]) <= LIMITS["interactive_body"]
        if inter["type"] == "button":
            buttons = inter["action"]["buttons"]
            assert 1 <= len(buttons) <= 3
            assert all(0 < len(b["reply"]["title"]) <= 20 for b in buttons)
            assert len({b["reply"]["id"] for b in buttons}) == len(buttons)
        else:
            rows = inter["action"]["sections"][0]["rows"]
            assert 1 <= len(rows) <= 10
            assert all(0 < len(r["title"]) <= 24 for r in rows)
            assert len(inter["action"]["button"]) <= 20


def keys(d: Decision) -> list[str]:
    return [r.key for r in d.replies if isinstance(r, Say)]


def button_ids(d: Decision) -> list[str]:
    return [b.id for r in d.replies if isinstance(r, Say) for b in r.buttons]


OFFERS = (
    Offer(1, "General Rooms", 5, Decimal("1100.00"), Decimal("2200.00"), "EUR"),
    Offer(2, "Delux Rooms", 5, Decimal("1650.00"), Decimal("3300.00"), "EUR"),
    Offer(3, "Executive Rooms", 1, Decimal("2200.00"), Decimal("4400.00"), "EUR"),
)


def booking_view(ref: str = "ABCDEFGHI", check_in: date = date(2026, 12, 3), check_out: date = date(2026, 12, 5)):
    return BookingView(
        id_order=7,
        reference=ref,
        hotel_id=1,
        id_room_type=2,
        room_type_name="Delux Rooms",
        check_in=check_in,
        check_out=check_out,
        rooms=1,
        email="ana@example.com",
        firstname="Ana",
        lastname="López",
        total=Decimal("3300.00"),
        currency="EUR",
        cancelled=False,
    )
