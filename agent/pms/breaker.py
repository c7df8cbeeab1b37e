"""A circuit breaker for QloApps: open after consecutive failures, one half-open probe, close on success."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from agent import metrics
from agent.clock import Clock
from agent.pms.errors import CircuitOpen


class BreakerState(Enum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


@dataclass
class BreakerConfig:
    failure_threshold: int = 5
    cooldown_s: float = 10.0


class CircuitBreaker:
    """Counts consecutive failures; while open, calls fail fast with CircuitOpen until the cooldown has passed."""

    def __init__(
        self,
        clock: Clock,
        config: BreakerConfig | None = None,
        probe: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._clock = clock
        self._config = config or BreakerConfig()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False
        # Without guest traffic nothing would ever close an open breaker (nor resolve its alert): after each
        # cooldown `probe` makes one call through the breaker itself.
        self._probe = probe
        self._probe_task: asyncio.Task[None] | None = None
        metrics.set_circuit_state("closed")

    @property
    def state(self) -> BreakerState:
        return self._state

    def before_call(self) -> None:
        """Raise CircuitOpen unless a call may go through now (closed, or the single half-open probe)."""
        if self._state is BreakerState.CLOSED:
            return
        if self._state is BreakerState.OPEN:
            if self._clock.monotonic() - self._opened_at < self._config.cooldown_s:
                raise CircuitOpen("QloApps circuit is open after repeated failures; retrying after the cooldown")
            self._move(BreakerState.HALF_OPEN)
        if self._probe_in_flight:
            raise CircuitOpen("QloApps circuit is half-open and a probe is already in flight")
        self._probe_in_flight = True

    def on_success(self) -> None:
        self._failures = 0
        self._probe_in_flight = False
        if self._state is not BreakerState.CLOSED:
            self._move(BreakerState.CLOSED)

    def on_failure(self) -> None:
        self._probe_in_flight = False
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self._config.failure_threshold:
            self._opened_at = self._clock.monotonic()
            if self._state is not BreakerState.OPEN:
                self._move(BreakerState.OPEN)

    def _schedule_probe(self) -> None:
        if self._probe is None or (self._probe_task is not None and not self._probe_task.done()):
            return
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to probe with
            self._probe_task = asyncio.get_running_loop().create_task(self._probe_after_cooldown())

    async def _probe_after_cooldown(self) -> None:
        assert self._probe is not None
        while self._state is BreakerState.OPEN:
            await asyncio.sleep(self._config.cooldown_s)
            if self._state is not BreakerState.OPEN:
                return
            with contextlib.suppress(Exception):  # the outcome is recorded by the breaker itself
                await self._probe()

    def _move(self, to: BreakerState) -> None:
        if to is BreakerState.OPEN:
            self._schedule_probe()
        self._state = to
        metrics.set_circuit_state(to.name.lower())
        metrics.PMS_CIRCUIT_TRANSITIONS.labels(to=to.name.lower()).inc()
