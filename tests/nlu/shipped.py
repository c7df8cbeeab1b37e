"""The NLU as the agent runs it, with the shipped intent model (loaded through the adapter, outside the brain)."""

from __future__ import annotations

from datetime import date

from agent.brain import nlu
from agent.brain.nlu.model import Language, ParseResult
from agent.nlu_model import default_model


def parse(text: str, reference_date: date, previous_language: Language | None = None) -> ParseResult:
    """`agent.brain.nlu.parse` with the shipped model, as the receptionist and /nlu/parse call it."""
    return nlu.parse(text, reference_date, previous_language, model=default_model())
