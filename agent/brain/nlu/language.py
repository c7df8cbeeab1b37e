"""Per-message language detection (es/en) from marker words, with the conversation's language as tie-breaker."""

from __future__ import annotations

from agent.brain.nlu.lexicon import ENGLISH_MARKERS, SPANISH_MARKERS
from agent.brain.nlu.model import Language

DEFAULT_LANGUAGE: Language = "es"
_SPANISH_CHARS = set("ñ¿¡áéíóú")


def detect_language(raw_text: str, tokens: tuple[str, ...], previous: Language | None = None) -> Language:
    """ "es" or "en" for one message; short or mixed messages without a clear lead keep `previous`."""
    spanish = sum(1 for t in tokens if t in SPANISH_MARKERS)
    english = sum(1 for t in tokens if t in ENGLISH_MARKERS)
    # Accents and inverted marks are strong evidence of Spanish.
    if any(ch in _SPANISH_CHARS for ch in raw_text.lower()):
        spanish += 1
    if spanish > english:
        return "es"
    if english > spanish:
        return "en"
    return previous or DEFAULT_LANGUAGE
