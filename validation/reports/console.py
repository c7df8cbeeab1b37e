"""Rich console views: the final gate table and stage table of a result."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from qualitygates.schema import format_number
from validation.reports.baseline import Delta, signed
from validation.result import Result

STYLE = {
    "PASS": "green",
    "FAIL": "red",
    "INCONCLUSIVE": "yellow",
    "NOT_RUN": "dim",
    "INVALID": "magenta",
    "ERROR": "red",
}


def _num(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{format_number(value)} {unit}"


def stage_table(result: Result) -> Table:
    table = Table(title="Stages", title_justify="left")
    for col in ("stage", "status", "time", "detail"):
        table.add_column(col, overflow="fold")
    for s in result.stages:
        table.add_row(s.name, f"[{STYLE.get(s.status, '')}]{s.status}[/]", f"{s.duration_s:.1f} s", s.detail)
    return table


def gate_table(result: Result, deltas: list[Delta] | None = None) -> Table:
    table = Table(title="Gates", title_justify="left")
    for col in ("gate", "rule", "status", "measured", "margin", "samples"):
        table.add_column(col, overflow="fold")
    by_gate = {d.gate: d for d in deltas or []}
    if deltas:
        table.add_column("vs baseline")
    for g in result.gates:
        row = [
            g.name + ("" if g.severity == "blocking" else " (warning)"),
            g.describe(),
            f"[{STYLE.get(g.status, '')}]{g.status_label}[/]",
            _num(g.measured, g.unit),
            _num(g.margin, g.unit),
            f"{g.samples}/{g.min_samples}",
        ]
        if deltas:
            d = by_gate.get(g.name)
            if d is None or d.delta is None:
                row.append("-")
            else:
                row.append(
                    f"[{'red' if d.worse else 'green'}]{signed(d.delta)} {d.unit}{' worse' if d.worse else ''}[/]"
                )
        table.add_row(*row)
    return table


def print_result(console: Console, result: Result, deltas: list[Delta] | None = None) -> None:
    """Print the stage table, the gate table, tripped guards and the verdict line."""
    if result.stages:
        console.print(stage_table(result))
    if str(result.verdict) == "ERROR" and not any(g.samples for g in result.gates):
        console.print(f"[bold red]ERROR[/] (exit {result.exit_code}) {result.verdict_reason}", highlight=False)
        return
    console.print(gate_table(result, deltas))
    for g in result.gates:
        if g.status in ("FAIL", "INCONCLUSIVE"):
            console.print(f"  [{STYLE[g.status]}]{g.name}[/]: {g.reason}")
    for guard in result.guards:
        if guard.tripped:
            console.print(f"  [magenta]guard {guard.name} tripped[/]: {guard.detail}")
    style = STYLE.get(str(result.verdict), "")
    console.print(
        f"[bold {style}]{str(result.verdict)}[/] (exit {result.exit_code}) {result.verdict_reason}", highlight=False
    )
