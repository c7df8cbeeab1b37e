"""Gate evaluation from raw samples: exact percentiles, honest sample counts, one verdict.

Percentiles use the nearest-rank method on every raw sample (the value at rank ceil(p/100 * n)), so
the reported p95 is a latency some guest actually waited; nothing is bucketed the way Locust does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from validation.gates_config import Gate, GatesFile, Scope, format_number, from_canonical, percentile_of
from validation.samples import E2ESample, Measurements


class Status(StrEnum):
    """Per-gate outcome."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    SKIPPED = "SKIPPED"


class Verdict(StrEnum):
    """Whole-run outcome; `exit_code` is what `hotelero validate` returns."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    INVALID = "INVALID"
    ERROR = "ERROR"

    @property
    def exit_code(self) -> int:
        return {"PASS": 0, "FAIL": 1, "ERROR": 2, "INCONCLUSIVE": 3, "INVALID": 3}[self.value]


@dataclass(frozen=True)
class GateResult:
    """One gate judged: measured value, threshold, margin (positive = headroom) and sample count."""

    name: str
    description: str
    metric: str
    aggregation: str
    comparator: str
    threshold: float
    unit: str
    severity: str
    scope: dict[str, object]
    status: Status
    measured: float | None
    margin: float | None
    samples: int
    min_samples: int
    reason: str
    # False when the profile accepts this gate unproven (its INCONCLUSIVE does not block the verdict).
    blocks_if_inconclusive: bool = True

    def measured_text(self) -> str:
        return "-" if self.measured is None else f"{format_number(self.measured)} {self.unit}"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of raw values (p in 0..100); p0 is the minimum."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def aggregate(values: Sequence[float], aggregation: str) -> float:
    """Apply a distribution aggregation (pN, mean, min, max) to raw values."""
    p = percentile_of(aggregation)
    if p is not None:
        return percentile(values, p)
    if aggregation == "mean":
        return sum(values) / len(values)
    if aggregation == "min":
        return min(values)
    if aggregation == "max":
        return max(values)
    raise ValueError(f"unknown aggregation {aggregation!r}")


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def compare(measured: float, comparator: str, threshold: float) -> bool:
    """True when `measured <comparator> threshold` holds (the gate is met)."""
    return _COMPARE[comparator](measured, threshold)


def _lower_is_better(comparator: str) -> bool:
    return comparator in ("<", "<=")


def _matches(scope: Scope, stage: str, flow: str | None, language: str | None) -> bool:
    for field, value in (("stage", stage), ("flow", flow), ("language", language)):
        accepted = scope.values(field)
        if accepted is not None and value not in accepted:
            return False
    return True


def _e2e_in_scope(gate: Gate, samples: Iterable[E2ESample]) -> list[E2ESample]:
    return [s for s in samples if not s.warmup and _matches(gate.scope, s.stage, s.flow, s.language)]


def _result(gate: Gate, status: Status, measured: float | None, n: int, reason: str) -> GateResult:
    margin = None
    if measured is not None:
        margin = gate.threshold - measured if _lower_is_better(gate.comparator) else measured - gate.threshold
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
    best = -math.inf if _lower_is_better(gate.comparator) else math.inf
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
    best_hits = hits if _lower_is_better(gate.comparator) else hits + (need - n)
    if not compare(best_hits / need, gate.comparator, threshold):
        return _result(
            gate, Status.FAIL, measured, n, f"{hits} of {n} {what}; fails whatever the {need - n} missing would be"
        )
    return _result(
        gate, Status.INCONCLUSIVE, measured, n, f"only {n} {noun}; proving {gate.describe()} needs {need} (rule of 3)"
    )


def evaluate_gate(gate: Gate, m: Measurements) -> GateResult:
    """Judge one gate against the run's raw measurements."""
    stages = gate.scope.values("stage")
    missing = [m.unavailable[s] for s in (stages or ()) if s in m.unavailable]
    if gate.metric == "e2e_latency":
        # Time to a right answer: a wrong one (a fast apology) leaves the guest waiting past the reply timeout.
        samples = [s for s in _e2e_in_scope(gate, m.e2e) if s.latency_ms is not None]
        latencies = [max(s.latency_ms, m.reply_timeout_ms) if s.wrong_answer else s.latency_ms for s in samples]
        result = _judge_distribution(gate, latencies, "replies")  # type: ignore[arg-type]
    elif gate.metric == "ack_latency":
        samples = [s for s in _e2e_in_scope(gate, m.e2e) if s.ack_latency_ms is not None]
        result = _judge_distribution(gate, [s.ack_latency_ms for s in samples], "webhook acks")  # type: ignore[misc]
    elif gate.metric == "error_rate":
        samples = _e2e_in_scope(gate, m.e2e)
        result = _judge_ratio(gate, sum(1 for s in samples if not s.ok), len(samples), "messages", "failed")
    elif gate.metric == "throughput":
        result = _judge_throughput(gate, m)
    elif gate.metric == "readiness":
        probes = [p for p in m.probes if _matches(gate.scope, p.stage, None, None)]
        result = _judge_ratio(gate, sum(1 for p in probes if p.ok), len(probes), "probes", "ready")
    elif gate.metric == "functional_pass_rate":
        convs = [c for c in m.conversations if _matches(gate.scope, "functional", c.flow or None, c.language or None)]
        result = _judge_ratio(gate, sum(1 for c in convs if c.passed), len(convs), "conversations", "passed")
    elif gate.metric == "recovery_time":
        result = _judge_recovery(gate, m)
    else:  # pragma: no cover - gates_config refuses unknown metrics
        raise ValueError(gate.metric)
    if missing and result.status is Status.INCONCLUSIVE:
        return _replace_reason(result, f"{result.reason}; {'; '.join(missing)}")
    return result


def _replace_reason(result: GateResult, reason: str) -> GateResult:
    return GateResult(**{**result.__dict__, "reason": reason})


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


def evaluate(
    config: GatesFile,
    m: Measurements,
    skip: dict[str, str] | None = None,
    unproven_ok: dict[str, str] | None = None,
) -> list[GateResult]:
    """Judge every gate. `skip`: gates whose stage the profile does not run (SKIPPED, with the reason).
    `unproven_ok`: gates the profile is too short to prove; an INCONCLUSIVE one is marked non-blocking."""
    results = []
    for gate in config.gates:
        result = evaluate_gate(gate, m)
        if skip and gate.name in skip:
            result = GateResult(**{**result.__dict__, "status": Status.SKIPPED, "reason": skip[gate.name]})
        elif unproven_ok and gate.name in unproven_ok and result.status is Status.INCONCLUSIVE:
            reason = f"{result.reason}; accepted unproven by this profile: {unproven_ok[gate.name]}"
            result = GateResult(**{**result.__dict__, "reason": reason, "blocks_if_inconclusive": False})
        results.append(result)
    return results


def decide(gates: Sequence[GateResult], guards_tripped: bool, failed_checks: int = 0) -> Verdict:
    """Whole-run verdict: INVALID beats FAIL (figures from a broken run prove nothing), FAIL beats INCONCLUSIVE."""
    if guards_tripped:
        return Verdict.INVALID
    blocking = [g for g in gates if g.severity == "blocking"]
    if failed_checks or any(g.status is Status.FAIL for g in blocking):
        return Verdict.FAIL
    if any(g.status is Status.INCONCLUSIVE and g.blocks_if_inconclusive for g in blocking):
        return Verdict.INCONCLUSIVE
    return Verdict.PASS
