"""Load shapes as open-model arrival schedules: which guest message starts when, whatever the replies do.

A schedule is a list of segments (start, end, rate). Message i of a generator is due at its slot time; a
slow agent makes later replies, never later slots. Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

SLA_RATE_PER_S = 1000 / 3600  # the SLA: 1000 guest messages per hour
DEFAULT_RATE_PER_S = round(10 * SLA_RATE_PER_S, 2)  # steady defaults to 10x the SLA rate (2.78/s)
SHAPES = ("smoke", "steady", "ramp", "spike", "soak")


class ShapeError(ValueError):
    """Shape parameters that cannot make a schedule."""


@dataclass(frozen=True)
class Segment:
    """A stretch of the schedule at one arrival rate (guest messages per second, all generators together)."""

    start_s: float
    end_s: float
    rate: float
    label: str


@dataclass(frozen=True)
class Schedule:
    """An open-model arrival schedule."""

    shape: str
    segments: tuple[Segment, ...]

    @property
    def total_s(self) -> float:
        return self.segments[-1].end_s if self.segments else 0.0

    def segment_at(self, t: float) -> Segment | None:
        """The segment covering t seconds after the start (None after the end)."""
        for seg in self.segments:
            if seg.start_s <= t < seg.end_s:
                return seg
        return None

    def slots(self, generators: int = 1, index: int = 0) -> Iterator[tuple[float, Segment]]:
        """Due times of this generator's messages: generator `index` of `generators` takes every n-th slot.

        The global slot k of a segment is due at start + k/rate, so n generators together offer the rate.
        """
        if generators < 1 or not 0 <= index < generators:
            raise ShapeError(f"generator index {index} out of range for {generators} generators")
        for seg in self.segments:
            if seg.rate <= 0:
                continue
            step = 1.0 / seg.rate
            k = index
            while True:
                t = seg.start_s + k * step
                if t >= seg.end_s - 1e-9:
                    break
                yield t, seg
                k += generators

    def expected_count(self, until_s: float | None = None) -> int:
        """How many messages the schedule offers in total (or before `until_s`)."""
        end = self.total_s if until_s is None else until_s
        count = 0
        for seg in self.segments:
            if seg.rate <= 0 or seg.start_s >= end:
                continue
            span = min(seg.end_s, end) - seg.start_s
            count += max(0, math.ceil(span * seg.rate - 1e-9))
        return count


def build_schedule(
    shape: str,
    rate: float = DEFAULT_RATE_PER_S,
    duration_s: float = 60.0,
    *,
    step_s: float = 20.0,
    step_rate: float | None = None,
    max_rate: float | None = None,
    spike_factor: float = 10.0,
    spike_s: float = 30.0,
    before_s: float | None = None,
    after_s: float | None = None,
) -> Schedule:
    """The schedule for a named shape.

    - smoke: 1 message/s (or `rate` if lower) for min(duration, 10 s);
    - steady / soak: `rate` for `duration_s`;
    - ramp: steps of `step_s` starting at `rate`, each `step_rate` higher (default: +`rate`), up to `max_rate`
      (default 40x the start) — the run stops earlier once a step breaks the gates;
    - spike: `rate` for `before_s` (default 20 s), `spike_factor` x `rate` for `spike_s`, then `rate` for
      `after_s` (default `duration_s`) to watch the recovery.
    """
    if shape not in SHAPES:
        raise ShapeError(f"unknown shape {shape!r}: use one of {', '.join(SHAPES)}")
    if not rate > 0 or math.isinf(rate):
        raise ShapeError(f"rate must be a positive number of messages per second, got {rate}")
    if duration_s <= 0:
        raise ShapeError("duration must be positive: give e.g. --duration 60s")
    if shape == "smoke":
        return Schedule(shape, (Segment(0.0, min(duration_s, 10.0), min(rate, 1.0), "smoke"),))
    if shape in ("steady", "soak"):
        return Schedule(shape, (Segment(0.0, duration_s, rate, shape),))
    if shape == "ramp":
        inc = step_rate if step_rate is not None else rate
        top = max_rate if max_rate is not None else rate * 40
        if inc <= 0 or step_s <= 0:
            raise ShapeError("ramp needs a positive --step-rate and --step-duration")
        if top < rate:
            raise ShapeError(f"--max-rate {top} is below the start rate {rate}")
        segs: list[Segment] = []
        r, t = rate, 0.0
        while r <= top + 1e-9:
            segs.append(Segment(t, t + step_s, round(r, 6), f"ramp@{r:g}"))
            t += step_s
            r += inc
        return Schedule(shape, tuple(segs))
    before = 20.0 if before_s is None else before_s
    after = duration_s if after_s is None else after_s
    if spike_factor <= 0 or spike_s <= 0:
        raise ShapeError("spike needs a positive --spike-factor and --spike-duration")
    return Schedule(
        shape,
        (
            Segment(0.0, before, rate, "before"),
            Segment(before, before + spike_s, rate * spike_factor, "spike"),
            Segment(before + spike_s, before + spike_s + after, rate, "after"),
        ),
    )
