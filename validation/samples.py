"""Raw measurements of one run: every guest message, every readiness probe, every recovery, every guard.

Gates are evaluated from these, never from pre-aggregated figures; they are also written as JSONL next to
result.json so a person can recompute any figure.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qualitygates.window import is_wrong_answer


@dataclass(frozen=True)
class E2ESample:
    """One guest message: scheduled at `intended_ms` (run clock), answered `latency_ms` later, or not."""

    stage: str
    flow: str
    language: str
    intended_ms: float
    ok: bool
    # Guest-visible latency from the intended send time; for a timeout, the time waited (a lower bound).
    latency_ms: float | None = None
    censored: bool = False
    ack_latency_ms: float | None = None
    error: str | None = None
    # Warm-up samples are recorded but not judged.
    warmup: bool = False
    degraded: bool = False

    @property
    def wrong_answer(self) -> bool:
        """A reply came, but not one that answers the turn (the load scripts' "wrong answer: ..." failures)."""
        return is_wrong_answer(self.error)


@dataclass(frozen=True)
class ProbeSample:
    """One GET /health/ready probe."""

    stage: str
    at_ms: float
    ok: bool
    status: int | None = None
    latency_ms: float | None = None


@dataclass(frozen=True)
class ConversationResult:
    """One golden conversation: passed only if every turn passed."""

    name: str
    passed: bool
    flow: str = ""
    language: str = ""
    turns: int = 0
    failed_turns: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: float = 0.0
    detail: str = ""
    # Of a failed conversation: every turn with what was sent, the replies, its latency and its checks.
    transcript: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RecoverySample:
    """One fault: restored at `restored_ms` (run clock), back within the gates `recovery_ms` later.

    `recovery_ms` is None when the system had not recovered by the end of the observation window.
    """

    fault: str
    fault_start_ms: float
    restored_ms: float
    observed_ms: float
    recovery_ms: float | None


@dataclass(frozen=True)
class FaultOutcome:
    """One fault of the resilience matrix, counted from the guests' side (validation/outcomes.py)."""

    fault: str
    sent: int
    answered: int
    lost_messages: int
    duplicate_replies: int
    out_of_order_replies: int
    orphan_bookings: int
    webhooks_refused: int
    late_redeliveries: int
    handed_to_staff: int
    recovery_ms: float | None


@dataclass(frozen=True)
class Guard:
    """A run-validity guard: when tripped, the run's figures cannot be trusted (verdict INVALID).

    Also the guard row of result.json."""

    name: str
    tripped: bool
    measured: float | None
    limit: float
    unit: str
    detail: str


@dataclass(frozen=True)
class StageWindow:
    """The judged window of a stage on the run clock (warm-up excluded)."""

    start_ms: float
    end_ms: float

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end_ms - self.start_ms) / 1000.0)


@dataclass
class Measurements:
    """Everything measured in one run, handed to the gate evaluator."""

    e2e: list[E2ESample] = field(default_factory=list)
    probes: list[ProbeSample] = field(default_factory=list)
    conversations: list[ConversationResult] = field(default_factory=list)
    recoveries: list[RecoverySample] = field(default_factory=list)
    fault_outcomes: list[FaultOutcome] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    windows: dict[str, StageWindow] = field(default_factory=dict)
    # How long a guest was watched for the right answer; a wrong answer counts as not answered within it.
    reply_timeout_ms: float = 10_000.0


SAMPLE_FILES = {"e2e": "e2e.jsonl", "probes": "probes.jsonl", "conversations": "conversations.jsonl"}


def write_jsonl(path: Path, rows: list[Any]) -> None:
    """Write dataclass rows as one JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(asdict(row), separators=(",", ":")) + "\n")


def read_jsonl(path: Path, kind: type) -> list[Any]:
    """Read rows written by write_jsonl back into dataclasses."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [kind(**json.loads(line)) for line in handle if line.strip()]
