"""Renderers of one result.json: junit.xml, summary.md, report.html and the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from validation.reports import charts, history
from validation.reports.annotations import render_annotations
from validation.reports.baseline import Delta, compare
from validation.reports.html import render_html
from validation.reports.junit import render_junit
from validation.reports.markdown import render_markdown
from validation.result import Result
from validation.samples import E2ESample, read_jsonl


def chart_data(result: Result, folder: Path, history_rows: list[dict[str, Any]] | None = None) -> charts.ChartData:
    """Chart series computed from the raw samples the result points at, with the gates' latency rule."""
    e2e_path = result.samples.get("e2e")
    samples = read_jsonl(folder / e2e_path, E2ESample) if e2e_path else []
    # The line drawn is the first blocking e2e latency gate of quality_gates.yaml (the release SLA).
    gate = next((g for g in result.gates if g.metric == "e2e_latency" and g.blocking), None)
    faults = [{"name": f.name, "start_s": f.start_ms / 1000, "end_s": f.end_ms / 1000} for f in result.faults]
    stages = [
        {"name": s.name, "start_s": s.started_ms / 1000, "end_s": s.ended_ms / 1000}
        for s in result.stages
        if s.ended_ms > s.started_ms
    ]
    data = charts.build(samples, gate, result.reply_timeout_ms, faults, stages)
    data.trends = charts.trends(history_rows or [], result.gates)
    # Alerts the observability stage's Prometheus fired and resolved, on the same run clock.
    data.alerts = [
        {
            "name": a["name"],
            "fired_s": a["fired_ms"] / 1000,
            "resolved_s": a["resolved_ms"] / 1000 if a.get("resolved_ms") is not None else None,
        }
        for s in result.stages
        if s.name == "observability"
        for a in s.figures.get("alerts", [])
    ]
    return data


def render_all(result: Result, folder: Path, baseline: Result | None = None) -> list[Delta] | None:
    """Write junit.xml, summary.md, annotations.txt and report.html beside result.json; return baseline deltas.

    report.html charts the key gates over the last runs of the history beside the run folder.
    """
    deltas = compare(result, baseline) if baseline is not None else None
    (folder / "junit.xml").write_text(render_junit(result), encoding="utf-8")
    (folder / "summary.md").write_text(render_markdown(result, deltas), encoding="utf-8")
    (folder / "annotations.txt").write_text(render_annotations(result), encoding="utf-8")
    rows = history.read(history.history_path(folder))
    if not rows or rows[-1].get("run_id") != result.run.run_id:
        rows = [*rows, history.entry(result, folder)][-history.TREND_RUNS :]
    data = chart_data(result, folder, rows)
    (folder / "report.html").write_text(render_html(result, data, deltas), encoding="utf-8")
    return deltas


__all__ = ["chart_data", "compare", "render_all", "render_html", "render_junit", "render_markdown"]
