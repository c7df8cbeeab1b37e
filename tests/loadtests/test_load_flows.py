"""Flow mix, reply judging and golden-conversation reuse (pure, no servers)."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.flows import (
    BUILTIN,
    DEFAULT_MIX,
    FLOWS,
    Expectation,
    MixError,
    ScriptBook,
    load_golden,
    parse_mix,
    render,
    reply_options,
    reply_text,
    stay_phrase,
)

REPO = Path(__file__).resolve().parents[2]


@given(st.dictionaries(st.sampled_from(FLOWS), st.integers(0, 1000), min_size=1).filter(lambda d: sum(d.values()) > 0))
def test_mix_text_round_trips_to_the_same_weights(weights: dict[str, int]) -> None:
    text = ",".join(f"{k}={v}" for k, v in weights.items())
    assert parse_mix(text) == {k: float(v) for k, v in weights.items()}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("faq=40,spa=10", "unknown name 'spa'"),
        ("faq", "has no weight"),
        ("faq=x", "not a number"),
        ("faq=-1", "zero or more"),
        ("faq=0", "no weight"),
    ],
)
def test_bad_mix_is_refused_with_what_to_write(text: str, fragment: str) -> None:
    with pytest.raises(MixError, match=fragment):
        parse_mix(text)


@given(
    st.dictionaries(st.sampled_from(FLOWS), st.integers(0, 5), min_size=1).filter(lambda d: sum(d.values()) > 0),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["es", "en"]),
)
def test_script_book_only_picks_flows_with_weight_in_the_guest_language(
    weights: dict[str, int], seed: int, language: str
) -> None:
    book = ScriptBook({k: float(v) for k, v in weights.items()})
    rng = random.Random(seed)
    for _ in range(20):
        script = book.choose(rng, language)
        assert weights.get(script.flow, 0) > 0
        assert script.language == language


def test_default_mix_draws_flows_in_proportion() -> None:
    book = ScriptBook(DEFAULT_MIX)
    rng = random.Random(7)
    counts = {f: 0 for f in FLOWS}
    for _ in range(10_000):
        counts[book.choose(rng, "es").flow] += 1
    for flow, weight in DEFAULT_MIX.items():
        assert abs(counts[flow] / 10_000 - weight / 100) < 0.02


def test_apology_where_a_price_was_expected_is_a_wrong_answer() -> None:
    availability = next(s for s in BUILTIN if s.flow == "availability" and s.language == "es").turns[0].expect
    assert availability.judge("Disponible del 3 dic al 5 dic: Delux Rooms 120.00 EUR/noche") is None
    assert availability.judge("Lo siento, algo ha ido mal. Inténtalo más tarde.") == (
        "wrong answer: expected a price or no-availability"
    )


def test_any_reply_turn_still_refuses_an_error_apology_unless_allowed() -> None:
    assert Expectation("an answer").judge("Claro, te ayudo") is None
    assert Expectation("an answer").judge("Sorry, something went wrong").startswith("wrong answer: apology")
    assert Expectation("an answer", allow_apology=True).judge("Sorry, something went wrong") is None
    assert Expectation("an answer").judge("   ") == "wrong answer: empty reply"


def test_reply_text_and_options_read_interactive_messages() -> None:
    message = {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Disponible del 3 dic"},
            "action": {
                "button": "Ver",
                "sections": [{"rows": [{"id": "r1", "title": "Delux Rooms", "description": "120.00 EUR/noche"}]}],
            },
        },
    }
    assert "Disponible del 3 dic" in reply_text(message)
    assert "120.00 EUR/noche" in reply_text(message)
    assert reply_options(message) == [("list", "r1", "Delux Rooms")]
    assert reply_text({"type": "text", "text": {"body": "hola"}}) == "hola"


def test_stay_phrases_read_like_the_golden_conversations() -> None:
    assert stay_phrase(date(2026, 12, 9), date(2026, 12, 11), "es") == "del 9 al 11 de diciembre"
    assert stay_phrase(date(2027, 1, 30), date(2027, 2, 1), "es") == "del 30 de enero al 1 de febrero"
    assert stay_phrase(date(2026, 12, 6), date(2026, 12, 8), "en") == "from Dec 6 to Dec 8"


def test_builtin_booking_renders_dates_name_and_a_unique_email() -> None:
    turn = next(s for s in BUILTIN if s.name == "booking-es").turns[0]
    text = render(turn, random.Random(1), date(2026, 11, 25), "Ana López", "es", run="42")
    assert "Ana López" in text and "analpez.42@example.com" in text and " del " in text and "{" not in text


def test_golden_files_without_setup_are_reused_and_mapped_onto_the_load_flows() -> None:
    scripts = load_golden(REPO / "validation" / "conversations")
    assert scripts, "validation/conversations has no golden conversation the load can replay"
    names = {s.name for s in scripts}
    assert all(s.flow in FLOWS for s in scripts)
    # Conversations that need a PMS setup step (a booking to cancel) cannot be replayed under load.
    assert "es_cancel_with_reference" not in names
    book = ScriptBook(DEFAULT_MIX, scripts)
    assert "conversations" in book.sources()["faq/es"]
    assert book.sources()["booking/es"] == "builtin"


def test_golden_turns_keep_the_guest_words_and_taps(tmp_path: Path) -> None:
    (tmp_path / "es_x.yaml").write_text(
        "language: es\nflow: availability\nturns:\n"
        "  - text: 'hola, habitación {{run}}'\n    expect: {contains: ['cuántas personas'], buttons: ['Sí']}\n"
        "  - list: 'Delux Rooms'\n    expect: {matches: '\\d+ EUR'}\n",
        encoding="utf-8",
    )
    (tmp_path / "es_needs_ref.yaml").write_text(
        "language: es\nflow: cancel\nturns:\n  - text: 'cancela {{ref}}'\n", encoding="utf-8"
    )
    (script,) = load_golden(tmp_path)
    first, second = script.turns
    assert render(first, random.Random(0), date(2026, 11, 25), "X", "es", run="7") == "hola, habitación 7"
    assert first.expect.judge("¿Para cuántas personas?") is None
    assert first.expect.judge("No entiendo") is not None
    assert second.action == "list" and second.text == "Delux Rooms"
    assert second.expect.judge("120 EUR") is None


def test_a_booking_answered_with_no_rooms_is_right_but_ends_the_conversation() -> None:
    first = next(s for s in BUILTIN if s.name == "booking-en").turns[0].expect
    no_rooms = "Sorry, Delux Rooms is not available from 4 Aug to 7 Aug."
    summary = "Please check your booking: Delux Rooms, 4 Aug - 7 Aug"
    assert first.judge(no_rooms) is None and first.ends(no_rooms)
    assert first.judge(summary) is None and not first.ends(summary)
    assert first.judge("Available from 4 Aug 2027: General Rooms 1100.00 EUR/night") is not None


# The Faker locales loadtests/locustfile.py draws guest names from (FAKER_LOCALES there; importing the locustfile
# here would monkey-patch the test process with gevent).
LOAD_FAKER_LOCALES = {"es": "es_ES", "en": "en_GB"}


@pytest.mark.parametrize("language", sorted(LOAD_FAKER_LOCALES))
def test_every_name_the_load_test_can_draw_books_with_its_name_and_email(language: str) -> None:
    # Regression: "my name is Kate Price" read as a pricing question (1.7 in 1,000 load-test bookings got the
    # availability list), and "a nombre de María Del Carmen Anaya" kept only "María".
    import importlib

    from tests.nlu.shipped import parse

    provider = importlib.import_module(f"faker.providers.person.{LOAD_FAKER_LOCALES[language]}").Provider
    firsts, lasts = list(provider.first_names), list(provider.last_names)
    names = [f"{first} {lasts[i % len(lasts)]}" for i, first in enumerate(firsts)]
    names += [f"{firsts[i % len(firsts)]} {last}" for i, last in enumerate(lasts)]
    turns = [s.turns[0] for s in BUILTIN if s.flow in ("booking", "cancellation") and s.language == language]
    today, rng = date(2026, 11, 25), random.Random(5)
    wrong = []
    for n, name in enumerate(names):
        text = render(turns[n % len(turns)], rng, today, name, language, run=str(n))
        result = parse(text, today)
        got = (result.intent, result.entities.get("guest_name"), result.entities.get("email"))
        if got != ("book", name, text.rsplit(" ", 1)[-1]) or "check_out" not in result.entities:
            wrong.append((name, got))
    assert wrong == []


def _catalogue_text(language: str, key: str) -> str:
    from agent.brain.catalogue.en import TEXTS as EN
    from agent.brain.catalogue.es import TEXTS as ES

    text = (EN if language == "en" else ES)[key]
    assert isinstance(text, str)
    return text.format(room="Delux Rooms")


@pytest.mark.parametrize("script", [s for s in BUILTIN if s.flow in ("booking", "cancellation")], ids=lambda s: s.name)
def test_booking_scripts_accept_the_agents_own_sold_out_and_taken_replies_as_endings(script) -> None:
    # The agent's real wording: the asked-for room type is sold out (turn 0), or another load-test guest booked
    # the last room between the summary and the tap on Confirm (turn 1). Both are right and end the conversation.
    gone = _catalogue_text(script.language, "offers.room_type_gone")
    taken = _catalogue_text(script.language, "book.room_gone")
    first, confirm = script.turns[0].expect, script.turns[1].expect
    assert first.judge(gone) is None and first.ends(gone)
    assert confirm.judge(taken) is None and confirm.ends(taken)
    assert first.judge("Available from 4 Aug 2027: General Rooms 1100.00 EUR/night") is not None
