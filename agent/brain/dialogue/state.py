"""Per-conversation state: the flow in progress, filled slots, what was offered, what awaits confirmation.

It round-trips through plain JSON (`to_dict` / `from_dict`) so the service can persist it in Postgres and cache it
in Redis.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import date
from enum import Enum
from typing import Any

from agent.brain.dialogue.flows import Flow, Step

STATE_VERSION = 1


@dataclass
class Slots:
    """What the guest told us about the stay and themselves."""

    check_in: str | None = None
    check_out: str | None = None
    adults: int | None = None
    children: int = 0
    rooms: int = 1
    nights: int | None = None
    room_type: str | None = None  # the name the guest asked for (NLU canonical name)
    id_room_type: int | None = None  # the room type chosen among the offers
    guest_name: str | None = None
    email: str | None = None
    booking_reference: str | None = None
    wants_booking: bool = False

    def dates(self) -> tuple[date, date] | None:
        if self.check_in and self.check_out:
            return date.fromisoformat(self.check_in), date.fromisoformat(self.check_out)
        return None


@dataclass
class ConversationState:
    """Everything the dialogue remembers between two guest messages."""

    version: int = STATE_VERSION
    language: str = "es"
    flow: Flow | None = None
    step: Step | None = None
    slots: Slots = field(default_factory=Slots)
    offers: list[dict[str, Any]] = field(default_factory=list)  # last offers shown (facts.Offer as JSON)
    offers_for: str | None = None  # the search (dates, occupancy) the offers answer
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[str, Any] | None = None  # what awaits the guest's explicit confirmation
    target: dict[str, Any] | None = None  # the booking being cancelled / modified / checked
    question: dict[str, Any] | None = None  # an info question waiting for hotel facts
    followups: list[dict[str, Any]] = field(default_factory=list)  # more questions of the same message, in order
    failed_lookups: int = 0
    misunderstandings: int = 0
    handoff: bool = False
    handoff_reason: str | None = None
    own_references: list[str] = field(default_factory=list)  # bookings made in this conversation
    phone_references: list[str] = field(default_factory=list)  # bookings found under the guest's phone number
    phone_lookup_done: bool = False  # this flow already looked the guest's bookings up by phone
    done_nonces: dict[str, str] = field(default_factory=dict)  # confirmation nonce → booking reference
    turn: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as `dataclasses.asdict` gives it (nothing shared with the state)."""
        return {name: _plain(getattr(self, name)) for name in _FIELDS}

    def copy(self) -> ConversationState:
        """A copy whose fields, slots and top-level lists and dicts are its own (this runs for every event).

        The dicts inside them (an offer, a pending booking) are shared: the dialogue replaces them, never edits
        them in place, and `tests/dialogue/helpers.step` checks that no decision changes the state it was given.
        """
        values = {name: getattr(self, name) for name in _FIELDS}
        for name in _CONTAINERS:
            value = values[name]
            if value is not None:
                values[name] = value.copy()
        values["slots"] = Slots(**{name: getattr(self.slots, name) for name in _SLOT_FIELDS})
        return ConversationState(**values)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ConversationState:
        """Rebuild from JSON; an unknown or old version starts afresh rather than misreading it."""
        if not data or data.get("version") != STATE_VERSION:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "slots"}
        slots = Slots(**{k: v for k, v in (data.get("slots") or {}).items() if k in Slots.__dataclass_fields__})
        try:
            # Stored as their plain string values; a value no longer known starts the conversation afresh.
            known["flow"] = Flow(known["flow"]) if known.get("flow") else None
            known["step"] = Step(known["step"]) if known.get("step") else None
        except ValueError:
            return cls()
        return cls(slots=slots, **known)

    def reset_flow(self) -> None:
        """Forget the flow in progress; keep language, handoff status and the bookings made."""
        self.flow = None
        self.step = None
        self.slots = Slots()
        self.offers = []
        self.offers_for = None
        self.question = None
        self.followups = []
        self.failed_lookups = 0
        self.phone_lookup_done = False
        self.alternatives = []
        self.pending = None
        self.target = None


_FIELDS = tuple(f.name for f in fields(ConversationState))
# The fields holding a list or a dict (or None); annotations are strings here (`from __future__ import annotations`).
_CONTAINERS = tuple(f.name for f in fields(ConversationState) if str(f.type).startswith(("list", "dict")))
_SLOT_FIELDS = tuple(f.name for f in fields(Slots))
_ATOMS = (str, int, float, bool, type(None), Enum)


def _plain(value: Any) -> Any:
    """What `dataclasses.asdict` makes of one of the state's values: a deep copy, dataclasses as dicts."""
    if isinstance(value, _ATOMS):
        return value
    if type(value) is list:
        return [_plain(v) for v in value]
    if type(value) is dict:
        return {k: _plain(v) for k, v in value.items()}
    if type(value) is Slots:
        return {name: getattr(value, name) for name in _SLOT_FIELDS}  # Slots hold only str, int, bool and None
    if is_dataclass(value):
        return asdict(value)
    return copy.deepcopy(value)
