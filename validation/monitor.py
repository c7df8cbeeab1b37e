"""Background watchers of a run: readiness probes of the agent and CPU of the processes that must not saturate."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import psutil

from validation.runclock import RunClock
from validation.samples import ProbeSample


class ReadinessProber:
    """Probe GET {agent}/health/ready every `interval_s`; each probe is tagged with the current stage."""

    def __init__(self, agent_url: str, clock: RunClock, interval_s: float, stage: Callable[[], str]) -> None:
        self.url = f"{agent_url}/health/ready"
        self.clock = clock
        self.interval_s = interval_s
        self.stage = stage
        self.samples: list[ProbeSample] = []
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self.paused = False

    async def _loop(self, session: aiohttp.ClientSession) -> None:
        next_at = self.clock.now_ms()
        while True:
            next_at += self.interval_s * 1000.0
            if not self.paused:
                task = asyncio.create_task(self._probe(session))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            await asyncio.sleep(max(0.0, (next_at - self.clock.now_ms()) / 1000.0))

    async def _probe(self, session: aiohttp.ClientSession) -> None:
        stage = self.stage()
        at = self.clock.now_ms()
        status: int | None = None
        try:
            async with session.get(self.url) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = None
        self.samples.append(
            ProbeSample(
                stage=stage,
                at_ms=round(at, 1),
                ok=status == 200,
                status=status,
                latency_ms=round(self.clock.now_ms() - at, 2),
            )
        )

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0))
        self._task = asyncio.create_task(self._loop(self._session))

    async def stop(self) -> None:
        """Stop probing, let probes in flight finish (a closed session must not count as not-ready)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=3.0)
        if self._session is not None:
            await self._session.close()


@dataclass
class CpuSeries:
    """CPU % of one core, sampled once a second, tagged with the stage."""

    name: str
    samples: list[tuple[str, float]] = field(default_factory=list)

    def mean(self, stage: str) -> float | None:
        values = [v for s, v in self.samples if s == stage]
        return sum(values) / len(values) if values else None

    def peak(self, stage: str) -> float | None:
        values = [v for s, v in self.samples if s == stage]
        return max(values) if values else None


class CpuMonitor:
    """Sample CPU of the load generator (this process) and of each simulator we started (with children)."""

    def __init__(self, pids: dict[str, int], stage: Callable[[], str], interval_s: float = 1.0) -> None:
        self.stage = stage
        self.interval_s = interval_s
        self.series: dict[str, CpuSeries] = {}
        self._procs: dict[str, psutil.Process] = {}
        for name, pid in {"load-generator": psutil.Process().pid, **pids}.items():
            with contextlib.suppress(psutil.Error):
                self._procs[name] = psutil.Process(pid)
                self.series[name] = CpuSeries(name)
        self._task: asyncio.Task[None] | None = None
        self._last: dict[str, float] = {}

    def _cpu_seconds(self, name: str) -> float | None:
        proc = self._procs[name]
        try:
            total = sum(proc.cpu_times()[:2])
            if name != "load-generator":
                for child in proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        total += sum(child.cpu_times()[:2])
            return total
        except psutil.Error:
            return None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_t = loop.time()
        self._last = {n: v for n in self._procs if (v := self._cpu_seconds(n)) is not None}
        while True:
            await asyncio.sleep(self.interval_s)
            now = loop.time()
            elapsed = max(1e-6, now - last_t)
            last_t = now
            stage = self.stage()
            for name in self._procs:
                value = self._cpu_seconds(name)
                if value is None or name not in self._last:
                    continue
                self.series[name].samples.append((stage, round((value - self._last[name]) / elapsed * 100.0, 1)))
                self._last[name] = value

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
