"""Resilience: the QloApps simulator fails during load, then is restored; recovery time is measured.

Recovery = from restoration until every rolling window of replies is back within the p95 and error-rate
gates (qualitygates.window). The agent must keep answering (degraded) during the fault and stay alive.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp

from qualitygates.window import WindowRule, recovery_ms
from validation.result import Check, FaultWindow, StageResult
from validation.samples import E2ESample, RecoverySample, StageWindow
from validation.sender import run_open_model
from validation.stages import simctl
from validation.stages.context import RunContext
from validation.stages.live import LiveFigures
from validation.stages.load import guards_for


async def run(ctx: RunContext) -> StageResult:
    spec = ctx.profile.resilience
    assert spec is not None  # qualitygates.schema guarantees it for profiles running this stage
    started = ctx.clock.now_ms()
    # "Back within the gates": the blocking latency and error-rate gates of the load stage, per window.
    rule = WindowRule.from_gates(ctx.config, "load", spec.reply_timeout * 1000.0)
    duration = spec.before + spec.fault_duration + spec.observe
    ctx.ui.stage_started("resilience", total=int(spec.rate_per_s * duration))
    live = LiveFigures()
    samples: list[E2ESample] = []
    pending: dict[float, int] = {}
    replies_in_fault: list[str] = []
    state: dict[str, float | None] = {"fault_start": None, "restored": None}

    def on_schedule(intended: float) -> None:
        key = round(intended, 1)  # samples carry the intended time rounded to 0.1 ms
        pending[key] = pending.get(key, 0) + 1

    def on_sample(sample: E2ESample, reply: object) -> None:
        samples.append(sample)
        ctx.m.e2e.append(sample)
        count = pending.get(sample.intended_ms, 0)
        if count <= 1:
            pending.pop(sample.intended_ms, None)
        else:
            pending[sample.intended_ms] = count - 1
        fs, rs = state["fault_start"], state["restored"]
        answered = sample.ok or sample.degraded
        if answered and fs is not None and fs <= sample.intended_ms and (rs is None or sample.intended_ms < rs):
            replies_in_fault.append(str(reply)[:200])
        live.add(sample)
        ctx.ui.stage_progress("resilience", completed=live.done, figures=live.text())

    def observed_until() -> float:
        return min(pending) if pending else ctx.clock.now_ms()

    def recovered() -> bool:
        restored = state["restored"]
        if restored is None:
            return False
        return recovery_ms(samples, restored, observed_until(), rule, spec.window * 1000.0) is not None

    async def inject(session: aiohttp.ClientSession, t0: float) -> None:
        await asyncio.sleep(max(0.0, (t0 + spec.before * 1000 - ctx.clock.now_ms()) / 1000))
        await simctl.qloapps_fault(session, ctx.stack.qloapps_url, spec.fault, spec.fault_latency_ms)
        state["fault_start"] = ctx.clock.now_ms()
        ctx.ui.log(f"resilience: QloApps simulator fault '{spec.fault}' injected")
        await asyncio.sleep(spec.fault_duration)
        await simctl.qloapps_clear_faults(session, ctx.stack.qloapps_url)
        state["restored"] = ctx.clock.now_ms()
        ctx.ui.log("resilience: QloApps simulator restored; watching recovery")

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        injector = asyncio.create_task(inject(session, ctx.clock.now_ms()))
        try:
            stats = await run_open_model(
                ctx.stack.whatsapp_url,
                ctx.clock,
                "resilience",
                spec.rate_per_s,
                duration,
                0.0,
                spec.reply_timeout,
                on_sample,
                guest_prefix=f"3461{ctx.run_tag}",
                seed=2,
                should_stop=recovered,
                on_schedule=on_schedule,
            )
        finally:
            if not injector.done():
                injector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await injector
            with contextlib.suppress(aiohttp.ClientError, RuntimeError, TimeoutError):
                await simctl.qloapps_clear_faults(session, ctx.stack.qloapps_url)
        if injector.done() and not injector.cancelled() and injector.exception() is not None:
            raise injector.exception()  # type: ignore[misc]
    ctx.sender_stats["resilience"] = stats
    end = stats.schedule_end_ms if not recovered() else observed_until()
    end = min(end, ctx.clock.now_ms())
    fault_start, restored = state["fault_start"], state["restored"]
    checks: list[Check] = []
    if fault_start is None or restored is None:
        return ctx.stage_result("resilience", started, [Check(name="fault injected and restored", passed=False)])
    ctx.faults.append(FaultWindow(name=f"qloapps {spec.fault}", start_ms=fault_start, end_ms=restored))
    recovery = recovery_ms(samples, restored, end, rule, spec.window * 1000.0)
    ctx.m.recoveries.append(
        RecoverySample(
            fault=spec.fault,
            fault_start_ms=fault_start,
            restored_ms=restored,
            observed_ms=end - restored,
            recovery_ms=recovery,
        )
    )
    ctx.m.windows["resilience"] = StageWindow(stats.started_ms, end)
    ctx.m.guards.extend(guards_for(ctx, "resilience", stats, spec.rate_per_s))
    in_fault = [s for s in samples if fault_start <= s.intended_ms < restored]
    checks.append(
        Check(
            name="agent kept replying during the PMS fault (degraded answers)",
            passed=bool(replies_in_fault),
            detail=f"{len(replies_in_fault)} of {len(in_fault)} messages sent during the fault got a reply"
            + (f"; e.g. {replies_in_fault[0]}" if replies_in_fault else ""),
        )
    )
    agent = ctx.stack.processes.get("agent")
    alive = agent.alive() if agent is not None else True
    status = None
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(f"{ctx.stack.agent_url}/health/live") as response,
        ):
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        status = None
    checks.append(
        Check(
            name="agent did not crash",
            passed=alive and status == 200,
            detail=f"process {'alive' if alive else 'exited'}, /health/live -> {status}",
        )
    )
    detail = (
        f"recovered {recovery / 1000:.1f} s after restoration"
        if recovery is not None
        else f"not back within the gates after {(end - restored) / 1000:.0f} s of observation"
    )
    return ctx.stage_result("resilience", started, checks, detail=detail)
