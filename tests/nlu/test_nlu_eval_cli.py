"""`hotelero nlu eval`: figures from a labelled set, JSON output, clear errors on a malformed set."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from validation.nlu_eval import app, default_sets, load_examples

SMALL_SET = """
messages:
- {text: "hola", language: es, reference_date: 2026-11-25, intent: greeting, entities: {}}
- {text: "hay habitaciones del 3 al 5 de diciembre?", language: es, reference_date: 2026-11-25, intent: availability,
   entities: {check_in: 2026-12-03, check_out: 2026-12-05, nights: 2}}
- {text: "asdf", language: es, reference_date: 2026-11-25, intent: book, entities: {}}
"""


def test_eval_json_reports_accuracy_confusion_and_entities(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SET, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--set", str(path), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)["all"]
    assert figures["total"] == 3
    # "asdf" is labelled book on purpose: the NLU says unknown, so accuracy is 2/3.
    assert abs(figures["intent_accuracy"] - 2 / 3) < 1e-9
    assert figures["confusion"]["book"] == {"unknown": 1}
    assert figures["per_intent"]["book"]["recall"] == 0.0
    assert figures["entities"]["check_in"]["exact"] == 1.0
    assert figures["date_exact"] == 1.0


def test_eval_check_fails_when_targets_are_missed(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SET, encoding="utf-8")
    assert CliRunner().invoke(app, ["eval", "--set", str(path), "--check"]).exit_code == 1


def test_eval_tables_name_every_section(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SET, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--set", str(path)])
    assert result.exit_code == 0
    for title in ("intent accuracy", "Per intent", "Confusion matrix", "Entities exact match"):
        assert title in result.output


def test_malformed_set_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("messages:\n- {text: hola, language: es, reference_date: 2026-11-25, intent: hello}\n")
    result = CliRunner().invoke(app, ["eval", "--set", str(path)])
    assert result.exit_code == 2
    assert "unknown intent 'hello'" in result.output


def test_shipped_set_is_large_bilingual_and_well_formed() -> None:
    examples = [ex for path in default_sets() for ex in load_examples(path)]
    assert len(examples) >= 300
    assert {ex.language for ex in examples} == {"es", "en"}
    assert {ex.source for ex in examples} >= {"dev.yaml", "heldout.yaml"}
    for ex in examples:
        ents = ex.entities
        if "check_in" in ents and "check_out" in ents:
            assert ents["check_out"] > ents["check_in"], ex.text
            assert "nights" in ents, ex.text
