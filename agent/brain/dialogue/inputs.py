"""What reaches the dialogue from the guest: one message, already understood by the NLU."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from agent.brain.nlu.model import ParseResult

MessageKind = Literal["text", "button", "list", "media", "location", "other"]


@dataclass(frozen=True)
class GuestMessage:
    """A guest turn. For a tap, `text` is the title (what the NLU read) and `reply_id` the id we gave it."""

    kind: MessageKind
    text: str
    nlu: ParseResult
    reply_id: str | None = None


@dataclass(frozen=True)
class Context:
    """What the dialogue needs from outside besides the message: the hotel-local date today."""

    today: date
