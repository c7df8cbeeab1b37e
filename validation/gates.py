"""Gate evaluation from raw samples: exact percentiles, honest sample counts, one verdict.

Percentiles, units, durations and the "within the gates" window rule come from `qualitygates`, the one
module `loadtests/` uses too. Each metric has one judge in `JUDGES`; a new metric is a schema entry plus
a judge here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from qualitygates.schema import Gate, GatesFile, Scope, format_number, from_canonical
from qualitygates.stats import aggregate, compare, lower_is_better
from qualitygates.window import judged_latency_ms
from validation.samples import E2ESample, Measurements


class Status(StrEnum):
    """Per-gate outcome."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    # Its stages did not run: not selected with --stages, not in the profile, or the run stopped first.
    NOT_RUN = "NOT_RUN"


class Verdict(StrEnum):
    """Whole-run outcome; `exit_code` is what `hotelero validate` returns."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    INVALID = "INVALID"
    ERROR = "ERROR"

    @property
    def exit_code(self) -> int:
        from validation.exitcodes import ExitCode

        return int(ExitCode.for_verdict(self.value))


class GateResult(BaseModel):
    """One gate judged: measured value, threshold, margin (positive = headroom) and sample count.

    This is also the gate row of result.json.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    metric: str
    aggregation: str
    comparator: str
    threshold: float
    unit: str
    severity: str
    scope: dict[str, Any] = {}
    status: Status
    measured: float | None
    margin: float | None
    samples: int
    min_samples: int
    reason: str
    # False when the profile accepts this gate unproven (its INCONCLUSIVE does not block the verdict).
    blocks_if_inconclusive: bool = True
    abort_on_fail: bool = False

    def measured_text(self) -> str:
        return "-" if self.measured is None else f"{format_number(self.measured)} {self.unit}"

    @property
    def status_label(self) -> str:
        """The status as shown: `INCONCLUSIVE (accepted)` when the profile accepts it, `not run` otherwise."""
        if self.status is Status.INCONCLUSIVE and not self.blocks_if_inconclusive:
            return "INCONCLUSIVE (accepted)"
        if self.status is Status.NOT_RUN:
            return "not run"
        return self.status.value

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"

    def stages(self) -> tuple[str, ...] | None:
        raw = self.scope.get("stage")
        return None if raw is None else ((raw,) if isinstance(raw, str) else tuple(raw))

    def describe(self) -> str:
        """`e2e_latency p95 < 2000 ms`: the gate as a person reads it."""
        return f"{self.metric} {self.aggregation} {self.comparator} {format_number(self.threshold)} {self.unit}"

    def replace(self, **changes: Any) -> GateResult:
        return self.model_copy(update=changes)


def matches(scope: Scope, stage: str, flow: str | None, language: str | None) -> bool:
    for field, value in (("stage", stage), ("flow", flow), ("language", language)):
        accepted = scope.values(field)
        if accepted is not None and value not in accepted:
            return False
    return True


def _e2e_in_scope(gate: Gate, samples: Iterable[E2ESample]) -> list[E2ESample]:
    return [s for s in samples if not s.warmup and matches(gate.scope, s.stage, s.flow, s.language)]


def _result(gate: Gate, status: Status, measured: float | None, n: int, reason: str) -> GateResult:
    margin = None
    if measured is not None:
        margin = gate.threshold - measured if lower_is_better(gate.comparator) else measured - gate.threshold
    return GateResult(
        name=gate.name,
        description=gate.description or gate.describe(),
        metric=gate.metric,
        aggregation=gate.aggregation,
        comparator=gate.comparator,
        threshold=gate.threshold,
        unit=gate.unit,
        severity=gate.severity,
        scope=gate.scope.model_dump(exclude_none=True),
        status=status,
        measured=measured,
        margin=margin,
        samples=n,
        min_samples=gate.derived_min_samples(),
        reason=reason,
    )


def _judge_distribution(gate: Gate, values: list[float], what: str) -> GateResult:
    """Latency-like gates: exact aggregation over raw values, in the gate's unit."""
    need = gate.derived_min_samples()
    n = len(values)
    threshold = gate.threshold_canonical
    if n == 0:
        return _result(gate, Status.INCONCLUSIVE, None, 0, f"no {what} measured")
    measured = from_canonical(aggregate(values, gate.aggregation), gate.unit)
    if n >= need:
        met = compare(aggregate(values, gate.aggregation), gate.comparator, threshold)
        return _result(gate, Status.PASS if met else Status.FAIL, measured, n, f"{n} {what}")
    # Too few samples to pass; still a conclusive FAIL if even the best-case missing samples cannot save it.
    best = -math.inf if lower_is_better(gate.comparator) else math.inf
    padded = values + [best] * (need - n)
    if not compare(aggregate(padded, gate.aggregation), gate.comparator, threshold):
        return _result(gate, Status.FAIL, measured, n, f"{n} {what}; fails whatever the {need - n} missing would be")
    return _result(gate, Status.INCONCLUSIVE, measured, n, f"only {n} {what}, the gate needs {need}")


