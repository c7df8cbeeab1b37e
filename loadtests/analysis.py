"""Exact figures from raw load samples: percentiles, per-step verdicts, the knee, spike recovery, the summary.

Pure: it reads sample rows (dicts as written to the JSONL file) and returns plain data, so the Locust
master, the `hotelero load` CLI and the tests compute the same numbers the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from loadtests.shapes import Schedule
from qualitygates import stats
from qualitygates.window import WindowRule, judged_latency_ms, recovery_ms

SUMMARY_VERSION = 1


@dataclass(frozen=True)
class Sample:
    """One measurement: a row of the sample file (docs/load.md documents every field)."""

    type: str  # "ack" or "e2e"
    name: str  # "ack" or "e2e:<flow>"
    flow: str
    language: str
    intended_ms: float  # due time of the guest message, ms after the generator's schedule start
    latency_ms: float | None  # ack: webhook POST -> 2xx; e2e: intended send -> first reply at the simulator
    ok: bool
    error: str | None = None
    censored: bool = False  # a timeout: latency_ms is the time waited, a lower bound
    sent_ms: float | None = None  # when the send actually started (same clock as intended_ms)
    ack_latency_ms: float | None = None  # on e2e rows, the ack of the same message
    # On e2e rows: the WhatsApp simulator's own delay, guest message accepted -> its first webhook POST leaving.
    sim_dispatch_ms: float | None = None
    phase: str = ""  # the schedule segment label (steady, ramp@4, spike, ...)
    wa_id: str = ""
    conversation: str = ""
    turn: int = 0
    script: str = ""
    worker: int = 0
    warmup: bool = False

    def to_json(self) -> bytes:
        """One line of the sample file (compact UTF-8 JSON, fields in declaration order)."""
        return orjson.dumps(self)


def read_samples(path: Path) -> list[Sample]:
    """Rows of a sample file (unknown extra fields are ignored, so newer files stay readable)."""
    names = set(Sample.__dataclass_fields__)
    rows: list[Sample] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                data = json.loads(line)
                rows.append(Sample(**{k: v for k, v in data.items() if k in names}))
    return rows


def percentile_or_none(values: list[float], p: float) -> float | None:
    """qualitygates' nearest-rank percentile, or None when there are no values."""
    return stats.percentile(values, p) if values else None


@dataclass
class Distribution:
    """Counts and exact latency percentiles of one group of samples."""

    count: int = 0
    failures: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    mean_ms: float | None = None
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.failures / self.count if self.count else 0.0


def distribution(rows: Iterable[Sample], reply_timeout_ms: float | None = None) -> Distribution:
    """Percentiles over every sample with a latency (timeouts count at the time waited), failures apart.

    With `reply_timeout_ms`, e2e latencies are the ones the gates judge: a wrong answer counts at the timeout.
    """
    rows = list(rows)
    if reply_timeout_ms is None:
        lat = [r.latency_ms for r in rows if r.latency_ms is not None]
    else:
        lat = [v for r in rows if (v := judged_latency_ms(r, reply_timeout_ms)) is not None]
    errors = Counter(_reason(r.error) for r in rows if not r.ok)
    return Distribution(
        count=len(rows),
        failures=sum(1 for r in rows if not r.ok),
        p50_ms=_round(percentile_or_none(lat, 50)),
        p95_ms=_round(percentile_or_none(lat, 95)),
        p99_ms=_round(percentile_or_none(lat, 99)),
        max_ms=_round(max(lat) if lat else None),
        mean_ms=_round(sum(lat) / len(lat) if lat else None),
        errors=dict(errors.most_common()),
    )


def _reason(error: str | None) -> str:
    """Group failure messages by their kind ("wrong answer", "timeout", ...)."""
    return (error or "failed").split(":")[0]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class CpuPoint:
    """Load-generator CPU at one moment: cores used by all generator processes, and the box's busy share."""

    t_s: float
    generator_cores: float
    box_percent: float
    busiest_process_cores: float = 0.0


# A step that sent fewer than this share of its offered messages did not apply its load.
MIN_ACHIEVED_SHARE = 0.95


@dataclass
class StepResult:
    """One schedule segment judged on its own samples."""

    label: str
    rate: float
    start_s: float
    end_s: float
    offered: int
    sent: int
    achieved_rate: float
    e2e: Distribution
    ack: Distribution
    generator_cores: float | None
    passed: bool
    why: str = ""
    sim_dispatch_ms: dict[str, float | int | None] = field(default_factory=dict)


