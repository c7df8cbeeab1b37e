"""Delivery engine: verification handshake, signed webhook POSTs, retries with backoff, delivery faults."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import aiohttp

from hotpath.client import Response
from simulators.whatsapp.clock import SimClock
from simulators.whatsapp.config import SimSettings
from simulators.whatsapp.faults import FaultInjector
from simulators.whatsapp.journal import Journal
from simulators.whatsapp.metrics import SimMetrics
from simulators.whatsapp.payloads import WebhookEvent, envelope
from simulators.whatsapp.sender import WebhookSender
from simulators.whatsapp.state import Attempt
from simulators.whatsapp.wire import meta_bytes, sign

Pool = Literal["messages", "statuses"]


@dataclass(eq=False)
class Delivery:
    """One webhook notification (one or several events) and its attempts so far."""

    events: list[WebhookEvent]
    pool: Pool
    generation: int
    body: bytes = b""
    signature: str = ""
    refs: tuple[str, ...] = ()
    attempts: int = 0
    duplicate: bool = False
    queued_at_ms: float = 0.0
    # True when every slot of the pool was busy at enqueue time (so the wait is the receiver's slowness).
    all_busy: bool = False
    delays: list[float] | None = field(default=None)


class DeliveryEngine:
    """Sends webhook events to the business, at least once, as Meta does.

    Two pools of `delivery.concurrency` slots (guest messages, statuses), each with its own backlog, so a
    backlog of statuses never delays a guest's message. A notification with a free slot is POSTed at once,
    from the call that queued it (its bytes leave before the guest's send is even answered); the answer
    is a callback. Retries and delay faults are timers that put a notification back; nothing sleeps.
    """

    def __init__(
        self, settings: SimSettings, clock: SimClock, journal: Journal, metrics: SimMetrics, faults: FaultInjector
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.journal = journal
        self.metrics = metrics
        self.faults = faults
        self.verified = asyncio.Event()
        # aiohttp for the rare handshake GET; the raw keep-alive sender for every webhook POST.
        self.session: aiohttp.ClientSession | None = None
        self.sender = WebhookSender()
        self._backlog: dict[Pool, deque[Delivery]] = {"messages": deque(), "statuses": deque()}
        self._stopped = False
        self._timers: set[asyncio.TimerHandle] = set()
        self._handshake_task: asyncio.Task[None] | None = None
        self._batch: list[WebhookEvent] = []
        self._batch_handle: asyncio.TimerHandle | None = None
        self._rng = random.Random(settings.seed)
        self._generation = 0
        self._busy: dict[Pool, int] = {"messages": 0, "statuses": 0}
        self.pending = 0
        self.in_flight = 0
        metrics.in_flight.set_function(lambda: self.in_flight)  # read at scrape time, not kept per POST
        self.on_change: Callable[[], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=2, ttl_dns_cache=300, enable_cleanup_closed=True)
        self.session = aiohttp.ClientSession(connector=connector, skip_auto_headers=("User-Agent",))
        self._stopped = False
        self.restart_handshake()

    async def stop(self) -> None:
        if self._handshake_task:
            self._handshake_task.cancel()
        self.cancel_pending()
        self._stopped = True
        self.sender.close()
        if self.session is not None:
            await self.session.close()

    def restart_handshake(self) -> None:
        """(Re)verify the callback URL; deliveries wait until a handshake succeeds."""
        self.verified.clear()
        if self._handshake_task:
            self._handshake_task.cancel()
        if not self.settings.webhook_url:
            return
        if not self.settings.delivery.verify:
            self._set_verified()
            return
        self._handshake_task = asyncio.get_running_loop().create_task(self._handshake_loop())

    def cancel_pending(self) -> None:
        """Drop queued, delayed and retrying deliveries (used by /_sim/reset); in-flight POSTs finish alone."""
        self._generation += 1
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for backlog in self._backlog.values():
            backlog.clear()
        self._batch.clear()
        if self._batch_handle:
            self._batch_handle.cancel()
            self._batch_handle = None
        self.pending = 0

    async def _handshake_loop(self) -> None:
        d = self.settings.delivery
        wait = d.handshake_retry_s
        while True:
            challenge = str(self._rng.randrange(10**8, 2 * 10**9))
            params = {
                "hub.mode": "subscribe",
                "hub.challenge": challenge,
                "hub.verify_token": self.settings.verify_token,
            }
            t0 = self.clock.now_ms()
            status, body, error = None, "", None
            try:
                assert self.session is not None
                async with self.session.get(
                    self.settings.webhook_url or "",
                    params=params,
                    headers={"User-Agent": d.user_agent},
                    timeout=aiohttp.ClientTimeout(total=d.timeout_s),
                ) as resp:
                    status = resp.status
                    body = (await resp.read()).decode("utf-8", "replace")[:200]
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            ok = status == 200 and body == challenge
            self.journal.add(
                "handshake",
                url=self.settings.webhook_url,
                challenge=challenge,
                status=status,
                body=body,
                ok=ok,
                error=error,
                latency_ms=round(self.clock.now_ms() - t0, 3),
            )
            if ok:
                self._set_verified()
                return
            await asyncio.sleep(wait)
            wait = min(wait * 2, d.handshake_retry_max_s)

    # -- submission --------------------------------------------------------------------------
    def submit(self, event: WebhookEvent) -> None:
        """Queue one event for delivery, applying delay / reorder / batch faults."""
        if not self.settings.webhook_url:
            self.journal.add("webhook_skipped", reason="no webhook_url configured", ref=event.ref)
            return
        f = self.faults.faults
        if f.batch_size > 1:
            self._batch.append(event)
            if len(self._batch) >= f.batch_size:
                self._flush_batch()
            elif self._batch_handle is None:
                loop = asyncio.get_running_loop()
                self._batch_handle = loop.call_later(f.batch_window_ms / 1000.0, self._flush_batch)
            return
        self._new([event])

    def _flush_batch(self) -> None:
        if self._batch_handle:
            self._batch_handle.cancel()
            self._batch_handle = None
        events, self._batch = self._batch, []
        if events:
            self._new(events)

    def _new(self, events: list[WebhookEvent]) -> None:
        pool: Pool = "messages" if any(ev.kind == "message" for ev in events) else "statuses"
        delivery = Delivery(events, pool, self._generation)
        self.pending += 1
        self._enqueue_after(delivery, self.faults.webhook_delay_s())

    def _enqueue_after(self, delivery: Delivery, delay_s: float) -> None:
        if delay_s <= 0:
            self._enqueue(delivery)
            return
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            self._enqueue(delivery)

        handle = asyncio.get_running_loop().call_later(delay_s, fire)
        self._timers.add(handle)

    def _enqueue(self, delivery: Delivery) -> None:
        if delivery.generation != self._generation or self._stopped:
            return  # dropped by /_sim/reset
        delivery.queued_at_ms = self.clock.now_ms()
        pool = delivery.pool
        delivery.all_busy = self._busy[pool] >= self.settings.delivery.concurrency
        backlog = self._backlog[pool]
        if backlog or delivery.all_busy or not self.verified.is_set():
            backlog.append(delivery)
        else:
            self._start(delivery)

    def _set_verified(self) -> None:
        self.verified.set()
        for pool in self._backlog:
            self._pump(pool)

    def _pump(self, pool: Pool) -> None:
        """Start backlogged notifications while the pool has free slots (oldest first)."""
        backlog = self._backlog[pool]
        concurrency = self.settings.delivery.concurrency
        while backlog and self._busy[pool] < concurrency and self.verified.is_set() and not self._stopped:
            delivery = backlog.popleft()
            if delivery.generation == self._generation:
                self._start(delivery)

    def _finish(self, delivery: Delivery) -> None:
        if delivery.generation == self._generation and not delivery.duplicate:
            self.pending -= 1

    # -- delivery ----------------------------------------------------------------------------
    def _start(self, delivery: Delivery) -> None:
        """Take a slot and send one attempt now; `_answered` runs when it ends."""
        pool = delivery.pool
        self._busy[pool] += 1
        try:
            if not delivery.body:
                delivery.body = meta_bytes(envelope(delivery.events, self.settings))
                delivery.signature = sign(self.settings.app_secret, delivery.body)
                # A tuple of strings: the GC stops tracking the journal entries that hold it.
                delivery.refs = tuple(e.ref for e in delivery.events)
            delivery.attempts += 1
            d = self.settings.delivery
            t0 = self.clock.now_ms()
            sent = self.sender.send(
                self.settings.webhook_url or "", d.user_agent, delivery.body, delivery.signature, d.timeout_s
            )
        except Exception as exc:  # noqa: BLE001 - a bug here must not leak the slot
            self._busy[pool] -= 1
            self._failed(delivery, exc)
            return
        self.in_flight += 1
        sent.add_done_callback(lambda fut: self._answered(delivery, t0, fut))

    def _answered(self, delivery: Delivery, t0: float, fut: asyncio.Future[Response]) -> None:
        self.in_flight -= 1
        self._busy[delivery.pool] -= 1
        if self._stopped:
            return
        d = self.settings.delivery
        status: int | None = None
        error: str | None = None
        try:
            try:
                status = fut.result().status
            except TimeoutError:
                error = f"timeout after {d.timeout_s}s"
            except (ValueError, OSError, asyncio.CancelledError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            self._record(delivery, t0, status, error)
            self._conclude(delivery, status)
        except Exception as exc:  # noqa: BLE001 - a bug here must not stop the pool
            self._failed(delivery, exc)
        finally:
            self._pump(delivery.pool)

    def _failed(self, delivery: Delivery, exc: BaseException) -> None:
        self.journal.add("webhook_error", refs=delivery.refs, error=f"{type(exc).__name__}: {exc}"[:300])
        self._finish(delivery)

    def _conclude(self, delivery: Delivery, status: int | None) -> None:
        """After an attempt: acknowledged (maybe duplicated), retried on schedule, or given up."""
        if delivery.duplicate:
            return
        if status == 200:
            now = self.clock.now_ms()
            for ev in delivery.events:
                if ev.inbound is not None and ev.inbound.acknowledged_at_ms is None:
                    ev.inbound.acknowledged_at_ms = now
            if self.faults.chance(self.faults.faults.duplicate_rate):
                # Meta's at-least-once delivery: the same bytes again after a success.
                dup = Delivery(
                    delivery.events,
                    delivery.pool,
                    delivery.generation,
                    delivery.body,
                    delivery.signature,
                    delivery.refs,
                    delivery.attempts,
                    duplicate=True,
                )
                self._enqueue_after(dup, self.faults.faults.duplicate_delay_ms / 1000.0)
            self._finish(delivery)
            return
        if delivery.delays is None:
            delivery.delays = self.settings.delivery.retry.delays()  # only computed when a retry is needed
        if delivery.attempts > len(delivery.delays):
            now = self.clock.now_ms()
            for ev in delivery.events:
                if ev.inbound is not None:
                    ev.inbound.gave_up_at_ms = now
            self.metrics.webhook_give_ups.inc()
            self.journal.add("webhook_give_up", refs=delivery.refs, attempts=delivery.attempts, last_status=status)
            self._finish(delivery)
            return
        self._enqueue_after(delivery, delivery.delays[delivery.attempts - 1])

    def _record(self, delivery: Delivery, t0: float, status: int | None, error: str | None) -> None:
        """One attempt into the guest's timeline, the metrics and the journal."""
        latency = round(self.clock.now_ms() - t0, 3)
        # slot_wait_ms: time queued because every slot of the pool was busy (the receiver is slow).
        attempt = Attempt(
            at_ms=t0,
            status=status,
            latency_ms=latency,
            error=error,
            slot_wait_ms=round(max(0.0, t0 - delivery.queued_at_ms), 3) if delivery.all_busy else 0.0,
        )
        for ev in delivery.events:
            if ev.inbound is not None:
                if not ev.inbound.attempts:
                    self.metrics.dispatch_lag.observe(max(0.0, (t0 - ev.inbound.at_ms) / 1000.0))
                ev.inbound.add_attempt(attempt)
        outcome = "ok" if status == 200 else ("error" if status is None else "non_200")
        self.metrics.count(self.metrics.webhook_attempts, outcome)
        self.metrics.webhook_latency.observe(latency / 1000.0)
        self.journal.add(
            "webhook",
            refs=delivery.refs,
            attempt=delivery.attempts + (1 if delivery.duplicate else 0),
            duplicate=delivery.duplicate,
            status=status,
            error=error,
            latency_ms=latency,
            sent_at_ms=t0,
            slot_wait_ms=attempt.slot_wait_ms,
            bytes=len(delivery.body),
        )
        if self.on_change is not None:
            self.on_change()