def _judge_ratio(gate: Gate, hits: int, n: int, noun: str, counted: str) -> GateResult:
    """Share gates (error rate, readiness, pass rate): `hits` counted events over `n`, e.g. 3 of 3000 failed."""
    what = f"{noun} {counted}"
    need = gate.derived_min_samples()
    threshold = gate.threshold_canonical
    if n == 0:
        return _result(gate, Status.INCONCLUSIVE, None, 0, f"no {noun} measured")
    share = hits / n
    measured = from_canonical(share, gate.unit)
    if n >= need:
        met = compare(share, gate.comparator, threshold)
        return _result(gate, Status.PASS if met else Status.FAIL, measured, n, f"{hits} of {n} {what}")
    # Rule of three: a clean record of n < need cannot prove the rate; a bad record can already disprove it.
    best_hits = hits if lower_is_better(gate.comparator) else hits + (need - n)
    if not compare(best_hits / need, gate.comparator, threshold):
        return _result(
            gate, Status.FAIL, measured, n, f"{hits} of {n} {what}; fails whatever the {need - n} missing would be"
        )
    return _result(
        gate, Status.INCONCLUSIVE, measured, n, f"only {n} {noun}; proving {gate.describe()} needs {need} (rule of 3)"
    )


def judged_latencies(samples: Iterable[E2ESample], reply_timeout_ms: float) -> list[float]:
    """The e2e latencies the gates judge, the stage rows quote and the charts draw (qualitygates.window)."""
    values = (judged_latency_ms(s, reply_timeout_ms) for s in samples)
    return [v for v in values if v is not None]


def _judge_e2e(gate: Gate, m: Measurements) -> GateResult:
    # Time to a right answer: a wrong one (a fast apology) leaves the guest waiting past the reply timeout.
    return _judge_distribution(gate, judged_latencies(_e2e_in_scope(gate, m.e2e), m.reply_timeout_ms), "replies")


def _judge_ack(gate: Gate, m: Measurements) -> GateResult:
    acks = [s.ack_latency_ms for s in _e2e_in_scope(gate, m.e2e) if s.ack_latency_ms is not None]
    return _judge_distribution(gate, acks, "webhook acks")


def _judge_errors(gate: Gate, m: Measurements) -> GateResult:
    samples = _e2e_in_scope(gate, m.e2e)
    return _judge_ratio(gate, sum(1 for s in samples if not s.ok), len(samples), "messages", "failed")


def _judge_readiness(gate: Gate, m: Measurements) -> GateResult:
    probes = [p for p in m.probes if matches(gate.scope, p.stage, None, None)]
    return _judge_ratio(gate, sum(1 for p in probes if p.ok), len(probes), "probes", "ready")


def _judge_functional(gate: Gate, m: Measurements) -> GateResult:
    convs = [c for c in m.conversations if matches(gate.scope, "functional", c.flow or None, c.language or None)]
    return _judge_ratio(gate, sum(1 for c in convs if c.passed), len(convs), "conversations", "passed")


def _judge_throughput(gate: Gate, m: Measurements) -> GateResult:
    stages = gate.scope.values("stage") or tuple(m.windows)
    seconds = sum(m.windows[s].seconds for s in stages if s in m.windows)
    answered = [s for s in _e2e_in_scope(gate, m.e2e) if s.ok]
    need = gate.derived_min_samples()
    if seconds <= 0:
        return _result(gate, Status.INCONCLUSIVE, None, len(answered), "no measured window (stage did not run)")
    per_hour = len(answered) / seconds * 3600.0
    if len(answered) < need and compare(per_hour, gate.comparator, gate.threshold_canonical):
        return _result(gate, Status.INCONCLUSIVE, per_hour, len(answered), f"only {len(answered)} replies")
    met = compare(per_hour, gate.comparator, gate.threshold_canonical)
    reason = f"{len(answered)} replies in {seconds:.1f} s"
    return _result(gate, Status.PASS if met else Status.FAIL, per_hour, len(answered), reason)


