"""What one step of the dialogue decides, and what every flow shares: the menu, the handoff, date reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from agent.brain.dialogue.effects import (
    Effect,
)
from agent.brain.dialogue.replies import Button, Reply, Say
from agent.brain.dialogue.state import ConversationState


@dataclass
class Decision:
    """What one step decided: the state to keep, what to say, at most one effect to perform, a handoff flag."""

    state: ConversationState
    replies: list[Reply] = field(default_factory=list)
    effect: Effect | None = None
    handoff: str | None = None


BTN_HANDOFF = Button("handoff", title_key="btn.handoff")


MENU = (Button("menu:availability", title_key="btn.availability"), Button("menu:booking", title_key="btn.my_booking"))


MAX_NIGHTS = 30


def hand_over(st: ConversationState, reason: str, key: str) -> Decision:
    st.reset_flow()
    st.handoff = True
    st.handoff_reason = reason
    st.misunderstandings = 0
    return Decision(st, [Say(key)], handoff=reason)


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
