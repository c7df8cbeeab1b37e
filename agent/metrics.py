"""Prometheus metrics of the agent, served at /metrics.

With PROMETHEUS_MULTIPROC_DIR set (before prometheus_client is imported), every process writes its values to
that directory and the scrape aggregates all of them: `--workers N` web processes and separate
`hotelero agent worker` processes appear as one agent. Each gauge states how processes combine.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import importlib.metadata
import os
import platform
import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Guest-felt reply latency: fine below 100 ms where a healthy agent lives, quarter seconds around the 2 s SLO
# (an edge exactly at 2 s), so a p95 read from the histogram is close to the exact one.
REPLY_BUCKETS = (
    0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
    1, 1.25, 1.5, 1.75, 2, 2.5, 3, 5, 10, 30, 60,
)  # fmt: skip

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
_STATUS_CHILDREN: dict[str, Any] = {}


def count_status(status: str) -> None:
    """Count one delivery status (3 of every 4 webhooks): the labelled child is looked up once per status."""
    child = _STATUS_CHILDREN.get(status)
    if child is None:
        # Meta's statuses are a handful of words; anything else still counts, under its own label.
        child = _STATUS_CHILDREN[status] = STATUSES.labels(status=status)
    child.inc()


WEBHOOK_ERRORS = Counter("hotelero_webhook_errors_total", "Value-level errors Meta reported by webhook", ["code"])
# Read from the database by whichever process serves the scrape: the latest reading wins.
INBOX_DEPTH = Gauge("hotelero_inbox_depth", "Inbound messages pending processing", multiprocess_mode="mostrecent")
INBOX_OLDEST_AGE = Gauge(
    "hotelero_inbox_oldest_pending_age_seconds",
    "Age of the oldest pending inbound message",
    multiprocess_mode="mostrecent",
)
DEAD_LETTERS = Counter("hotelero_dead_letters_total", "Messages moved to the dead-letter table")
DEAD_LETTERS_OPEN = Gauge("hotelero_dead_letters_open", "Dead letters not yet retried", multiprocess_mode="mostrecent")
LEASES_TAKEN = Counter("hotelero_worker_leases_total", "Per-guest leases taken by this worker")
LEASES_ACTIVE = Gauge(
    "hotelero_worker_leases_active", "Per-guest leases held by live workers right now", multiprocess_mode="livesum"
)
LEASES_LOST = Counter("hotelero_worker_leases_lost_total", "Leases that expired or changed hands while processing")
RETRIES = Counter("hotelero_message_retries_total", "Inbound messages scheduled for another attempt")
OUTBOUND_CALLS = Counter("hotelero_outbound_calls_total", "Graph API calls by kind and outcome", ["kind", "outcome"])
OUTBOUND_ERRORS = Counter("hotelero_outbound_errors_total", "Graph API errors by Meta code", ["code"])
STALE_MESSAGES = Counter(
    "hotelero_stale_messages_total", "Guest messages older than AGENT_STALE_MESSAGE_HOURS, recorded but not answered"
)
HANDOFFS = Counter("hotelero_handoffs_total", "Conversations flagged for a human", ["reason"])
for _reason in ("responder", "window_closed"):
    HANDOFFS.labels(reason=_reason)

# ---- guest-felt reply latency -----------------------------------------------------------------------------------

# The label's whole value set: dialogue flows, plus replies that are not the brain's answer.
FLOWS = ("stay", "cancel", "modify", "status", "late", "general", "notice", "apology")
REPLY_SECONDS = Histogram(
    "hotelero_reply_latency_seconds",
    "Guest-felt latency: the guest's message (Meta timestamp) to the first reply accepted by the Graph API",
    ["flow"],
    buckets=REPLY_BUCKETS,
)


def flow_label(state: dict[str, Any] | None) -> str:
    """The bounded `flow` label for a turn's resulting conversation state (anything unknown is 'general')."""
    dialogue = (state or {}).get("dialogue")
    flow = dialogue.get("flow") if isinstance(dialogue, dict) else None
    return flow if flow in FLOWS else "general"


