"""The one duration grammar, pinned: what `hotelero validate`, `hotelero load` and quality_gates.yaml accept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualitygates.durations import DurationError, format_duration, parse_duration
from qualitygates.schema import GateConfigError, parse_gates

units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90), (90, 90), (2.5, 2.5), ("250ms", 0.25), ("45s", 45), ("2m", 120), ("1.5h", 5400),
        ("1h30m", 5400), ("2m30s", 150), ("1m500ms", 60.5), (" 1H30M ", 5400), ("0", 0), ("0s", 0),
    ],
)  # fmt: skip
def test_accepted_spellings(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "1m1h", "5s5s", "-5s", "1 min", "1d", "abc", "1.s", True, None, [5]])
def test_refused_spellings_say_what_is_accepted(text: object) -> None:
    with pytest.raises(DurationError, match="duration"):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=10**9))
def test_every_whole_millisecond_round_trips_through_its_shortest_spelling(ms: int) -> None:
    assert round(parse_duration(format_duration(ms / 1000)) * 1000) == ms


@given(st.lists(st.tuples(st.sampled_from(list(units)), st.integers(0, 10_000)), min_size=1, max_size=4))
def test_parts_in_decreasing_units_add_up_and_any_other_order_is_refused(parts: list[tuple[str, int]]) -> None:
    text = "".join(f"{n}{u}" for u, n in parts)
    order = [list(units).index(u) for u, _ in parts]
    if order == sorted(set(order)):
        assert parse_duration(text) == pytest.approx(sum(n * units[u] for u, n in parts))
    else:
        with pytest.raises(DurationError):
            parse_duration(text)


def test_quality_gates_yaml_takes_the_same_grammar_as_the_flags() -> None:
    text = (
        "version: 1\ngates:\n  - {name: g, metric: e2e_latency, aggregation: p95, comparator: '<', threshold: 1,"
        " unit: s}\nprofiles:\n  p:\n    description: d\n    stages: [load]\n"
        "    load: {rate_per_s: 1, duration: 1h30m, reply_timeout: 1m500ms}\n"
    )
    load = parse_gates(text).profiles["p"].load
    assert load is not None and (load.duration, load.reply_timeout) == (5400, 60.5)
    with pytest.raises(GateConfigError, match=r"x.yaml:8: .*duration.*cannot read duration '1m1h'"):
        parse_gates(text.replace("1h30m", "1m1h"), source="x.yaml")
