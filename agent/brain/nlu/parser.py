"""The NLU entry point: the rules analyse the message, the intent model decides its intent."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from agent.brain.nlu.analysis import MAX_TEXT, Analysis, analyse
from agent.brain.nlu.classifier import NaiveBayes
from agent.brain.nlu.entities import find_amenities
from agent.brain.nlu.intent_model import decide
from agent.brain.nlu.model import Language, ParseResult
from agent.brain.nlu.wordrules import compile_rule

__all__ = ["MAX_TEXT", "parse"]

# Intents where a date is no stay to search or book: a day of the current stay ("late checkout on
# Sunday"), of a farewell ("see you Friday"), of a complaint ("today's breakfast") or of a question about
# the hotel ("does the gym open on Sundays").
_NO_STAY_DATES = frozenset(
    {"late_checkout", "goodbye", "thanks", "greeting", "complaint", "check_in_out_times", "amenities", "location",
     "human_handoff"}
)  # fmt: skip


def parse(
    text: str, reference_date: date, previous_language: Language | None = None, *, model: NaiveBayes
) -> ParseResult:
    """Understand one guest message.

    `reference_date` is "today" in the hotel's time zone (relative dates resolve against it);
    `previous_language` is the conversation's language so far, used only when this message does not tell;
    `model` is the fitted intent model (the shipped one comes from `agent.nlu_model.default_model()`; the
    leave-one-register-out evaluation passes its own).
    """
    r = _parse_recent(text, reference_date, previous_language, model)
    # The caller's own entities dict: the memo's stays as it was.
    return ParseResult(
        language=r.language,
        intent=r.intent,
        confidence=r.confidence,
        entities=dict(r.entities),
        also=r.also,
        keeps_booking=r.keeps_booking,
    )


# A pure function of its arguments, so repeated messages ("sí", "gracias", a button's title, the same question
# asked the same day) are understood once; messages that do not repeat cycle out of the memo and cost nothing.
@lru_cache(maxsize=1024)
def _parse_recent(
    text: str, reference_date: date, previous_language: Language | None, model: NaiveBayes
) -> ParseResult:
    analysis = analyse(text, reference_date, previous_language)
    intent, confidence = decide(analysis, model)
    entities = dict(analysis.entities)
    stay = analysis.stay
    if intent not in _NO_STAY_DATES:
        if stay.check_in is not None:
            entities["check_in"] = stay.check_in.isoformat()
        if stay.check_out is not None:
            entities["check_out"] = stay.check_out.isoformat()
        if stay.nights is not None:
            entities["nights"] = stay.nights
    return ParseResult(
        language=analysis.language,
        intent=intent,
        confidence=confidence,
        entities=entities,
        also=_also_asked(analysis, intent),
        keeps_booking=analysis.rules.keeps_booking,
    )


# A second question is marked by a second "?" or by words that add one ("y otra cosa", "and also").
_ANOTHER_QUESTION = compile_rule(r"\b(?:also|tambien|otra cosa|otra pregunta|and|ademas|besides|y)\b")
_SECOND_QUESTION_AT_LEAST = 3.0


def _also_asked(analysis: Analysis, intent: str) -> tuple[str, ...]:
    """The info questions a multi-question message asks besides its intent ("amenities:<name>" per amenity)."""
    if analysis.text.count("?") < 2 and not _ANOTHER_QUESTION.search(analysis.normalized):
        return ()
    scores = analysis.rules.scores
    asked = [
        topic
        for topic in ("check_in_out_times", "location")
        if topic != intent and scores.get(topic, 0.0) >= _SECOND_QUESTION_AT_LEAST
    ]
    # The main answer covers the first amenity when the message is about amenities.
    named = find_amenities(analysis.normalized)
    asked += [f"amenities:{name}" for name in (named[1:] if intent == "amenities" else named)]
    return tuple(asked)
