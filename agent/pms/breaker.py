"""A circuit breaker for QloApps: open after consecutive failures, one half-open probe, close on success."""

from __future__ import annotations

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

    def __init__(self, clock: Clock, config: BreakerConfig | None = None) -> None:
        self._clock = clock
        self._config = config or BreakerConfig()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False
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

    def _move(self, to: BreakerState) -> None:
        self._state = to
        metrics.set_circuit_state(to.name.lower())
        metrics.PMS_CIRCUIT_TRANSITIONS.labels(to=to.name.lower()).inc()
