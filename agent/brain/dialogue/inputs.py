"""What reaches the dialogue from the guest: one message, already understood by the NLU."""

from __future__ import annotations

import hashlib
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
    """What the dialogue needs from outside besides the message: the hotel-local date today, and the WhatsApp id
    of the guest message this turn answers (the same on every retry or redelivery of that message)."""

    today: date
    message_id: str = ""

    def nonce(self, kind: str, turn: int) -> str:
        """A confirmation nonce (and so a booking's idempotency key) unique to the message that asked for it: the
        turn count alone restarts whenever the stored state is discarded, and would reuse an old booking's key."""
        if not self.message_id:
            return f"{kind}{turn}"
        return f"{kind}{turn}.{hashlib.sha256(self.message_id.encode()).hexdigest()[:12]}"
