"""Prometheus metrics of the simulator (its own registry, served at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from simulators.qloapps.state import Backend


class SimMetrics:
    def __init__(self, backend: Backend) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "qloapps_sim_requests_total",
            "Webservice requests",
            ["resource", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "qloapps_sim_request_seconds",
            "Webservice request latency, injected faults included",
            ["resource"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.faults = Counter("qloapps_sim_faults_total", "Faults that fired", ["kind"], registry=self.registry)
        active = Gauge("qloapps_sim_room_bookings_holding", "Room bookings holding a room", registry=self.registry)
        active.set_function(backend.held_nights)
        orders = Gauge("qloapps_sim_orders", "Orders on record", registry=self.registry)
        orders.set_function(lambda: len(backend.orders))

    def render(self) -> bytes:
        return generate_latest(self.registry)
