"""The run clock: milliseconds since the run started, on the monotonic clock (injectable in tests)."""

from __future__ import annotations

import time
from collections.abc import Callable


class RunClock:
    """`now_ms()` is the one "now" of a validation run; every sample's time is on this clock."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._t0 = monotonic()
        # Wall time at zero, to place samples from other processes (Locust writes unix start times).
        self.wall_t0 = time.time()

    def now_ms(self) -> float:
        return (self._monotonic() - self._t0) * 1000.0

    def monotonic(self) -> float:
        return self._monotonic()

    def from_unix(self, unix_s: float) -> float:
        """Run-clock ms of a wall-clock instant recorded by another process."""
        return (unix_s - self.wall_t0) * 1000.0

    def to_monotonic(self, run_ms: float) -> float:
        """The monotonic time of a run-clock instant (for sleeping until a scheduled send)."""
        return self._t0 + run_ms / 1000.0
