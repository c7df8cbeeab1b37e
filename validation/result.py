"""The one versioned result of a validation run; junit, Markdown, HTML and the console are views of it."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from validation.gates import GateResult, Verdict
from validation.samples import ConversationResult, Guard

RESULT_SCHEMA_VERSION = 2
StageStatus = Literal["PASS", "FAIL", "INCONCLUSIVE", "ERROR", "NOT_RUN"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Machine(_Model):
    hostname: str
    platform: str
    python: str
    cpus: int
    memory_gib: float | None = None


class ServiceTier(_Model):
    """Which provisioning tier served a datastore (docker, local binaries, given URL...)."""

    name: str
    tier: str
    description: str = ""


class RunMeta(_Model):
    run_id: str
    started_at: str
    finished_at: str = ""
    wall_s: float = 0.0
    profile: str
    gates_file: str
    command: list[str] = Field(default_factory=list)
    git_commit: str | None = None
    git_dirty: bool | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    services: list[ServiceTier] = Field(default_factory=list)
    machine: Machine
    agent_url: str | None = None
    agent_external: bool = False
    injected: list[str] = Field(default_factory=list)


class Check(_Model):
    """One pass/fail assertion inside a stage (e.g. 'unsigned webhook gets 401')."""

    name: str
    passed: bool
    detail: str = ""


class StageResult(_Model):
    name: str
    status: StageStatus
    started_ms: float = 0.0
    ended_ms: float = 0.0
    detail: str = ""
    checks: list[Check] = Field(default_factory=list)
    figures: dict[str, Any] = Field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.ended_ms - self.started_ms) / 1000.0)


class FaultWindow(_Model):
    """A fault injected during the run, on the run clock (ms since the run started)."""

    name: str
    start_ms: float
    end_ms: float


class Result(_Model):
    """result.json: the single source of truth of one run."""

    schema_version: int = RESULT_SCHEMA_VERSION
    verdict: Verdict
    exit_code: int
    verdict_reason: str = ""
    # Why a run ended in ERROR: configuration, harness or interrupted (an errored junit testcase of that name).
    error_kind: str = ""
    run: RunMeta
    stages: list[StageResult] = Field(default_factory=list)
    gates: list[GateResult] = Field(default_factory=list)
    guards: list[Guard] = Field(default_factory=list)
    conversations: list[ConversationResult] = Field(default_factory=list)
    faults: list[FaultWindow] = Field(default_factory=list)
    # How long a guest was watched for the right answer; unanswered and wrong answers are judged and drawn at it.
    reply_timeout_ms: float = 10_000.0
    # Paths relative to result.json: e2e.jsonl, probes.jsonl, ...
    samples: dict[str, str] = Field(default_factory=dict)
    logs: dict[str, str] = Field(default_factory=dict)
    # Other artefacts relative to result.json (Locust's HTML report, ...).
    artefacts: dict[str, str] = Field(default_factory=dict)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Result:
        """Load a result.json; raise ValueError with what to do when it is not one."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(
                f"{path}: not a readable result.json ({exc}); pass the result.json of an earlier run"
            ) from None
        if data.get("schema_version") != RESULT_SCHEMA_VERSION:
            raise ValueError(
                f"{path}: result schema_version {data.get('schema_version')!r}, this hotelero reads "
                f"{RESULT_SCHEMA_VERSION}"
            )
        return cls.model_validate(data)


def machine() -> Machine:
    """Facts about this machine, for comparing runs."""
    memory = None
    try:
        import psutil

        memory = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:  # noqa: BLE001 - psutil is optional for this field
        memory = None
    return Machine(
        hostname=socket.gethostname(),
        platform=platform.platform(),
        python=sys.version.split()[0],
        cpus=os.cpu_count() or 0,
        memory_gib=memory,
    )


def git_state(cwd: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the working tree, or (None, None) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return commit, bool(dirty)
    except (OSError, subprocess.SubprocessError):
        return None, None


def versions() -> dict[str, str]:
    """Versions of hotelero and the libraries whose behaviour shapes the figures."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("hotelero", "fastapi", "uvicorn", "psycopg", "redis", "locust", "pydantic"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
