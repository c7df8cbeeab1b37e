"""The simulator's one clock: wall time for `date_add` and "today", monotonic ms for latencies; settable."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta


class SimClock:
    """Real time by default; `set_today()` pins the calendar (tests, reproducible runs) without touching latencies."""

    def __init__(self, today: date | None = None) -> None:
        self._offset = timedelta(0)
        if today is not None:
            self.set_today(today)

    def now(self) -> datetime:
        return datetime.now().replace(microsecond=0) + self._offset

    def today(self) -> date:
        return self.now().date()

    def set_today(self, today: date) -> None:
        """Shift virtual time so that today() is `today` (the time of day keeps running)."""
        self._offset = timedelta(0)
        self._offset = datetime.combine(today, self.now().time()) - datetime.now().replace(microsecond=0)

    def reset(self) -> None:
        self._offset = timedelta(0)

    @staticmethod
    def now_ms() -> float:
        return time.monotonic() * 1000.0

    def stamp(self) -> str:
        """`Y-m-d H:i:s`, the format of every QloApps datetime field."""
        return self.now().strftime("%Y-%m-%d %H:%M:%S")
