"""End to end: `hotelero validate --profile quick` against the real simulators, agent, Postgres and Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(200)]


def _validate(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "validation.cli",
            "validate",
            "--profile",
            "quick",
            "--out",
            str(out),
            "--no-live",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


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


def test_qloapps_latency_of_3_s_fails_the_p95_gate_with_exit_1(tmp_path: Path) -> None:
    # A short load is enough: 3 s of PMS latency breaches p95 < 2 s on hundreds of replies.
    run = _validate(tmp_path, "--inject", "qloapps-latency=3000ms", "--stages", "preflight,load", "--duration", "20s")
    assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-2000:]
    failure = _junit_cases(tmp_path)["e2e_latency_p95"].find("failure")
    assert failure is not None
    result = json.loads((tmp_path / "result.json").read_text())
    p95 = {g["name"]: g for g in result["gates"]}["e2e_latency_p95"]
    assert p95["status"] == "FAIL" and p95["measured"] >= 2000