def guest_sent_at(meta_timestamp: Any, received_at: datetime) -> float:
    """When the guest sent the message, in epoch seconds, as best both clocks tell.

    Meta's timestamp counts whole seconds, so the message left in [ts, ts + 1); it cannot have left after we
    received it. The latest moment consistent with both is used: exact when Meta delivers promptly, and a
    delayed delivery (Meta retrying a webhook) still counts in full, less under one second.
    """
    received = received_at.timestamp()
    try:
        ts = float(meta_timestamp)
    except (TypeError, ValueError):
        return received
    return min(ts + 1.0, received)


def observe_reply(flow: str, sent_at: float, accepted_at: float) -> None:
    """Record one guest-felt reply latency (flow must be one of FLOWS)."""
    REPLY_SECONDS.labels(flow=flow if flow in FLOWS else "general").observe(max(0.0, accepted_at - sent_at))


# ---- Redis cache ------------------------------------------------------------------------------------------------

CACHE_REQUESTS = Counter(
    "hotelero_cache_requests_total", "Redis cache lookups by cache and result (hit, miss, error)", ["cache", "result"]
)
for _cache in ("pms_static", "pms_availability"):
    for _result in ("hit", "miss", "error"):
        CACHE_REQUESTS.labels(cache=_cache, result=_result)

# ---- WhatsApp rate limits and quota -----------------------------------------------------------------------------

# Codes Meta uses when a sender goes too fast (graph.RATE_LIMIT_CODES), each exported from zero.
THROTTLE_CODES = ("4", "80007", "130429", "131048", "131056")
WHATSAPP_THROTTLED = Counter(
    "hotelero_whatsapp_throttled_total", "Graph API calls refused for rate or quota limits, by Meta code", ["code"]
)
for _code in THROTTLE_CODES:
    WHATSAPP_THROTTLED.labels(code=_code)
WHATSAPP_USAGE = Gauge(
    "hotelero_whatsapp_usage_percent",
    "Highest share of the business use-case rate limit used (X-Business-Use-Case-Usage), 0-100",
    multiprocess_mode="mostrecent",
)
WHATSAPP_REGAIN_SECONDS = Gauge(
    "hotelero_whatsapp_regain_access_seconds",
    "Meta's estimated time to regain access after throttling (X-Business-Use-Case-Usage), 0 when not throttled",
    multiprocess_mode="mostrecent",
)
WHATSAPP_THROUGHPUT_LIMIT = Gauge(
    "hotelero_whatsapp_throughput_limit_mps",
    "The phone number's send throughput limit in messages per second (AGENT_WHATSAPP_THROUGHPUT_MPS)",
    multiprocess_mode="max",
)


def observe_usage_header(value: str | None) -> None:
    """Read Meta's X-Business-Use-Case-Usage header: {business_id: [{call_count, total_cputime, total_time,
    estimated_time_to_regain_access (minutes)}, ...]} (developers.facebook.com/docs/graph-api/overview/rate-limiting).
    """
    if not value:
        return
    import orjson

    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        return
    usage, regain = 0.0, 0.0
    entries = [e for v in data.values() if isinstance(v, list) for e in v] if isinstance(data, dict) else []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for key in ("call_count", "total_cputime", "total_time"):
            if isinstance(entry.get(key), int | float):
                usage = max(usage, float(entry[key]))
        if isinstance(entry.get("estimated_time_to_regain_access"), int | float):
            regain = max(regain, 60.0 * entry["estimated_time_to_regain_access"])
    if entries:
        WHATSAPP_USAGE.set(usage)
        WHATSAPP_REGAIN_SECONDS.set(regain)


def observe_graph_error(code: int | None) -> None:
    """Count a refusal for going too fast (130429 throughput, 131056 pair rate, 4/80007 app and BUC limits)."""
    if code is not None and str(code) in THROTTLE_CODES:
        WHATSAPP_THROTTLED.labels(code=str(code)).inc()


# ---- database pool, dependencies, PMS circuit ---------------------------------------------------------------------

DB_POOL_SIZE = Gauge(
    "hotelero_db_pool_connections",
    "Connections open in the Postgres pools of live processes",
    multiprocess_mode="livesum",
)
DB_POOL_IN_USE = Gauge(
    "hotelero_db_pool_connections_in_use", "Pool connections lent out right now", multiprocess_mode="livesum"
)
DB_POOL_WAITING = Gauge(
    "hotelero_db_pool_requests_waiting", "Requests queued for a pool connection right now", multiprocess_mode="livesum"
)
DB_POOL_MAX = Gauge(
    "hotelero_db_pool_max_connections",
    "Configured pool ceiling, summed over live processes",
    multiprocess_mode="livesum",
)
DEPENDENCY_UP = Gauge(
    "hotelero_dependency_up",
    "1 when the dependency answered the scrape-time check (postgres, redis), else 0",
    ["dependency"],
    multiprocess_mode="mostrecent",
)

