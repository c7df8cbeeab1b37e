"""Resilience: a matrix of faults, each injected under guest traffic, restored, and judged from the guests' side.

Faults (quality_gates.yaml `resilience.faults`): the PMS down or slow (QloApps simulator faults), Redis stopped
for a while, a Postgres restart, the agent's worker SIGKILLed several times (and started again, as a supervisor
would), and webhook delivery to the agent refused for a while (the agent's web process stopped).

Traffic: `guests` guests each write every guests / rate_per_s seconds whether answered or not, so a fault leaves
a backlog per guest; one guest in five books a room (request, then "sí"). After the traffic ends the stage waits
up to `drain_timeout` for every message to be answered: Meta redelivers refused webhooks on its own schedule
(the simulator's, compressed by `retry_time_scale`).

For each fault (validation/outcomes.py): sent, answered, lost, duplicated, out of order, orphan bookings, webhooks
refused, and recovery: from restoration until everything the agent held is answered (for a message the agent
first held after restoration, its own reply time counts). The gates judge them (all counts zero, recovery < 30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiohttp

from validation import outcomes
from validation.faults import FaultError, postgres_control, redis_control
from validation.result import Check, FaultWindow, StageResult
from validation.samples import FaultOutcome, RecoverySample, StageWindow
from validation.stack import stop_process
from validation.stages import simctl
from validation.stages.context import RunContext

try:  # one-turn guest scripts and the booking script the load tests use
    from loadtests.flows import BUILTIN
    from loadtests.flows import render as render_turn
except ImportError:  # pragma: no cover - loadtests ships with hotelero
    BUILTIN = ()

_NAMES = ("Ana Torres", "Luis Gomez", "Marta Ruiz", "Pablo Vega", "Elena Soto", "Jorge Mora", "Sara Gil", "Ivan Rey")
# The booking confirmation (agent/brain/catalogue: book.done, book.already) names the order's reference.
_REFERENCE = re.compile(r"(?:localizador|reference)(?: es| is)? ([A-Z0-9]{6,12})\b")


@dataclass
class Traffic:
    """What the guests of one fault sent (wamid per guest, in their order)."""

    guests: list[str]
    bookers: set[str]
    sent: dict[str, list[str]] = field(default_factory=dict)
    refused: int = 0


def _scripts(language: str, flows: tuple[str, ...]) -> list[Any]:
    return [s for s in BUILTIN if s.language == language and s.flow in flows and len(s.turns) == 1]


def guest_messages(wa_id: str, booker: bool, count: int, rng: random.Random, tag: str) -> list[str]:
    """A guest's messages: a booker asks to book then says yes; everyone else asks FAQ and availability."""
    today = date.today()
    singles = _scripts("es", ("faq", "availability"))
    name = rng.choice(_NAMES)
    texts: list[str] = []
    if booker:
        booking = next((s for s in BUILTIN if s.name == "booking-es"), None)
        if booking is not None:
            texts += [render_turn(t, rng, today, name, "es", f"{tag}{wa_id[-5:]}") for t in booking.turns]
    while len(texts) < count:
        script = rng.choice(singles) if singles else None
        texts.append(render_turn(script.turns[0], rng, today, name, "es", tag) if script else "Hola")
    return texts[:count]


async def drive(
    session: aiohttp.ClientSession,
    whatsapp_url: str,
    traffic: Traffic,
    interval_s: float,
    duration_s: float,
    seed: int,
    tag: str,
    stop: asyncio.Event,
) -> None:
    """Each guest writes every `interval_s` for `duration_s` (staggered), whatever the agent does."""
    rng = random.Random(seed)
    count = max(1, int(duration_s / interval_s) + 1)
    start = time.monotonic()

    async def guest(i: int, wa_id: str) -> None:
        texts = guest_messages(wa_id, wa_id in traffic.bookers, count, rng, tag)
        offset = interval_s * i / len(traffic.guests)
        for k, text in enumerate(texts):
            delay = start + offset + k * interval_s - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                return
            try:
                async with session.post(
                    f"{whatsapp_url}/_sim/guests/{wa_id}/messages", json={"type": "text", "text": text}
                ) as response:
                    body = await response.json(content_type=None) if response.status < 300 else None
            except (aiohttp.ClientError, TimeoutError):
                body = None
            if body is None:
                traffic.refused += 1
                continue
            traffic.sent.setdefault(wa_id, []).append(str(body.get("wamid", "")))

    await asyncio.gather(*(guest(i, g) for i, g in enumerate(traffic.guests)))