def sim_dispatch(rows: Iterable[Sample]) -> dict[str, float | int | None]:
    """Exact percentiles of the WhatsApp simulator's accepted -> webhook POST delay over e2e rows."""
    values = [r.sim_dispatch_ms for r in rows if r.type == "e2e" and r.sim_dispatch_ms is not None]
    return {
        "count": len(values),
        "p50_ms": _round(percentile_or_none(values, 50)),
        "p95_ms": _round(percentile_or_none(values, 95)),
        "p99_ms": _round(percentile_or_none(values, 99)),
        "max_ms": _round(max(values) if values else None),
    }


def _sent(rows: Iterable[Sample]) -> int:
    return sum(1 for r in rows if r.sent_ms is not None and not (r.error or "").startswith("send"))


def judge_steps(
    rows: list[Sample], schedule: Schedule, cpu: list[CpuPoint], rule: WindowRule, until_s: float
) -> list[StepResult]:
    """Each segment that started before `until_s`, judged against the gates (qualitygates' window rule)."""
    results: list[StepResult] = []
    for seg in schedule.segments:
        if seg.start_s >= until_s:
            break
        end = min(seg.end_s, until_s)
        in_seg = [r for r in rows if seg.start_s * 1000 <= r.intended_ms < end * 1000 and not r.warmup]
        e2e_rows = [r for r in in_seg if r.type == "e2e"]
        e2e = distribution(e2e_rows, rule.reply_timeout_ms)
        offered = schedule.expected_count(end) - schedule.expected_count(seg.start_s)
        sent = _sent(e2e_rows)
        span = max(1e-9, end - seg.start_s)
        cores = [c.generator_cores for c in cpu if seg.start_s <= c.t_s < end]
        why = rule.breaches(e2e_rows, expected=offered)
        if offered and sent < MIN_ACHIEVED_SHARE * offered:
            why.append(f"sent {sent} of {offered} offered")
        results.append(
            StepResult(
                label=seg.label,
                rate=seg.rate,
                start_s=seg.start_s,
                end_s=end,
                offered=offered,
                sent=sent,
                achieved_rate=round(sent / span, 3),
                e2e=e2e,
                ack=distribution(r for r in in_seg if r.type == "ack"),
                generator_cores=round(sum(cores) / len(cores), 3) if cores else None,
                passed=not why,
                why="; ".join(why),
                sim_dispatch_ms=sim_dispatch(e2e_rows),
            )
        )
    return results


def find_knee(steps: list[StepResult]) -> dict[str, Any]:
    """The highest rate sustained within the gates: the last passing step before the first failing one."""
    knee: StepResult | None = None
    broke: StepResult | None = None
    for step in steps:
        if step.passed:
            knee = step
        else:
            broke = step
            break
    return {
        "rate_per_s": knee.rate if knee else None,
        "generator_cores": knee.generator_cores if knee else None,
        "e2e_p95_ms": knee.e2e.p95_ms if knee else None,
        "broken_at_rate_per_s": broke.rate if broke else None,
        "broken_because": broke.why if broke else None,
        "reached": broke is not None,
        "note": (
            "no step passed: the knee is below the start rate"
            if knee is None
            else ("" if broke else "no step broke the gates: the knee is at or above the highest rate tried")
        ),
    }


def spike_recovery(rows: list[Sample], schedule: Schedule, rule: WindowRule, window_s: float = 5.0) -> dict[str, Any]:
    """Seconds after the spike ends until every rolling window of messages is back within the gates."""
    spike = next((s for s in schedule.segments if s.label == "spike"), None)
    if spike is None:
        return {}
    e2e = [r for r in rows if r.type == "e2e"]
    recovered = recovery_ms(e2e, spike.end_s * 1000, schedule.total_s * 1000, rule, window_s * 1000)
    during = distribution(
        (r for r in e2e if spike.start_s * 1000 <= r.intended_ms < spike.end_s * 1000), rule.reply_timeout_ms
    )
    return {
        "spike_rate_per_s": spike.rate,
        "spike_e2e": asdict(during),
        "window_s": window_s,
        "recovery_s": None if recovered is None else round(recovered / 1000, 1),
        "recovered": recovered is not None,
    }


