"""report.html: one self-contained file (inline CSS and SVG, no network), readable offline."""

from __future__ import annotations

import json
from html import escape

from qualitygates.schema import format_number
from validation.reports import charts
from validation.reports.baseline import Delta, signed
from validation.result import Result

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #ddd;padding:4px 6px;text-align:left}
th{background:#f6f6f6}.PASS{color:#198754;font-weight:600}.FAIL,.ERROR{color:#dc3545;font-weight:600}
.INCONCLUSIVE{color:#b58105;font-weight:600}.INVALID{color:#8e44ad;font-weight:600}
.NOT_RUN{color:#888}.worse{color:#dc3545;font-weight:600}.meta{color:#555;font-size:13px}
svg{width:100%;height:auto;background:#fafafa;border:1px solid #eee;margin:6px 0}
.verdict{font-size:20px;padding:8px 12px;border-radius:6px;background:#f6f6f6;display:inline-block}
"""


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else escape(f"{format_number(value)}{(' ' + unit) if unit else ''}")


def render_html(result: Result, data: charts.ChartData, deltas: list[Delta] | None = None) -> str:
    """The report page; chart data is embedded as JSON (id=chart-data) and drawn as inline SVG."""
    run = result.run
    v = str(result.verdict)
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>hotelero validate {escape(run.profile)}: {v}</title><style>{CSS}</style></head><body>",
        f"<h1>hotelero validate · profile <code>{escape(run.profile)}</code></h1>",
        f"<p class='verdict {v}'>{v} (exit {result.exit_code})</p><p>{escape(result.verdict_reason)}</p>",
        "<p class='meta'>",
        f"run {escape(run.run_id)} · started {escape(run.started_at)} · {run.wall_s:.0f} s · commit "
        f"<code>{escape(run.git_commit or 'unknown')}</code>{' (dirty)' if run.git_dirty else ''}<br>",
        "services: " + escape(", ".join(f"{s.name} via {s.tier}" for s in run.services) or "-"),
        f" · agent: {escape(run.agent_url or '-')}{' (external)' if run.agent_external else ''}<br>",
        f"machine: {escape(run.machine.hostname)}, {run.machine.cpus} CPUs, {escape(run.machine.platform)}, "
        f"Python {escape(run.machine.python)} · versions: "
        + escape(", ".join(f"{k} {val}" for k, val in run.versions.items())),
        (f"<br>injected: {escape(', '.join(run.injected))}" if run.injected else ""),
        "</p>",
        "<h2>Gates</h2><table><tr><th>gate</th><th>rule</th><th>status</th><th>measured</th><th>margin</th>"
        "<th>samples / needed</th><th>severity</th><th>why</th>",
    ]
    by_gate = {d.gate: d for d in deltas or []}
    if deltas:
        out.append("<th>baseline</th><th>delta</th>")
    out.append("</tr>")
    for g in result.gates:
        out.append(
            f"<tr><td>{escape(g.name)}</td><td><code>{escape(g.describe())}</code></td>"
            f"<td class='{g.status}'>{g.status_label}</td><td>{_num(g.measured, g.unit)}</td>"
            f"<td>{_num(g.margin, g.unit)}</td>"
            f"<td>{g.samples} / {g.min_samples}</td><td>{g.severity}</td><td>{escape(g.reason)}</td>"
        )
        if deltas:
            d = by_gate.get(g.name)
            if d is None or d.delta is None:
                out.append("<td>-</td><td>-</td>")
            else:
                cls = " class='worse'" if d.worse else ""
                out.append(
                    f"<td>{_num(d.baseline, d.unit)}</td><td{cls}>{signed(d.delta)} {escape(d.unit)}"
                    f"{' worse' if d.worse else ''}</td>"
                )
        out.append("</tr>")
    out.append("</table>")
    out.append(
        "<h2>Stages</h2><table><tr><th>stage</th><th>status</th><th>time</th><th>detail</th><th>checks</th></tr>"
    )
    for s in result.stages:
        checks = "<br>".join(
            f"<span class='{'PASS' if c.passed else 'FAIL'}'>{'✓' if c.passed else '✗'}</span> {escape(c.name)}"
            + (f" <span class='meta'>({escape(c.detail)})</span>" if c.detail else "")
            for c in s.checks
        )
        out.append(
            f"<tr><td>{escape(s.name)}</td><td class='{s.status}'>{s.status}</td><td>{s.duration_s:.1f} s</td>"
            f"<td>{escape(s.detail)}</td><td>{checks}</td></tr>"
        )
    out.append(
        "</table><h2>Run validity</h2><table><tr><th>guard</th><th>measured</th><th>limit</th><th>state</th>"
        "<th>detail</th></tr>"
    )
    for guard in result.guards:
        state = "<span class='INVALID'>TRIPPED</span>" if guard.tripped else "<span class='PASS'>held</span>"
        out.append(
            f"<tr><td>{escape(guard.name)}</td><td>{_num(guard.measured, guard.unit)}</td>"
            f"<td>{_num(guard.limit, guard.unit)}</td><td>{state}</td><td>{escape(guard.detail)}</td></tr>"
        )
    out.append("</table>")
    out.append("<h2>Guest-visible latency over time</h2>")
    out.append(
        "<p class='meta'>Each dot is one guest message at its intended send time (red: no reply). "
        f"Lines: exact p50/p95 per {data.bin_s:g} s bin. Shaded: injected faults.</p>"
    )
    out.append(charts.latency_svg(data))
    out.append("<h2>Latency histogram (judged samples)</h2>" + charts.histogram_svg(data))
    out.append("<h2>Throughput over time</h2>" + charts.rate_svg(data, "replies", "replies over time", "#0d6efd"))
    out.append("<h2>Errors over time</h2>" + charts.rate_svg(data, "errors", "errors over time", "#dc3545"))
    if result.conversations:
        passed = sum(1 for c in result.conversations if c.passed)
        out.append(
            f"<h2>Golden conversations ({passed}/{len(result.conversations)} passed)</h2><table>"
            "<tr><th>conversation</th><th>result</th><th>turns</th><th>detail</th></tr>"
        )
        for c in result.conversations:
            status = "PASS" if c.passed else "FAIL"
            detail = escape(c.detail) + "".join(f"<br><code>{escape(str(t))}</code>" for t in c.failed_turns[:20])
            out.append(
                f"<tr><td>{escape(c.name)}</td><td class='{status}'>{status}</td><td>{c.turns}</td>"
                f"<td>{detail}</td></tr>"
            )
        out.append("</table>")
    out.append("<h2>Files</h2><ul>")
    for name, path in {**result.samples, **result.logs}.items():
        out.append(f"<li>{escape(name)}: <a href='{escape(path)}'>{escape(path)}</a></li>")
    out.append("</ul>")
    payload = json.dumps(data.as_dict(), separators=(",", ":")).replace("</", "<\\/")
    out.append(f"<script type='application/json' id='chart-data'>{payload}</script>")
    out.append("</body></html>")
    return "\n".join(out)
