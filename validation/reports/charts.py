"""Chart data computed from the raw samples, and inline SVG drawings of it (no external assets)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Any

from qualitygates.stats import percentile
from validation.samples import E2ESample

MAX_POINTS = 4000


@dataclass
class ChartData:
    """Everything the report's charts draw, kept as plain numbers so it can be embedded and tested."""

    bin_s: float = 1.0
    points: list[list[float]] = field(default_factory=list)  # [t_s, latency_ms, ok(1/0)]
    bins: list[dict[str, float | None]] = field(default_factory=list)  # t_s, p50, p95, replies, errors
    histogram: list[list[float]] = field(default_factory=list)  # [from_ms, to_ms, count]
    gate_ms: float | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)  # name, start_s, end_s
    stages: list[dict[str, Any]] = field(default_factory=list)  # name, start_s, end_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "bin_s": self.bin_s,
            "points": self.points,
            "bins": self.bins,
            "histogram": self.histogram,
            "gate_ms": self.gate_ms,
            "faults": self.faults,
            "stages": self.stages,
        }


def build(
    samples: list[E2ESample],
    gate_ms: float | None,
    faults: list[dict[str, Any]],
    stages: list[dict[str, Any]],
) -> ChartData:
    """Bin the raw e2e samples by intended send time; percentiles per bin are exact (nearest rank)."""
    data = ChartData(gate_ms=gate_ms, faults=faults, stages=stages)
    if not samples:
        return data
    t0 = 0.0
    t_end = max(s.intended_ms for s in samples) / 1000.0
    data.bin_s = max(1.0, math.ceil((t_end - t0) / 300.0))
    step = max(1, math.ceil(len(samples) / MAX_POINTS))
    data.points = [
        [round(s.intended_ms / 1000.0, 3), round(s.latency_ms, 1), 1 if s.ok else 0]
        for s in samples[::step]
        if s.latency_ms is not None
    ]
    buckets: dict[int, list[E2ESample]] = {}
    for s in samples:
        buckets.setdefault(int(s.intended_ms / 1000.0 // data.bin_s), []).append(s)
    for index in sorted(buckets):
        group = buckets[index]
        latencies = [s.latency_ms for s in group if s.latency_ms is not None]
        data.bins.append(
            {
                "t_s": index * data.bin_s,
                "p50": percentile(latencies, 50) if latencies else None,
                "p95": percentile(latencies, 95) if latencies else None,
                "replies": sum(1 for s in group if s.ok) / data.bin_s,
                "errors": sum(1 for s in group if not s.ok) / data.bin_s,
            }
        )
    judged = [s.latency_ms for s in samples if s.latency_ms is not None and not s.warmup]
    if judged:
        top = max(percentile(judged, 99.5), gate_ms or 0.0) * 1.1 or 1.0
        width = top / 30.0
        counts = [0] * 31
        for value in judged:
            counts[min(30, int(value // width))] += 1
        data.histogram = [[round(i * width, 1), round((i + 1) * width, 1), c] for i, c in enumerate(counts[:30])]
        data.histogram.append([round(30 * width, 1), round(max(judged), 1), counts[30]])
    return data


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


def _frame(title: str, x_max: float, y_max: float, y_label: str, x_label: str = "s since start") -> list[str]:
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
    for i in range(6):
        x_val = x_max * i / 5
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
    return max(ends, default=1.0) or 1.0


def latency_svg(data: ChartData) -> str:
    """Latency over time: every (sampled) reply as a dot, p50/p95 per bin as lines, the gate as a red line."""
    x_max = _x_max(data)
    top = max([p[1] for p in data.points] + [data.gate_ms or 0.0] + [1.0])
    y_max = _nice_max(
        min(top, max((data.gate_ms or 0) * 3, percentile([p[1] for p in data.points], 99.5) if data.points else 1.0))
        * 1.05
    )
    sx, sy = _scale(0, x_max, PAD_L, W - PAD_R), _scale(0, y_max, H - PAD_B, PAD_T)
    parts = _frame("e2e latency over time", x_max, y_max, "latency ms") + _shade(data, x_max)
    for t, lat, ok in data.points:
        color = "#9ec5fe" if ok else "#dc3545"
        parts.append(f'<circle cx="{sx(t):.1f}" cy="{sy(min(lat, y_max)):.1f}" r="1.3" fill="{color}"/>')
    for key, color, dash in (("p50", "#198754", ""), ("p95", "#fd7e14", "")):
        pts = [(sx(b["t_s"] + data.bin_s / 2), sy(min(b[key], y_max))) for b in data.bins if b[key] is not None]
        parts.append(_polyline(pts, color, key, dash))
    if data.gate_ms is not None:
        y = sy(min(data.gate_ms, y_max))
        parts.append(
            f'<line class="gate" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dc3545" '
            'stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{W - PAD_R - 4}" y="{y - 4:.1f}" text-anchor="end" font-size="10" fill="#dc3545">'
            f"gate p95 &lt; {data.gate_ms:g} ms</text>"
        )
    parts.append(_legend([("#198754", "p50"), ("#fd7e14", "p95"), ("#dc3545", "gate / error"), ("#f8d7da", "fault")]))
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


def histogram_svg(data: ChartData) -> str:
    """Distribution of judged e2e latencies (the last bar collects everything above the range)."""
    if not data.histogram:
        return '<p class="empty">no latency samples</p>'
    x_max = data.histogram[-2][1] if len(data.histogram) > 1 else data.histogram[-1][1]
    x_max = x_max * (31 / 30)
    y_max = _nice_max(max(h[2] for h in data.histogram) * 1.05)
    sx, sy = _scale(0, x_max, PAD_L, W - PAD_R), _scale(0, y_max, H - PAD_B, PAD_T)
    parts = _frame("latency histogram", x_max, y_max, "replies", "latency ms")
    for i, (lo, _hi, count) in enumerate(data.histogram):
        x = sx(lo) if i < 30 else sx(x_max * 30 / 31)
        w = max(1.0, sx(x_max / 31) - sx(0) - 1)
        if count:
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{sy(count):.1f}" width="{w:.1f}" '
                f'height="{sy(0) - sy(count):.1f}" fill="#6f42c1"><title>{lo:g}+ ms: {count:g}</title></rect>'
            )
    if data.gate_ms is not None and data.gate_ms <= x_max:
        x = sx(data.gate_ms)
        parts.append(
            f'<line class="gate" x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_T}" y2="{H - PAD_B}" stroke="#dc3545" '
            'stroke-dasharray="6 4"/>'
        )
    return "\n".join(parts + ["</svg>"])
