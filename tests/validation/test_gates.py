"""Gate evaluation from raw samples: boundaries, sample counts, guards and the verdict."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualitygates.schema import Gate, parse_gates
from qualitygates.stats import percentile
from validation.gates import Status, Verdict, decide, evaluate, evaluate_gate
from validation.samples import (
    ConversationResult,
    E2ESample,
    Guard,
    Measurements,
    ProbeSample,
    RecoverySample,
    StageWindow,
)

P95 = Gate(
    name="p95",
    metric="e2e_latency",
    aggregation="p95",
    comparator="<",
    threshold=2000,
    unit="ms",
    scope={"stage": "load"},
    min_samples=100,
)
ERRORS = Gate(name="errors", metric="error_rate", aggregation="rate", comparator="<", threshold=0.1, unit="%")


def _samples(latencies: list[float], stage: str = "load", ok: bool = True, **kw: object) -> list[E2ESample]:
    return [
        E2ESample(stage=stage, flow="faq", language="es", intended_ms=i * 10.0, ok=ok, latency_ms=lat, **kw)
        for i, lat in enumerate(latencies)
    ]


def test_p95_exactly_at_2000_ms_fails_a_strict_below_2000_gate() -> None:
    result = evaluate_gate(P95, Measurements(e2e=_samples([100.0] * 90 + [2000.0] * 10)))
    assert result.measured == 2000.0
    assert result.status is Status.FAIL
    assert result.margin == 0.0


def test_p95_one_millisecond_under_the_threshold_passes_with_its_margin() -> None:
    result = evaluate_gate(P95, Measurements(e2e=_samples([100.0] * 94 + [1999.0] * 6)))
    assert (result.status, result.measured, result.margin, result.samples) == (Status.PASS, 1999.0, 1.0, 100)


def test_a_fast_apology_counts_as_no_answer_within_the_reply_timeout() -> None:
    # 3 s PMS latency: the breaker opens and most guests get a quick apology instead of a price.
    apologies = _samples([300.0] * 90, ok=False, error="wrong answer: apology where a price was expected")
    answers = _samples([100.0] * 10)
    result = evaluate_gate(P95, Measurements(e2e=apologies + answers, reply_timeout_ms=10_000.0))
    assert (result.status, result.measured, result.samples) == (Status.FAIL, 10_000.0, 100)
    # Right answers alone pass: it is the apologies that breach.
    assert evaluate_gate(P95, Measurements(e2e=_samples([100.0] * 100))).status is Status.PASS
    # The apologies are still failures for the error-rate gate.
    errors = evaluate_gate(ERRORS, Measurements(e2e=apologies + answers))
    assert errors.status is Status.FAIL


def test_percentile_is_exact_nearest_rank_not_bucketed() -> None:
    # Locust would store 1951 and 2049 both as 2000.
    values = [1951.0] * 95 + [2049.0] * 5
    assert percentile(values, 95) == 1951.0
    assert percentile(values, 96) == 2049.0


@given(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200),
    st.floats(min_value=0, max_value=100),
)
def test_percentile_is_an_observed_value_with_the_right_share_below(values: list[float], p: float) -> None:
    result = percentile(values, p)
    assert result in values
    at_or_below = sum(1 for v in values if v <= result)
    assert at_or_below / len(values) >= p / 100 - 1e-9


def test_samples_outside_the_gate_scope_are_not_judged() -> None:
    m = Measurements(e2e=_samples([100.0] * 100) + _samples([9000.0] * 100, stage="resilience"))
    assert evaluate_gate(P95, m).status is Status.PASS


def test_warmup_samples_are_not_judged() -> None:
    m = Measurements(e2e=_samples([100.0] * 100) + _samples([9000.0] * 50, warmup=True))
    assert evaluate_gate(P95, m).measured == 100.0


def test_too_few_latency_samples_is_inconclusive() -> None:
    result = evaluate_gate(P95, Measurements(e2e=_samples([100.0] * 99)))
    assert result.status is Status.INCONCLUSIVE
    assert result.samples == 99 and result.min_samples == 100


def test_too_few_samples_that_already_breach_whatever_comes_is_a_fail() -> None:
    # 10 of 100 needed are over the limit: even 90 instant replies leave p95 at 9000.
    result = evaluate_gate(P95, Measurements(e2e=_samples([9000.0] * 10)))
    assert result.status is Status.FAIL


def test_timeouts_count_into_latency_as_their_waited_time() -> None:
    samples = _samples([100.0] * 90) + _samples([10000.0] * 10, ok=False, censored=True)
    assert evaluate_gate(P95, Measurements(e2e=samples)).status is Status.FAIL


def test_clean_error_record_below_rule_of_three_count_is_inconclusive() -> None:
    result = evaluate_gate(ERRORS, Measurements(e2e=_samples([100.0] * 2999)))
    assert result.status is Status.INCONCLUSIVE
    assert result.min_samples == 3000
    assert "3000" in result.reason


def test_clean_error_record_at_rule_of_three_count_passes() -> None:
    result = evaluate_gate(ERRORS, Measurements(e2e=_samples([100.0] * 3000)))
    assert (result.status, result.measured) == (Status.PASS, 0.0)


def test_four_failures_in_three_thousand_breach_a_tenth_of_a_percent() -> None:
    samples = _samples([100.0] * 2996) + _samples([None] * 4, ok=False)  # type: ignore[list-item]
    result = evaluate_gate(ERRORS, Measurements(e2e=samples))
    assert result.status is Status.FAIL
    assert result.measured == pytest.approx(4 / 3000 * 100)


def test_exactly_one_tenth_percent_fails_a_strict_below_gate() -> None:
    samples = _samples([100.0] * 2997) + _samples([None] * 3, ok=False)  # type: ignore[list-item]
    assert evaluate_gate(ERRORS, Measurements(e2e=samples)).status is Status.FAIL


def test_few_samples_with_many_failures_is_already_a_fail() -> None:
    samples = _samples([100.0] * 50) + _samples([None] * 50, ok=False)  # type: ignore[list-item]
    assert evaluate_gate(ERRORS, Measurements(e2e=samples)).status is Status.FAIL


def test_readiness_counts_ok_probes_against_the_threshold() -> None:
    gate = Gate(name="r", metric="readiness", aggregation="rate", comparator=">=", threshold=99.9, unit="%")
    probes = [ProbeSample(stage="load", at_ms=i, ok=i != 0) for i in range(3000)]
    assert evaluate_gate(gate, Measurements(probes=probes)).status is Status.PASS
    probes[1] = ProbeSample(stage="load", at_ms=1, ok=False)
    probes[2] = ProbeSample(stage="load", at_ms=2, ok=False)
    probes[3] = ProbeSample(stage="load", at_ms=3, ok=False)
    assert evaluate_gate(gate, Measurements(probes=probes)).status is Status.FAIL


def test_readiness_with_few_probes_is_inconclusive() -> None:
    gate = Gate(name="r", metric="readiness", aggregation="rate", comparator=">=", threshold=99.9, unit="%")
    probes = [ProbeSample(stage="load", at_ms=i, ok=True) for i in range(100)]
    assert evaluate_gate(gate, Measurements(probes=probes)).status is Status.INCONCLUSIVE


def test_throughput_is_answered_messages_over_the_measured_window() -> None:
    gate = Gate(
        name="t",
        metric="throughput",
        aggregation="rate",
        comparator=">=",
        threshold=1000,
        unit="/h",
        scope={"stage": "load"},
    )
    m = Measurements(e2e=_samples([50.0] * 10), windows={"load": StageWindow(0, 36_000)})
    result = evaluate_gate(gate, m)
    assert (result.status, result.measured) == (Status.PASS, 1000.0)
    m = Measurements(e2e=_samples([50.0] * 9), windows={"load": StageWindow(0, 36_000)})
    assert evaluate_gate(gate, m).status is Status.FAIL


def test_functional_gate_without_conversations_is_inconclusive_and_says_why() -> None:
    gate = Gate(
        name="f",
        metric="functional_pass_rate",
        aggregation="rate",
        comparator=">=",
        threshold=100,
        unit="%",
        scope={"stage": "functional"},
        min_samples=1,
    )
    result = evaluate_gate(gate, Measurements())
    assert result.status is Status.INCONCLUSIVE
    assert "no conversations measured" in result.reason
    one_failed = Measurements(conversations=[ConversationResult("a", True), ConversationResult("b", False)])
    assert evaluate_gate(gate, one_failed).status is Status.FAIL


def test_recovery_not_reached_within_a_window_longer_than_the_gate_fails() -> None:
    gate = Gate(
        name="rec", metric="recovery_time", aggregation="max", comparator="<", threshold=300, unit="s", min_samples=1
    )
    long_watch = RecoverySample("down", 0, 10_000, observed_ms=301_000, recovery_ms=None)
    assert evaluate_gate(gate, Measurements(recoveries=[long_watch])).status is Status.FAIL
    short_watch = RecoverySample("down", 0, 10_000, observed_ms=40_000, recovery_ms=None)
    assert evaluate_gate(gate, Measurements(recoveries=[short_watch])).status is Status.INCONCLUSIVE
    recovered = RecoverySample("down", 0, 10_000, observed_ms=40_000, recovery_ms=2_500)
    result = evaluate_gate(gate, Measurements(recoveries=[recovered]))
    assert (result.status, result.measured) == (Status.PASS, 2.5)


def test_tripped_guard_makes_the_run_invalid_even_when_gates_pass() -> None:
    results = evaluate(parse_gates(_ONE_GATE), Measurements(e2e=_samples([100.0] * 100)))
    assert decide(results, guards_tripped=False) is Verdict.PASS
    guard = Guard("load_generator_cpu", True, 97.0, 90.0, "%", "sender process CPU above 90%")
    assert decide(results, guards_tripped=guard.tripped) is Verdict.INVALID
    assert Verdict.INVALID.exit_code == 3


def test_verdict_exit_codes() -> None:
    assert [v.exit_code for v in Verdict] == [0, 1, 3, 3, 2]


def test_blocking_fail_beats_inconclusive_and_warning_fail_changes_nothing() -> None:
    m = Measurements(e2e=_samples([3000.0] * 100))
    failed = evaluate_gate(P95, m)
    inconclusive = evaluate_gate(ERRORS, m)
    warning = evaluate_gate(P95.model_copy(update={"severity": "warning", "name": "w"}), m)
    assert decide([failed, inconclusive], False) is Verdict.FAIL
    assert decide([inconclusive], False) is Verdict.INCONCLUSIVE
    assert decide([warning], False) is Verdict.PASS
    assert decide([warning], False, failed_checks=1) is Verdict.FAIL


_ONE_GATE = """\
version: 1
gates:
  - {name: p95, metric: e2e_latency, aggregation: p95, comparator: "<", threshold: 2, unit: s, min_samples: 100}
