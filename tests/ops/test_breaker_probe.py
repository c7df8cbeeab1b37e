"""An open QloApps circuit breaker probes by itself after each cooldown, so it (and its alert) can recover
while no guest is asking."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from agent.clock import SystemClock
from agent.pms.breaker import BreakerConfig, BreakerState, CircuitBreaker


def _opened(probe_ok: bool, calls: list[float]) -> CircuitBreaker:
    breaker: CircuitBreaker

    async def probe() -> None:
        breaker.before_call()
        calls.append(1)
        if probe_ok:
            breaker.on_success()
        else:
            breaker.on_failure()

    breaker = CircuitBreaker(SystemClock(), BreakerConfig(failure_threshold=2, cooldown_s=0.1), probe=probe)
    breaker.on_failure()
    breaker.on_failure()
    return breaker


async def _settle(breaker: CircuitBreaker, until: BreakerState, seconds: float) -> None:
    for _ in range(int(seconds / 0.02)):
        if breaker.state is until:
            return
        await asyncio.sleep(0.02)


def test_an_open_breaker_closes_after_a_successful_probe_without_any_guest_call() -> None:
    calls: list[float] = []

    async def scenario() -> BreakerState:
        breaker = _opened(True, calls)
        assert breaker.state is BreakerState.OPEN
        await _settle(breaker, BreakerState.CLOSED, 5.0)
        return breaker.state

    assert asyncio.run(scenario()) is BreakerState.CLOSED
    assert calls == [1]
    assert REGISTRY.get_sample_value("hotelero_pms_circuit_state", {"state": "closed"}) == 1.0
    assert REGISTRY.get_sample_value("hotelero_pms_circuit_state", {"state": "open"}) == 0.0


def test_a_failing_probe_keeps_the_breaker_open_and_probes_again_after_the_next_cooldown() -> None:
    calls: list[float] = []

    async def scenario() -> BreakerState:
        breaker = _opened(False, calls)
        await asyncio.sleep(0.45)
        return breaker.state

    assert asyncio.run(scenario()) is BreakerState.OPEN
    assert len(calls) >= 2
    assert REGISTRY.get_sample_value("hotelero_pms_circuit_state", {"state": "open"}) == 1.0


def test_without_a_probe_an_open_breaker_waits_for_the_next_call() -> None:
    async def scenario() -> BreakerState:
        breaker = CircuitBreaker(SystemClock(), BreakerConfig(failure_threshold=1, cooldown_s=0.05))
        breaker.on_failure()
        await asyncio.sleep(0.2)
        return breaker.state

    assert asyncio.run(scenario()) is BreakerState.OPEN
