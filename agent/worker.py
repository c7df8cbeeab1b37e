"""The worker: claims guests' oldest pending messages, asks the responder, sends replies exactly once per index.

One dispatcher per process claims in batches (FOR UPDATE SKIP LOCKED) up to the free concurrency slots; each claim
is a per-guest lease kept alive by a heartbeat. Several processes can share one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import secrets
from datetime import timedelta
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout

from agent import inbox, metrics
from agent.clock import Clock, SystemClock
from agent.graph import REENGAGEMENT_CODE, GraphClient, GraphError
from agent.logs import bind_wamid, describe_error, mask_phone
from agent.outbound import Template, Text, expand
from agent.ratelimit import GuestRateLimiter
from agent.responder import GuestRef, Responder, Turn
from agent.settings import Settings

log = logging.getLogger(__name__)

NOTICES = {
    "rate_limited": {
        "es": "Estás enviando muchos mensajes seguidos. Dame un momento y te respondo en cuanto pueda.",
        "en": "You are sending many messages in a row. Give me a moment and I will answer as soon as I can.",
    },
    "apology": {
        "es": "Lo siento, no he podido procesar tu mensaje. Una persona del equipo lo revisará y te contestará.",
        "en": "Sorry, I could not process your message. A member of staff will look at it and reply.",
    },
}


class Worker:
    """Runs the inbox: `run()` until `stop()`; `wake()` after new work was committed."""

    def __init__(
        self,
        settings: Settings,
        pool: AsyncConnectionPool,
        redis: Redis,
        graph: GraphClient,
        responder: Responder,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.redis = redis
        self.graph = graph
        self.responder = responder
        self.clock = clock or SystemClock()
        self.owner = f"w-{secrets.token_hex(6)}"
        self.limiter = GuestRateLimiter(redis, settings.rate_limit_messages, settings.rate_limit_window_seconds)
        self._event = asyncio.Event()
        self._stopping = False
        self._inflight: set[asyncio.Task[None]] = set()
        # In-flight claims by inbound id, with when (event loop time, like asyncio.sleep) their lease is next renewed.
        self._leases: dict[int, tuple[inbox.Claim, float]] = {}
        self._capped = False
        self._tasks: list[asyncio.Task[None]] = []
        self._ticker: asyncio.Task[None] | None = None
        self._rng = random.Random()

    # -- lifecycle -------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """New work may be claimable (a commit, a NOTIFY, a finished guest)."""
        self._event.set()

    def start(self) -> None:
        """Start the dispatcher, the LISTEN loop and the ticker (poll, lease renewals) as background tasks."""
        self._tasks = [asyncio.create_task(self._dispatch()), asyncio.create_task(self._listen())]
        self._ticker = asyncio.create_task(self._tick())

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop claiming; let in-flight turns finish for up to `grace_s` (unfinished leases expire, get reclaimed)."""
        self._stopping = True
        self.wake()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._inflight:
            _, pending = await asyncio.wait(self._inflight, timeout=grace_s)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._ticker is not None:  # last: it renews the leases of the turns finishing above
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._ticker

    async def run(self) -> None:
        """Run until cancelled (for `hotelero agent worker`)."""
        self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

    async def _listen(self) -> None:
        # Other processes' webhooks commit work too: Postgres NOTIFY wakes us without waiting for the poll.
        while not self._stopping:
            try:
                async with await psycopg.AsyncConnection.connect(self.settings.database_url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {inbox.NOTIFY_CHANNEL}")
                    async for _ in conn.notifies():
                        self.wake()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # reconnect after a database restart
                log.warning("inbox LISTEN failed, retrying", extra={"error": str(exc)})
                await asyncio.sleep(1.0)

    async def _dispatch(self) -> None:
        lease = timedelta(seconds=self.settings.lease_seconds)
        while not self._stopping:
            self._event.clear()
            free = self.settings.worker_concurrency - len(self._inflight)
            claims: list[inbox.Claim] = []
            if free > 0:
                try:
                    claims = await inbox.claim(self.pool, self.owner, free, self.clock.now(), lease)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.error("claim failed", extra={"error": describe_error(exc)})
                    if isinstance(exc, psycopg.OperationalError):
                        # The database restarted: drop the pool's dead connections now, not one failure at a time.
                        with contextlib.suppress(Exception):
                            await self.pool.check()
                    await asyncio.sleep(0.25)
                    continue
                beat = asyncio.get_running_loop().time() + self.settings.lease_seconds / 3
                for claim in claims:
                    metrics.LEASES_TAKEN.inc()
                    metrics.LEASES_ACTIVE.inc()
                    self._leases[claim.inbound_id] = (claim, beat)
                    task = asyncio.create_task(self._process(claim))
                    self._inflight.add(task)
                    task.add_done_callback(functools.partial(self._done, claim))
                # All slots filled: more may be claimable as soon as a turn ends.
                self._capped = bool(claims) and len(claims) == free
                if self._capped:
                    continue
            await self._event.wait()  # a commit, a NOTIFY, a finished guest or the ticker's poll

    async def _tick(self) -> None:
        """Every poll interval: wake the dispatcher (work may have become due) and renew the leases due.

        One task for all turns instead of a heartbeat task per turn (most turns end long before their first renewal).
        """
        period = self.settings.lease_seconds / 3
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self.settings.poll_interval_seconds, period / 2))
            self.wake()
            now = loop.time()
            for inbound_id, (claim, beat) in list(self._leases.items()):
                if beat > now or inbound_id not in self._leases:
                    continue
                self._leases[inbound_id] = (claim, now + period)
                await self._renew(claim)

    async def _renew(self, claim: inbox.Claim) -> None:
        until = self.clock.now() + timedelta(seconds=self.settings.lease_seconds)
        try:
            kept = await inbox.extend_lease(self.pool, claim.guest, claim.lease_token, until)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is down: try again at the next tick; the turn goes on
            log.warning("lease renewal failed", extra={"error": describe_error(exc)})
            return
        if not kept and self._leases.pop(claim.inbound_id, None) is not None:
            metrics.LEASES_LOST.inc()
            log.warning("lease lost while processing", extra={"guest": mask_phone(claim.guest)})

    def _done(self, claim: inbox.Claim, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._leases.pop(claim.inbound_id, None)
        metrics.LEASES_ACTIVE.dec()
        # A claim that would find nothing costs a round trip: claim again only when something may be waiting.
        if self._capped or claim.more_pending:
            self.wake()

    # -- one item --------------------------------------------------------------------------------------------

    async def _process(self, claim: inbox.Claim) -> None:
        bind_wamid(claim.wamid)
        started = self.clock.monotonic()
        metrics.QUEUE_SECONDS.observe(max(0.0, (self.clock.now() - claim.received_at).total_seconds()))
        try:
            if claim.kind == "status":
                outcome = await self._handle_failed_status(claim)
            else:
                outcome = await self._handle_message(claim)
            if not await inbox.finish(self.pool, claim, outcome, self.clock.now()):
                # Our replies are recorded as sent; the message stays pending for the new holder, which finishes it
                # (and counts it) without sending those replies again.
                metrics.LEASES_LOST.inc()
                log.warning("lease lost before finishing; the new holder finishes it",
                            extra={"guest": mask_phone(claim.guest)})  # fmt: skip
                return
            metrics.MESSAGES.labels(type=claim.type, outcome=outcome).inc()
            log.info(
                "processed", extra={"guest": mask_phone(claim.guest), "outcome": outcome, "attempt": claim.attempts}
            )
        except inbox.EarlierMessagePending:
            # Answered in the guest's order: the earlier message first, then this one again, in its context.
            await inbox.schedule_retry(self.pool, claim, "yielded to an earlier message of the guest", self.clock.now())
            metrics.MESSAGES.labels(type=claim.type, outcome="yielded").inc()
            log.info("yielded to an earlier message", extra={"guest": mask_phone(claim.guest)})
        except asyncio.CancelledError:
            # Shutting down past the grace period: keep what was sent so the reclaim does not send it again.
            with contextlib.suppress(Exception):
                await asyncio.shield(inbox.record_sent(self.pool, claim.sent, self.clock.now()))
            raise
        except Exception as exc:
            await self._failed(claim, exc)
        finally:
            metrics.PROCESSING_SECONDS.observe(self.clock.monotonic() - started)

    async def _failed(self, claim: inbox.Claim, exc: Exception) -> None:
        error = describe_error(exc)
        # Without Postgres the failure cannot be recorded: keep trying while our lease lasts, so the guest is
        # freed as soon as the database is back instead of when the lease expires.
        deadline = self.clock.monotonic() + self.settings.lease_seconds
        while True:
            try:
                await self._record_failure(claim, error, _unavailable(exc))
                return
            except Exception as inner:
                if self._stopping or self.clock.monotonic() >= deadline:
                    log.error("could not record failure", extra={"error": describe_error(inner), "original": error})
                    return
                await asyncio.sleep(0.5)

    async def _record_failure(self, claim: inbox.Claim, error: str, unavailable: bool = False) -> None:
        """Record what was sent, then retry later with backoff or dead-letter after the last attempt.

        `unavailable`: the database or Redis failed, not this message: retry soon (no growing backoff), so the
        backlog drains as soon as the dependency is back."""
        # Whatever went out before the failure must never go out again.
        await inbox.record_sent(self.pool, claim.sent, self.clock.now())
        claim.sent.clear()
        if claim.attempts >= self.settings.max_attempts:
            await self._dead_letter(claim, error)
            return
        growth = 0 if unavailable else claim.attempts - 1
        delay = min(self.settings.retry_max_seconds, self.settings.retry_base_seconds * 2**growth)
        delay = self._rng.uniform(delay / 2, delay)
        await inbox.schedule_retry(self.pool, claim, error, self.clock.now() + timedelta(seconds=delay))
        metrics.RETRIES.inc()
        metrics.MESSAGES.labels(type=claim.type, outcome="retry").inc()
        log.warning(
            "processing failed, will retry",
            extra={"error": error, "attempt": claim.attempts, "retry_in_s": round(delay, 2)},
        )

    async def _dead_letter(self, claim: inbox.Claim, error: str) -> None:
        apology = None
        if claim.kind == "message":  # dead_letter decides whether one is owed (one per guest per hour)
            apology = Text(NOTICES["apology"][claim.language if claim.language in ("es", "en") else "es"]).payload()
        reply = await inbox.dead_letter(self.pool, claim, error, apology, self.clock.now())
        metrics.DEAD_LETTERS.inc()
        metrics.MESSAGES.labels(type=claim.type, outcome="dead").inc()
        log.error("dead-lettered", extra={"error": error, "attempts": claim.attempts, "guest": mask_phone(claim.guest)})
        if reply is not None:
            try:
                await self._send_all(claim, [reply], "apology")
            except Exception as exc:
                log.error("apology not sent", extra={"error": str(exc)})
            await inbox.record_sent(self.pool, claim.sent, self.clock.now())

    def _recipient(self, claim: inbox.Claim) -> dict[str, str]:
        if claim.wa_id:
            return {"to": claim.wa_id}
        if claim.user_id:
            return {"recipient": claim.user_id}
        return {"to": claim.guest}

    async def _send_all(
        self, claim: inbox.Claim, replies: list[inbox.PlannedReply], flow: str | None = None
    ) -> list[GraphError]:
        """Send unsent replies in order; refused ones are recorded and skipped, transient failures raise.

        With `flow`, the first reply's acceptance is the guest-felt reply latency of that flow.
        """
        refused: list[GraphError] = []
        for reply in replies:
            if reply.wamid:
                continue
            body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
            body.update(self._recipient(claim))
            body.update(reply.body)
            # Echoed in this reply's statuses: a reclaim after a crash finds out whether it went out.
            body["biz_opaque_callback_data"] = inbox.callback_key(reply.id)
            try:
                # Recorded with `finish`, or by `_failed` if a later step of this attempt fails.
                claim.sent.append((reply.id, await self.graph.send(body)))
                if flow is not None and reply.idx == 0:
                    meta_ts = claim.payload.get("message", {}).get("timestamp")
                    sent_at = metrics.guest_sent_at(meta_ts, claim.received_at)
                    metrics.observe_reply(flow, sent_at, self.clock.now().timestamp())
            except GraphError as exc:
                if exc.retryable:
                    raise
                refused.append(exc)
                await inbox.record_send_failure(self.pool, reply.id, exc.code, str(exc), self.clock.now())
                log.warning("reply refused by Meta", extra={"code": exc.code, "error": exc.message})
        return refused

    async def _mark_read(self, wamid: str) -> None:
        try:
            await self.graph.mark_read(wamid, typing=True)
        except GraphError as exc:
            log.info("mark-read failed", extra={"code": exc.code})

    async def _handle_message(self, claim: inbox.Claim) -> str:
        now = self.clock.now()
        if claim.planned:
            # A retry after the replies were decided: resend what is missing, never decide again.
            refused = await self._send_all(claim, claim.replies or [], metrics.flow_label(claim.state))
            return await self._after_refusals(claim, refused, "resent")
        if claim.needs_human:
            return "human"
        if self._stale(claim):
            metrics.STALE_MESSAGES.inc()
            log.info("stale message recorded, not answered", extra={"guest": mask_phone(claim.guest)})
            return "stale"
        lang = claim.language if claim.language in ("es", "en") else "es"
        window = int(now.timestamp()) // self.settings.rate_limit_window_seconds
        decision = await self.limiter.check(claim.guest, window)
        if not decision.allowed:
            bodies = [Text(NOTICES["rate_limited"][lang]).payload()] if decision.notify else []
            _, planned = await inbox.plan(
                self.pool,
                claim,
                state=claim.state,
                language=lang,
                bodies=bodies,
                origin="notice",
                handoff=False,
                reason="",
                now=now,
            )
            await self._send_all(claim, planned, "notice")
            return "rate_limited"
        reading = asyncio.create_task(self._mark_read(claim.wamid)) if self.settings.mark_read else None
        turn = Turn(
            guest=GuestRef(claim.guest, claim.wa_id, claim.user_id, claim.payload.get("name") or claim.profile_name),
            conversation_id=claim.conversation_id or 0,
            message=claim.view(),
            state=claim.state,
            language=lang,
            clock=self.clock,
            hotel_id=self.settings.hotel_id,
            timezone=self.settings.timezone,
        )
        try:
            result = await self.responder.respond(turn)
        finally:
            if reading is not None:
                await reading
        replies = expand(result.replies)
        _, planned = await inbox.plan(
            self.pool,
            claim,
            state=result.state,
            language=result.language or lang,
            bodies=[r.payload() for r in replies],
            origin="agent",
            handoff=result.handoff,
            reason=result.handoff_reason or ("handoff" if result.handoff else ""),
            now=self.clock.now(),
        )
        if result.handoff:
            metrics.HANDOFFS.labels(reason="responder").inc()
        refused = await self._send_all(claim, planned, metrics.flow_label(result.state))
        outcome = "handoff" if result.handoff else ("replied" if planned else "no_reply")
        return await self._after_refusals(claim, refused, outcome)

    def _stale(self, claim: inbox.Claim) -> bool:
        """Older than the staleness policy by Meta's timestamp: a days-old "tomorrow" is not tomorrow."""
        sent = inbox.meta_seconds(str(claim.payload.get("message", {}).get("timestamp", "")))
        limit = self.settings.stale_message_hours * 3600
        return bool(limit and sent and self.clock.now().timestamp() - sent > limit)

    async def _after_refusals(self, claim: inbox.Claim, refused: list[GraphError], outcome: str) -> str:
        if any(e.code == REENGAGEMENT_CODE for e in refused):
            await self._reengage(claim, "reply refused: outside the 24-hour window (131047)")
            return "window_closed"
        return "refused" if refused else outcome

    async def _reengage(self, claim: inbox.Claim, reason: str) -> None:
        """Outside the 24-hour window: send the approved template if configured, else flag for a human."""
        if self.settings.reengagement_template:
            template = Template(self.settings.reengagement_template, self.settings.reengagement_template_language)
            # Keyed like any reply (inbound wamid + ":fallback", index 0): a retry never sends it twice.
            planned = await inbox.add_replies(
                self.pool, claim.wamid + ":fallback", claim.guest, "fallback", [template.payload()], self.clock.now()
            )
            refused = await self._send_all(claim, planned)
            if not refused:
                return
            reason = f"{reason}; template {template.name} refused"
        await inbox.flag_for_human(self.pool, claim.guest, reason, self.clock.now())
        metrics.HANDOFFS.labels(reason="window_closed").inc()

    async def _handle_failed_status(self, claim: inbox.Claim) -> str:
        if claim.payload.get("code") != REENGAGEMENT_CODE:
            return "recorded"
        failed_wamid = str(claim.payload.get("status", {}).get("id", ""))
        if await inbox.reply_origin(self.pool, failed_wamid) == "fallback":
            # The template itself failed: a person has to take it from here.
            await inbox.flag_for_human(
                self.pool, claim.guest, "re-engagement template failed (131047)", self.clock.now()
            )
            return "handoff"
        await self._reengage(claim, "reply failed: outside the 24-hour window (131047)")
        return "window_closed"


def _unavailable(exc: BaseException) -> bool:
    """A dependency failed (Postgres connection, pool timeout, Redis), not the message itself."""
    return isinstance(exc, psycopg.OperationalError | PoolTimeout | RedisConnectionError | RedisTimeout)
