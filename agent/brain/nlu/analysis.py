"""Everything the rules read from one message before the intent is chosen, and the model's features of it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from agent.brain.nlu.dates import StayDates, extract_stay
from agent.brain.nlu.entities import extract_entities, without_personal_details
from agent.brain.nlu.intents import IntentDecision, classify
from agent.brain.nlu.language import detect_language
from agent.brain.nlu.lexicon import ENGLISH_MARKERS, KNOWN_WORDS, SPANISH_MARKERS, VOCABULARY
from agent.brain.nlu.model import Language
from agent.brain.nlu.normalize import normalize

MAX_TEXT = 4096
_KNOWN_WORDS = VOCABULARY | KNOWN_WORDS | SPANISH_MARKERS | ENGLISH_MARKERS
_DIGITS = re.compile(r"\d")
_CHAR_NGRAMS = (3, 4, 5)
# The rules' verdict counts as this many features: enough for a rule hit to matter, not enough to override the text.
RULE_WEIGHT = 8


@dataclass(frozen=True)
class Analysis:
    """One message as the rules see it: language, entities, stay dates, normalised text and the rules' intent."""

    text: str
    normalized: str
    language: Language
    entities: dict[str, Any]
    stay: StayDates
    rules: IntentDecision
    question: bool


def analyse(text: str, reference_date: date, previous_language: Language | None = None) -> Analysis:
    """Run the rules over one message (the guest's own name and email masked from everything but extraction)."""
    text = text[:MAX_TEXT]
    masked = without_personal_details(text)
    normalized = normalize(masked)
    language = detect_language(masked, normalized.tokens, previous_language)
    entities: dict[str, Any] = extract_entities(text, normalized.text, _KNOWN_WORDS, masked)
    stay = extract_stay(normalized.text, reference_date, language)
    has_stay = stay.check_in is not None or stay.check_out is not None or "adults" in entities
    question = "?" in text
    rules = classify(normalized.text, entities.get("amenity"), has_stay, question)
    return Analysis(text, normalized.text, language, entities, stay, rules, question)


def features(analysis: Analysis) -> list[str]:
    """Sparse features for the intent model: words, word pairs, character n-grams, and what the rules found."""
    text = _DIGITS.sub("0", analysis.normalized)
    reference = analysis.entities.get("booking_reference")
    if reference:
        # The reference's letters are random: a model must not learn them ("QWERTYUIO" is not a cancel word),
        # and a placeholder would make every reference vote like the corpus's references did; `has:` tells it.
        text = " ".join(text.replace(str(reference).lower(), " ").split())
    words = text.split()
    out = [f"w:{w}" for w in words]
    out += [f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False)]
    padded = f" {text} "
    for n in _CHAR_NGRAMS:
        out += [f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1)]
    if not words:
        out.append("empty")
    if analysis.question:
        out.append("question")
    if analysis.stay.check_in or analysis.stay.check_out:
        out.append("dates")
    for kind in ("adults", "children", "booking_reference", "amenity", "email", "guest_name"):
        if kind in analysis.entities:
            out.append(f"has:{kind}")
    if analysis.rules.intent != "unknown":
        out += [f"rule:{analysis.rules.intent}"] * RULE_WEIGHT
    for intent in analysis.rules.scores:
        out.append(f"fired:{intent}")
    return out
