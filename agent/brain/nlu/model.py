"""What the NLU answers: the parse result crossing the brain's boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["es", "en"]

INTENTS: tuple[str, ...] = (
    "greeting",
    "availability",
    "pricing",
    "book",
    "cancel",
    "modify",
    "booking_status",
    "check_in_out_times",
    "late_checkout",
    "amenities",
    "location",
    "human_handoff",
    "complaint",
    "thanks",
    "goodbye",
    "unknown",
)

AMENITIES: tuple[str, ...] = (
    "wifi",
    "breakfast",
    "parking",
    "pool",
    "gym",
    "spa",
    "pets",
    "restaurant",
    "airport_shuttle",
    "laundry",
)


@dataclass(frozen=True)
class ParseResult:
    """One message understood: its language, intent, confidence and the entities found."""

    language: Language
    intent: str
    confidence: float
    entities: dict[str, Any] = field(default_factory=dict)
    # Beyond the HTTP contract, for the dialogue: questions about the hotel the message also asks ("¿y tenéis
    # parking?"), and whether the guest keeps a booking ("no la cancelo, la dejo").
    also: tuple[str, ...] = ()
    keeps_booking: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The HTTP contract shape of /nlu/parse."""
        return {
            "language": self.language,
            "intent": self.intent,
            "confidence": self.confidence,
            "entities": dict(self.entities),
        }
