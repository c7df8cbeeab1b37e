"""Every report is a view of one fixed result.json: right counts, valid XML, chart data from the samples."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from validation.reports import chart_data, render_all, render_junit, render_markdown
from validation.reports.baseline import compare
from validation.result import Result
from validation.samples import E2ESample, read_jsonl

FIXTURE = Path(__file__).parent / "fixtures" / "run1"


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    target = tmp_path / "run1"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture()
def result() -> Result:
    return Result.read(FIXTURE / "result.json")


def test_junit_is_valid_xml_with_one_case_per_gate_check_and_conversation(result: Result) -> None:
    root = ET.fromstring(render_junit(result))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    gates, stages, functional = suites["gates"], suites["stages"], suites["functional"]
    assert [c.get("name") for c in gates.findall("testcase")] == [g.name for g in result.gates]
    assert (gates.get("tests"), gates.get("failures"), gates.get("errors"), gates.get("skipped")) == (
        "4",
        "1",
        "0",
        "1",
    )
    assert (stages.get("tests"), stages.get("failures")) == ("3", "1")
    assert (functional.get("tests"), functional.get("failures")) == ("2", "1")
    assert (root.get("tests"), root.get("failures")) == ("9", "3")


def test_junit_marks_the_breached_gate_as_failure_with_its_figures(result: Result) -> None:
    root = ET.fromstring(render_junit(result))
    case = root.find("testsuite[@name='gates']/testcase[@name='e2e_latency_p95']")
    assert case is not None and case.find("failure") is not None
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert (props["measured"], props["threshold"], props["samples"]) == ("2400", "2000", "156")
    passed = root.find("testsuite[@name='gates']/testcase[@name='throughput']")
    assert passed is not None and passed.find("failure") is None and passed.find("error") is None


def test_junit_turns_every_gate_into_an_error_when_the_run_is_invalid(result: Result) -> None:
    invalid = result.model_copy(update={"verdict": "INVALID", "exit_code": 3, "verdict_reason": "sender CPU 97%"})
    root = ET.fromstring(render_junit(invalid))
    gates = root.find("testsuite[@name='gates']")
    assert gates is not None and gates.get("errors") == "4" and gates.get("failures") == "0"


def test_markdown_summary_lists_every_gate_and_the_verdict(result: Result) -> None:
    text = render_markdown(result)
    assert text.startswith("# hotelero validate: ❌ FAIL (exit 1)")
    for gate in result.gates:
        assert f"| {gate.name} |" in text


def test_markdown_summary_stays_under_its_limit_and_says_what_it_left_out(result: Result) -> None:
    many = [replace(result.conversations[1], name=f"conv_{i}", detail="x" * 500) for i in range(5000)]
    big = result.model_copy(update={"conversations": many})
    text = render_markdown(big)
    assert len(text.encode()) < 1024 * 1024
    assert "left out to stay under 1 MiB" in text


def test_html_holds_chart_data_computed_from_the_raw_samples(run_dir: Path, result: Result) -> None:
    render_all(result, run_dir)
    html = (run_dir / "report.html").read_text()
    assert "http://" not in html.replace("http://127.0.0.1:8080", "").replace("http://www.w3.org/2000/svg", "")
    payload = re.search(r"<script type='application/json' id='chart-data'>(.*?)</script>", html, re.S)
    assert payload is not None
    data = json.loads(payload.group(1))
    samples = read_jsonl(run_dir / "samples" / "e2e.jsonl", E2ESample)
    assert data["gate_ms"] == 2000
    assert data["faults"] == [{"name": "qloapps down", "start_s": 55.0, "end_s": 60.0}]
    assert sum(b["replies"] + b["errors"] for b in data["bins"]) * data["bin_s"] == len(samples)
    assert sum(b["errors"] for b in data["bins"]) == sum(1 for s in samples if not s.ok)
    # The histogram holds exactly the e2e gate's samples: its stage (load), warm-up excluded.
    assert sum(h[2] for h in data["histogram"]) == sum(1 for s in samples if not s.warmup and s.stage == "load")
    # The fault window raises the per-bin p95 above the gate line.
    assert max(b["p95"] for b in data["bins"] if 55 <= b["t_s"] < 60) > 2000
    for marker in (
        'class="p50"',
        'class="p95"',
        'class="gate"',
        'class="fault"',
        'class="bar"',
        'class="replies"',
        'class="errors"',
    ):
        assert marker in html


def test_render_all_writes_the_three_reports(run_dir: Path, result: Result) -> None:
    render_all(result, run_dir)
    assert {p.name for p in run_dir.iterdir()} >= {"junit.xml", "summary.md", "report.html", "result.json"}


def test_a_fast_wrong_answer_is_drawn_at_the_reply_timeout_as_unanswered_and_judged_so(tmp_path: Path) -> None:
    from qualitygates.schema import parse_gates
    from validation.gates import evaluate
    from validation.samples import Measurements, write_jsonl

    gates_text = (FIXTURE.parent.parent.parent.parent / "quality_gates.yaml").read_text()
    right = [E2ESample("load", "faq", "es", i * 100.0, True, latency_ms=50.0) for i in range(90)]
    apologies = [
        E2ESample("load", "availability", "es", 9000 + i * 100.0, False, latency_ms=80.0, error="wrong answer: x")
        for i in range(10)
    ]
    m = Measurements(e2e=right + apologies, reply_timeout_ms=10_000)
    gates = evaluate(parse_gates(gates_text), m)
    p95 = next(g for g in gates if g.name == "e2e_latency_p95")
    assert (p95.status, p95.measured) == ("FAIL", 10_000)
    write_jsonl(tmp_path / "samples" / "e2e.jsonl", m.e2e)
    run = Result.read(FIXTURE / "result.json").model_copy(
        update={"gates": gates, "faults": [], "stages": [], "reply_timeout_ms": 10_000}
    )
    data = chart_data(run, tmp_path)
    drawn = {(round(t * 1000), y, ok) for t, y, ok in data.points}
    assert all((round(s.intended_ms), 10_000.0, 0) in drawn for s in apologies)
    assert data.histogram[-1][2] == 10  # the last bar: no right answer within the timeout
    assert max(b["p95"] for b in data.bins) == 10_000.0
    flows = {f["flow"]: f for f in data.flows}
    assert (flows["availability"]["p50"], flows["availability"]["errors"]) == (10_000.0, 10)
    assert (flows["faq"]["count"], flows["faq"]["p99"]) == (90, 50.0)
    html = render_html_for(run, tmp_path)
    assert 'class="unanswered"' in html and "no right answer" in html


def render_html_for(result: Result, folder: Path) -> str:
    render_all(result, folder)
    return (folder / "report.html").read_text()


def test_report_shows_failed_conversation_transcripts_links_and_trends(run_dir: Path, result: Result) -> None:
    failed = replace(
        result.conversations[1],
        passed=False,
        transcript=[
            {
                "index": 0, "sent": "quiero cancelar", "passed": False, "latency_ms": 812.0,
                "replies": ["¿Cuál es la referencia?"],
                "checks": [{"name": "contains 'cancelada'", "passed": False, "detail": "not in the reply"}],
            }
        ],
    )  # fmt: skip
    run = result.model_copy(update={"conversations": [failed], "artefacts": {"locust_html": "load/locust.html"}})
    render_all(run, run_dir)
    second = run.model_copy(update={"run": run.run.model_copy(update={"run_id": "second"})})
    from validation.reports import history

    history.append(run, run_dir)
    history.append(second, run_dir)
    html = render_html_for(second, run_dir)
    assert "quiero cancelar" in html and "¿Cuál es la referencia?" in html and "812 ms" in html
    assert "contains &#x27;cancelada&#x27;" in html and "not in the reply" in html
    assert "href='load/locust.html'" in html and "href='samples/e2e.jsonl'" in html and "href='logs/agent.log'" in html
    payload = json.loads(re.search(r"id='chart-data'>(.*?)</script>", html, re.S).group(1))  # type: ignore[union-attr]
    p95_trend = next(t for t in payload["trends"] if t["gate"] == "e2e_latency_p95")
    assert [r["run_id"] for r in p95_trend["runs"]][-2:] == [result.run.run_id, "second"]
    assert 'class="trend"' in html


def test_chart_bins_hold_exact_percentiles(run_dir: Path, result: Result) -> None:
    data = chart_data(result, run_dir)
    first = data.bins[0]
    samples = [s for s in read_jsonl(run_dir / "samples" / "e2e.jsonl", E2ESample) if s.intended_ms < 11000]
    assert first["p50"] == sorted(s.latency_ms for s in samples)[len(samples) // 2 - 1]


def test_baseline_deltas_are_flagged_when_worse(result: Result) -> None:
    better = [g.model_copy(update={"measured": 1500.0}) if g.name == "e2e_latency_p95" else g for g in result.gates]
    baseline = result.model_copy(update={"gates": better})
    deltas = {d.gate: d for d in compare(result, baseline)}
    assert deltas["e2e_latency_p95"].delta == 900.0 and deltas["e2e_latency_p95"].worse
    assert not deltas["throughput"].worse
    lower_tp = [g.model_copy(update={"measured": 20000.0}) if g.name == "throughput" else g for g in result.gates]
    assert {d.gate: d for d in compare(result, result.model_copy(update={"gates": lower_tp}))}["throughput"].worse


def test_baseline_appears_in_the_summary_with_the_worse_flag(result: Result) -> None:
    better = [g.model_copy(update={"measured": 1500.0}) if g.name == "e2e_latency_p95" else g for g in result.gates]
    text = render_markdown(result, compare(result, result.model_copy(update={"gates": better})))
    assert "+900 ms ⚠️ worse" in text


def test_reading_a_non_result_file_says_what_to_pass(tmp_path: Path) -> None:
    bad = tmp_path / "result.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="schema_version"):
        Result.read(bad)
