"""Load: open-model guest messages at the profile's rate; raw e2e samples for the gates; validity guards."""

from __future__ import annotations

import aiohttp

from validation.gates import percentile
from validation.result import Check, FaultWindow, StageResult
from validation.samples import E2ESample, Guard, StageWindow
from validation.sender import SenderStats, run_open_model
from validation.stages import simctl
from validation.stages.context import RunContext
from validation.stages.live import LiveFigures

CPU_LIMIT = 90.0
RATE_SHORTFALL = 0.10
ACCEPT_P99_LIMIT_MS = 1000.0


def guards_for(ctx: RunContext, stage: str, stats: SenderStats, offered_rate: float) -> list[Guard]:
    """Run-validity guards of one sending stage: generator CPU, achieved rate, simulator saturation."""
    guards = []
    if ctx.cpu is not None:
        for name, series in ctx.cpu.series.items():
            mean = series.mean(stage)
            if mean is None:
                continue
            who = "load generator" if name == "load-generator" else name
            tripped = mean > CPU_LIMIT
            guards.append(
                Guard(
                    name=f"{stage}: {name} CPU",
                    tripped=tripped,
                    measured=round(mean, 1),
                    limit=CPU_LIMIT,
                    unit="%",
                    detail=f"{who} used {mean:.0f}% of a core on average (peak {series.peak(stage):.0f}%)"
                    + ("; figures measured by a saturated process cannot be trusted" if tripped else ""),
                )
            )
    achieved = stats.achieved_rate()
    shortfall = 1.0 - achieved / offered_rate if offered_rate else 0.0
    guards.append(
        Guard(
            name=f"{stage}: achieved rate",
            tripped=shortfall > RATE_SHORTFALL,
            measured=round(achieved, 2),
            limit=round(offered_rate * (1 - RATE_SHORTFALL), 2),
            unit="/s",
            detail=f"{stats.posted} of {stats.scheduled} scheduled messages accepted by the simulator "
            f"({achieved:.1f}/s against {offered_rate:g}/s offered, {stats.refused} refused)",
        )
    )
    if stats.accept_ms:
        p99 = percentile(stats.accept_ms, 99)
        guards.append(
            Guard(
                name=f"{stage}: WhatsApp simulator accept p99",
                tripped=p99 > ACCEPT_P99_LIMIT_MS,
                measured=round(p99, 1),
                limit=ACCEPT_P99_LIMIT_MS,
                unit="ms",
                detail="time the simulator took to accept a guest message (saturated when above the limit)",
            )
        )
    return guards


async def run(ctx: RunContext) -> StageResult:
    """Drive the profile's load through the WhatsApp simulator and record every message."""
    spec = ctx.profile.load
    assert spec is not None  # gates_config guarantees it for profiles running this stage
    started = ctx.clock.now_ms()
    total = int(spec.rate_per_s * spec.duration)
    ctx.ui.stage_started("load", total=total)
    live = LiveFigures()
    checks: list[Check] = []

    def on_sample(sample: E2ESample, _reply: object) -> None:
        ctx.m.e2e.append(sample)
        live.add(sample)
        if live.done % 20 == 0 or live.done == total:
            cpu = (
                ctx.cpu.series["load-generator"].samples[-1][1]
                if ctx.cpu and ctx.cpu.series["load-generator"].samples
                else None
            )
            ctx.ui.stage_progress("load", completed=live.done, figures=live.text(cpu))

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for inj in ctx.injections:
            await simctl.qloapps_fault(session, ctx.stack.qloapps_url, inj.kind, inj.value_ms)
            ctx.ui.log(f"injected {inj.label()} for the load stage")
        fault_start = ctx.clock.now_ms()
        try:
            stats = await run_open_model(
                ctx.stack.whatsapp_url,
                ctx.clock,
                "load",
                spec.rate_per_s,
                spec.duration,
                spec.warmup,
                spec.reply_timeout,
                on_sample,
                guest_prefix=f"3460{ctx.run_tag}",
            )
        finally:
            if ctx.injections:
                await simctl.qloapps_clear_faults(session, ctx.stack.qloapps_url)
                for inj in ctx.injections:
                    ctx.faults.append(FaultWindow(name=inj.label(), start_ms=fault_start, end_ms=ctx.clock.now_ms()))
    ctx.sender_stats["load"] = stats
    ctx.m.windows["load"] = StageWindow(stats.started_ms + spec.warmup * 1000.0, stats.schedule_end_ms)
    ctx.m.guards.extend(guards_for(ctx, "load", stats, spec.rate_per_s))
    judged = [s for s in ctx.m.e2e if s.stage == "load" and not s.warmup]
    checks.append(
        Check(
            name="every scheduled message was recorded",
            passed=live.done == stats.scheduled,
            detail=f"{live.done} recorded of {stats.scheduled} scheduled",
        )
    )
    p95 = percentile([s.latency_ms for s in judged if s.latency_ms is not None], 95) if judged else None
    detail = (
        f"{len(judged)} judged messages at {spec.rate_per_s:g}/s, p95 {p95:.0f} ms, "
        f"{sum(1 for s in judged if not s.ok)} errors"
        if p95 is not None
        else "no judged messages"
    )
    result = ctx.stage_result(
        "load",
        started,
        checks,
        detail=detail,
        offered_rate=spec.rate_per_s,
        achieved_rate=round(stats.achieved_rate(), 2),
        scheduled=stats.scheduled,
    )
    return result
