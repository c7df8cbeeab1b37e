"""Hypothesis: the NLU and the date extractor are total and keep their invariants on any input."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.brain.nlu import AMENITIES, INTENTS
from agent.brain.nlu.dates import extract_stay
from agent.brain.nlu.normalize import normalize
from agent.brain.nlu.room_types import ROOM_TYPES
from tests.nlu.shipped import parse

# Fragments guests really write, so generated text hits the date and entity rules, not only noise.
FRAGMENTS = [
    "del",
    "al",
    "de",
    "el",
    "the",
    "from",
    "to",
    "-",
    "/",
    "3",
    "5",
    "28",
    "29",
    "31",
    "12",
    "2/1",
    "31/12",
    "diciembre",
    "feb",
    "enero",
    "march",
    "viernes",
    "friday",
    "next",
    "proximo",
    "que viene",
    "finde",
    "weekend",
    "mañana",
    "tonight",
    "esta noche",
    "pasado mañana",
    "noches",
    "nights",
    "semana",
    "week",
    "en dos semanas",
    "in 3 days",
    "hasta",
    "until",
    "en vez del",
    "2028",
    "2026",
    "1st",
    "3rd",
    "nochevieja",
    "adultos",
    "niños",
    "habitaciones",
    "suite",
    "REFERENCIA",
    "ABCDEFGHI",
    "a@b.co",
    "me llamo",
    "Ana",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(" ".join)
any_text = st.one_of(st.text(max_size=200), fragment_text, st.tuples(st.text(max_size=20), fragment_text).map(" ".join))
reference_dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
everyday_references = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
ENTITY_TYPES = {
    "check_in": str, "check_out": str, "nights": int, "adults": int, "children": int, "rooms": int,
    "room_type": str, "booking_reference": str, "email": str, "guest_name": str, "amenity": str,
}  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text, ref=reference_dates)
def test_date_extraction_never_raises_and_never_returns_check_out_on_or_before_check_in(text: str, ref: date) -> None:
    result = extract_stay(normalize(text).text, ref, "es")
    if result.check_in is not None and result.check_out is not None:
        assert result.check_out > result.check_in
        assert result.nights == (result.check_out - result.check_in).days
    if result.nights is not None:
        assert result.nights > 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text, ref=reference_dates, previous=st.sampled_from([None, "es", "en"]))
def test_parse_never_raises_and_answers_the_contract(text: str, ref: date, previous: str | None) -> None:
    result = parse(text, ref, previous_language=previous)  # type: ignore[arg-type]
    assert result.language in ("es", "en")
    assert result.intent in INTENTS
    assert 0.0 <= result.confidence <= 1.0
    assert set(result.entities) <= set(ENTITY_TYPES)
    for kind, value in result.entities.items():
        assert isinstance(value, ENTITY_TYPES[kind]), (kind, value)
    if "check_in" in result.entities and "check_out" in result.entities:
        assert date.fromisoformat(result.entities["check_out"]) > date.fromisoformat(result.entities["check_in"])
    if "amenity" in result.entities:
        assert result.entities["amenity"] in AMENITIES
    if "room_type" in result.entities:
        assert result.entities["room_type"] in ROOM_TYPES


@settings(max_examples=200, deadline=None)
@given(text=fragment_text, ref=everyday_references)
def test_dates_without_a_year_never_resolve_before_the_reference_date(text: str, ref: date) -> None:
    if any(tok.isdigit() and len(tok) == 4 for tok in text.split()):
        return  # an explicit year may name the past on purpose
    result = extract_stay(normalize(text).text, ref, "es")
    if result.check_in is not None:
        assert result.check_in >= ref
