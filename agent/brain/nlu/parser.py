"""The NLU entry point: normalise, detect the language, extract entities and dates, classify the intent."""

from __future__ import annotations

from datetime import date
from typing import Any

from agent.brain.nlu.dates import extract_stay
from agent.brain.nlu.entities import extract_entities, without_personal_details
from agent.brain.nlu.intents import classify
from agent.brain.nlu.language import detect_language
from agent.brain.nlu.lexicon import ENGLISH_MARKERS, KNOWN_WORDS, SPANISH_MARKERS, VOCABULARY
from agent.brain.nlu.model import Language, ParseResult
from agent.brain.nlu.normalize import normalize

MAX_TEXT = 4096
_KNOWN_WORDS = VOCABULARY | KNOWN_WORDS | SPANISH_MARKERS | ENGLISH_MARKERS
# Intents about the current stay, where a date names the day of it, not a new stay.
_NO_STAY_DATES = frozenset({"late_checkout"})


def parse(text: str, reference_date: date, previous_language: Language | None = None) -> ParseResult:
    """Understand one guest message.

    `reference_date` is "today" in the hotel's time zone (relative dates resolve against it);
    `previous_language` is the conversation's language so far, used only when this message does not tell.
    """
    text = text[:MAX_TEXT]
    # The rules read the message without the guest's own name and email: "my name is Kate Price" is no question.
    masked = without_personal_details(text)
    normalized = normalize(masked)
    language = detect_language(masked, normalized.tokens, previous_language)
    entities: dict[str, Any] = extract_entities(text, normalized.text, _KNOWN_WORDS, masked)
    stay = extract_stay(normalized.text, reference_date, language)
    has_stay = stay.check_in is not None or stay.check_out is not None or "adults" in entities
    decision = classify(normalized.text, entities.get("amenity"), has_stay, "?" in text)
    if decision.intent not in _NO_STAY_DATES:
        if stay.check_in is not None:
            entities["check_in"] = stay.check_in.isoformat()
        if stay.check_out is not None:
            entities["check_out"] = stay.check_out.isoformat()
        if stay.nights is not None:
            entities["nights"] = stay.nights
    return ParseResult(language=language, intent=decision.intent, confidence=decision.confidence, entities=entities)
