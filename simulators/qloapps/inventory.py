"""Per-room calendars of held nights: half-open stays [date_from, date_to), indexed for O(log n) overlap checks."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date


class Overbooking(RuntimeError):
    """Raised when a hold would overlap another one on the same room: the invariant the model never breaks."""


@dataclass
class RoomCalendar:
    """Non-overlapping holds of one room, sorted by start (so ends are sorted too)."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)

    def overlapping(self, date_from: date, date_to: date) -> list[tuple[date, date, int]]:
        """Holds with start < date_to and end > date_from (the QloApps overlap test)."""
        f, t = date_from.toordinal(), date_to.toordinal()
        i = bisect.bisect_right(self.ends, f)
        out = []
        while i < len(self.starts) and self.starts[i] < t:
            out.append((date.fromordinal(self.starts[i]), date.fromordinal(self.ends[i]), self.ids[i]))
            i += 1
        return out

    def is_free(self, date_from: date, date_to: date) -> bool:
        f, t = date_from.toordinal(), date_to.toordinal()
        i = bisect.bisect_right(self.ends, f)
        return not (i < len(self.starts) and self.starts[i] < t)

    def hold(self, date_from: date, date_to: date, booking_id: int) -> None:
        """Add a hold; refuses (Overbooking) anything that overlaps, so no code path can double-book."""
        if date_to <= date_from:
            raise ValueError("a hold needs date_to after date_from")
        if not self.is_free(date_from, date_to):
            raise Overbooking(f"room already held between {date_from} and {date_to}")
        f, t = date_from.toordinal(), date_to.toordinal()
        i = bisect.bisect_left(self.starts, f)
        self.starts.insert(i, f)
        self.ends.insert(i, t)
        self.ids.insert(i, booking_id)

    def release(self, booking_id: int) -> bool:
        """Drop the hold of one room booking; False if it held nothing."""
        try:
            i = self.ids.index(booking_id)
        except ValueError:
            return False
        del self.starts[i], self.ends[i], self.ids[i]
        return True

    def shorten(self, booking_id: int, new_end: date) -> None:
        """An early check-out frees the remaining nights (the actual check_out replaces date_to)."""
        i = self.ids.index(booking_id)
        self.ends[i] = max(self.starts[i] + 1, min(self.ends[i], new_end.toordinal()))

    def __len__(self) -> int:
        return len(self.ids)


def nights(date_from: date, date_to: date) -> int:
    """Number of nights of a stay; check-out is exclusive."""
    return (date_to - date_from).days
