"""annotations.txt: failing gates, checks and conversations as GitHub Actions workflow commands.

A CI step that prints this file (`cat annotations.txt`) turns each line into an annotation on the run;
the escaping follows the Actions toolkit's `issueCommand` (percent, CR and LF in messages; also `:` and `,`
in properties): https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
"""

from __future__ import annotations

from validation.result import Result


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, title: str, message: str) -> str:
    return f"::{level} title={_prop(title)}::{_data(message)}"


def render_annotations(result: Result) -> str:
    """One workflow command per problem, errors first; empty when the run passed cleanly."""
    lines = []
    verdict = str(result.verdict)
    if verdict in ("ERROR", "INVALID"):
        lines.append(_command("error", f"hotelero validate: {verdict}", result.verdict_reason))
    for g in result.gates:
        text = f"{g.describe()}: measured {g.measured_text()} over {g.samples} samples ({g.reason})"
        if g.status == "FAIL":
            level = "error" if g.blocking else "warning"
            lines.append(_command(level, f"gate {g.name} failed" + ("" if g.blocking else " (warning)"), text))
        elif g.status == "INCONCLUSIVE" and g.blocking and g.blocks_if_inconclusive:
            lines.append(_command("warning", f"gate {g.name} not proven", text))
    for stage in result.stages:
        for check in stage.checks:
            if not check.passed:
                lines.append(_command("error", f"{stage.name}: {check.name}", check.detail or check.name))
        if stage.status == "ERROR":
            lines.append(_command("error", f"stage {stage.name} errored", stage.detail))
    for conv in result.conversations:
        if not conv.passed:
            lines.append(_command("error", f"golden conversation {conv.name} failed", conv.detail or "a turn failed"))
    for guard in result.guards:
        if guard.tripped:
            lines.append(_command("error", f"run invalid: {guard.name}", guard.detail))
    lines.sort(key=lambda line: not line.startswith("::error"))
    return "\n".join(lines) + ("\n" if lines else "")
