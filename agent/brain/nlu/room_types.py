"""Guest words for rooms mapped to the QloApps demo hotel's four room types (names as QloApps spells them)."""

from __future__ import annotations

from agent.brain.nlu.wordrules import compile_rule

GENERAL = "General Rooms"
DELUX = "Delux Rooms"
EXECUTIVE = "Executive Rooms"
LUXURY = "Luxury Rooms"

ROOM_TYPES: tuple[str, ...] = (GENERAL, DELUX, EXECUTIVE, LUXURY)

# Normalised guest words per canonical type, most specific type first: "doble de lujo" is Luxury.
ROOM_TYPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (LUXURY, ("lujo", "luxury", "luxe", "suite", "suites", "premium", "presidencial", "presidential")),
    (EXECUTIVE, ("ejecutiva", "ejecutivas", "ejecutivo", "executive", "business")),
    (DELUX, ("deluxe", "delux", "superior")),
    (
        GENERAL,
        (
            "general",
            "estandar",
            "standard",
            "doble",
            "dobles",
            "double",
            "basica",
            "basic",
            "sencilla",
            "individual",
            "single",
            "normal",
            "economica",
            "economy",
            "twin",
            "matrimonio",
        ),
    ),
)

_PATTERNS = tuple((name, compile_rule(rf"\b(?:{'|'.join(words)})\b")) for name, words in ROOM_TYPE_WORDS)


def find_room_type(normalized_text: str) -> str | None:
    """The canonical room type a message names, or None."""
    for name, pattern in _PATTERNS:
        if pattern.search(normalized_text):
            return name
    return None
