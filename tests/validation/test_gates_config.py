"""Strict loading of quality_gates.yaml: each kind of mistake is refused with the line that holds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualitygates.schema import GateConfigError, load_gates, parse_gates
from validation.stages.registry import STAGES

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
version: 1
gates:
  - name: e2e_latency_p95
    metric: e2e_latency
    aggregation: p95
    comparator: "<"
    threshold: 2000
    unit: ms
    scope: {stage: load}
  - name: error_rate
    metric: error_rate
    aggregation: rate
    comparator: "<"
    threshold: 0.1
    unit: "%"
profiles:
  quick:
    description: quick
    stages: [preflight, load]
    load: {rate_per_s: 10, duration: 30s}
"""


def _error(text: str) -> str:
    with pytest.raises(GateConfigError) as info:
        parse_gates(text, source="g.yaml", stages=tuple(STAGES))
    return str(info.value)


def test_shipped_quality_gates_file_loads_with_the_operations_slas() -> None:
    config = load_gates(REPO / "quality_gates.yaml", stages=tuple(STAGES))
    p95 = config.gate("e2e_latency_p95")
    assert (p95.aggregation, p95.comparator, p95.threshold_canonical) == ("p95", "<", 2000)
    assert config.gate("error_rate").threshold_canonical == pytest.approx(0.001)
    assert config.gate("throughput").threshold_canonical == 1000
    assert config.gate("recovery_time").threshold_canonical <= 300_000  # the SLA: within 5 minutes
    assert config.gate("readiness").threshold_canonical == pytest.approx(0.999)
    assert config.gate("functional_pass_rate").threshold_canonical == 1.0
    assert set(config.profiles) == {"quick", "standard", "soak"}


def test_valid_file_parses() -> None:
    config = parse_gates(GOOD)
    assert [g.name for g in config.gates] == ["e2e_latency_p95", "error_rate"]
    assert config.profile("quick").load.duration == 30.0


def test_error_rate_below_a_tenth_percent_derives_three_thousand_samples_by_rule_of_three() -> None:
    assert parse_gates(GOOD).gate("error_rate").derived_min_samples() == 3000


def test_readiness_at_least_99_9_percent_derives_three_thousand_probes() -> None:
    config = load_gates(REPO / "quality_gates.yaml")
    assert config.gate("readiness").derived_min_samples() == 3000


def test_unknown_key_is_refused_naming_its_line() -> None:
    message = _error(GOOD.replace("    unit: ms\n", "    unit: ms\n    treshold_ms: 3\n"))
    assert "g.yaml:9:" in message
    assert "unknown key 'treshold_ms'" in message


def test_unknown_top_level_key_is_refused() -> None:
    assert "unknown key 'thresholds'" in _error(GOOD + "thresholds: {}\n")


def test_duplicate_gate_name_is_refused_naming_both_lines() -> None:
    message = _error(GOOD.replace("- name: error_rate", "- name: e2e_latency_p95"))
    assert "g.yaml:10:" in message and "duplicate gate name 'e2e_latency_p95'" in message and "line 3" in message


def test_duplicate_yaml_key_is_refused_instead_of_silently_overriding() -> None:
    message = _error(GOOD.replace("    threshold: 2000\n", "    threshold: 2000\n    threshold: 9000\n"))
    assert "g.yaml:8:" in message and "duplicate key 'threshold'" in message


def test_unknown_metric_is_refused_listing_known_metrics() -> None:
    message = _error(GOOD.replace("metric: e2e_latency", "metric: e2e_latncy"))
    assert "g.yaml:4:" in message and "unknown metric 'e2e_latncy'" in message and "error_rate" in message


def test_bad_unit_is_refused() -> None:
    message = _error(GOOD.replace("unit: ms", "unit: msec"))
    assert "g.yaml:8:" in message and "unit" in message


def test_unit_that_does_not_fit_the_metric_is_refused() -> None:
    message = _error(GOOD.replace("unit: ms", 'unit: "%"'))
    assert "does not fit metric 'e2e_latency'" in message


def test_percentile_outside_zero_to_hundred_is_refused() -> None:
    assert "aggregation 'p101'" in _error(GOOD.replace("aggregation: p95", "aggregation: p101"))


def test_bad_comparator_is_refused() -> None:
    assert "comparator" in _error(
        GOOD.replace('comparator: "<"\n    threshold: 2000', 'comparator: "=<"\n    threshold: 2000')
    )


def test_bad_severity_is_refused() -> None:
    assert "severity" in _error(GOOD.replace("    unit: ms\n", "    unit: ms\n    severity: fatal\n"))


def test_unsupported_version_is_refused() -> None:
    assert "g.yaml:1:" in _error(GOOD.replace("version: 1", "version: 2"))


def test_profile_running_load_without_settings_is_refused() -> None:
    message = _error(GOOD.replace("    load: {rate_per_s: 10, duration: 30s}\n", ""))
    assert "no `load:` settings" in message


def test_bad_duration_is_refused() -> None:
    assert "duration" in _error(GOOD.replace("duration: 30s", "duration: thirty"))


def test_unknown_stage_is_refused() -> None:
    assert "stages" in _error(GOOD.replace("[preflight, load]", "[preflight, loadd]"))


def test_invalid_yaml_names_the_line() -> None:
    assert "g.yaml:" in _error("version: 1\ngates: [\n")


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(GateConfigError, match="choose one of: quick"):
        parse_gates(GOOD).profile("nightly")


def test_missing_file_says_how_to_point_at_another() -> None:
    with pytest.raises(GateConfigError, match="--gates"):
        load_gates(Path("/nonexistent/quality_gates.yaml"))


def test_profile_accepting_an_unknown_gate_unproven_is_refused() -> None:
    text = GOOD.replace(
        "    stages: [preflight, load]\n", "    stages: [preflight, load]\n    unproven_ok: {readyness: x}\n"
    )
    assert "unproven_ok names unknown gate(s): readyness" in _error(text)
