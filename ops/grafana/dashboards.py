"""hotelero's four Grafana dashboards, as code (grafanalib); the JSON beside this file is its output.

Regenerate after editing: `.venv/bin/python ops/grafana/dashboards.py` (tests/ops checks the JSON is current).
Every query reads the agent's metrics (job="hotelero-agent") or the recording rules in ops/prometheus.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafanalib._gen import DashboardEncoder
from grafanalib.core import (
    Dashboard,
    GridPos,
    Stat,
    Target,
    Template,
    Templating,
    Threshold,
    TimeSeries,
)

HERE = Path(__file__).resolve().parent
DATASOURCE = "${datasource}"
AGENT = 'job="hotelero-agent"'
WIDTH = 24


def _templating() -> Templating:
    return Templating(
        list=[
            Template(
                name="datasource",
                label="Prometheus",
                query="prometheus",
                type="datasource",
                default="Prometheus",
            )
        ]
    )


def _targets(*queries: tuple[str, str]) -> list[Target]:
    return [
        Target(expr=expr, legendFormat=legend, refId=chr(ord("A") + i), datasource=DATASOURCE)
        for i, (expr, legend) in enumerate(queries)
    ]


def series(title: str, *queries: tuple[str, str], unit: str = "short", description: str = "") -> TimeSeries:
    return TimeSeries(
        title=title, description=description, dataSource=DATASOURCE, targets=_targets(*queries), unit=unit
    )


def stat(title: str, expr: str, unit: str = "short", red_above: float | None = None, description: str = "") -> Stat:
    steps = [Threshold("green", 0, 0.0)]
    if red_above is not None:
        steps.append(Threshold("red", 1, float(red_above)))
    return Stat(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_targets((expr, "")),
        format=unit,
        reduceCalc="lastNotNull",
        thresholds=steps,
    )


def _layout(panels: list, per_row: int) -> list:
    """Place panels left to right, `per_row` to a row, 8 units high."""
    width = WIDTH // per_row
    placed = []
    for i, panel in enumerate(panels):
        panel.gridPos = GridPos(h=8, w=width, x=(i % per_row) * width, y=(i // per_row) * 8)
        placed.append(panel)
    return placed


def _dashboard(uid: str, title: str, description: str, stats: list, charts: list) -> Dashboard:
    top = _layout(stats, len(stats))
    rest = _layout(charts, 2)
    for panel in rest:
        panel.gridPos.y += 8
    return Dashboard(
        uid=uid,
        title=title,
        description=description,
        tags=["hotelero"],
        timezone="browser",
        refresh="30s",
        templating=_templating(),
        panels=top + rest,
    ).auto_panel_ids()


def system_health() -> Dashboard:
    return _dashboard(
        "hotelero-system-health",
        "hotelero · system health",
        "The daily checklist: readiness of every dependency, PMS integration, database connections, inbox and alerts.",
        [
            stat("Agent up", f"min(up{{{AGENT}}})", red_above=None),
            stat("Postgres", f'max(hotelero_dependency_up{{{AGENT},dependency="postgres"}})'),
            stat("Redis", f'max(hotelero_dependency_up{{{AGENT},dependency="redis"}})'),
            stat("PMS circuit open", f'max(hotelero_pms_circuit_state{{{AGENT},state="open"}})', red_above=1),
            stat("Alerts firing", 'count(ALERTS{alertstate="firing"}) or vector(0)', red_above=1),
            stat("Dead letters open", f"max(hotelero_dead_letters_open{{{AGENT}}})", red_above=1),
        ],
        [
            series(
                "PMS circuit state",
                (f"max by (state) (hotelero_pms_circuit_state{{{AGENT}}})", "{{state}}"),
                description="1 on the breaker's current state in any agent process.",
            ),
            series(
                "QloApps calls by outcome",
                (f"sum by (outcome) (rate(hotelero_pms_calls_total{{{AGENT}}}[5m]))", "{{outcome}}"),
                unit="reqps",
            ),
            series(
                "Postgres pool connections",
                (f"sum(hotelero_db_pool_connections_in_use{{{AGENT}}})", "in use"),
                (f"sum(hotelero_db_pool_connections{{{AGENT}}})", "open"),
                (f"sum(hotelero_db_pool_max_connections{{{AGENT}}})", "ceiling"),
                (f"sum(hotelero_db_pool_requests_waiting{{{AGENT}}})", "requests waiting"),
            ),
            series(
                "Inbox",
                (f"max(hotelero_inbox_depth{{{AGENT}}})", "pending messages"),
                (f"max(hotelero_inbox_oldest_pending_age_seconds{{{AGENT}}})", "oldest pending (s)"),
            ),
            series(
                "Worker leases",
                (f"sum(hotelero_worker_leases_active{{{AGENT}}})", "held now"),
                (f"sum(rate(hotelero_worker_leases_lost_total{{{AGENT}}}[5m]))", "lost /s"),
            ),
            series(
                "Build running",
                (f"count by (version, commit) (hotelero_build_info{{{AGENT}}})", "{{version}} {{commit}}"),
            ),
        ],
    )


def performance() -> Dashboard:
    return _dashboard(
        "hotelero-performance",
        "hotelero · performance",
        "Message processing rates, latency from the guest's message to the reply, and headroom on every limit.",
        [
            stat("Reply p95 (5m)", "hotelero:reply_latency_seconds:p95_rate5m", unit="s", red_above=2),
            stat("Messages /s", "hotelero:messages:rate5m", unit="reqps"),
            stat("WhatsApp headroom", "min(hotelero:whatsapp_headroom:ratio)", unit="percentunit"),
            stat(
                "Throttled sends (1h)",
                f"sum(increase(hotelero_whatsapp_throttled_total{{{AGENT}}}[1h]))",
                red_above=1,
            ),
        ],
        [
            series(
                "Guest-felt reply latency",
                ("hotelero:reply_latency_seconds:p50_rate5m", "p50"),
                ("hotelero:reply_latency_seconds:p95_rate5m", "p95"),
                ("vector(2)", "SLO (p95 < 2 s)"),
                unit="s",
            ),
            series(
                "Reply latency p95 by flow", ("flow:hotelero_reply_latency_seconds:p95_rate5m", "{{flow}}"), unit="s"
            ),
            series(
                "Agent time per message (p95)",
                (
                    f"histogram_quantile(0.95, sum by (le) (rate(hotelero_webhook_ack_seconds_bucket{{{AGENT}}}[5m])))",
                    "webhook ack",
                ),
                (
                    "histogram_quantile(0.95, sum by (le) "
                    f"(rate(hotelero_message_queue_seconds_bucket{{{AGENT}}}[5m])))",
                    "queued",
                ),
                (
                    "histogram_quantile(0.95, sum by (le) "
                    f"(rate(hotelero_message_processing_seconds_bucket{{{AGENT}}}[5m])))",
                    "processing",
                ),
                unit="s",
            ),
            series(
                "QloApps call latency p95",
                (
                    "histogram_quantile(0.95, sum by (resource, le) "
                    f"(rate(hotelero_pms_call_seconds_bucket{{{AGENT}}}[5m])))",
                    "{{resource}}",
                ),
                unit="s",
            ),
            series(
                "Redis cache hit ratio",
                ("cache:hotelero_cache_hits:ratio_rate5m", "{{cache}}"),
                unit="percentunit",
            ),
            series(
                "WhatsApp limits",
                ("hotelero:whatsapp_headroom:ratio", "headroom ({{limit}})"),
                (f"max(hotelero_whatsapp_usage_percent{{{AGENT}}}) / 100", "use-case quota used"),
                (f"max(hotelero_whatsapp_regain_access_seconds{{{AGENT}}})", "regain access in (s)"),
                unit="percentunit",
            ),
            series(
                "Graph API calls",
                (
                    f"sum by (kind, outcome) (rate(hotelero_outbound_calls_total{{{AGENT}}}[5m]))",
                    "{{kind}} {{outcome}}",
                ),
                (f"sum by (code) (rate(hotelero_whatsapp_throttled_total{{{AGENT}}}[5m]))", "throttled {{code}}"),
                unit="reqps",
            ),
            series(
                "Postgres pool pressure",
                (f"sum(hotelero_db_pool_requests_waiting{{{AGENT}}})", "waiting"),
                (
                    f"sum(hotelero_db_pool_connections_in_use{{{AGENT}}}) "
                    f"/ sum(hotelero_db_pool_max_connections{{{AGENT}}})",
                    "in use / ceiling",
                ),
            ),
        ],
    )


def security_events() -> Dashboard:
    return _dashboard(
        "hotelero-security",
        "hotelero · security events",
        "Webhooks refused (forged or missing signatures, oversized or malformed bodies), guests over the rate limit.",
        [
            stat(
                "Bad signatures (1h)",
                f'sum(increase(hotelero_webhook_requests_total{{{AGENT},result="bad_signature"}}[1h]))',
                red_above=1,
            ),
            stat(
                "Oversized bodies (1h)",
                f'sum(increase(hotelero_webhook_requests_total{{{AGENT},result="too_large"}}[1h]))',
                red_above=1,
            ),
            stat(
                "Rate-limited messages (1h)",
                f'sum(increase(hotelero_messages_total{{{AGENT},outcome="rate_limited"}}[1h]))',
            ),
        ],
        [
            series(
                "Webhook requests by result",
                (f"sum by (result) (rate(hotelero_webhook_requests_total{{{AGENT}}}[5m]))", "{{result}}"),
                unit="reqps",
            ),
            series(
                "Guest messages refused or held",
                (
                    "sum by (outcome) "
                    f'(rate(hotelero_messages_total{{{AGENT},outcome=~"rate_limited|stale|human"}}[5m]))',
                    "{{outcome}}",
                ),
                (f"sum(rate(hotelero_stale_messages_total{{{AGENT}}}[5m]))", "stale (older than the policy)"),
                unit="reqps",
            ),
            series(
                "Errors Meta reported by webhook",
                (f"sum by (code) (rate(hotelero_webhook_errors_total{{{AGENT}}}[5m]))", "{{code}}"),
                unit="reqps",
            ),
        ],
    )


def guest_experience() -> Dashboard:
    return _dashboard(
        "hotelero-guest-experience",
        "hotelero · guest experience",
        "What guests feel: time to a reply against the 2 s SLO, answers vs failures, handoffs, and the error budgets.",
        [
            stat("Reply p95 (5m)", "hotelero:reply_latency_seconds:p95_rate5m", unit="s", red_above=2),
            stat(
                "Replies slower than 2 s (1h)",
                "hotelero:sli_latency_errors:ratio_rate1h",
                unit="percentunit",
                red_above=0.05,
            ),
            stat(
                "Unanswered messages (1h)",
                "hotelero:sli_message_errors:ratio_rate1h",
                unit="percentunit",
                red_above=0.001,
            ),
            stat(
                "Webhook availability errors (1h)",
                "hotelero:sli_availability_errors:ratio_rate1h",
                unit="percentunit",
                red_above=0.001,
            ),
        ],
        [
            series(
                "Messages by outcome",
                (f'sum by (outcome) (rate(hotelero_messages_total{{{AGENT},outcome!="retry"}}[5m]))', "{{outcome}}"),
                unit="reqps",
            ),
            series(
                "Replies by flow",
                (f"sum by (flow) (rate(hotelero_reply_latency_seconds_count{{{AGENT}}}[5m]))", "{{flow}}"),
                unit="reqps",
            ),
            series(
                "Error budget burn rate (1h)",
                ("hotelero:sli_availability_errors:ratio_rate1h / 0.001", "availability"),
                ("hotelero:sli_latency_errors:ratio_rate1h / 0.05", "latency"),
                ("hotelero:sli_message_errors:ratio_rate1h / 0.001", "unanswered"),
                ("vector(14.4)", "page threshold"),
                description="1 spends the 30-day budget in exactly 30 days; 14.4 pages.",
            ),
            series(
                "Handoffs and dead letters",
                (f"sum by (reason) (rate(hotelero_handoffs_total{{{AGENT}}}[5m]))", "handoff: {{reason}}"),
                (f"sum(rate(hotelero_dead_letters_total{{{AGENT}}}[5m]))", "dead-lettered"),
                unit="reqps",
            ),
            series(
                "Delivery to the guest's phone",
                (f"sum by (status) (rate(hotelero_statuses_total{{{AGENT}}}[5m]))", "{{status}}"),
                ("hotelero:whatsapp_delivery_failures:ratio_rate5m", "failed share"),
                unit="reqps",
            ),
        ],
    )


DASHBOARDS = {
    "system-health": system_health,
    "performance": performance,
    "security-events": security_events,
    "guest-experience": guest_experience,
}


def render(name: str) -> str:
    """The JSON text checked in as ops/grafana/<name>.json."""
    return json.dumps(DASHBOARDS[name]().to_json_data(), cls=DashboardEncoder, indent=2, sort_keys=True) + "\n"


def main() -> int:
    for name in DASHBOARDS:
        (HERE / f"{name}.json").write_text(render(name), encoding="utf-8")
        print(f"wrote ops/grafana/{name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