async def conversations(
    session: aiohttp.ClientSession, whatsapp_url: str, guests: list[str]
) -> list[outcomes.GuestLog]:
    async def one(wa_id: str) -> outcomes.GuestLog:
        async with session.get(f"{whatsapp_url}/_sim/guests/{wa_id}/conversation") as response:
            response.raise_for_status()
            return outcomes.guest_log(wa_id, await response.json(content_type=None))

    return list(await asyncio.gather(*(one(g) for g in guests)))


async def agent_records(database_url: str, guests: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """From the agent's database: callback key -> inbound wamid of every reply, and inbound wamid -> outcome."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True, connect_timeout=5) as conn:
        cur = await conn.execute(
            "SELECT 'o:' || id, inbound_wamid FROM outbound_messages WHERE guest = ANY(%s)", (guests,)
        )
        replies = {key: wamid or "" for key, wamid in await cur.fetchall()}
        cur = await conn.execute(
            "SELECT wamid, outcome FROM inbound_messages WHERE guest = ANY(%s) AND outcome IS NOT NULL", (guests,)
        )
        return replies, {wamid: outcome for wamid, outcome in await cur.fetchall()}


async def orphan_bookings(
    ctx: RunContext, logs: list[outcomes.GuestLog], bookers: set[str], handled: dict[str, str]
) -> tuple[int, int]:
    """(orphans, with staff). Orphans: PMS orders of the bookers that no confirmation named, unless the agent
    handed the guest to staff (it told them the outcome was unknown: those are counted as with staff), plus
    confirmed references the PMS does not have."""
    from agent.pms.client import QloAppsClient, QloAppsConfig
    from loadtests.flows import reply_text

    client = QloAppsClient(
        QloAppsConfig(base_url=ctx.stack.qloapps_url, api_key=ctx.stack.credentials.qloapps_key, read_timeout_s=10)
    )
    orphans = with_staff = 0
    try:
        for log in logs:
            if log.wa_id not in bookers:
                continue
            in_pms = {b.reference for b in await client.bookings_for_phone("+" + log.wa_id) if not b.cancelled}
            told = {m.group(1) for r in log.replies for m in _REFERENCE.finditer(reply_text(r.message))}
            handed_over = any(handled.get(m.wamid) == "handoff" for m in log.sent)
            unconfirmed = len(in_pms - told)
            orphans += len(told - in_pms) + (0 if handed_over else unconfirmed)
            with_staff += unconfirmed if handed_over else 0
    finally:
        await client.close()
    return orphans, with_staff


# -- faults: each injects, holds, restores; yields (fault_start_ms, restored_ms) on the run clock --------------


class Injected:
    """When a fault started and ended (run clock), filled in by the injector."""

    start_ms: float | None = None
    restored_ms: float | None = None


Injector = Callable[[RunContext, aiohttp.ClientSession, Injected], Any]


async def _pms(ctx: RunContext, session: aiohttp.ClientSession, at: Injected, kind: str) -> None:
    spec = ctx.profile.resilience
    assert spec is not None
    latency = spec.fault_latency_ms if kind == "latency" else None
    await simctl.qloapps_fault(session, ctx.stack.qloapps_url, kind, latency)
    at.start_ms = ctx.clock.now_ms()
    try:
        await asyncio.sleep(spec.fault_duration)
    finally:
        await simctl.qloapps_clear_faults(session, ctx.stack.qloapps_url)
        at.restored_ms = ctx.clock.now_ms()


async def pms_down(ctx: RunContext, session: aiohttp.ClientSession, at: Injected) -> None:
    spec = ctx.profile.resilience
    assert spec is not None
    await _pms(ctx, session, at, spec.fault)


async def pms_slow(ctx: RunContext, session: aiohttp.ClientSession, at: Injected) -> None:
    await _pms(ctx, session, at, "latency")


async def redis_down(ctx: RunContext, session: aiohttp.ClientSession, at: Injected) -> None:
    spec = ctx.profile.resilience
    assert spec is not None and ctx.stack.redis_url
    control = redis_control(ctx.stack.redis_url)
    await asyncio.to_thread(control.stop)
    at.start_ms = ctx.clock.now_ms()
    await asyncio.sleep(spec.redis_down)
    control.spawn()  # in this thread: the restarted server's parent-death signal follows it
    await asyncio.to_thread(control.wait_ready)
    at.restored_ms = ctx.clock.now_ms()


async def postgres_restart(ctx: RunContext, session: aiohttp.ClientSession, at: Injected) -> None:
    assert ctx.stack.database_url
    control = postgres_control(ctx.stack.database_url)
    at.start_ms = ctx.clock.now_ms()
    await asyncio.to_thread(control.stop)
    control.spawn()
    await asyncio.to_thread(control.wait_ready)
    at.restored_ms = ctx.clock.now_ms()


def supervised_child(ctx: RunContext, role: str) -> int | None:
    """The pid of the agent supervisor's child in `role` ("worker" or "web"), or None in the all-in-one layout.

    `hotelero agent --workers M` (agent/supervisor.py) runs `python -m agent worker` children and one web child.
    """
    import psutil

    agent = ctx.stack.processes.get("agent")
    if agent is None:
        raise FaultError("the agent was not started by this run (given by URL): its processes cannot be killed")
    for child in psutil.Process(agent.pid).children(recursive=False):
        with contextlib.suppress(psutil.Error):
            argv = child.cmdline()
            is_worker = argv[-1:] == ["worker"]
            if (role == "worker") == is_worker and "agent" in argv:
                return child.pid
    return None


async def _restart_agent(ctx: RunContext, kill: Callable[[Any], None], down_s: float) -> None:
    """All-in-one layout: stop the agent process with `kill`, wait `down_s`, start it again as before."""
    from validation.faults import capture_environment
    from validation.stack import start_process, wait_healthy

    old = ctx.stack.processes["agent"]
    env = capture_environment(old.pid)
    await asyncio.to_thread(kill, old)
    await asyncio.sleep(down_s)
    new = start_process("agent", [str(a) for a in old.popen.args], old.log_path.parent, env)  # type: ignore[union-attr]
    new.port = old.port
    ctx.stack.processes["agent"] = new
    await asyncio.to_thread(wait_healthy, "agent", f"{ctx.stack.agent_url}/health/live", 60.0, new)


def _sigkill_group(proc: Any) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.popen.wait(timeout=10)


async def _sigkill_worker(ctx: RunContext) -> None:
    """SIGKILL the worker process; its supervisor starts it again (all-in-one: we restart the agent)."""
    pid = supervised_child(ctx, "worker")
    if pid is None:
        await _restart_agent(ctx, _sigkill_group, 0.0)
        return
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while supervised_child(ctx, "worker") in (None, pid):
        if time.monotonic() > deadline:
            raise FaultError("the supervisor did not start the worker again within 60 s")
        await asyncio.sleep(0.1)


async def worker_sigkill(ctx: RunContext, session: aiohttp.ClientSession, at: Injected) -> None:
    spec = ctx.profile.resilience
    assert spec is not None
    at.start_ms = ctx.clock.now_ms()
    for kill in range(spec.worker_kills):
        if kill:
            await asyncio.sleep(5.0)  # mid-traffic again: some turns are always in flight
        await _sigkill_worker(ctx)
    at.restored_ms = ctx.clock.now_ms()


async def webhooks_refused(ctx: RunContext, session: aiohttp.ClientSession, at: Injected) -> None:
    """The agent's web process is stopped for `refuse_webhooks` seconds: its port refuses every delivery."""
    spec = ctx.profile.resilience
    assert spec is not None
    web = supervised_child(ctx, "web")
    at.start_ms = ctx.clock.now_ms()
    if web is None:
        await _restart_agent(ctx, stop_process, spec.refuse_webhooks)
    else:
        # The supervisor is paused so it does not start the web process again before the time is up.
        supervisor = ctx.stack.processes["agent"].pid
        os.kill(supervisor, signal.SIGSTOP)
        try:
            os.kill(web, signal.SIGTERM)
            await asyncio.sleep(spec.refuse_webhooks)
        finally:
            os.kill(supervisor, signal.SIGCONT)
        from validation.stack import wait_healthy

        await asyncio.to_thread(wait_healthy, "agent web", f"{ctx.stack.agent_url}/health/live", 60.0)
    at.restored_ms = ctx.clock.now_ms()


FAULTS: dict[str, Injector] = {
    "pms-down": pms_down,
    "pms-slow": pms_slow,
    "redis-down": redis_down,
    "postgres-restart": postgres_restart,
    "worker-sigkill": worker_sigkill,
    "webhooks-refused": webhooks_refused,
}


@contextlib.asynccontextmanager
async def retry_schedule(session: aiohttp.ClientSession, whatsapp_url: str, scale: float) -> AsyncIterator[None]:
    """Compress the simulator's webhook retry schedule (Meta's shape) for the stage, then put it back."""
    async with session.get(f"{whatsapp_url}/_sim/settings") as response:
        response.raise_for_status()
        before = ((await response.json(content_type=None)).get("retry") or {}).get("time_scale", 1.0)
    await _set_retry_scale(session, whatsapp_url, scale)
    try:
        yield
    finally:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, RuntimeError):
            await _set_retry_scale(session, whatsapp_url, before)