CIRCUIT_STATES = ("closed", "half_open", "open")
# 1 on the breaker's current state; across processes the max says whether any process is in that state.
PMS_CIRCUIT = Gauge(
    "hotelero_pms_circuit_state",
    "QloApps circuit breaker state: 1 on the current state",
    ["state"],
    multiprocess_mode="livemax",
)
PMS_CIRCUIT_TRANSITIONS = Counter("hotelero_pms_circuit_transitions_total", "Circuit breaker transitions", ["to"])


def set_circuit_state(state: str) -> None:
    """Mark the breaker's current state (one of CIRCUIT_STATES)."""
    for name in CIRCUIT_STATES:
        PMS_CIRCUIT.labels(state=name).set(1 if name == state else 0)


BUILD_INFO = Gauge(
    "hotelero_build_info",
    "Always 1; labels say which build runs",
    ["version", "commit", "python"],
    multiprocess_mode="max",
)


def _commit() -> str:
    """HOTELERO_COMMIT, else the checkout's HEAD, else 'unknown' (an installed wheel has no checkout)."""
    given = os.environ.get("HOTELERO_COMMIT")
    if given:
        return given[:12]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(  # noqa: S603, S607 - fixed argv, read-only
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=2,
        )
        if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{12}", out.stdout.strip()):
            return out.stdout.strip()
    return "unknown"


def publish_build_info(throughput_mps: float) -> None:
    """Set the per-process constants: build labels and the configured WhatsApp throughput."""
    try:
        version = importlib.metadata.version("hotelero")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    BUILD_INFO.labels(version=version, commit=_commit(), python=platform.python_version()).set(1)
    WHATSAPP_THROUGHPUT_LIMIT.set(throughput_mps)
    # A mostrecent gauge never set is not exported at all; these read 0 until Meta reports usage.
    WHATSAPP_USAGE.set(0)
    WHATSAPP_REGAIN_SECONDS.set(0)


class PoolSampler:
    """Copies the Postgres pool's statistics into gauges every `interval_s` (psycopg_pool `get_stats()`)."""

    def __init__(self, pool: Any, max_size: int, interval_s: float = 1.0) -> None:
        self._pool = pool
        self._max = max_size
        self._interval = interval_s
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        stats = self._pool.get_stats()
        size = stats.get("pool_size", 0)
        DB_POOL_SIZE.set(size)
        DB_POOL_IN_USE.set(max(0, size - stats.get("pool_available", 0)))
        DB_POOL_WAITING.set(stats.get("requests_waiting", 0))
        DB_POOL_MAX.set(self._max)

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for gauge in (DB_POOL_SIZE, DB_POOL_IN_USE, DB_POOL_WAITING, DB_POOL_MAX):
            gauge.set(0)


# ---- exposition -------------------------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    """The shared directory when multiprocess mode is on, else None."""
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_dir(path: Path) -> None:
    """Create `path` empty of metric files: values left by an earlier run would be added to this one's."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def _forget_dead_processes(path: str) -> None:
    # Live gauges of a process that died without a clean exit (SIGKILL) would otherwise count forever.
    pids = {
        m.group(1) for f in glob.glob(os.path.join(path, "gauge_live*_*.db")) if (m := re.search(r"_(\d+)\.db$", f))
    }
    for pid in pids:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(int(pid), path)
        except PermissionError:
            pass


def exposition() -> bytes:
    """The text Prometheus scrapes: every process's metrics when multiprocess mode is on, this one's otherwise."""
    path = multiprocess_dir()
    if path is None:
        return generate_latest(REGISTRY)
    _forget_dead_processes(path)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path)
    return generate_latest(registry)


def process_exited() -> None:
    """Drop this process's live gauges on a clean exit (its counters and histograms keep counting)."""
    path = multiprocess_dir()
    if path is not None:
        multiprocess.mark_process_dead(os.getpid(), path)
