"""The window rule ("within the gates") and recovery time, measured from restoration until every window holds."""

from __future__ import annotations

from pathlib import Path

from loadtests.analysis import Sample
from qualitygates.schema import load_gates
from qualitygates.window import WindowRule, judged_latency_ms, recovery_ms
from validation.samples import E2ESample

RULE = WindowRule.simple(p95_ms=2000, max_error_share=0.001, reply_timeout_ms=10_000)
REPO = Path(__file__).resolve().parents[2]


def recovery(samples: list[E2ESample], restored: float, until: float) -> float | None:
    return recovery_ms(samples, restored, until, RULE, window_ms=5000)


def _series(spec: list[tuple[float, float, bool]]) -> list[E2ESample]:
    return [E2ESample("resilience", "faq", "es", t, ok, lat if ok else 10000.0) for t, lat, ok in spec]


def _every_100ms(start: float, end: float, latency: float, ok: bool = True) -> list[tuple[float, float, bool]]:
    return [(t, latency, ok) for t in range(int(start), int(end), 100)]


def test_immediately_healthy_after_restoration_recovers_in_zero() -> None:
    samples = _series(_every_100ms(10_000, 30_000, 150))
    assert recovery(samples, 10_000, 30_000) == 0


def test_slow_replies_after_restoration_delay_recovery_until_windows_are_clean() -> None:
    samples = _series(_every_100ms(10_000, 14_000, 3000) + _every_100ms(14_000, 40_000, 150))
    assert recovery(samples, 10_000, 40_000) == 4000


def test_a_single_late_failure_moves_recovery_past_it() -> None:
    spec = _every_100ms(10_000, 40_000, 150)
    spec[100] = (20_000, 0.0, False)  # one unanswered message 10 s after restoration
    assert recovery(_series(spec), 10_000, 40_000) == 11_000


def test_still_broken_at_the_end_of_observation_is_not_recovered() -> None:
    samples = _series(_every_100ms(10_000, 40_000, 150) + _every_100ms(40_000, 45_000, 4000))
    assert recovery(samples, 10_000, 45_000) is None


def test_observation_shorter_than_a_window_cannot_show_recovery() -> None:
    assert recovery(_series(_every_100ms(10_000, 13_000, 150)), 10_000, 13_000) is None


def test_the_shipped_gates_give_the_load_stage_rule_its_p95_and_error_rate_limits() -> None:
    rule = WindowRule.from_gates(load_gates(REPO / "quality_gates.yaml"), "load", 10_000)
    assert [(lim.gate, lim.percentile, lim.threshold_ms) for lim in rule.latency] == [("e2e_latency_p95", 95, 2000)]
    assert [(lim.gate, lim.share) for lim in rule.errors] == [("error_rate", 0.001)]


def test_a_fast_wrong_answer_is_judged_at_the_reply_timeout() -> None:
    wrong = E2ESample("load", "faq", "es", 0, ok=False, latency_ms=80, error="wrong answer: expected a price")
    assert judged_latency_ms(wrong, 10_000) == 10_000
    assert RULE.breaches([wrong] * 20) == [
        "e2e p95 10000 ms, gate < 2000 ms",
        "20 of 20 failed (100.00%), gate < 0.1%",
    ]


def test_messages_not_recorded_yet_count_as_not_answered() -> None:
    fast = [E2ESample("load", "faq", "es", i, ok=True, latency_ms=50) for i in range(90)]
    assert RULE.holds(fast, expected=94)
    assert not RULE.holds(fast, expected=100)


def test_loadtests_samples_and_validation_samples_are_judged_alike() -> None:
    row = Sample("e2e", "e2e:faq", "faq", "es", 0, 120.0, False, error="wrong answer: apology")
    twin = E2ESample("load", "faq", "es", 0, ok=False, latency_ms=120.0, error="wrong answer: apology")
    assert judged_latency_ms(row, 10_000) == judged_latency_ms(twin, 10_000) == 10_000
