"""Prometheus metrics for one simulator instance (its own registry, so several can share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LAT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# The harness's own latency budget is 5 ms p95 (issue 17): bounds fine enough to tell 3 ms from 5 ms from 20 ms.
_DISPATCH_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
)  # fmt: skip


class SimMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.graph_requests = Counter(
            "wa_sim_graph_requests_total",
            "Graph API requests by endpoint and HTTP status",
            ["endpoint", "status"],
            registry=r,
        )
        self.guest_messages = Counter("wa_sim_guest_messages_total", "Messages sent by virtual guests", registry=r)
        self.business_messages = Counter(
            "wa_sim_business_messages_total", "Messages accepted from the business", ["type"], registry=r
        )
        self.webhook_attempts = Counter(
            "wa_sim_webhook_attempts_total", "Webhook POST attempts by outcome", ["outcome"], registry=r
        )
        self.webhook_give_ups = Counter("wa_sim_webhook_give_ups_total", "Webhook deliveries given up", registry=r)
        self.webhook_latency = Histogram(
            "wa_sim_webhook_latency_seconds",
            "Receiver response time per webhook attempt",
            buckets=_LAT_BUCKETS,
            registry=r,
        )
        self.dispatch_lag = Histogram(
            "wa_sim_dispatch_lag_seconds",
            "Guest message accepted to first webhook POST leaving",
            buckets=_DISPATCH_BUCKETS,
            registry=r,
        )
        self.loop_lag = Histogram(
            "wa_sim_event_loop_lag_seconds",
            "How late a 50 ms timer fires in the simulator",
            buckets=_LAT_BUCKETS,
            registry=r,
        )
        self.gc_pause = Histogram(
            "wa_sim_gc_pause_seconds", "Python garbage collection pauses", buckets=_LAT_BUCKETS, registry=r
        )
        self.in_flight = Gauge("wa_sim_webhook_in_flight", "Webhook POSTs in flight", registry=r)
        # Labelled children looked up once: `labels()` validates and locks on every call.
        self._children: dict[tuple[object, ...], Counter] = {}

    def count(self, metric: Counter, *values: str) -> None:
        """`metric.labels(*values).inc()`, looking the child up only the first time."""
        key = (id(metric), *values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        child.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
