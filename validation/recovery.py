"""Recovery time after a fault: from restoration until rolling p95 and error rate are back within the gates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from validation.gates import percentile
from validation.samples import E2ESample


@dataclass(frozen=True)
class RecoveryCriteria:
    """What "back within the gates" means for one rolling window."""

    p95_below_ms: float
    error_share_below: float
    window_ms: float
    step_ms: float = 1000.0


def window_ok(samples: Sequence[E2ESample], criteria: RecoveryCriteria) -> bool:
    """A window is healthy when it has replies, its p95 is under the gate and its error share is under the gate."""
    if not samples:
        return False
    failures = sum(1 for s in samples if not s.ok)
    latencies = [s.latency_ms for s in samples if s.latency_ms is not None]
    if failures / len(samples) >= criteria.error_share_below and failures > 0:
        return False
    return bool(latencies) and percentile(latencies, 95) < criteria.p95_below_ms


def recovery_ms(
    samples: Sequence[E2ESample], restored_ms: float, observed_until_ms: float, criteria: RecoveryCriteria
) -> float | None:
    """Earliest delay after `restored_ms` from which every complete rolling window is healthy, or None.

    Samples are placed by intended send time; windows slide by `step_ms` and must fit before
    `observed_until_ms`. None means the system was not seen back within the observation.
    """
    after = sorted((s for s in samples if s.intended_ms >= restored_ms), key=lambda s: s.intended_ms)
    starts = []
    t = restored_ms
    while t + criteria.window_ms <= observed_until_ms + 1e-9:
        starts.append(t)
        t += criteria.step_ms
    if not starts:
        return None
    healthy = [
        window_ok([s for s in after if start <= s.intended_ms < start + criteria.window_ms], criteria)
        for start in starts
    ]
    if not healthy[-1]:
        return None
    first = len(healthy) - 1
    while first > 0 and healthy[first - 1]:
        first -= 1
    return starts[first] - restored_ms
