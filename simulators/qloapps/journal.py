"""The request journal: the last N requests with method, path, status, latency and body excerpts."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

EXCERPT = 300


@dataclass
class JournalEntry:
    seq: int
    at_ms: float
    method: str
    path: str
    query: str
    resource: str
    status: int
    latency_ms: float
    request_excerpt: str
    response_excerpt: str
    faults: list[str]


class Journal:
    """A bounded, thread-safe ring of JournalEntry."""

    def __init__(self, size: int = 1000) -> None:
        self._items: deque[JournalEntry] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, *, at_ms: float, method: str, path: str, query: str, resource: str, status: int,
               latency_ms: float, request: bytes, response: bytes, faults: list[str]) -> None:  # fmt: skip
        entry = JournalEntry(
            next(self._seq), round(at_ms, 3), method, path, query, resource, status, round(latency_ms, 3),
            request[:EXCERPT].decode("utf-8", "replace"), response[:EXCERPT].decode("utf-8", "replace"), faults,
        )  # fmt: skip
        with self._lock:
            self._items.append(entry)

    def entries(self, limit: int = 100, resource: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._items)
        if resource:
            items = [e for e in items if e.resource == resource]
        if method:
            items = [e for e in items if e.method == method.upper()]
        return [asdict(e) for e in items[-limit:]]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
