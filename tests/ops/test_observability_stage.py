"""The observability stage's judging pieces: alert episodes from ALERTS samples, the p95 bucket error, the report."""

from __future__ import annotations

from agent.metrics import REPLY_BUCKETS
from validation.reports import charts
from validation.stages.observability import bucket_of, episodes, p95_agreement


def _samples(*times: float) -> list[list[float | str]]:
    return [[t, "1"] for t in times]


def test_a_gap_in_firing_samples_splits_two_episodes_and_each_resolves_one_evaluation_after_its_last_sample() -> None:
    found = episodes("A", _samples(100, 101, 102, 120, 121), step=1.0, firing_now=False)
    assert [(e.fired_unix, e.resolved_unix) for e in found] == [(100, 103), (120, 122)]


def test_an_alert_firing_at_the_last_evaluation_is_not_resolved() -> None:
    [episode] = episodes("A", _samples(100, 101, 102), step=1.0, firing_now=True)
    assert episode.resolved_unix is None
    assert episode.as_dict(wall_t0=90.0) == {"name": "A", "fired_ms": 10000.0, "resolved_ms": None}


def test_bucket_of_uses_the_agents_reply_buckets_upper_inclusive() -> None:
    assert bucket_of(0.02) == (0.015, 0.02)
    assert bucket_of(0.0201) == (0.02, 0.03)
    assert bucket_of(0.001) == (0.0, REPLY_BUCKETS[0])
    assert bucket_of(1000.0) == (REPLY_BUCKETS[-1], float("inf"))


def test_p95s_agree_within_the_width_of_the_bucket_holding_either_and_not_beyond() -> None:
    ok, bound = p95_agreement(0.018, 0.026)  # buckets (0.015, 0.02] and (0.02, 0.03]
    assert ok and bound == 0.03 - 0.02
    ok, bound = p95_agreement(0.012, 0.045)  # (0.01, 0.015] and (0.03, 0.05]: 33 ms apart, 20 ms allowed
    assert not ok and bound == 0.05 - 0.03


def test_the_latency_chart_marks_when_an_alert_fired_and_when_it_resolved() -> None:
    data = charts.ChartData(
        stages=[{"name": "resilience", "start_s": 0.0, "end_s": 60.0}],
        alerts=[
            {"name": "HoteleroPMSCircuitOpen", "fired_s": 12.0, "resolved_s": 30.0},
            {"name": "HoteleroDeadLetters", "fired_s": 50.0, "resolved_s": None},
        ],
    )
    svg = charts.latency_svg(data)
    assert svg.count('class="alert-fired"') == 2
    assert svg.count('class="alert-resolved"') == 1
    assert "HoteleroPMSCircuitOpen fired at 12.0 s" in svg and "resolved at 30.0 s" in svg