def summarize(
    rows: list[Sample],
    schedule: Schedule,
    cpu: list[CpuPoint],
    rule: WindowRule,
    *,
    until_s: float,
    started_unix: float,
    generators: int,
    cpu_count: int,
    settings: dict[str, Any] | None = None,
    scripts: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The run summary JSON: offered vs achieved rate, generator CPU, exact percentiles, steps, knee, recovery."""
    judged = [r for r in rows if not r.warmup]
    e2e_rows = [r for r in judged if r.type == "e2e"]
    offered = schedule.expected_count(until_s)
    sent = _sent(e2e_rows) + sum(1 for r in rows if r.warmup and r.type == "e2e" and r.sent_ms is not None)
    duration = max(1e-9, until_s)
    lags = [r.sent_ms - r.intended_ms for r in rows if r.type == "e2e" and r.sent_ms is not None]
    cores = [c.generator_cores for c in cpu if c.t_s <= until_s + 1]
    box = [c.box_percent for c in cpu if c.t_s <= until_s + 1]
    by_name: dict[str, list[Sample]] = {}
    for r in judged:
        by_name.setdefault(r.name, []).append(r)
    offered_rate = offered / duration
    achieved_rate = sent / duration
    peak_cores = max(cores) if cores else None
    invalid: list[str] = []
    busiest = max((c.busiest_process_cores for c in cpu if c.t_s <= until_s + 1), default=None)
    # Locust warns above 90% of a core per process; a generator that busy delays its own sends.
    if busiest is not None and busiest > 0.9:
        invalid.append(f"a load generator process was CPU-bound (peak {busiest:.2f} of one core)")
    if offered and achieved_rate < MIN_ACHIEVED_SHARE * offered_rate:
        invalid.append(f"achieved {achieved_rate:.2f}/s of {offered_rate:.2f}/s offered")
    steps = judge_steps(rows, schedule, cpu, rule, until_s)
    summary: dict[str, Any] = {
        "version": SUMMARY_VERSION,
        "shape": schedule.shape,
        "started_unix": started_unix,
        "schedule_s": round(until_s, 3),
        "generators": generators,
        "offered": offered,
        "sent": sent,
        "offered_rate_per_s": round(offered_rate, 4),
        "achieved_rate_per_s": round(achieved_rate, 4),
        "send_lag_ms": {
            "p50": _round(percentile_or_none(lags, 50)),
            "p99": _round(percentile_or_none(lags, 99)),
            "max": _round(max(lags) if lags else None),
        },
        "generator_cpu": {
            "mean_cores": round(sum(cores) / len(cores), 3) if cores else None,
            "peak_cores": round(peak_cores, 3) if peak_cores is not None else None,
            "busiest_process_peak_cores": round(busiest, 3) if busiest is not None else None,
            "share_of_box": round(sum(cores) / len(cores) / cpu_count, 4) if cores else None,
            "box_busy_percent_mean": round(sum(box) / len(box), 1) if box else None,
            "cpu_count": cpu_count,
            "samples": len(cores),
        },
        "counts": {"ack": sum(1 for r in rows if r.type == "ack"), "e2e": sum(1 for r in rows if r.type == "e2e")},
        "ack": asdict(distribution(r for r in judged if r.type == "ack")),
        "e2e": asdict(distribution(e2e_rows, rule.reply_timeout_ms)),
        "sim_dispatch_ms": sim_dispatch(e2e_rows),
        "by_name": {name: asdict(distribution(rs, rule.reply_timeout_ms)) for name, rs in sorted(by_name.items())},
        "gates": asdict(rule),
        "steps": [_step_json(s) for s in steps],
        "valid": not invalid,
        "invalid_reasons": invalid,
        "settings": settings or {},
        "scripts": scripts or {},
    }
    if schedule.shape == "ramp":
        summary["knee"] = find_knee(steps)
    if schedule.shape == "spike":
        summary["recovery"] = spike_recovery(rows, schedule, rule)
    return summary


def _step_json(step: StepResult) -> dict[str, Any]:
    data = asdict(step)
    data["e2e"] = {k: data["e2e"][k] for k in ("count", "failures", "p50_ms", "p95_ms", "p99_ms", "errors")}
    data["ack"] = {k: data["ack"][k] for k in ("count", "p50_ms", "p99_ms")}
    return data
