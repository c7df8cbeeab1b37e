"""Load: open-model guest messages at the profile's rate; raw e2e samples for the gates; validity guards.

The driver is the Locust scenario of the loadtests area (`hotelero load --shape steady`, in its own
process group: gevent must not share our asyncio process); `--load-driver builtin` uses the small
asyncio sender instead. Either way every guest message becomes one raw E2ESample.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import aiohttp

from qualitygates.stats import percentile
from validation.gates import judged_latencies
from validation.result import Check, FaultWindow, StageResult
from validation.samples import E2ESample, Guard, StageWindow
from validation.sender import SenderStats, run_open_model
from validation.stack import hotelero_command, tail
from validation.stages import simctl
from validation.stages.context import RunContext
from validation.stages.live import LiveFigures

CPU_LIMIT = 90.0
RATE_SHORTFALL = 0.10
ACCEPT_P99_LIMIT_MS = 1000.0


def process_guards(ctx: RunContext, stage: str, include_self: bool = True) -> list[Guard]:
    """CPU guards from our monitor: this process (when it generates load) and every simulator we started."""
    guards = []
    if ctx.cpu is None:
        return guards
    for name, series in ctx.cpu.series.items():
        if name == "load-generator" and not include_self:
            continue
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
    return guards


def rate_guard(stage: str, offered: float, achieved: float, detail: str) -> Guard:
    """Achieved rate more than 10% below the offered rate: the run did not apply the load it claims."""
    return Guard(
        name=f"{stage}: achieved rate",
        tripped=offered > 0 and 1.0 - achieved / offered > RATE_SHORTFALL,
        measured=round(achieved, 2),
        limit=round(offered * (1 - RATE_SHORTFALL), 2),
        unit="/s",
        detail=detail,
    )


def guards_for(ctx: RunContext, stage: str, stats: SenderStats, offered_rate: float) -> list[Guard]:
    """Run-validity guards of a stage driven by the built-in sender."""
    guards = process_guards(ctx, stage)
    achieved = stats.achieved_rate()
    guards.append(
        rate_guard(
            stage,
            offered_rate,
            achieved,
            f"{stats.posted} of {stats.scheduled} scheduled messages accepted by the simulator "
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


def locust_guards(stage: str, summary: dict[str, Any]) -> list[Guard]:
    """Guards from the Locust run summary: its busiest generator process and the achieved rate."""
    cpu = summary.get("generator_cpu") or {}
    busiest = cpu.get("busiest_process_peak_cores")
    guards = []
    if busiest is not None:
        tripped = busiest * 100 > CPU_LIMIT
        guards.append(
            Guard(
                name=f"{stage}: load generator CPU",
                tripped=tripped,
                measured=round(busiest * 100, 1),
                limit=CPU_LIMIT,
                unit="%",
                detail=f"busiest Locust process peaked at {busiest * 100:.0f}% of a core "
                f"(mean {cpu.get('mean_cores')} cores)",
            )
        )
    offered, achieved = summary.get("offered_rate_per_s") or 0.0, summary.get("achieved_rate_per_s") or 0.0
    lag = (summary.get("send_lag_ms") or {}).get("p99")
    guards.append(
        rate_guard(
            stage,
            offered,
            achieved,
            f"{summary.get('sent')} of {summary.get('offered')} scheduled messages sent "
            f"({achieved:.1f}/s against {offered:g}/s offered; send lag p99 {lag} ms)",
        )
    )
    return guards


def sample_from_locust(row: dict[str, Any], offset_ms: float, stage: str) -> E2ESample:
    """One Locust e2e row (loadtests/analysis.Sample) on our run clock."""
    return E2ESample(
        stage=stage,
        flow=row.get("flow", ""),
        language=row.get("language", ""),
        intended_ms=round(offset_ms + float(row["intended_ms"]), 1),
        ok=bool(row.get("ok")),
        latency_ms=row.get("latency_ms"),
        censored=bool(row.get("censored")),
        ack_latency_ms=row.get("ack_latency_ms"),
        error=row.get("error"),
        warmup=bool(row.get("warmup")),
    )


async def _run_locust(ctx: RunContext, live: LiveFigures, total: int) -> tuple[list[E2ESample], dict[str, Any]]:
    spec = ctx.profile.load
    assert spec is not None
    out = ctx.out_dir / "load"
    out.mkdir(parents=True, exist_ok=True)
    stop_file = out / "STOP"
    stop_file.unlink(missing_ok=True)
    argv = hotelero_command(
        "load",
        "--shape", "steady",
        "--rate", f"{spec.rate_per_s:g}",
        "--duration", f"{spec.duration:g}s",
        "--warmup", f"{spec.warmup:g}s",
        "--reply-timeout", f"{spec.reply_timeout:g}s",
        "--gates-file", str(ctx.gates_path),
        "--whatsapp-url", ctx.stack.whatsapp_url,
        "--seed", "1",
        "--out", str(out),
        "--stop-file", str(stop_file),
    )  # fmt: skip
    log_path = ctx.out_dir / "logs" / "load.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    samples_path = out / "samples.jsonl"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        position = 0
        followed: list[E2ESample] = []
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), timeout=0.5)
                position = _follow(samples_path, position, live, followed)
                ctx.ui.stage_progress("load", completed=live.done, figures=live.text())
                if proc.returncode is not None:
                    break
                if not stop_file.exists() and ctx.should_abort(followed):
                    # Locust stops scheduling, lets in-flight replies arrive and writes its summary.
                    stop_file.touch()
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), timeout=10)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
    summary_path = out / "summary.json"
    if not summary_path.exists():
        raise RuntimeError(f"hotelero load exited {proc.returncode} without a summary; log: {tail(log_path, 10)}")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    offset = ctx.clock.from_unix(float(summary.get("started_unix") or 0.0))
    rows = []
    with samples_path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                data = json.loads(line)
                if data.get("type") == "e2e":
                    rows.append(sample_from_locust(data, offset, "load"))
    summary["_offset_ms"] = offset
    return rows, summary


def _follow(path: Path, position: int, live: LiveFigures, into: list[E2ESample]) -> int:
    """Read the e2e rows Locust appended since `position` into the live figures; return the new position."""
    try:
        with path.open("rb") as handle:
            handle.seek(position)
            chunk = handle.read()
    except OSError:
        return position
    end = chunk.rfind(b"\n")
    if end < 0:
        return position
    for line in chunk[: end + 1].splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if data.get("type") == "e2e":
            sample = sample_from_locust(data, 0.0, "load")
            live.add(sample)
            into.append(sample)
    return position + end + 1


async def run(ctx: RunContext) -> StageResult:
    """Drive the profile's load through the WhatsApp simulator and record every message."""
    spec = ctx.profile.load
    assert spec is not None  # qualitygates.schema guarantees it for profiles running this stage
    ctx.m.reply_timeout_ms = spec.reply_timeout * 1000.0
    started = ctx.clock.now_ms()
    total = int(spec.rate_per_s * spec.duration)
    ctx.ui.stage_started("load", total=total)
    live = LiveFigures(ctx.m.reply_timeout_ms)
    checks: list[Check] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for inj in ctx.injections:
            await simctl.qloapps_fault(session, ctx.stack.qloapps_url, inj.kind, inj.value_ms)
            ctx.ui.log(f"injected {inj.label()} for the load stage")
        fault_start = ctx.clock.now_ms()
        try:
            if ctx.load_driver == "locust":
                samples, summary = await _run_locust(ctx, live, total)
                ctx.m.e2e.extend(samples)
                offset = summary["_offset_ms"]
                window = StageWindow(offset + spec.warmup * 1000.0, offset + float(summary["schedule_s"]) * 1000.0)
                guards = locust_guards("load", summary) + process_guards(ctx, "load", include_self=False)
                scheduled, recorded = int(summary.get("offered") or 0), len(samples)
                achieved = float(summary.get("achieved_rate_per_s") or 0.0)
            else:

                def on_sample(sample: E2ESample, _reply: object) -> None:
                    ctx.m.e2e.append(sample)
                    live.add(sample)
                    if live.done % 20 == 0 or live.done == total:
                        ctx.ui.stage_progress("load", completed=live.done, figures=live.text())

                def should_stop() -> bool:
                    if ctx.aborted or live.done % 20:
                        return bool(ctx.aborted)
                    return ctx.should_abort([s for s in ctx.m.e2e if s.stage == "load"])

                stats = await run_open_model(
                    ctx.stack.whatsapp_url, ctx.clock, "load", spec.rate_per_s, spec.duration, spec.warmup,
                    spec.reply_timeout, on_sample, guest_prefix=f"3460{ctx.run_tag}", should_stop=should_stop,
                )  # fmt: skip
                ctx.sender_stats["load"] = stats
                window = StageWindow(stats.started_ms + spec.warmup * 1000.0, stats.schedule_end_ms)
                guards = guards_for(ctx, "load", stats, spec.rate_per_s)
                scheduled, recorded, achieved = stats.scheduled, live.done, stats.achieved_rate()
        finally:
            if ctx.injections:
                await simctl.qloapps_clear_faults(session, ctx.stack.qloapps_url)
                for inj in ctx.injections:
                    ctx.faults.append(FaultWindow(name=inj.label(), start_ms=fault_start, end_ms=ctx.clock.now_ms()))
    ctx.m.windows["load"] = window
    ctx.m.guards.extend(guards)
    judged = [s for s in ctx.m.e2e if s.stage == "load" and not s.warmup]
    checks.append(
        Check(
            name="every scheduled message was recorded",
            passed=recorded >= scheduled or bool(ctx.aborted),
            detail=f"{recorded} recorded of {scheduled} scheduled ({ctx.load_driver} driver)"
            + (" before the run was aborted" if ctx.aborted else ""),
        )
    )
    # The same rule as the e2e gates: a wrong answer is a guest not answered within the reply timeout.
    latencies = judged_latencies(judged, ctx.m.reply_timeout_ms)
    failures = [s for s in judged if not s.ok]
    kinds: dict[str, int] = {}
    for s in failures:
        kind = (s.error or "failed").split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    detail = (
        f"{len(judged)} judged messages at {spec.rate_per_s:g}/s ({ctx.load_driver}), "
        f"p95 {percentile(latencies, 95):.0f} ms to a right answer, {len(failures)} errors"
        + (f" {kinds}" if kinds else "")
        if latencies
        else "no judged messages"
    )
    if ctx.aborted:
        detail += f"; stopped early: {ctx.aborted}"
    return ctx.stage_result(
        "load", started, checks, detail=detail, offered_rate=spec.rate_per_s, achieved_rate=round(achieved, 2),
        scheduled=scheduled, driver=ctx.load_driver,
    )  # fmt: skip
