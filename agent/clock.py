"""The one clock: everything that reads "now" takes a Clock, so tests and simulations can freeze or advance it."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """A source of wall time (aware, UTC) and monotonic time (seconds)."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FrozenClock:
    """A clock that moves only when told to; for tests and deterministic runs."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime, e.g. datetime(2026, 12, 1, tzinfo=UTC)")
        self._now = start.astimezone(UTC)
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        self._mono += delta.total_seconds()


def local_today(clock: Clock, tz_name: str) -> date:
    """Today's date in the hotel's time zone."""
    return clock.now().astimezone(ZoneInfo(tz_name)).date()
