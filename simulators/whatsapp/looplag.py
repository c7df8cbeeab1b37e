"""Event-loop lag and GC pause sampling: evidence of whether the simulator itself is slowing a run."""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque

from simulators.whatsapp.metrics import SimMetrics

INTERVAL_S = 0.05


class LoopMonitor:
    """Samples how late a 50 ms timer fires (loop lag) and how long each GC pass takes."""

    def __init__(self, metrics: SimMetrics, keep: int = 1200) -> None:
        self.metrics = metrics
        self.lags_ms: deque[float] = deque(maxlen=keep)
        self.gc_ms: deque[float] = deque(maxlen=keep)
        self._task: asyncio.Task[None] | None = None
        self._gc_start = 0.0

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            pause = time.perf_counter() - self._gc_start
            self.gc_ms.append(pause * 1000)
            self.metrics.gc_pause.observe(pause)

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._task:
            self._task.cancel()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + INTERVAL_S
            await asyncio.sleep(INTERVAL_S)
            lag = max(0.0, loop.time() - expected)
            self.lags_ms.append(lag * 1000)
            self.metrics.loop_lag.observe(lag)

    def summary(self) -> dict[str, float]:
        """p50/p99/max loop lag and max GC pause over the last minute or so of samples, in ms."""
        lags = sorted(self.lags_ms)

        def pick(q: float) -> float:
            return round(lags[min(len(lags) - 1, int(q * len(lags)))], 3) if lags else 0.0

        return {
            "loop_lag_p50_ms": pick(0.5),
            "loop_lag_p99_ms": pick(0.99),
            "loop_lag_max_ms": round(lags[-1], 3) if lags else 0.0,
            "gc_pause_max_ms": round(max(self.gc_ms, default=0.0), 3),
        }
