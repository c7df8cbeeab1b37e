"""Run-validity guards from the load driver's own figures: a saturated generator or a short rate is INVALID."""

from __future__ import annotations

from validation.gates import Verdict, decide
from validation.stages.load import locust_guards, rate_guard, sample_from_locust

SUMMARY = {
    "offered": 3300,
    "sent": 3300,
    "offered_rate_per_s": 75.0,
    "achieved_rate_per_s": 75.0,
    "send_lag_ms": {"p99": 3.1},
    "generator_cpu": {"busiest_process_peak_cores": 0.21, "mean_cores": 0.11},
}


def test_healthy_locust_run_trips_no_guard() -> None:
    assert not any(g.tripped for g in locust_guards("load", SUMMARY))


def test_locust_process_above_90_percent_of_a_core_trips_the_cpu_guard() -> None:
    hot = {**SUMMARY, "generator_cpu": {"busiest_process_peak_cores": 0.93, "mean_cores": 0.8}}
    guards = {g.name: g for g in locust_guards("load", hot)}
    assert guards["load: load generator CPU"].tripped
    assert guards["load: load generator CPU"].measured == 93.0
    assert decide([], guards_tripped=any(g.tripped for g in guards.values())) is Verdict.INVALID


def test_achieved_rate_more_than_ten_percent_below_offered_trips() -> None:
    assert rate_guard("load", 75.0, 67.0, "").tripped
    assert not rate_guard("load", 75.0, 68.0, "").tripped


def test_locust_rows_are_placed_on_the_run_clock() -> None:
    row = {
        "type": "e2e",
        "flow": "faq",
        "language": "es",
        "intended_ms": 250.0,
        "latency_ms": 80.5,
        "ok": True,
        "warmup": False,
        "ack_latency_ms": 2.0,
    }
    sample = sample_from_locust(row, offset_ms=10_000.0, stage="load")
    assert (sample.intended_ms, sample.latency_ms, sample.ok, sample.stage) == (10_250.0, 80.5, True, "load")
