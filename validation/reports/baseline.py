"""Comparison with a previous release's result.json: deltas per gate, flagged when worse."""

from __future__ import annotations

from dataclasses import dataclass

from validation.gates import GateResult
from validation.result import Result


@dataclass(frozen=True)
class Delta:
    """This run's measured value beside the baseline's, in the gate's unit."""

    gate: str
    unit: str
    current: float | None
    baseline: float | None
    delta: float | None
    worse: bool


def signed(value: float) -> str:
    """`+11.24`, `-270000`: a delta as people read it (no exponent notation)."""
    from qualitygates.schema import format_number

    return ("+" if value >= 0 else "-") + format_number(abs(value))


def _lower_is_better(gate: GateResult) -> bool:
    return gate.comparator in ("<", "<=")


def compare(current: Result, baseline: Result) -> list[Delta]:
    """One Delta per gate of the current run; `worse` when the figure moved against the gate."""
    previous = {g.name: g for g in baseline.gates}
    deltas = []
    for gate in current.gates:
        old = previous.get(gate.name)
        base = old.measured if old is not None and old.unit == gate.unit else None
        if gate.measured is None or base is None:
            deltas.append(Delta(gate.name, gate.unit, gate.measured, base, None, False))
            continue
        delta = gate.measured - base
        worse = delta > 0 if _lower_is_better(gate) else delta < 0
        deltas.append(Delta(gate.name, gate.unit, gate.measured, base, delta, worse))
    return deltas
