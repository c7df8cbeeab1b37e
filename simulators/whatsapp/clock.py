"""The simulator's one clock: monotonic milliseconds for timelines, virtual unix time for policies."""

from __future__ import annotations

import time


class SimClock:
    """Monotonic ms for every `*_ms` timestamp; virtual unix seconds (advanceable) for windows, limits, expiry.

    Both read the same monotonic source, so `advance()` moves policy time forward without breaking the
    latency arithmetic that callers do on `*_ms` values.
    """

    def __init__(self) -> None:
        self._mono0 = time.monotonic()
        self._wall0 = time.time()
        self._offset_s = 0.0

    def now_ms(self) -> float:
        """Monotonic milliseconds since an arbitrary origin (the same origin for the whole process)."""
        # Whole microseconds from the same clock as time.monotonic(); cheaper than round(x, 3), called per event.
        return time.monotonic_ns() // 1000 / 1000.0

    def time(self) -> float:
        """Virtual unix time in seconds: wall time at start + elapsed monotonic time + advanced offset."""
        return self._wall0 + (time.monotonic() - self._mono0) + self._offset_s

    def advance(self, seconds: float) -> float:
        """Move virtual time forward (never backwards); returns the total offset in seconds."""
        if seconds < 0:
            raise ValueError("the clock only moves forward: pass a positive number of seconds")
        self._offset_s += seconds
        return self._offset_s

    @property
    def offset_s(self) -> float:
        return self._offset_s

    def reset(self) -> None:
        self._offset_s = 0.0
