"""Renderers of one result.json: junit.xml, summary.md, report.html and the console."""

from __future__ import annotations

from pathlib import Path

from validation.reports import charts
from validation.reports.baseline import Delta, compare
from validation.reports.html import render_html
from validation.reports.junit import render_junit
from validation.reports.markdown import render_markdown
from validation.result import Result
from validation.samples import E2ESample, read_jsonl


def chart_data(result: Result, folder: Path) -> charts.ChartData:
    """Chart series computed from the raw samples the result points at."""
    e2e_path = result.samples.get("e2e")
    samples = read_jsonl(folder / e2e_path, E2ESample) if e2e_path else []
    gate_ms = next(
        (g.threshold * (1000 if g.unit == "s" else 1) for g in result.gates if g.metric == "e2e_latency"), None
    )
    faults = [{"name": f.name, "start_s": f.start_ms / 1000, "end_s": f.end_ms / 1000} for f in result.faults]
    stages = [
        {"name": s.name, "start_s": s.started_ms / 1000, "end_s": s.ended_ms / 1000}
        for s in result.stages
        if s.ended_ms > s.started_ms
    ]
    return charts.build(samples, gate_ms, faults, stages)


def render_all(result: Result, folder: Path, baseline: Result | None = None) -> list[Delta] | None:
    """Write junit.xml, summary.md and report.html next to result.json; return baseline deltas if any."""
    deltas = compare(result, baseline) if baseline is not None else None
    (folder / "junit.xml").write_text(render_junit(result), encoding="utf-8")
    (folder / "summary.md").write_text(render_markdown(result, deltas), encoding="utf-8")
    (folder / "report.html").write_text(render_html(result, chart_data(result, folder), deltas), encoding="utf-8")
    return deltas


__all__ = ["chart_data", "compare", "render_all", "render_html", "render_junit", "render_markdown"]
