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
h3{font-size:15px;margin-top:18px}.reply{white-space:pre-wrap}.transcript td{vertical-align:top}
.verdict{font-size:20px;padding:8px 12px;border-radius:6px;background:#f6f6f6;display:inline-block}
"""


_SECTIONS = (
    ("gates", "gates"),
    ("stages", "stages"),
    ("latency", "latency"),
    ("flows", "per flow"),
    ("conversations", "conversations"),
    ("trends", "trends"),
    ("files", "Locust report, logs, raw samples"),
)


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
        "<p class='meta'>" + " · ".join(f"<a href='#{i}'>{t}</a>" for i, t in _SECTIONS) + "</p>",
        "<h2 id='gates'>Gates</h2><table><tr><th>gate</th><th>rule</th><th>status</th><th>measured</th><th>margin</th>"
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
        "<h2 id='stages'>Stages</h2><table><tr><th>stage</th><th>status</th><th>time</th><th>detail</th>"
        "<th>checks</th></tr>"
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
        "</table><h2 id='validity'>Run validity</h2><table><tr><th>guard</th><th>measured</th><th>limit</th>"
        "<th>state</th><th>detail</th></tr>"
    )
    for guard in result.guards:
        state = "<span class='INVALID'>TRIPPED</span>" if guard.tripped else "<span class='PASS'>held</span>"
        out.append(
            f"<tr><td>{escape(guard.name)}</td><td>{_num(guard.measured, guard.unit)}</td>"
            f"<td>{_num(guard.limit, guard.unit)}</td><td>{state}</td><td>{escape(guard.detail)}</td></tr>"
        )
    out.append("</table>")
    out.append("<h2 id='latency'>Guest-visible latency over time</h2>")
    if not data.points:
        out.append("<p class='meta'>No guest-message load ran in this run (no load or resilience samples).</p>")
    else:
        out += _load_charts(data)
    out += _conversations(result)
    out += _trends(data)
    out += _files(result)
    payload = json.dumps(data.as_dict(), separators=(",", ":")).replace("</", "<\\/")
    out.append(f"<script type='application/json' id='chart-data'>{payload}</script>")
    out.append("</body></html>")
    return "\n".join(out)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _flows(data: charts.ChartData) -> list[str]:
    """Per-flow latency: the gate's samples split by flow, with the gates' latency rule."""
    if not data.flows:
        return []
    out = [
        "<h2 id='flows'>Latency per flow</h2><table><tr><th>flow</th><th>messages</th><th>errors</th><th>p50</th>"
        "<th>p95</th><th>p99</th></tr>"
    ]
    for f in data.flows:
        cls = " class='FAIL'" if f["errors"] else ""
        out.append(
            f"<tr><td>{escape(f['flow'])}</td><td>{f['count']}</td><td{cls}>{f['errors']}</td>"
            f"<td>{_ms(f['p50'])}</td><td>{_ms(f['p95'])}</td><td>{_ms(f['p99'])}</td></tr>"
        )
    out.append("</table>")
    for f in data.flows:
        out.append(f"<h3>{escape(f['flow'])}</h3>")
        out.append(charts.histogram_svg(data, f["histogram"], f"{f['flow']} latency histogram"))
    return out


def _conversations(result: Result) -> list[str]:
    """Every golden conversation; a failed one with its whole transcript, per-turn latency and checks."""
    if not result.conversations:
        return []
    passed = sum(1 for c in result.conversations if c.passed)
    out = [
        f"<h2 id='conversations'>Golden conversations ({passed}/{len(result.conversations)} passed)</h2><table>"
        "<tr><th>conversation</th><th>result</th><th>turns</th><th>time</th><th>detail</th></tr>"
    ]
    for c in result.conversations:
        status = "PASS" if c.passed else "FAIL"
        out.append(
            f"<tr><td>{escape(c.name)}</td><td class='{status}'>{status}</td><td>{c.turns}</td>"
            f"<td>{c.duration_ms / 1000:.1f} s</td><td>{escape(c.detail)}</td></tr>"
        )
    out.append("</table>")
    for c in result.conversations:
        if c.passed:
            continue
        out.append(f"<h3 id='conv-{escape(c.name)}'>Failed: {escape(c.name)} ({escape(c.language)}, "
                   f"{escape(c.flow)})</h3>")
        if not c.transcript:
            out.append(f"<p>{escape(c.detail) or 'no transcript recorded'}</p>")
            continue
        out.append(
            "<table class='transcript'><tr><th>turn</th><th>guest sent</th><th>agent replied</th><th>latency</th>"
            "<th>checks</th></tr>"
        )
        for turn in c.transcript:
            replies = "<br>".join(f"<span class='reply'>{escape(str(r))}</span>" for r in turn.get("replies", []))
            checks = "<br>".join(
                f"<span class='{'PASS' if k.get('passed') else 'FAIL'}'>{'✓' if k.get('passed') else '✗'}</span> "
                f"{escape(str(k.get('name', '')))}"
                + (f" <span class='meta'>({escape(str(k.get('detail')))})</span>" if k.get("detail") else "")
                for k in turn.get("checks", [])
            )
            cls = "PASS" if turn.get("passed") else "FAIL"
            out.append(
                f"<tr><td class='{cls}'>{turn.get('index')}</td><td>{escape(str(turn.get('sent', '')))}</td>"
                f"<td>{replies or '<em>no reply</em>'}</td><td>{_ms(turn.get('latency_ms'))}</td><td>{checks}</td></tr>"
            )
        out.append("</table>")
    return out


def _trends(data: charts.ChartData) -> list[str]:
    if not data.trends:
        return []
    runs = max(len(t["runs"]) for t in data.trends)
    out = [
        f"<h2 id='trends'>Trends (last {runs} runs, reports/history.jsonl)</h2>",
        "<p class='meta'>Each blocking gate's measured value per run, oldest left; dashed: its threshold; "
        "dots green PASS, red FAIL, amber otherwise.</p>",
    ]
    for t in data.trends:
        rule = f"{t['comparator']} {format_number(t['threshold'])} {t['unit']}"
        out.append(f"<h3>{escape(t['gate'])} <span class='meta'>({escape(rule)})</span></h3>" + charts.trend_svg(t))
    return out


def _files(result: Result) -> list[str]:
    """Links (relative to report.html) to Locust's HTML report, the logs and the raw samples."""
    out = ["<h2 id='files'>Files</h2><ul>"]
    labels = {"locust_html": "Locust HTML report"}
    for name, path in result.artefacts.items():
        out.append(f"<li>{escape(labels.get(name, name))}: <a href='{escape(path)}'>{escape(path)}</a></li>")
    for name, path in result.samples.items():
        out.append(f"<li>raw samples ({escape(name)}): <a href='{escape(path)}'>{escape(path)}</a></li>")
    for name, path in result.logs.items():
        out.append(f"<li>log ({escape(name)}): <a href='{escape(path)}'>{escape(path)}</a></li>")
    out.append("<li>machine-readable: <a href='result.json'>result.json</a>, <a href='junit.xml'>junit.xml</a>, "
               "<a href='summary.md'>summary.md</a></li></ul>")
    return out


def _load_charts(data: charts.ChartData) -> list[str]:
    """Latency over time, the gate's histogram, per flow, throughput and errors: all by the gates' rule."""
    out: list[str] = []
    out.append(
        "<p class='meta'>Each mark is one guest message at its intended send time, at the latency the gates judge: "
        "the time to a right answer. Blue dots were answered; purple crosses got no right answer (no reply, a "
        f"late one, or a wrong answer such as an apology) and sit at the {data.reply_timeout_ms / 1000:g} s reply "
        f"timeout or the time waited. Lines: exact p50/p95 per {data.bin_s:g} s bin. Shaded: injected faults. "
        "Red and green lines: when Prometheus fired and resolved an alert (observability stage).</p>"
    )
    out.append(charts.latency_svg(data))
    scope = f" ({escape(data.gate_name)}'s samples)" if data.gate_name else ""
    out.append(f"<h2>Latency histogram{scope}</h2>" + charts.histogram_svg(data))
    out += _flows(data)
    out.append("<h2>Throughput over time</h2>" + charts.rate_svg(data, "replies", "replies over time", "#0d6efd"))
    out.append("<h2>Errors over time</h2>" + charts.rate_svg(data, "errors", "errors over time", "#dc3545"))
    return out
