"""Chart data computed from the raw samples, and inline SVG drawings of it (no external assets)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from html import escape
from typing import Any

from qualitygates.schema import Scope, to_canonical
from qualitygates.stats import percentile
from qualitygates.window import judged_latency_ms
from validation.gates import GateResult, judged_latencies, matches
from validation.samples import E2ESample

MAX_POINTS = 4000


@dataclass
class ChartData:
    """Everything the report's charts draw, kept as plain numbers so it can be embedded and tested.

    Latencies are the ones the gates judge (qualitygates.window): a message without a right answer is drawn
    at the reply timeout (or the time waited, if longer) and flagged, never at the speed of a fast apology.
    """

    bin_s: float = 1.0
    points: list[list[float]] = field(default_factory=list)  # [t_s, judged latency_ms, answered right (1/0)]
    bins: list[dict[str, float | None]] = field(default_factory=list)  # t_s, p50, p95, replies, errors
    histogram: list[list[float]] = field(default_factory=list)  # [from_ms, to_ms, count] of the gate's samples
    gate_ms: float | None = None
    gate_name: str = ""
    reply_timeout_ms: float = 10_000.0
    faults: list[dict[str, Any]] = field(default_factory=list)  # name, start_s, end_s
    alerts: list[dict[str, Any]] = field(default_factory=list)  # name, fired_s, resolved_s (None: still firing)
    stages: list[dict[str, Any]] = field(default_factory=list)  # name, start_s, end_s
    flows: list[dict[str, Any]] = field(default_factory=list)  # flow, count, errors, p50, p95, p99, histogram
    trends: list[dict[str, Any]] = field(default_factory=list)  # gate, unit, threshold, comparator, runs

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _histogram(values: list[float], gate_ms: float | None, reply_timeout_ms: float) -> list[list[float]]:
    """30 equal bars of the answered latencies, then one bar of the messages without a right answer in time."""
    if not values:
        return []
    answered = [v for v in values if v < reply_timeout_ms]
    top = max(max(answered, default=0.0), gate_ms or 0.0) * 1.05 or 1.0
    width = top / 30.0
    counts = [0] * 30
    for value in answered:
        counts[min(29, int(value // width))] += 1
    bars = [[round(i * width, 1), round((i + 1) * width, 1), c] for i, c in enumerate(counts)]
    missed = [v for v in values if v >= reply_timeout_ms]
    bars.append([round(reply_timeout_ms, 1), round(max(missed, default=reply_timeout_ms), 1), len(missed)])
    return bars


def build(
    samples: list[E2ESample],
    gate: GateResult | None,
    reply_timeout_ms: float,
    faults: list[dict[str, Any]],
    stages: list[dict[str, Any]],
) -> ChartData:
    """Bin the raw e2e samples by intended send time; every figure uses the gates' latency rule.

    `gate`: the blocking e2e latency gate; its line is drawn, and the histogram and the per-flow table use
    exactly its samples (its scope, warm-up excluded).
    """
    gate_ms = to_canonical(gate.threshold, gate.unit) if gate is not None else None
    data = ChartData(
        gate_ms=gate_ms,
        gate_name=gate.name if gate is not None else "",
        reply_timeout_ms=reply_timeout_ms,
        faults=faults,
        stages=stages,
    )
    if not samples:
        return data

    def judged(s: E2ESample) -> float:
        value = judged_latency_ms(s, reply_timeout_ms)
        # Not answered right: at the reply timeout, or at the time waited when that was longer.
        return max(value or 0.0, reply_timeout_ms) if not s.ok else (value or 0.0)

    t_end = max(s.intended_ms for s in samples) / 1000.0
    data.bin_s = max(1.0, math.ceil(t_end / 300.0))
    step = max(1, math.ceil(len(samples) / MAX_POINTS))
    data.points = [[round(s.intended_ms / 1000.0, 3), round(judged(s), 1), 1 if s.ok else 0] for s in samples[::step]]
    buckets: dict[int, list[E2ESample]] = {}
    for s in samples:
        buckets.setdefault(int(s.intended_ms / 1000.0 // data.bin_s), []).append(s)
    for index in sorted(buckets):
        group = buckets[index]
        latencies = [judged(s) for s in group]
        data.bins.append(
            {
                "t_s": index * data.bin_s,
                "p50": percentile(latencies, 50),
                "p95": percentile(latencies, 95),
                "replies": sum(1 for s in group if s.ok) / data.bin_s,
                "errors": sum(1 for s in group if not s.ok) / data.bin_s,
            }
        )
    scoped = [s for s in samples if not s.warmup and (gate is None or _in_scope(s, gate))]
    values = judged_latencies(scoped, reply_timeout_ms)
    data.histogram = _histogram(values, gate_ms, reply_timeout_ms)
    by_flow: dict[str, list[E2ESample]] = {}
    for s in scoped:
        by_flow.setdefault(s.flow or "-", []).append(s)
    for flow, group in sorted(by_flow.items()):
        lat = judged_latencies(group, reply_timeout_ms)
        data.flows.append(
            {
                "flow": flow,
                "count": len(group),
                "errors": sum(1 for s in group if not s.ok),
                "p50": percentile(lat, 50) if lat else None,
                "p95": percentile(lat, 95) if lat else None,
                "p99": percentile(lat, 99) if lat else None,
                "histogram": _histogram(lat, gate_ms, reply_timeout_ms),
            }
        )
    return data


def _in_scope(sample: E2ESample, gate: GateResult) -> bool:
    return matches(Scope.model_validate(gate.scope), sample.stage, sample.flow, sample.language)


def trends(rows: list[dict[str, Any]], gates: list[GateResult]) -> list[dict[str, Any]]:
    """The blocking gates over the last runs of the history (oldest first), one series per gate."""
    out = []
    for gate in gates:
        if not gate.blocking:
            continue
        runs = [
            {"run_id": r.get("run_id"), "verdict": r.get("verdict"), **r["gates"][gate.name]}
            for r in rows
            if gate.name in r.get("gates", {}) and r["gates"][gate.name].get("unit") == gate.unit
        ]
        if any(run.get("measured") is not None for run in runs):
            out.append(
                {
                    "gate": gate.name,
                    "unit": gate.unit,
                    "threshold": gate.threshold,
                    "comparator": gate.comparator,
                    "runs": runs,
                }
            )
    return out


# --- SVG --------------------------------------------------------------------------------------------------

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 760, 240, 60, 16, 14, 34


def _scale(lo: float, hi: float, out_lo: float, out_hi: float):  # noqa: ANN202 - tiny closure
    span = (hi - lo) or 1.0
    return lambda v: out_lo + (v - lo) / span * (out_hi - out_lo)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * exp:
            return m * exp
    return 10 * exp


def _frame(
    title: str, x_max: float, y_max: float, y_label: str, x_label: str = "s since start", x_ticks: int = 5
) -> list[str]:
    sx = _scale(0, x_max, PAD_L, W - PAD_R)
    sy = _scale(0, y_max, H - PAD_B, PAD_T)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">',
        f'<rect x="{PAD_L}" y="{PAD_T}" width="{W - PAD_L - PAD_R}" height="{H - PAD_T - PAD_B}" fill="#fff" '
        'stroke="#ccc"/>',
    ]
    for i in range(5):
        y_val = y_max * i / 4
        y = sy(y_val)
        parts.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{PAD_L - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{y_val:g}</text>')
    for i in range(x_ticks + 1):
        x_val = x_max * i / max(1, x_ticks)
        x = sx(x_val)
        parts.append(f'<text x="{x:.1f}" y="{H - PAD_B + 14}" text-anchor="middle" font-size="10">{x_val:.0f}</text>')
    parts.append(f'<text x="{W / 2}" y="{H - 4}" text-anchor="middle" font-size="10">{escape(x_label)}</text>')
    parts.append(
        f'<text x="12" y="{H / 2}" transform="rotate(-90 12 {H / 2})" text-anchor="middle" font-size="10">'
        f"{escape(y_label)}</text>"
    )
    return parts


def _shade(data: ChartData, x_max: float) -> list[str]:
    sx = _scale(0, x_max, PAD_L, W - PAD_R)
    parts = []
    for fault in data.faults:
        x1, x2 = sx(fault["start_s"]), sx(fault["end_s"])
        parts.append(
            f'<rect class="fault" x="{x1:.1f}" y="{PAD_T}" width="{max(1.0, x2 - x1):.1f}" '
            f'height="{H - PAD_T - PAD_B}" fill="#f8d7da" opacity="0.6"><title>fault: {escape(fault["name"])}</title>'
            "</rect>"
        )
    for i, stage in enumerate(data.stages):
        x = sx(stage["start_s"])
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_T}" y2="{H - PAD_B}" stroke="#bbb" stroke-dasharray="2 3"/>'
        )
        # Stages can start seconds apart: alternate label rows so neighbours do not overprint.
        y = H - PAD_B - 4 - (i % 2) * 11
        parts.append(f'<text x="{x + 2:.1f}" y="{y}" font-size="9" fill="#888">{escape(stage["name"])}</text>')
    for i, alert in enumerate(data.alerts):
        parts.extend(_alert_marks(alert, sx, PAD_T + 10 + (i % 3) * 11))
    return parts


def _alert_marks(alert: dict[str, Any], sx: Any, y: float) -> list[str]:
    """An alert as Prometheus saw it: a red line when it fired, a green one when it resolved, a bar between."""
    name = escape(alert["name"])
    fired = sx(alert["fired_s"])
    resolved = sx(alert["resolved_s"]) if alert.get("resolved_s") is not None else None
    parts = [
        f'<line class="alert-fired" x1="{fired:.1f}" x2="{fired:.1f}" y1="{PAD_T}" y2="{H - PAD_B}" stroke="#c0392b"'
        f' stroke-width="1.4"><title>{name} fired at {alert["fired_s"]:.1f} s</title></line>',
        f'<text x="{fired + 2:.1f}" y="{y}" font-size="9" fill="#c0392b">{name} fired</text>',
    ]
    if resolved is not None:
        parts += [
            f'<rect x="{fired:.1f}" y="{y + 2}" width="{max(1.0, resolved - fired):.1f}" height="3" fill="#c0392b"'
            ' opacity="0.5"/>',
            f'<line class="alert-resolved" x1="{resolved:.1f}" x2="{resolved:.1f}" y1="{PAD_T}" y2="{H - PAD_B}"'
            f' stroke="#1e8449" stroke-width="1.4"><title>{name} resolved at {alert["resolved_s"]:.1f} s</title>'
            "</line>",
            f'<text x="{resolved + 2:.1f}" y="{y + 11}" font-size="9" fill="#1e8449">resolved</text>',
        ]
    return parts


def _polyline(points: list[tuple[float, float]], color: str, cls: str, dash: str = "") -> str:
    if not points:
        return ""
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline class="{cls}" fill="none" stroke="{color}" stroke-width="1.6"{dash_attr} points="{coords}"/>'


def _x_max(data: ChartData) -> float:
    ends = [b["t_s"] + data.bin_s for b in data.bins] + [f["end_s"] for f in data.faults]
    ends += [s["end_s"] for s in data.stages]
    ends += [a["resolved_s"] or a["fired_s"] for a in data.alerts]
    return max(ends, default=1.0) or 1.0


UNANSWERED = "#6f1d8f"  # no right answer within the reply timeout: distinct from answers and the gate line


def latency_svg(data: ChartData) -> str:
    """Latency over time, as judged: answered messages as blue dots, unanswered and wrong ones at the reply
    timeout in purple, p50/p95 per bin as lines, the gate as a red dashed line, faults shaded."""
    x_max = _x_max(data)
    answered = [p[1] for p in data.points if p[2]]
    missed = [p for p in data.points if not p[2]]
    scale_top = max((data.gate_ms or 0) * 3, percentile(answered, 99.5) if answered else 1.0)
    if missed:
        scale_top = max(scale_top, data.reply_timeout_ms)
    top = max([p[1] for p in data.points] + [data.gate_ms or 0.0, 1.0])
    y_max = _nice_max(min(top, scale_top) * 1.05)
    sx, sy = _scale(0, x_max, PAD_L, W - PAD_R), _scale(0, y_max, H - PAD_B, PAD_T)
    parts = _frame("e2e latency over time (time to a right answer)", x_max, y_max, "latency ms") + _shade(data, x_max)
    for t, lat, ok in data.points:
        if ok:
            parts.append(f'<circle class="answered" cx="{sx(t):.1f}" cy="{sy(min(lat, y_max)):.1f}" r="1.3" '
                         'fill="#9ec5fe"/>')
    for t, lat, _ok in missed:
        x, y = sx(t), sy(min(lat, y_max))
        parts.append(f'<path class="unanswered" d="M{x - 2:.1f},{y - 2:.1f}l4,4m0,-4l-4,4" stroke="{UNANSWERED}" '
                     'stroke-width="1.2"/>')
    if missed:
        y = sy(min(data.reply_timeout_ms, y_max))
        parts.append(
            f'<line class="timeout" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="{UNANSWERED}" '
            'stroke-dasharray="1 3"/>'
        )
    for key, color in (("p50", "#198754"), ("p95", "#fd7e14")):
        pts = [(sx(b["t_s"] + data.bin_s / 2), sy(min(b[key], y_max))) for b in data.bins if b[key] is not None]
        parts.append(_polyline(pts, color, key))
    if data.gate_ms is not None:
        y = sy(min(data.gate_ms, y_max))
        parts.append(
            f'<line class="gate" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dc3545" '
            'stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{W - PAD_R - 4}" y="{y - 4:.1f}" text-anchor="end" font-size="10" fill="#dc3545">'
            f"{escape(data.gate_name or 'gate')} &lt; {data.gate_ms:g} ms</text>"
        )
    parts.append(
        _legend(
            [
                ("#9ec5fe", "answered"),
                (UNANSWERED, f"no right answer (at {data.reply_timeout_ms / 1000:g} s timeout)"),
                ("#198754", "p50"),
                ("#fd7e14", "p95"),
                ("#dc3545", "gate"),
                ("#f8d7da", "fault"),
            ]
        )
    )
    return "\n".join(parts + ["</svg>"])


def _legend(items: list[tuple[str, str]]) -> str:
    out = []
    x = PAD_L + 8
    for color, label in items:
        out.append(f'<rect x="{x}" y="{PAD_T + 4}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="{PAD_T + 13}" font-size="10">{escape(label)}</text>')
        x += 24 + 7 * len(label)
    return "\n".join(out)


def rate_svg(data: ChartData, key: str, title: str, color: str) -> str:
    """Replies or errors per second over time, per bin."""
    x_max = _x_max(data)
    y_max = _nice_max(max([b[key] or 0.0 for b in data.bins] + [1.0]) * 1.05)
    sx, sy = _scale(0, x_max, PAD_L, W - PAD_R), _scale(0, y_max, H - PAD_B, PAD_T)
    parts = _frame(title, x_max, y_max, f"{key} per s") + _shade(data, x_max)
    width = max(1.0, sx(data.bin_s) - sx(0) - 1)
    for b in data.bins:
        value = b[key] or 0.0
        if value:
            parts.append(
                f'<rect class="{key}" x="{sx(b["t_s"]):.1f}" y="{sy(value):.1f}" width="{width:.1f}" '
                f'height="{sy(0) - sy(value):.1f}" fill="{color}"/>'
            )
    return "\n".join(parts + ["</svg>"])


def histogram_svg(data: ChartData, bars: list[list[float]] | None = None, title: str = "latency histogram") -> str:
    """Distribution of judged e2e latencies; the last bar, apart and purple, holds the messages without a right
    answer within the reply timeout."""
    bars = data.histogram if bars is None else bars
    if not bars:
        return '<p class="empty">no latency samples</p>'
    x_max = bars[-2][1] if len(bars) > 1 else bars[-1][1]
    x_max = x_max * (31 / 30)
    y_max = _nice_max(max(h[2] for h in bars) * 1.05)
    sx, sy = _scale(0, x_max, PAD_L, W - PAD_R), _scale(0, y_max, H - PAD_B, PAD_T)
    parts = _frame(title, x_max, y_max, "messages", "latency ms")
    for i, (lo, _hi, count) in enumerate(bars):
        x = sx(lo) if i < 30 else sx(x_max * 30 / 31)
        w = max(1.0, sx(x_max / 31) - sx(0) - 1)
        if count:
            color, label = ("#0d6efd", f"{lo:g}+ ms") if i < 30 else (UNANSWERED, "no right answer in time")
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{sy(count):.1f}" width="{w:.1f}" '
                f'height="{sy(0) - sy(count):.1f}" fill="{color}"><title>{label}: {count:g}</title></rect>'
            )
    if len(bars) > 30:
        parts.append(
            f'<text x="{W - PAD_R - 2}" y="{PAD_T + 12}" text-anchor="end" font-size="10" fill="{UNANSWERED}">'
            f"last bar: no right answer within {bars[30][0] / 1000:g} s ({bars[30][2]:g})</text>"
        )
    if data.gate_ms is not None and data.gate_ms <= x_max:
        x = sx(data.gate_ms)
        parts.append(
            f'<line class="gate" x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_T}" y2="{H - PAD_B}" stroke="#dc3545" '
            'stroke-dasharray="6 4"/>'
        )
    return "\n".join(parts + ["</svg>"])


def trend_svg(trend: dict[str, Any]) -> str:
    """One gate's measured value over the last runs (oldest left), its threshold dashed, failures in red."""
    runs = trend["runs"]
    values = [r["measured"] for r in runs if r.get("measured") is not None]
    y_max = _nice_max(max([*values, trend["threshold"]]) * 1.1)
    n = max(1, len(runs) - 1)
    sx, sy = _scale(0, n, PAD_L, W - PAD_R), _scale(0, y_max, H - PAD_B, PAD_T)
    parts = _frame(
        f"{trend['gate']} over the last runs", n, y_max, trend["unit"], "run (oldest left, this run right)", min(n, 5)
    )
    y = sy(trend["threshold"])
    parts.append(
        f'<line class="gate" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dc3545" '
        'stroke-dasharray="6 4"/>'
    )
    pts = [(sx(i), sy(r["measured"])) for i, r in enumerate(runs) if r.get("measured") is not None]
    parts.append(_polyline(pts, "#0d6efd", "trend"))
    for i, r in enumerate(runs):
        if r.get("measured") is None:
            continue
        color = {"PASS": "#198754", "FAIL": "#dc3545"}.get(r.get("status", ""), "#b58105")
        parts.append(
            f'<circle class="run" cx="{sx(i):.1f}" cy="{sy(r["measured"]):.1f}" r="3" fill="{color}">'
            f'<title>{escape(str(r.get("run_id")))}: {r["measured"]:g} {escape(trend["unit"])} '
            f"({escape(str(r.get('status')))})</title></circle>"
        )
    return "\n".join(parts + ["</svg>"])
