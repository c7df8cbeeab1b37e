"""Recovery time: measured from restoration until rolling p95 and error rate are back within the gates."""

from __future__ import annotations

from validation.recovery import RecoveryCriteria, recovery_ms
from validation.samples import E2ESample

CRITERIA = RecoveryCriteria(p95_below_ms=2000, error_share_below=0.001, window_ms=5000)


def _series(spec: list[tuple[float, float, bool]]) -> list[E2ESample]:
    return [E2ESample("resilience", "faq", "es", t, ok, lat if ok else 10000.0) for t, lat, ok in spec]


def _every_100ms(start: float, end: float, latency: float, ok: bool = True) -> list[tuple[float, float, bool]]:
    return [(t, latency, ok) for t in range(int(start), int(end), 100)]


def test_immediately_healthy_after_restoration_recovers_in_zero() -> None:
    samples = _series(_every_100ms(10_000, 30_000, 150))
    assert recovery_ms(samples, 10_000, 30_000, CRITERIA) == 0


def test_slow_replies_after_restoration_delay_recovery_until_windows_are_clean() -> None:
    samples = _series(_every_100ms(10_000, 14_000, 3000) + _every_100ms(14_000, 40_000, 150))
    assert recovery_ms(samples, 10_000, 40_000, CRITERIA) == 4000


def test_a_single_late_failure_moves_recovery_past_it() -> None:
    spec = _every_100ms(10_000, 40_000, 150)
    spec[100] = (20_000, 0.0, False)  # one unanswered message 10 s after restoration
    assert recovery_ms(_series(spec), 10_000, 40_000, CRITERIA) == 11_000


def test_still_broken_at_the_end_of_observation_is_not_recovered() -> None:
    samples = _series(_every_100ms(10_000, 40_000, 150) + _every_100ms(40_000, 45_000, 4000))
    assert recovery_ms(samples, 10_000, 45_000, CRITERIA) is None


def test_observation_shorter_than_a_window_cannot_show_recovery() -> None:
    assert recovery_ms(_series(_every_100ms(10_000, 13_000, 150)), 10_000, 13_000, CRITERIA) is None