def _judge_recovery(gate: Gate, m: Measurements) -> GateResult:
    threshold = gate.threshold_canonical
    if not m.recoveries:
        return _result(gate, Status.INCONCLUSIVE, None, 0, "no fault was injected")
    unrecovered = [r for r in m.recoveries if r.recovery_ms is None]
    recovered = [r.recovery_ms for r in m.recoveries if r.recovery_ms is not None]
    for r in unrecovered:
        # Watched at least as long as the gate allows and still not back: that is a breach.
        if not compare(r.observed_ms, gate.comparator, threshold):
            measured = from_canonical(r.observed_ms, gate.unit)
            reason = f"not recovered after {format_number(measured)} {gate.unit} of observation"
            return _result(gate, Status.FAIL, measured, len(m.recoveries), reason)
    if unrecovered:
        r = unrecovered[0]
        measured = from_canonical(r.observed_ms, gate.unit)
        reason = f"not recovered within the {format_number(measured)} {gate.unit} observed (shorter than the gate)"
        return _result(gate, Status.INCONCLUSIVE, None, len(recovered), reason)
    return _judge_distribution(gate, recovered, "faults recovered")  # type: ignore[arg-type]


def _judge_fault_count(gate: Gate, m: Measurements) -> GateResult:
    """lost_messages, duplicate_replies, ...: the worst fault (max) or all faults (sum) of the resilience matrix."""
    rows = m.fault_outcomes
    if not rows:
        return _result(gate, Status.INCONCLUSIVE, None, 0, "no fault of the resilience matrix ran")
    values = [getattr(r, gate.metric) for r in rows]
    measured = float(max(values) if gate.aggregation == "max" else sum(values))
    worst = max(rows, key=lambda r: getattr(r, gate.metric))
    reason = f"{len(rows)} faults; worst {worst.fault}: {getattr(worst, gate.metric)}"
    met = compare(measured, gate.comparator, gate.threshold_canonical)
    return _result(gate, Status.PASS if met else Status.FAIL, measured, len(rows), reason)


# One judge per metric of qualitygates.schema.METRICS (a test checks they match).
JUDGES: dict[str, Callable[[Gate, Measurements], GateResult]] = {
    "e2e_latency": _judge_e2e,
    "ack_latency": _judge_ack,
    "error_rate": _judge_errors,
    "throughput": _judge_throughput,
    "readiness": _judge_readiness,
    "functional_pass_rate": _judge_functional,
    "recovery_time": _judge_recovery,
    "lost_messages": _judge_fault_count,
    "duplicate_replies": _judge_fault_count,
    "out_of_order_replies": _judge_fault_count,
    "orphan_bookings": _judge_fault_count,
}


def evaluate_gate(gate: Gate, m: Measurements) -> GateResult:
    """Judge one gate against the run's raw measurements."""
    return JUDGES[gate.metric](gate, m).replace(abort_on_fail=gate.abort_on_fail)


def not_run(config: GatesFile, ran: Sequence[str], why: dict[str, str]) -> dict[str, str]:
    """Gates none of whose stages ran, each with the reason (`why[stage]`: "not selected", "run aborted", ...)."""
    out: dict[str, str] = {}
    for gate in config.gates:
        stages = gate.scope.values("stage")
        if stages and not any(s in ran for s in stages):
            reasons = sorted({why.get(s, "stage did not run") for s in stages})
            out[gate.name] = f"not run ({'; '.join(reasons)})"
    return out


def evaluate(
    config: GatesFile,
    m: Measurements,
    skip: dict[str, str] | None = None,
    unproven_ok: dict[str, str] | None = None,
) -> list[GateResult]:
    """Judge every gate. `skip`: gates whose stages did not run (NOT_RUN with the reason; they never block).
    `unproven_ok`: gates the profile is too short to prove; an INCONCLUSIVE one is marked non-blocking."""
    results = []
    for gate in config.gates:
        result = evaluate_gate(gate, m)
        if skip and gate.name in skip:
            result = result.replace(status=Status.NOT_RUN, reason=skip[gate.name], measured=None, margin=None)
        elif unproven_ok and gate.name in unproven_ok and result.status is Status.INCONCLUSIVE:
            reason = f"{result.reason}; accepted unproven by this profile: {unproven_ok[gate.name]}"
            result = result.replace(reason=reason, blocks_if_inconclusive=False)
        results.append(result)
    return results


def aborting(config: GatesFile, m: Measurements) -> list[GateResult]:
    """`abort_on_fail` gates that have already failed conclusively on the samples so far (k6's abortOnFail)."""
    return [r for g in config.gates if g.abort_on_fail and (r := evaluate_gate(g, m)).status is Status.FAIL]


def decide(gates: Sequence[GateResult], guards_tripped: bool, failed_checks: int = 0) -> Verdict:
    """Whole-run verdict: INVALID beats FAIL (figures from a broken run prove nothing), FAIL beats INCONCLUSIVE."""
    if guards_tripped:
        return Verdict.INVALID
    blocking = [g for g in gates if g.blocking]
    if failed_checks or any(g.status is Status.FAIL for g in blocking):
        return Verdict.FAIL
    if any(g.status is Status.INCONCLUSIVE and g.blocks_if_inconclusive for g in blocking):
        return Verdict.INCONCLUSIVE
    return Verdict.PASS
