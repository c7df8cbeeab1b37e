"""Built-in open-model load driver: guest messages through the WhatsApp simulator's control plane.

Message i is scheduled at start + i/rate whatever the agent does (open model, no coordinated
omission). Its guest-visible latency is measured from that intended time: the sender's lag before
posting, plus the simulator's own accepted -> reply-arrived interval (one simulator clock, so no
cross-process clock comparison). A message without a reply within the timeout is a failure whose
latency is the time waited (a lower bound).
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import aiohttp

from validation.runclock import RunClock
from validation.samples import E2ESample

try:  # The loadtests area's one-turn guest scripts carry what a right answer looks like.
    from loadtests.flows import BUILTIN, reply_text
    from loadtests.flows import render as render_turn

    SCRIPTS = [s for s in BUILTIN if len(s.turns) == 1]
except ImportError:  # pragma: no cover - loadtests ships with hotelero
    SCRIPTS = []

# (flow, language, templates); dates are filled so availability questions miss the PMS cache.
FLOWS: list[tuple[str, str, list[str]]] = [
    ("availability", "es", ["¿Tenéis habitación doble del {d1} al {d2}?", "Quiero reservar del {d1} al {d2} para 2"]),
    ("availability", "en", ["Do you have a double room from {d1} to {d2}?", "I'd like to book {d1} to {d2} for 2"]),
    ("faq", "es", ["¿A qué hora es el check-in?", "¿Tenéis parking?", "¿A qué hora es el desayuno?"]),
    ("faq", "en", ["What time is check-out?", "Do you have parking?", "Is breakfast included?"]),
    ("greeting", "es", ["Hola, buenas tardes"]),
    ("greeting", "en", ["Hi there"]),
]
FLOW_WEIGHTS = [3, 2, 2, 1, 1, 1]


@dataclass
class SenderStats:
    """What the sender itself observed, for the run-validity guards."""

    scheduled: int = 0
    posted: int = 0
    refused: int = 0
    lags_ms: list[float] = field(default_factory=list)
    accept_ms: list[float] = field(default_factory=list)
    started_ms: float = 0.0
    schedule_end_ms: float = 0.0

    def achieved_rate(self) -> float:
        seconds = max(1e-9, (self.schedule_end_ms - self.started_ms) / 1000.0)
        return self.posted / seconds


def message_text(flow: str, template: str, rng: random.Random, today: date) -> str:
    """A guest message of a flow; availability dates spread over a year so answers are not all cached."""
    start = today + timedelta(days=rng.randint(3, 360))
    end = start + timedelta(days=rng.randint(1, 6))
    return template.format(d1=start.strftime("%d/%m/%Y"), d2=end.strftime("%d/%m/%Y"))


class GuestPool:
    """Virtual guests registered in the WhatsApp simulator; a guest has at most one message in flight."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, prefix: str) -> None:
        self._session = session
        self._base = base_url
        self._prefix = prefix
        # FIFO: every guest rests as long as possible between messages (Meta's pair rate limit, ~1 per 6 s).
        self._idle: dict[str, deque[str]] = {}
        self._count = 0

    async def _create(self, language: str) -> str:
        self._count += 1
        wa_id = f"{self._prefix}{self._count:06d}"
        body = {"wa_id": wa_id, "profile_name": f"Guest {self._count}", "language": language}
        async with self._session.post(f"{self._base}/_sim/guests", json=body) as response:
            if response.status >= 300:
                raise RuntimeError(f"POST /_sim/guests -> {response.status}: {(await response.text())[:200]}")
        return wa_id

    async def warm(self, language: str, count: int) -> None:
        created = await asyncio.gather(*(self._create(language) for _ in range(count)))
        self._idle.setdefault(language, deque()).extend(created)

    async def take(self, language: str) -> str:
        idle = self._idle.setdefault(language, deque())
        return idle.popleft() if idle else await self._create(language)

    def give_back(self, language: str, wa_id: str) -> None:
        self._idle.setdefault(language, deque()).append(wa_id)


