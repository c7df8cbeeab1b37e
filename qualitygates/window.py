"""The one rule for "within the gates" over a window of guest messages, and the one recovery window.

Used by the validation gates and charts, the resilience stage, the Locust ramp (is a step sustained?) and
the spike's recovery. The latency a guest feels is the time to a right answer: a timeout counts as the time
waited, and a wrong answer (a fast apology where a price was expected) as not answered within the reply
timeout, so nothing passes by apologising quickly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from qualitygates.schema import GatesFile, percentile_of
from qualitygates.stats import compare, percentile

WRONG_ANSWER = "wrong answer"


class GuestSample(Protocol):
    """What the rule reads of one guest message (validation's E2ESample and loadtests' Sample both fit)."""

    @property
    def latency_ms(self) -> float | None: ...
    @property
    def ok(self) -> bool: ...
    @property
    def error(self) -> str | None: ...


class TimedSample(GuestSample, Protocol):
    @property
    def intended_ms(self) -> float: ...


def is_wrong_answer(error: str | None) -> bool:
    """A reply came, but not one that answers the turn (the load scripts' "wrong answer: ..." failures)."""
    return (error or "").startswith(WRONG_ANSWER)


def judged_latency_ms(sample: GuestSample, reply_timeout_ms: float) -> float | None:
    """The latency the gates judge and the charts draw: wrong answers count as unanswered within the timeout."""
    if sample.latency_ms is None:
        return None
    if is_wrong_answer(sample.error):
        return max(sample.latency_ms, reply_timeout_ms)
    return sample.latency_ms


def unanswered(sample: GuestSample, reply_timeout_ms: float) -> bool:
    """No right answer within the reply timeout: drawn at the timeout in its own colour."""
    judged = judged_latency_ms(sample, reply_timeout_ms)
    return not sample.ok and (judged is None or judged >= reply_timeout_ms or is_wrong_answer(sample.error))


@dataclass(frozen=True)
class LatencyLimit:
    """`pN <comparator> threshold_ms` over a window."""

    gate: str
    percentile: float
    comparator: str
    threshold_ms: float


@dataclass(frozen=True)
class ErrorLimit:
    """`failed share <comparator> threshold` over a window (a fraction, 0.001 = 0.1%)."""

    gate: str
    comparator: str
    share: float


@dataclass(frozen=True)
class WindowRule:
    """What "within the gates" means for a window of guest messages, from the blocking gates of one stage."""

    latency: tuple[LatencyLimit, ...]
    errors: tuple[ErrorLimit, ...]
    reply_timeout_ms: float

    @classmethod
    def from_gates(cls, config: GatesFile, stage: str, reply_timeout_ms: float) -> WindowRule:
        """The blocking e2e-latency percentile and error-rate gates whose scope includes `stage`."""
        latency, errors = [], []
        for gate in config.gates:
            stages = gate.scope.values("stage")
            if gate.severity != "blocking" or (stages is not None and stage not in stages):
                continue
            p = percentile_of(gate.aggregation)
            if gate.metric == "e2e_latency" and p is not None:
                latency.append(LatencyLimit(gate.name, p, gate.comparator, gate.threshold_canonical))
            elif gate.metric == "error_rate":
                errors.append(ErrorLimit(gate.name, gate.comparator, gate.threshold_canonical))
        return cls(tuple(latency), tuple(errors), reply_timeout_ms)

    @classmethod
    def simple(cls, p95_ms: float, max_error_share: float, reply_timeout_ms: float) -> WindowRule:
        """`p95 < p95_ms` and `failed share < max_error_share`, for flags that override the gates file."""
        return cls(
            (LatencyLimit("--gate-p95-ms", 95.0, "<", p95_ms),),
            (ErrorLimit("--max-error-rate", "<", max_error_share),),
            reply_timeout_ms,
        )

    def with_overrides(self, p95_ms: float | None = None, max_error_share: float | None = None) -> WindowRule:
        """This rule with its latency or error limits replaced by flag values."""
        latency = self.latency if p95_ms is None else (LatencyLimit("--gate-p95-ms", 95.0, "<", p95_ms),)
        errors = (
            self.errors if max_error_share is None else (ErrorLimit("--max-error-rate", "<", max_error_share),)
        )
        return WindowRule(latency, errors, self.reply_timeout_ms)

    @property
    def slowest_limit_ms(self) -> float:
        """The largest latency threshold: every reply that could pass has arrived this long after its send."""
        return max((limit.threshold_ms for limit in self.latency), default=0.0)

    def breaches(self, samples: Sequence[GuestSample], expected: int | None = None) -> list[str]:
        """Why the window is not within the gates (empty when it is).

        `expected`: messages the window should hold; missing ones count as not answered at all.
        """
        n = max(len(samples), expected or 0)
        if n == 0:
            return ["no messages"]
        why = []
        judged = [judged_latency_ms(s, self.reply_timeout_ms) for s in samples]
        latencies = [v if v is not None else math.inf for v in judged] + [math.inf] * (n - len(samples))
        for limit in self.latency:
            value = percentile(latencies, limit.percentile)
            if not compare(value, limit.comparator, limit.threshold_ms):
                shown = "no answer" if math.isinf(value) else f"{value:.0f} ms"
                why.append(f"e2e p{limit.percentile:g} {shown}, gate {limit.comparator} {limit.threshold_ms:g} ms")
        failed = sum(1 for s in samples if not s.ok)
        for limit in self.errors:
            if failed and not compare(failed / n, limit.comparator, limit.share):
                why.append(f"{failed} of {n} failed ({100 * failed / n:.2f}%), gate {limit.comparator} "
                           f"{100 * limit.share:g}%")
        return why

    def holds(self, samples: Sequence[GuestSample], expected: int | None = None) -> bool:
        return not self.breaches(samples, expected)


def recovery_ms(
    samples: Sequence[TimedSample],
    restored_ms: float,
    observed_until_ms: float,
    rule: WindowRule,
    window_ms: float,
    step_ms: float = 1000.0,
) -> float | None:
    """Earliest delay after `restored_ms` from which every complete rolling window is within the gates, or None.

    Samples are placed by intended send time; windows of `window_ms` slide by `step_ms` and must end by
    `observed_until_ms`. None means the system was not seen back within the observation.
    """
    after = sorted((s for s in samples if s.intended_ms >= restored_ms), key=lambda s: s.intended_ms)
    starts = []
    t = restored_ms
    while t + window_ms <= observed_until_ms + 1e-9:
        starts.append(t)
        t += step_ms
    if not starts:
        return None
    healthy = [rule.holds([s for s in after if start <= s.intended_ms < start + window_ms]) for start in starts]
    if not healthy[-1]:
        return None
    first = len(healthy) - 1
    while first > 0 and healthy[first - 1]:
        first -= 1
    return starts[first] - restored_ms

