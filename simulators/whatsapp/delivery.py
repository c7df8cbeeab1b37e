"""Delivery engine: verification handshake, signed webhook POSTs, retries with backoff, delivery faults."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from typing import Any

import aiohttp

from simulators.whatsapp.clock import SimClock
from simulators.whatsapp.config import SimSettings
from simulators.whatsapp.faults import FaultInjector
from simulators.whatsapp.journal import Journal
from simulators.whatsapp.metrics import SimMetrics
from simulators.whatsapp.payloads import WebhookEvent, envelope
from simulators.whatsapp.state import Attempt
from simulators.whatsapp.wire import meta_bytes, sign


class DeliveryEngine:
    """Sends webhook events to the business, at least once, as Meta does."""

    def __init__(
        self, settings: SimSettings, clock: SimClock, journal: Journal, metrics: SimMetrics, faults: FaultInjector
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.journal = journal
        self.metrics = metrics
        self.faults = faults
        self.verified = asyncio.Event()
        self.session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._handshake_task: asyncio.Task[None] | None = None
        self._batch: list[WebhookEvent] = []
        self._batch_handle: asyncio.TimerHandle | None = None
        # Separate slot pools: a backlog of status webhooks never delays a guest message's webhook.
        self._sem_messages = asyncio.Semaphore(settings.delivery.concurrency)
        self._sem_statuses = asyncio.Semaphore(settings.delivery.concurrency)
        self._rng = random.Random(settings.seed)
        self.pending = 0
        self.on_change: Callable[[], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        d = self.settings.delivery
        connector = aiohttp.TCPConnector(limit=2 * d.concurrency, ttl_dns_cache=300, enable_cleanup_closed=True)
        self.session = aiohttp.ClientSession(connector=connector, skip_auto_headers=("User-Agent",))
        self.restart_handshake()

    async def stop(self) -> None:
        if self._handshake_task:
            self._handshake_task.cancel()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
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
            self.verified.set()
            return
        self._handshake_task = asyncio.get_running_loop().create_task(self._handshake_loop())

    def cancel_pending(self) -> None:
        """Drop queued and retrying deliveries (used by /_sim/reset)."""
        for task in list(self._tasks):
            task.cancel()
        self._batch.clear()
        if self._batch_handle:
            self._batch_handle.cancel()
            self._batch_handle = None

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
                self.verified.set()
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
        self._spawn([event], self.faults.webhook_delay_s())

    def _flush_batch(self) -> None:
        if self._batch_handle:
            self._batch_handle.cancel()
            self._batch_handle = None
        events, self._batch = self._batch, []
        if events:
            self._spawn(events, self.faults.webhook_delay_s())

    def _spawn(self, events: list[WebhookEvent], delay_s: float) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(events, delay_s))
        self._tasks.add(task)
        self.pending += 1
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self.pending -= 1

    # -- delivery ----------------------------------------------------------------------------
    async def _deliver(self, events: list[WebhookEvent], delay_s: float) -> None:
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        if not self.verified.is_set():
            await self.verified.wait()
        body = meta_bytes(envelope(events, self.settings))
        signature = sign(self.settings.app_secret, body)
        refs = tuple(e.ref for e in events)  # a tuple of strings: the GC stops tracking journal entries
        delays: list[float] | None = None
        attempt = 0
        while True:
            status = await self._post(body, signature, events, refs, attempt + 1)
            if status == 200:
                for ev in events:
                    if ev.inbound is not None and ev.inbound.acknowledged_at_ms is None:
                        ev.inbound.acknowledged_at_ms = self.clock.now_ms()
                if self.faults.chance(self.faults.faults.duplicate_rate):
                    # Meta's at-least-once delivery: the same bytes again after a success.
                    await asyncio.sleep(self.faults.faults.duplicate_delay_ms / 1000.0)
                    await self._post(body, signature, events, refs, attempt + 2, duplicate=True)
                return
            if delays is None:
                delays = self.settings.delivery.retry.delays()  # only computed when a retry is needed
            if attempt >= len(delays):
                now = self.clock.now_ms()
                for ev in events:
                    if ev.inbound is not None:
                        ev.inbound.gave_up_at_ms = now
                self.metrics.webhook_give_ups.inc()
                self.journal.add("webhook_give_up", refs=refs, attempts=attempt + 1, last_status=status)
                return
            await asyncio.sleep(delays[attempt])
            attempt += 1

    async def _post(
        self,
        body: bytes,
        signature: str,
        events: list[WebhookEvent],
        refs: tuple[str, ...],
        number: int,
        duplicate: bool = False,
    ) -> int | None:
        d = self.settings.delivery
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature,
            "User-Agent": d.user_agent,
        }
        queued_at = self.clock.now_ms()
        has_message = any(ev.kind == "message" for ev in events)
        async with self._sem_messages if has_message else self._sem_statuses:
            self.metrics.in_flight.inc()
            t0 = self.clock.now_ms()
            status: int | None = None
            error: str | None = None
            try:
                assert self.session is not None
                async with self.session.post(
                    self.settings.webhook_url or "",
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=d.timeout_s),
                ) as resp:
                    await resp.read()
                    status = resp.status
            except TimeoutError:
                error = f"timeout after {d.timeout_s}s"
            except (aiohttp.ClientError, ValueError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            finally:
                self.metrics.in_flight.dec()
        latency = round(self.clock.now_ms() - t0, 3)
        # slot_wait_ms: time spent waiting for a free delivery slot (all slots busy = the receiver is slow).
        attempt = Attempt(
            at_ms=t0, status=status, latency_ms=latency, error=error, slot_wait_ms=round(t0 - queued_at, 3)
        )
        for ev in events:
            if ev.inbound is not None:
                if not ev.inbound.attempts:
                    self.metrics.dispatch_lag.observe(max(0.0, (t0 - ev.inbound.at_ms) / 1000.0))
                ev.inbound.add_attempt(attempt)
        outcome = "ok" if status == 200 else ("error" if status is None else "non_200")
        self.metrics.webhook_attempts.labels(outcome=outcome).inc()
        self.metrics.webhook_latency.observe(latency / 1000.0)
        self.journal.add(
            "webhook",
            refs=refs,
            attempt=number,
            duplicate=duplicate,
            status=status,
            error=error,
            latency_ms=latency,
            sent_at_ms=t0,
            slot_wait_ms=attempt.slot_wait_ms,
            bytes=len(body),
        )
        if self.on_change is not None:
            self.on_change()
        return status
