"""The golden conversation files and the runner's pure parts (no servers)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from validation.conversations_runner import (
    StayRef,
    discover,
    load_conversation,
    offered,
    reply_texts,
    resolve_day,
    resolve_stay,
    substitute,
)

FLOWS = {
    "greeting", "unknown", "handoff", "complaint", "media", "check_in_out_times", "amenities", "location",
    "availability", "pricing", "book", "cancel", "modify", "booking_status", "late_checkout", "pms_error",
}  # fmt: skip


def test_at_least_forty_conversations_load_and_validate():
    convs = [load_conversation(p) for p in discover()]
    assert len(convs) >= 40
    assert len({c.name for c in convs}) == len(convs)


def test_both_languages_cover_the_main_flows():
    convs = [load_conversation(p) for p in discover()]
    langs = Counter(c.language for c in convs)
    assert langs["es"] >= 15 and langs["en"] >= 15
    assert {c.flow for c in convs} >= FLOWS


def test_the_suite_exercises_mind_changes_double_taps_one_message_bookings_and_pms_effects():
    convs = [load_conversation(p) for p in discover()]
    turns = [t for c in convs for t in c.turns]
    assert any(t.double_tap for t in turns)
    assert any(t.qloapps_faults for t in turns)
    assert sum(1 for t in turns if t.expect.pms and t.expect.pms.booking) >= 8
    assert any(t.expect.pms and t.expect.pms.room_free for t in turns)
    assert any(t.expect.handoff for t in turns) and any(t.expect.no_reply for t in turns)
    assert any("mind_change" in c.name for c in convs) and any("one_message" in c.name for c in convs)


def test_bad_file_is_refused_naming_the_file_and_the_problem(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("language: es\nflow: x\nreference_date: 2026-11-25\nturns:\n  - {text: hola, button: Sí}\n")
    with pytest.raises(ValueError, match=r"(?s)bad.yaml.*exactly one of"):
        load_conversation(bad)


def test_month_day_resolves_to_the_next_occurrence_and_stays_cross_the_year():
    today = date(2026, 12, 4)
    assert resolve_day("12-03", today) == date(2027, 12, 3)
    assert resolve_day("12-04", today) == date(2026, 12, 4)
    assert resolve_day("+8d", today) == date(2026, 12, 12)
    assert resolve_stay(StayRef(check_in="12-30", check_out="01-02"), today) == (date(2026, 12, 30), date(2027, 1, 2))


def test_substitute_replaces_known_variables_and_leaves_regex_braces_alone():
    assert substitute("ref {{ref}} [A-Z]{9}", {"ref": "ABC"}) == "ref ABC [A-Z]{9}"
    assert substitute("{{missing}}", {}) == "{{missing}}"


def test_reply_texts_and_offered_read_buttons_and_rows():
    buttons = {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "¿La confirmo?"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "confirm:b1", "title": "Confirmar"}}]},
        },
    }
    rows = {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Habitaciones"},
            "action": {"button": "Ver", "sections": [{"rows": [{"id": "room:1", "title": "General Rooms"}]}]},
        },
    }
    assert "¿La confirmo?" in reply_texts(buttons) and "Confirmar" in reply_texts(buttons)
    assert offered([buttons, rows]) == (["Confirmar"], ["General Rooms"])
