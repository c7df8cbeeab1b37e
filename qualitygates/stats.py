"""The one percentile definition: nearest rank over exact values, so a reported p95 is a latency someone waited."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): the value at rank ceil(p/100 * n) of the sorted values, p0 = min.

    The rank is computed in exact arithmetic (p99.9 of 1,000 values is rank 999, not the 1,000 that
    floating point gives for 0.999 * 1000).
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    rank = math.ceil(Fraction(str(p)) * len(ordered) / 100)
    return ordered[max(1, rank) - 1]


def aggregate(values: Sequence[float], aggregation: str) -> float:
    """A distribution aggregation (pN, mean, min, max) of raw values."""
    from qualitygates.schema import percentile_of

    p = percentile_of(aggregation)
    if p is not None:
        return percentile(values, p)
    if not values:
        raise ValueError(f"{aggregation} of no values")
    if aggregation == "mean":
        return sum(values) / len(values)
    if aggregation == "min":
        return min(values)
    if aggregation == "max":
        return max(values)
    raise ValueError(f"unknown aggregation {aggregation!r}")


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def compare(measured: float, comparator: str, threshold: float) -> bool:
    """True when `measured <comparator> threshold` holds (the gate is met)."""
    return _COMPARE[comparator](measured, threshold)


def lower_is_better(comparator: str) -> bool:
    return comparator in ("<", "<=")
