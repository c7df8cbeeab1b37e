"""End to end: `hotelero validate --profile quick` against the real simulators, agent, Postgres and Redis."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.waiting import wait_until

# The quick profile takes 2-3 minutes on a busy 2-core box; the run is stopped with SIGTERM (so it still writes
# result.json and junit.xml) well before pytest's own timeout.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
REPO = Path(__file__).resolve().parents[2]
RUN_LIMIT_S = 360


def _validate(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "validation.cli", "validate", "--profile", "quick", "--out", str(out), "--no-live"]
    with subprocess.Popen([*argv, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=RUN_LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.terminate()
            stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _junit_cases(out: Path) -> dict[str, ET.Element]:
    root = ET.parse(out / "junit.xml").getroot()
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_quick_profile_passes_on_a_healthy_stack(tmp_path: Path) -> None:
    run = _validate(tmp_path)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["verdict"] == "PASS"
    assert {g["name"]: g["status"] for g in result["gates"]}["e2e_latency_p95"] == "PASS"
    cases = _junit_cases(tmp_path)
    assert cases["e2e_latency_p95"].find("failure") is None
    assert (tmp_path / "report.html").stat().st_size > 0


def test_qloapps_latency_of_3_s_fails_p95_aborts_early_and_is_drawn_as_judged(tmp_path: Path) -> None:
    # p95 < 2 s with abort_on_fail: 3 s of PMS latency breaches it within the first replies, so the run stops.
    gates = tmp_path / "gates.yaml"
    gates.write_text(
        (REPO / "quality_gates.yaml").read_text().replace(
            "    min_samples: 100  # a p95", "    abort_on_fail: true\n    min_samples: 100  # a p95", 1
        )
    )
    out = tmp_path / "out"
    run = _validate(
        out, "--gates", str(gates), "--inject", "qloapps-latency=3000ms", "--stages", "preflight,load",
        "--duration", "40s",
    )  # fmt: skip
    assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-2000:]
    failure = _junit_cases(out)["e2e_latency_p95"].find("failure")
    assert failure is not None
    result = json.loads((out / "result.json").read_text())
    p95 = {g["name"]: g for g in result["gates"]}["e2e_latency_p95"]
    assert p95["status"] == "FAIL" and p95["measured"] >= 2000
    assert "run aborted early: e2e_latency_p95 failed" in result["verdict_reason"]
    load = {s["name"]: s for s in result["stages"]}["load"]
    # The stage row agrees with its gate and quotes the judged p95, not the speed of fast apologies.
    assert load["status"] == "FAIL" and "stopped early" in load["detail"]
    assert {g["name"]: g["status"] for g in result["gates"]}["functional_pass_rate"] == "NOT_RUN"
    html = (out / "report.html").read_text()
    data = json.loads(html.split("id='chart-data'>", 1)[1].split("</script>", 1)[0])
    slow_or_missed = [p for p in data["points"] if p[1] >= 2000]
    assert len(slow_or_missed) >= 0.5 * len(data["points"])
    assert all(p[1] >= result["reply_timeout_ms"] for p in data["points"] if p[2] == 0)


def test_a_stage_subset_can_pass_with_the_other_stages_gates_not_run(tmp_path: Path) -> None:
    run = _validate(tmp_path, "--stages", "preflight,functional")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    result = json.loads((tmp_path / "result.json").read_text())
    statuses = {g["name"]: (g["status"], g["reason"]) for g in result["gates"]}
    assert statuses["functional_pass_rate"][0] == "PASS"
    assert statuses["e2e_latency_p95"] == ("NOT_RUN", "not run (not selected)")
    assert statuses["recovery_time"] == ("NOT_RUN", "not run (not selected)")
    assert result["verdict"] == "PASS"
    assert _junit_cases(tmp_path)["e2e_latency_p95"].find("skipped") is not None


def test_sigterm_mid_run_still_leaves_result_json_and_an_errored_junit_case(tmp_path: Path) -> None:
    out, log = tmp_path / "out", tmp_path / "stdout.txt"
    argv = [sys.executable, "-m", "validation.cli", "validate", "--profile", "quick", "--out", str(out),
            "--no-live", "--stages", "functional"]  # fmt: skip
    with log.open("w") as sink, subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT) as proc:
        wait_until(lambda: "stack is up" in log.read_text(), 120, "the stack to come up")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=90)
    assert proc.returncode == 2, log.read_text()[-3000:]
    result = json.loads((out / "result.json").read_text())
    assert (result["verdict"], result["error_kind"]) == ("ERROR", "interrupted")
    assert _junit_cases(out)["interrupted"].find("error") is not None
