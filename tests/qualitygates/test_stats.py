"""The one percentile: nearest rank, exact, pinned by its definition."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualitygates.stats import aggregate, percentile

values = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=300)
ps = st.one_of(st.integers(0, 100).map(float), st.decimals(0, 100, places=3).map(float))


@given(values, ps)
def test_percentile_is_the_smallest_value_with_at_least_p_percent_at_or_below_it(xs: list[float], p: float) -> None:
    result = percentile(xs, p)
    need = Fraction(str(p)) * len(xs) / 100
    assert result in xs
    assert sum(1 for x in xs if x <= result) >= need
    below = [x for x in xs if x < result]
    assert len(below) < max(need, 1)


@given(values, ps, ps)
def test_percentile_never_decreases_as_p_grows(xs: list[float], p: float, q: float) -> None:
    low, high = sorted((p, q))
    assert percentile(xs, low) <= percentile(xs, high)


def test_p99_9_of_1000_values_is_the_999th() -> None:
    xs = [float(i) for i in range(1, 1001)]
    assert percentile(xs, 99.9) == 999.0
    assert percentile(xs, 100) == 1000.0 and percentile(xs, 0) == 1.0


def test_p95_of_20_values_is_the_19th_not_an_interpolation() -> None:
    assert percentile([float(i) for i in range(1, 21)], 95) == 19.0


@pytest.mark.parametrize("p", [-1, 100.5, math.nan])
def test_percentiles_outside_0_to_100_are_refused(p: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], p)


def test_no_values_have_no_percentile() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_aggregations_by_name() -> None:
    xs = [3.0, 1.0, 2.0, 10.0]
    assert (aggregate(xs, "p50"), aggregate(xs, "mean"), aggregate(xs, "min"), aggregate(xs, "max")) == (2, 4, 1, 10)
