"""A bounded, ordered record of Graph API calls, webhook attempts and control-plane actions."""

from __future__ import annotations

from collections import deque
from typing import Any

from simulators.whatsapp.clock import SimClock


class Journal:
    def __init__(self, clock: SimClock, maxlen: int = 50_000) -> None:
        self.clock = clock
        self.entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.seq = 0

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        entry = {"seq": self.seq, "at_ms": self.clock.now_ms(), "kind": kind, **fields}
        self.entries.append(entry)
        return entry

    def query(self, kind: str | None = None, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for entry in self.entries:
            if entry["seq"] <= after or (kind and not entry["kind"].startswith(kind)):
                continue
            out.append(entry)
            if len(out) >= limit:
                break
        return out

    def clear(self) -> None:
        self.entries.clear()
