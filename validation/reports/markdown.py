"""summary.md: the CI job summary (GitHub aborts uploads over 1 MiB, so it truncates itself)."""

from __future__ import annotations

from qualitygates.schema import format_number
from validation.reports.baseline import Delta, signed
from validation.result import Result

LIMIT_BYTES = 1024 * 1024 - 16 * 1024
ICON = {"PASS": "✅", "FAIL": "❌", "INCONCLUSIVE": "❔", "NOT_RUN": "⏭️", "INVALID": "⛔", "ERROR": "💥"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{format_number(value)}{(' ' + unit) if unit else ''}"


def render_markdown(result: Result, deltas: list[Delta] | None = None, limit: int = LIMIT_BYTES) -> str:
    """The summary text, cut to stay under `limit` bytes with a note saying what was left out."""
    run = result.run
    head = [
        f"# hotelero validate: {ICON.get(str(result.verdict), '')} {str(result.verdict)} (exit {result.exit_code})",
        "",
        f"{_cell(result.verdict_reason)}" if result.verdict_reason else "",
        "",
        f"Profile `{run.profile}` · commit `{(run.git_commit or 'unknown')[:12]}`"
        f"{' (dirty)' if run.git_dirty else ''} · {run.wall_s:.0f} s · "
        + ", ".join(f"{s.name}: {s.tier}" for s in run.services)
        + (f" · injected: {', '.join(run.injected)}" if run.injected else ""),
        "",
        "## Gates",
        "",
        "| gate | rule | status | measured | margin | samples | severity |",
        "|---|---|---|---|---|---|---|",
    ]
    for g in result.gates:
        head.append(
            f"| {g.name} | `{_cell(g.describe())}` | {ICON.get(g.status, '')} {g.status_label} "
            f"| {_num(g.measured, g.unit)} | {_num(g.margin, g.unit)} | {g.samples}/{g.min_samples} | {g.severity} |"
        )
    reasons = [g for g in result.gates if g.status != "PASS"]
    if reasons:
        head += ["", *[f"- **{g.name}**: {_cell(g.reason)}" for g in reasons]]
    if deltas:
        head += ["", "## Against the baseline", "", "| gate | this run | baseline | delta |", "|---|---|---|---|"]
        for d in deltas:
            flag = " ⚠️ worse" if d.worse else ""
            head.append(
                f"| {d.gate} | {_num(d.current, d.unit)} | {_num(d.baseline, d.unit)} | "
                f"{'-' if d.delta is None else f'{signed(d.delta)} {d.unit}'}{flag} |"
            )
    head += ["", "## Stages", "", "| stage | status | time | detail |", "|---|---|---|---|"]
    for s in result.stages:
        head.append(f"| {s.name} | {ICON.get(s.status, '')} {s.status} | {s.duration_s:.1f} s | {_cell(s.detail)} |")
    tripped = [g for g in result.guards if g.tripped]
    head += ["", "## Run validity", ""]
    head += [f"- ⛔ **{g.name}**: {_cell(g.detail)}" for g in tripped] or ["All run-validity guards held."]
    tail: list[str] = []
    failed_checks = [(s.name, c) for s in result.stages for c in s.checks if not c.passed]
    if failed_checks:
        tail += ["", "## Failed checks", ""]
        tail += [f"- {stage}: **{_cell(c.name)}**: {_cell(c.detail)}" for stage, c in failed_checks]
    failed = [c for c in result.conversations if not c.passed]
    if result.conversations:
        passed = len(result.conversations) - len(failed)
        tail += ["", "## Golden conversations", "", f"{passed}/{len(result.conversations)} passed.", ""]
        tail += [f"- ❌ **{_cell(c.name)}**: {_cell(c.detail)}" for c in failed]
    text = "\n".join(head)
    budget = limit - len(text.encode()) - 200
    kept = []
    for i, line in enumerate(tail):
        size = len(line.encode()) + 1
        if size > budget:
            kept.append(
                f"\n… {len(tail) - i} more lines left out to stay under 1 MiB; see report.html and result.json."
            )
            break
        kept.append(line)
        budget -= size
    return text + "\n" + "\n".join(kept) + "\n"