async def _set_retry_scale(session: aiohttp.ClientSession, whatsapp_url: str, scale: float) -> None:
    async with session.post(f"{whatsapp_url}/_sim/settings", json={"retry": {"time_scale": scale}}) as response:
        if response.status >= 300:
            raise RuntimeError(f"POST /_sim/settings -> {response.status}: {(await response.text())[:200]}")


def drain_ms(
    logs: list[outcomes.GuestLog], outcome: outcomes.Outcome, handled: dict[str, str], restored_mono_ms: float
) -> float | None:
    """Restoration -> everything the agent held answered (None while something held is unanswered).

    The matrix's recovery is this backlog drain, not `qualitygates.window.recovery_ms`: a fault's messages are
    counted one by one (answered, lost, out of order), so "recovered" means none is still owed a reply.
    """
    worst = 0.0
    for log in logs:
        for m in log.sent:
            if m.held_ms is None or handled.get(m.wamid) in outcomes.NO_REPLY_DUE:
                continue
            reply = outcome.last_reply_ms.get(m.wamid)
            if reply is None:
                return None
            worst = max(worst, reply - max(restored_mono_ms, m.held_ms))
    return worst


async def run_fault(
    ctx: RunContext, session: aiohttp.ClientSession, index: int, name: str
) -> tuple[FaultOutcome, str, float]:
    """One fault of the matrix: traffic, inject, restore, drain, count."""
    spec = ctx.profile.resilience
    assert spec is not None
    tag = f"{ctx.run_tag}{index}"
    guests = [f"3462{tag}{g:03d}" for g in range(spec.guests)]
    for wa_id in guests:
        await simctl.register_guest(session, ctx.stack.whatsapp_url, wa_id)
    traffic = Traffic(guests, {g for i, g in enumerate(guests) if i % 5 == 0})
    interval = spec.guests / spec.rate_per_s
    # Long enough to cover the fault: before + the fault's own length (estimated) + observe.
    length = {
        "pms-down": spec.fault_duration,
        "pms-slow": spec.fault_duration,
        "redis-down": spec.redis_down,
        "postgres-restart": 5.0,
        "worker-sigkill": 5.0 * spec.worker_kills,
        "webhooks-refused": spec.refuse_webhooks,
    }[name]
    stop = asyncio.Event()
    driver = asyncio.create_task(
        drive(session, ctx.stack.whatsapp_url, traffic, interval, spec.before + length + spec.observe, index, tag, stop)
    )
    at = Injected()
    try:
        await asyncio.sleep(spec.before)
        ctx.ui.log(f"resilience: {name} injected")
        await FAULTS[name](ctx, session, at)
        ctx.ui.log(f"resilience: {name} restored; {spec.observe:.0f} s more traffic, then drain")
        await asyncio.sleep(spec.observe)
    finally:
        stop.set()
        await driver
    restored_mono = ctx.clock.to_monotonic(at.restored_ms or ctx.clock.now_ms()) * 1000.0
    deadline = time.monotonic() + spec.drain_timeout
    while True:
        logs = await conversations(session, ctx.stack.whatsapp_url, guests)
        keys, handled = await agent_records(ctx.stack.database_url, guests) if ctx.stack.database_url else ({}, {})
        outcome = outcomes.count(logs, keys, handled)
        if outcome.lost == 0 or time.monotonic() > deadline:
            break
        ctx.ui.stage_progress("resilience", figures=f"{name}: draining, {outcome.lost} unanswered")
        await asyncio.sleep(1.0)
    _save(ctx, name, logs, keys, handled)
    orphans, with_staff = await orphan_bookings(ctx, logs, traffic.bookers, handled)
    recovery = drain_ms(logs, outcome, handled, restored_mono)
    start, restored = at.start_ms or 0.0, at.restored_ms or ctx.clock.now_ms()
    ctx.faults.append(FaultWindow(name=name, start_ms=start, end_ms=restored))
    ctx.m.recoveries.append(
        RecoverySample(
            fault=name,
            fault_start_ms=start,
            restored_ms=restored,
            observed_ms=ctx.clock.now_ms() - restored,
            recovery_ms=recovery,
        )
    )
    row = FaultOutcome(
        fault=name,
        sent=outcome.sent,
        answered=outcome.answered,
        lost_messages=outcome.lost,
        duplicate_replies=outcome.duplicated,
        out_of_order_replies=outcome.out_of_order,
        orphan_bookings=orphans,
        webhooks_refused=outcome.webhooks_refused,
        late_redeliveries=outcome.late_redeliveries,
        handed_to_staff=outcome.handed_to_staff,
        recovery_ms=recovery,
    )
    ctx.m.fault_outcomes.append(row)
    shown = "not recovered" if recovery is None else f"recovery {recovery / 1000:.1f} s"
    detail = (
        f"{name}: sent {row.sent}, answered {row.answered}, lost {row.lost_messages}, duplicated "
        f"{row.duplicate_replies}, out of order {row.out_of_order_replies}, orphan bookings {row.orphan_bookings}, "
        f"webhooks refused {row.webhooks_refused}, late redeliveries {row.late_redeliveries}, "
        f"handed to staff {row.handed_to_staff}, {shown}"
    )
    if traffic.refused:
        detail += f" ({traffic.refused} messages the simulator itself refused are not counted)"
    if outcome.slowest_refusal_ms:
        detail += f"; slowest 5xx answer {outcome.slowest_refusal_ms:.0f} ms"
    if with_staff:
        detail += f"; {with_staff} booking(s) of unknown outcome handed to staff"
    ctx.ui.log("resilience: " + detail)
    return row, detail, outcome.slowest_refusal_ms


