"""The NLU entry point (stub until the rules land)."""

from __future__ import annotations

from datetime import date

from agent.brain.nlu.model import Language, ParseResult


def parse(text: str, reference_date: date, previous_language: Language | None = None) -> ParseResult:
    """Understand one guest message against the hotel-local reference date."""
    return ParseResult(language=previous_language or "es", intent="unknown", confidence=0.0, entities={})
