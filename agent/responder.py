"""The seam between the service and the brain: a Turn goes in, a TurnResult comes out.

The worker builds a Turn for each inbound message (guest, conversation, normalised message, persisted state,
language, clock), calls `Responder.respond`, then persists `TurnResult.state` and sends `TurnResult.replies`
idempotently. A responder does no I/O of its own against WhatsApp or the database; it may be async so a
receptionist can consult its adapters (the PMS) through interfaces it was given at construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.clock import Clock
from agent.envelope import GeoPoint, InboundView  # the normalised message: defined once, with the parser
from agent.outbound import Outbound

__all__ = ["GeoPoint", "GuestRef", "InboundView", "Responder", "Turn", "TurnResult"]


@dataclass(frozen=True)
class GuestRef:
    """Who is writing: wa_id (None for username-only guests), business-scoped user id, WhatsApp profile name."""

    key: str
    wa_id: str | None
    user_id: str | None
    profile_name: str


@dataclass(frozen=True)
class Turn:
    """One guest message to answer, with everything the brain may read."""

    guest: GuestRef
    conversation_id: int
    message: InboundView
    state: dict[str, Any]  # JSON-able, persisted in conversations.state; {} on the first turn
    language: str  # "es" or "en": the conversation's language so far
    clock: Clock
    hotel_id: int = 1
    timezone: str = "Europe/Madrid"


@dataclass
class TurnResult:
    """What to do: replies in order, the new state and language, and whether a person must take over."""

    replies: list[Outbound] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    language: str | None = None  # None keeps the current language
    handoff: bool = False
    handoff_reason: str = ""


class Responder(Protocol):
    """Anything that answers a Turn: the echo menu today, the receptionist tomorrow."""

    async def respond(self, turn: Turn) -> TurnResult: ...
