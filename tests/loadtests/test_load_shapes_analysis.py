"""Open-model schedules and the exact figures computed from samples (pure, no servers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.analysis import Sample, distribution, find_knee, judge_steps, spike_recovery
from loadtests.settings import SettingsError, resolve
from loadtests.shapes import DEFAULT_RATE_PER_S, build_schedule
from qualitygates.window import WindowRule

RULE = WindowRule.simple(p95_ms=2000, max_error_share=0.001, reply_timeout_ms=10_000)

rates = st.floats(0.1, 50, allow_nan=False)


@given(rates, st.floats(1, 30), st.integers(1, 5))
def test_generators_split_the_slots_without_gaps_or_overlaps(rate: float, duration: float, n: int) -> None:
    schedule = build_schedule("steady", rate, duration)
    alone = [t for t, _ in schedule.slots()]
    split = sorted(t for i in range(n) for t, _ in schedule.slots(n, i))
    assert split == pytest.approx(alone)
    assert len(alone) == schedule.expected_count()
    # Open model: slot k is due at k / rate, whatever happens to the replies.
    assert all(t == pytest.approx(k / rate) for k, t in enumerate(alone))


@given(st.floats(0.5, 5), st.floats(0.5, 5), st.floats(1, 10))
def test_ramp_steps_up_by_the_step_rate_until_the_max(rate: float, step_rate: float, step_s: float) -> None:
    schedule = build_schedule("ramp", rate, 60, step_s=step_s, step_rate=step_rate, max_rate=rate + 3 * step_rate)
    assert [s.rate for s in schedule.segments] == pytest.approx([rate + k * step_rate for k in range(4)])
    assert schedule.total_s == pytest.approx(4 * step_s)


def test_spike_is_ten_times_the_rate_for_thirty_seconds_then_back() -> None:
    schedule = build_schedule("spike", 2.0, 60)
    before, spike, after = schedule.segments
    assert (spike.rate, spike.end_s - spike.start_s) == (20.0, 30.0)
    assert before.rate == after.rate == 2.0 and after.end_s - after.start_s == 60


def test_steady_defaults_to_ten_times_the_sla_rate() -> None:
    assert pytest.approx(10 * 1000 / 3600, abs=0.01) == DEFAULT_RATE_PER_S
    assert resolve({}).rate == DEFAULT_RATE_PER_S


def test_bad_settings_fail_before_anything_runs() -> None:
    with pytest.raises(SettingsError, match="unknown shape"):
        resolve({"shape": "wave"})
    with pytest.raises(SettingsError, match="positive"):
        resolve({"rate": 0})
    with pytest.raises(SettingsError, match="not in"):
        resolve({"gates_profile": "nope"})


def test_a_gates_profile_supplies_rate_duration_timeout_and_mix_unless_flags_say_otherwise(tmp_path: Path) -> None:
    gates = tmp_path / "gates.yaml"
    gates.write_text(
        "version: 1\ngates:\n"
        "  - {name: p95, metric: e2e_latency, aggregation: p95, comparator: '<', threshold: 1.5, unit: s,"
        " scope: {stage: load}}\n"
        "  - {name: errors, metric: error_rate, aggregation: rate, comparator: '<', threshold: 1, unit: '%'}\n"
        "profiles:\n  quick:\n    description: q\n    stages: [load]\n"
        "    load: {rate_per_s: 60, duration: 55s, warmup: 3s, reply_timeout: 10s, mix: {faq: 1, booking: 1}}\n",
        encoding="utf-8",
    )
    quick = resolve({"gates_profile": "quick", "gates_file": str(gates)})
    assert (quick.rate, quick.duration_s, quick.reply_timeout_s, quick.warmup_s) == (60, 55, 10, 3)
    assert quick.mix == {"faq": 1.0, "booking": 1.0}
    assert [(g.gate, g.threshold_ms) for g in quick.gates.latency] == [("p95", 1500)]
    assert [(g.gate, g.share) for g in quick.gates.errors] == [("errors", pytest.approx(0.01))]
    assert resolve({"gates_profile": "quick", "gates_file": str(gates), "rate": 5}).rate == 5


def _row(t_s: float, latency: float, ok: bool = True, kind: str = "e2e") -> Sample:
    return Sample(
        kind,
        "e2e:faq" if kind == "e2e" else "ack",
        "faq",
        "es",
        t_s * 1000,
        latency,
        ok,
        None if ok else "timeout: no reply",
        sent_ms=t_s * 1000,
    )


def _ramp_rows(schedule, latency_for_rate) -> list[Sample]:  # noqa: ANN001
    return [_row(t, latency_for_rate(seg.rate)) for t, seg in schedule.slots()]


def test_knee_is_the_last_step_within_the_gates_before_the_first_broken_one() -> None:
    schedule = build_schedule("ramp", 2, 60, step_s=10, step_rate=2, max_rate=10)
    rows = _ramp_rows(schedule, lambda r: 100.0 if r <= 6 else 2500.0)
    steps = judge_steps(rows, schedule, [], RULE, schedule.total_s)
    assert [s.passed for s in steps] == [True, True, True, False, False]
    knee = find_knee(steps)
    assert knee["rate_per_s"] == 6 and knee["broken_at_rate_per_s"] == 8 and "p95" in knee["broken_because"]


def test_a_step_with_a_failure_breaks_the_ramp_even_when_fast() -> None:
    schedule = build_schedule("ramp", 2, 60, step_s=10, step_rate=2, max_rate=6)
    rows = _ramp_rows(schedule, lambda r: 50.0)
    rows.append(_row(25.0, 10_000, ok=False))
    knee = find_knee(judge_steps(rows, schedule, [], RULE, schedule.total_s))
    assert knee["rate_per_s"] == 4 and "failed" in knee["broken_because"]


def test_a_step_the_generator_could_not_offer_does_not_count_as_sustained() -> None:
    schedule = build_schedule("ramp", 2, 60, step_s=10, step_rate=2, max_rate=4)
    rows = [r for r in _ramp_rows(schedule, lambda r: 50.0) if r.intended_ms < 15_000]
    steps = judge_steps(rows, schedule, [], RULE, schedule.total_s)
    assert steps[0].passed and not steps[1].passed and "sent" in steps[1].why


def test_spike_recovery_counts_from_the_spike_end_until_windows_stay_within_gates() -> None:
    schedule = build_schedule("spike", 1, 30, spike_s=10, spike_factor=5)
    # Backlog: slow until 12 s after the spike ends (20 s before + 10 s spike = 30 s).
    rows = [_row(t, 3000.0 if 20 <= t < 42 else 100.0) for t, _ in schedule.slots()]
    rec = spike_recovery(rows, schedule, RULE, window_s=5)
    # Windows slide by 1 s: the first window from which all hold starts at the first fast message.
    assert rec["recovered"] and rec["recovery_s"] == 12.0


def test_distribution_counts_timeouts_at_the_time_waited_and_groups_reasons() -> None:
    rows = [_row(0, 100.0), _row(1, 200.0), _row(2, 10_000.0, ok=False)]
    d = distribution(rows)
    assert (d.count, d.failures, d.max_ms, d.p50_ms) == (3, 1, 10_000.0, 200.0)
    assert d.errors == {"timeout": 1}
