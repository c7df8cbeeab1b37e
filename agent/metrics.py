"""Prometheus metrics of the agent (default registry, served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

WEBHOOK_ACK_SECONDS = Histogram(
    "hotelero_webhook_ack_seconds", "Time from webhook request to 200 (after the commit)", buckets=_LATENCY_BUCKETS
)
WEBHOOK_REQUESTS = Counter("hotelero_webhook_requests_total", "Webhook POSTs by result", ["result"])
PROCESSING_SECONDS = Histogram(
    "hotelero_message_processing_seconds", "Worker time per inbound message (claim to done)", buckets=_LATENCY_BUCKETS
)
QUEUE_SECONDS = Histogram(
    "hotelero_message_queue_seconds", "Time from receipt to claim by a worker", buckets=_LATENCY_BUCKETS
)
MESSAGES = Counter("hotelero_messages_total", "Inbound messages by type and outcome", ["type", "outcome"])
STATUSES = Counter("hotelero_statuses_total", "Outbound message statuses received", ["status"])
WEBHOOK_ERRORS = Counter("hotelero_webhook_errors_total", "Value-level errors Meta reported by webhook", ["code"])
INBOX_DEPTH = Gauge("hotelero_inbox_depth", "Inbound messages pending processing")
INBOX_OLDEST_AGE = Gauge("hotelero_inbox_oldest_pending_age_seconds", "Age of the oldest pending inbound message")
DEAD_LETTERS = Counter("hotelero_dead_letters_total", "Messages moved to the dead-letter table")
DEAD_LETTERS_OPEN = Gauge("hotelero_dead_letters_open", "Dead letters not yet retried")
LEASES_TAKEN = Counter("hotelero_worker_leases_total", "Per-guest leases taken by this worker")
LEASES_ACTIVE = Gauge("hotelero_worker_leases_active", "Per-guest leases held by this worker right now")
LEASES_LOST = Counter("hotelero_worker_leases_lost_total", "Leases that expired or changed hands while processing")
RETRIES = Counter("hotelero_message_retries_total", "Inbound messages scheduled for another attempt")
OUTBOUND_CALLS = Counter("hotelero_outbound_calls_total", "Graph API calls by kind and outcome", ["kind", "outcome"])
OUTBOUND_ERRORS = Counter("hotelero_outbound_errors_total", "Graph API errors by Meta code", ["code"])
HANDOFFS = Counter("hotelero_handoffs_total", "Conversations flagged for a human", ["reason"])