async def send_one(
    session: aiohttp.ClientSession,
    base_url: str,
    clock: RunClock,
    wa_id: str,
    text: str,
    intended_ms: float,
    reply_timeout_s: float,
    stats: SenderStats,
    settle_ms: int = 0,
) -> tuple[bool, float | None, bool, float | None, str | None, list[dict[str, Any]]]:
    """Send one text as a guest and wait for its replies: (ok, latency to the first, censored, ack, error, replies)."""
    post_start = clock.now_ms()
    lag = max(0.0, post_start - intended_ms)
    stats.lags_ms.append(lag)
    try:
        async with session.post(
            f"{base_url}/_sim/guests/{wa_id}/messages", json={"type": "text", "text": text}
        ) as response:
            payload = await response.json(content_type=None) if response.status < 300 else None
            if payload is None:
                stats.refused += 1
                return False, None, False, None, f"simulator refused the message: HTTP {response.status}", []
    except (aiohttp.ClientError, TimeoutError) as exc:
        stats.refused += 1
        return False, None, False, None, f"simulator unreachable: {type(exc).__name__}", []
    stats.posted += 1
    stats.accept_ms.append(clock.now_ms() - post_start)
    wamid = payload.get("wamid", "")
    accepted = payload.get("accepted_at_ms")
    remaining = max(0.1, reply_timeout_s - lag / 1000.0)
    params = {"after": wamid, "timeout": f"{remaining:.3f}", "settle_ms": str(settle_ms)}
    try:
        async with session.get(
            f"{base_url}/_sim/guests/{wa_id}/replies",
            params=params,
            timeout=aiohttp.ClientTimeout(total=remaining + 10),
        ) as response:
            body = await response.json(content_type=None) if response.status < 300 else {}
    except (aiohttp.ClientError, TimeoutError) as exc:
        waited = clock.now_ms() - intended_ms
        return False, waited, True, None, f"waiting for the reply failed: {type(exc).__name__}", []
    timeline = body.get("timeline") or {}
    attempts = timeline.get("attempts") or []
    ack = attempts[0].get("latency_ms") if attempts else None
    replies = body.get("replies") or []
    if not replies:
        return False, lag + remaining * 1000.0, True, ack, "timeout: no reply", []
    first = min(replies, key=lambda r: float(r.get("arrived_at_ms") or 0.0))
    accepted = timeline.get("accepted_at_ms", accepted)
    if accepted is not None and first.get("arrived_at_ms") is not None:
        latency = lag + float(first["arrived_at_ms"]) - float(accepted)
    else:  # pragma: no cover - the contract promises both timestamps
        latency = clock.now_ms() - intended_ms
    return True, latency, False, ack, None, replies


async def run_open_model(
    base_url: str,
    clock: RunClock,
    stage: str,
    rate_per_s: float,
    duration_s: float,
    warmup_s: float,
    reply_timeout_s: float,
    on_sample: Callable[[E2ESample, dict[str, Any] | None], None],
    guest_prefix: str,
    seed: int = 1,
    should_stop: Callable[[], bool] = lambda: False,
    on_schedule: Callable[[float], None] = lambda _intended: None,
) -> SenderStats:
    """Drive `rate_per_s` guest messages for `duration_s`, then wait for the stragglers."""
    rng = random.Random(seed)
    today = date.today()
    stats = SenderStats()
    total = int(rate_per_s * duration_s)
    connector = aiohttp.TCPConnector(limit=1024)
    timeout = aiohttp.ClientTimeout(total=reply_timeout_s + 15, connect=5)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        pool = GuestPool(session, base_url, guest_prefix)
        warm = max(4, min(total, int(rate_per_s * 4)))
        await asyncio.gather(pool.warm("es", warm // 2 + 1), pool.warm("en", warm // 2 + 1))
        start_ms = clock.now_ms() + 50.0
        stats.started_ms = start_ms
        stats.schedule_end_ms = start_ms + duration_s * 1000.0
        tasks: set[asyncio.Task[None]] = set()

        async def one(i: int, intended: float) -> None:
            script = None
            if SCRIPTS:
                script = rng.choice(SCRIPTS)
                flow, language = script.flow, script.language
                text = render_turn(script.turns[0], rng, today, f"Guest {i}", language, str(i))
            else:
                flow, language, templates = rng.choices(FLOWS, weights=FLOW_WEIGHTS)[0]
                text = message_text(flow, rng.choice(templates), rng, today)
            wa_id = await pool.take(language)
            try:
                ok, latency, censored, ack, error, replies = await send_one(
                    session,
                    base_url,
                    clock,
                    wa_id,
                    text,
                    intended,
                    reply_timeout_s,
                    stats,
                    settle_ms=150 if script else 0,
                )
            finally:
                pool.give_back(language, wa_id)
            degraded = False
            if ok and script is not None:
                words = "\n".join(reply_text(r.get("message") or {}) for r in replies)
                wrong = script.turns[0].expect.judge(words)
                if wrong:
                    # Answered, but not what the guest asked for (e.g. "cannot check now" while the PMS is down).
                    ok, degraded, error = False, True, f"{wrong}; reply={words[:100]!r}"
            sample = E2ESample(
                stage=stage,
                flow=flow,
                language=language,
                intended_ms=round(intended, 1),
                ok=ok,
                latency_ms=None if latency is None else round(latency, 2),
                censored=censored,
                ack_latency_ms=None if ack is None else round(float(ack), 2),
                error=error,
                warmup=intended < start_ms + warmup_s * 1000.0,
                degraded=degraded,
            )
            on_sample(sample, replies[0].get("message") if replies else None)

        for i in range(total):
            if should_stop():
                break
            intended = start_ms + i * 1000.0 / rate_per_s
            delay = clock.to_monotonic(intended) - clock.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            stats.scheduled += 1
            on_schedule(intended)
            task = asyncio.create_task(one(i, intended))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        # Stopped early (recovery seen): the offered schedule ended with the last message sent.
        stats.schedule_end_ms = start_ms + stats.scheduled * 1000.0 / rate_per_s
        if tasks:
            await asyncio.wait(tasks, timeout=reply_timeout_s + 20)
        for task in tasks:
            task.cancel()
    return stats