profiles:
  quick: {description: q, stages: [preflight]}
"""


def test_a_gate_whose_stage_did_not_run_is_not_run_and_does_not_block() -> None:
    config = parse_gates(_ONE_GATE)
    results = evaluate(config, Measurements(), skip={"p95": "not run (not selected)"})
    assert (results[0].status, results[0].status_label, results[0].reason) == (
        Status.NOT_RUN, "not run", "not run (not selected)"
    )
    assert decide(results, guards_tripped=False) is Verdict.PASS


def test_every_metric_of_the_schema_has_one_judge() -> None:
    from qualitygates.schema import METRICS
    from validation.gates import JUDGES

    assert set(JUDGES) == set(METRICS)


def test_an_abort_on_fail_gate_aborts_once_it_has_failed_whatever_the_missing_samples() -> None:
    from validation.gates import aborting

    config = parse_gates(_ONE_GATE.replace("min_samples: 100}", "min_samples: 100, abort_on_fail: true}"))
    slow = _samples([9000.0] * 6)
    assert [g.name for g in aborting(config, Measurements(e2e=slow))] == ["p95"]
    assert aborting(config, Measurements(e2e=_samples([9000.0] * 4))) == []
    assert aborting(parse_gates(_ONE_GATE), Measurements(e2e=slow)) == []


def test_gate_accepted_unproven_does_not_make_the_run_inconclusive_but_still_fails() -> None:
    config = parse_gates(_ERRORS_GATE)
    clean = evaluate(config, Measurements(e2e=_samples([100.0] * 900)), unproven_ok={"errors": "quick is short"})
    assert clean[0].status is Status.INCONCLUSIVE
    assert "accepted unproven" in clean[0].reason
    assert decide(clean, guards_tripped=False) is Verdict.PASS
    three_errors = _samples([100.0] * 897) + _samples([None] * 3, ok=False)  # type: ignore[list-item]
    failed = evaluate(config, Measurements(e2e=three_errors), unproven_ok={"errors": "quick is short"})
    assert failed[0].status is Status.FAIL
    assert decide(failed, guards_tripped=False) is Verdict.FAIL
    strict = evaluate(config, Measurements(e2e=_samples([100.0] * 900)))
    assert decide(strict, guards_tripped=False) is Verdict.INCONCLUSIVE


_ERRORS_GATE = """\
version: 1
gates:
  - {name: errors, metric: error_rate, aggregation: rate, comparator: "<", threshold: 0.1, unit: "%"}
profiles:
  quick: {description: q, stages: [preflight]}
"""