async def run(ctx: RunContext) -> StageResult:
    spec = ctx.profile.resilience
    assert spec is not None  # the gates schema guarantees it for profiles running this stage
    started = ctx.clock.now_ms()
    ctx.ui.stage_started("resilience", total=len(spec.faults))
    checks: list[Check] = []
    rows: list[FaultOutcome] = []
    refusals: dict[str, float] = {}  # fault -> the slowest webhook the agent answered 5xx (e.g. 503 without Postgres)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
        retry_schedule(session, ctx.stack.whatsapp_url, spec.retry_time_scale),
    ):
        for index, name in enumerate(spec.faults):
            try:
                row, detail, slowest = await run_fault(ctx, session, index, name)
            except FaultError as exc:
                checks.append(Check(name=f"{name} injected", passed=False, detail=str(exc)))
                continue
            rows.append(row)
            refusals[name] = slowest
            checks.append(Check(name=f"{name}: every count zero", passed=_clean(row), detail=detail))
            ctx.ui.stage_progress("resilience", completed=len(rows), figures=f"{name} done")
    ctx.m.windows["resilience"] = StageWindow(started, ctx.clock.now_ms())
    checks.append(await _alive(ctx))
    table = [
        {
            "fault": r.fault,
            "sent": r.sent,
            "answered": r.answered,
            "lost": r.lost_messages,
            "duplicated": r.duplicate_replies,
            "out_of_order": r.out_of_order_replies,
            "orphan_bookings": r.orphan_bookings,
            "webhooks_refused": r.webhooks_refused,
            "late_redeliveries": r.late_redeliveries,
            "handed_to_staff": r.handed_to_staff,
            "recovery_s": None if r.recovery_ms is None else round(r.recovery_ms / 1000.0, 2),
            "slowest_5xx_ms": refusals.get(r.fault),
        }
        for r in rows
    ]
    return ctx.stage_result("resilience", started, checks, matrix=table)


def _save(
    ctx: RunContext, name: str, logs: list[outcomes.GuestLog], keys: dict[str, str], handled: dict[str, str]
) -> None:
    """The guests' conversations of a fault, beside the report, so every count can be checked by hand."""
    import json

    path = ctx.out_dir / "resilience" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "wa_id": log.wa_id,
            "sent": [{**vars(m), "outcome": handled.get(m.wamid)} for m in log.sent],
            "replies": [
                {"seq": r.seq, "at_ms": r.at_ms, "callback": r.callback, "answers": keys.get(r.callback), **r.message}
                for r in log.replies
            ],
        }
        for log in logs
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def _clean(row: FaultOutcome) -> bool:
    counts = (row.lost_messages, row.duplicate_replies, row.out_of_order_replies, row.orphan_bookings)
    return not any(counts) and row.recovery_ms is not None


async def _alive(ctx: RunContext) -> Check:
    status = None
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(f"{ctx.stack.agent_url}/health/live") as response,
        ):
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        status = None
    return Check(name="agent alive after the matrix", passed=status == 200, detail=f"/health/live -> {status}")
