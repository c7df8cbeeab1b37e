"""reports/history.jsonl: one line per run; `--baseline last-pass` finds the latest passing run of the profile."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qualitygates.schema import GateConfigError
from validation.gates import Verdict
from validation.reports import history
from validation.reports.annotations import render_annotations
from validation.result import Result
from validation.runner import RunOptions, prepare

FIXTURE = Path(__file__).parent / "fixtures" / "run1"


def _run(reports: Path, name: str, verdict: str, profile: str = "quick") -> Result:
    folder = reports / name
    shutil.copytree(FIXTURE, folder)
    result = Result.read(folder / "result.json")
    result = result.model_copy(
        update={"verdict": Verdict(verdict), "run": result.run.model_copy(update={"run_id": name, "profile": profile})}
    )
    result.write(folder / "result.json")
    history.append(result, folder)
    return result


def test_each_run_appends_one_line_with_every_gate(tmp_path: Path) -> None:
    _run(tmp_path, "r1", "PASS")
    _run(tmp_path, "r2", "FAIL")
    rows = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [(r["run_id"], r["verdict"], r["result"]) for r in rows] == [
        ("r1", "PASS", "r1/result.json"),
        ("r2", "FAIL", "r2/result.json"),
    ]
    p95 = rows[1]["gates"]["e2e_latency_p95"]
    assert p95 == {"measured": 2400.0, "unit": "ms", "status": "FAIL", "threshold": 2000}


def test_last_pass_is_the_latest_pass_of_the_same_profile(tmp_path: Path) -> None:
    _run(tmp_path, "r1", "PASS")
    _run(tmp_path, "r2", "PASS", profile="standard")
    _run(tmp_path, "r3", "FAIL")
    opts = RunOptions(baseline="last-pass", out=tmp_path / "r4")
    assert prepare(opts, tmp_path / "r4")[3].run.run_id == "r1"  # type: ignore[union-attr]
    with pytest.raises(GateConfigError, match="no passing 'soak' run"):
        prepare(RunOptions(baseline="last-pass", profile="soak", duration="1m"), tmp_path / "r5")


def test_trend_rows_are_the_last_twenty(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps({"run_id": i, "gates": {}}) + "\n" for i in range(25)) + "not json\n")
    assert [r["run_id"] for r in history.read(path)] == list(range(5, 25))


def test_annotations_are_workflow_commands_with_escaped_text() -> None:
    result = Result.read(FIXTURE / "result.json")
    lines = render_annotations(result).splitlines()
    assert lines[0].startswith("::error title=gate e2e_latency_p95 failed::e2e_latency p95 < 2000 ms: measured")
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)
    odd = result.model_copy(update={"verdict": Verdict.ERROR, "verdict_reason": "50% done\nthen: stop"})
    assert "::error title=hotelero validate%3A ERROR::50%25 done%0Athen: stop" in render_annotations(odd)
