"""`hotelero validate`: bring the stack up, run the profile's stages, judge the gates, write every report."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from rich.console import Console

import validation
from qualitygates.durations import parse_duration
from qualitygates.schema import GateConfigError, GatesFile, Profile, load_gates
from validation.exitcodes import ExitCode
from validation.gates import GateResult, Status, Verdict, decide, evaluate, evaluate_gate, not_run
from validation.monitor import CpuMonitor, ReadinessProber
from validation.reports import history, render_all
from validation.reports.console import print_result
from validation.result import Result, RunMeta, ServiceTier, StageResult, git_state, machine, now_iso, versions
from validation.runclock import RunClock
from validation.samples import SAMPLE_FILES, Measurements, write_jsonl
from validation.stack import Credentials, StackError, StackOptions, Terminated, run_stack, sigterm_unwinds
from validation.stages.context import Injection, RunContext
from validation.stages.registry import STAGES
from validation.ui import Ui

INBOX_DRAIN_S = 30.0
_INJECT = re.compile(r"^(qloapps)-(latency|down|error)(?:=(.+))?$")


@dataclass
class RunOptions:
    """Everything `hotelero validate` accepts."""

    profile: str = "quick"
    gates_path: Path | None = None
    out: Path | None = None
    # A result.json, or `last-pass`: the latest PASS of this profile in reports/history.jsonl.
    baseline: str | None = None
    agent_url: str | None = None
    whatsapp_url: str | None = None
    qloapps_url: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    credentials: dict[str, str | None] = field(default_factory=dict)
    duration: str | None = None
    inject: list[str] = field(default_factory=list)
    stages: list[str] | None = None
    startup_timeout: float = 90.0
    live: bool = True
    command: list[str] = field(default_factory=list)
    load_driver: str = "locust"


def default_gates_path() -> Path:
    """./quality_gates.yaml, else the one shipped beside the package."""
    here = Path("quality_gates.yaml")
    return here if here.exists() else Path(validation.__file__).resolve().parents[1] / "quality_gates.yaml"


def parse_injection(text: str) -> Injection:
    """`qloapps-latency=3000ms` -> Injection; GateConfigError (exit 2) when malformed."""
    match = _INJECT.match(text.strip())
    if not match:
        raise GateConfigError(f"--inject {text!r}: expected qloapps-latency=3000ms, qloapps-down or qloapps-error")
    target, kind, value = match.groups()
    if kind == "latency" and value is None:
        raise GateConfigError(f"--inject {text!r}: latency needs a value, e.g. qloapps-latency=3000ms")
    if value and value.strip().replace(".", "", 1).isdigit():
        raise GateConfigError(f"--inject {text!r}: give the latency a unit, e.g. qloapps-latency={value}ms")
    try:
        ms = round(parse_duration(value) * 1000) if value else 0
    except ValueError as exc:
        raise GateConfigError(f"--inject {text!r}: {exc}") from None
    return Injection(target=target, kind=kind, value_ms=ms)


def prepare(opts: RunOptions, out_dir: Path) -> tuple[GatesFile, Profile, list[Injection], Result | None]:
    """Everything that must be right before anything starts; raises GateConfigError (exit 2)."""
    config = load_gates(opts.gates_path or default_gates_path(), stages=tuple(STAGES))
    profile = config.profile(opts.profile)
    if opts.duration is not None:
        try:
            seconds = parse_duration(opts.duration)
        except ValueError as exc:
            raise GateConfigError(f"--duration: {exc}") from None
        if profile.load is None:
            raise GateConfigError(f"--duration: profile {opts.profile!r} has no load stage to lengthen")
        profile = profile.model_copy(update={"load": profile.load.model_copy(update={"duration": seconds})})
    elif profile.duration_required:
        raise GateConfigError(f"profile {opts.profile!r} needs --duration (e.g. --duration 2h)")
    if opts.stages is not None:
        unknown = [s for s in opts.stages if s not in STAGES]  # noqa: SIM118 - STAGES is the registry
        if unknown:
            raise GateConfigError(f"--stages: unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGES)}")
        missing = [s for s in opts.stages if s not in profile.stages]
        if missing:
            raise GateConfigError(f"--stages: profile {opts.profile!r} does not define {', '.join(missing)}")
    if opts.agent_url or opts.whatsapp_url:
        # A running agent or simulator already holds its secrets; random ones would not match them.
        missing = [
            k for k in ("app_secret", "verify_token", "access_token", "admin_token") if not opts.credentials.get(k)
        ]
        if missing:
            given = "--agent-url" if opts.agent_url else "--whatsapp-url"
            flags = ", ".join("--" + k.replace("_", "-") for k in missing)
            raise GateConfigError(f"{given} needs the secrets that piece already uses: give {flags} (or AGENT_* env)")
    if opts.load_driver not in ("locust", "builtin"):
        raise GateConfigError(f"--load-driver {opts.load_driver!r}: choose locust or builtin")
    injections = [parse_injection(text) for text in opts.inject]
    baseline = None
    if opts.baseline == history.LAST_PASS:
        found = history.last_pass(history.history_path(out_dir), opts.profile)
        if found is None:
            where = history.history_path(out_dir)
            raise GateConfigError(f"--baseline last-pass: no passing {opts.profile!r} run listed in {where}")
        baseline = Result.read(found)
    elif opts.baseline is not None:
        try:
            baseline = Result.read(Path(opts.baseline))
        except ValueError as exc:
            raise GateConfigError(f"--baseline: {exc}") from None
    return config, profile, injections, baseline


def _verdict_reason(verdict: Verdict, gates: list[GateResult], m: Measurements, stages: list[StageResult]) -> str:
    blocking = [g for g in gates if g.severity == "blocking"]
    if verdict is Verdict.INVALID:
        return "run invalid, figures untrusted: " + "; ".join(g.detail for g in m.guards if g.tripped)
    if verdict is Verdict.FAIL:
        parts = [
            f"{g.name} ({g.measured_text()} vs {g.comparator} {g.threshold:g} {g.unit})"
            for g in blocking
            if g.status is Status.FAIL
        ]
        failed = [f"{s.name}: {c.name}" for s in stages for c in s.checks if not c.passed]
        failed += [f"{s.name} errored: {s.detail}" for s in stages if s.status == "ERROR"]
        text = ("blocking gate(s) failed: " + ", ".join(parts)) if parts else ""
        if failed:
            text += ("; " if text else "") + "failed checks: " + "; ".join(failed)
        return text
    if verdict is Verdict.INCONCLUSIVE:
        return "not proven: " + "; ".join(
            f"{g.name} ({g.reason})" for g in blocking if g.status is Status.INCONCLUSIVE and g.blocks_if_inconclusive
        )
    passed = [g for g in blocking if g.status is Status.PASS]
    unproven = [g.name for g in blocking if g.status is Status.INCONCLUSIVE]
    text = f"{len(passed)} blocking gates passed, none failed"
    if unproven:
        text += f"; accepted unproven (too few samples in this run, none breached): {', '.join(unproven)}"
    not_run_ = [g.name for g in blocking if g.status is Status.NOT_RUN]
    if not_run_:
        text += f"; not run: {', '.join(not_run_)}"
    return text


_INBOX = re.compile(r"^hotelero_inbox_depth\s+([0-9.e+]+)", re.M)


async def wait_inbox_empty(agent_url: str, timeout_s: float) -> tuple[float | None, float]:
    """Wait until the agent's inbox is empty so one stage's backlog is not measured in the next.

    Returns (depth left, seconds waited); depth None when the agent does not expose hotelero_inbox_depth.
    """
    start = time.monotonic()
    depth: float | None = None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while True:
            try:
                async with session.get(f"{agent_url}/metrics") as response:
                    match = _INBOX.search(await response.text())
            except (aiohttp.ClientError, TimeoutError):
                match = None
            depth = float(match.group(1)) if match else None
            waited = time.monotonic() - start
            if depth is None or depth == 0 or waited >= timeout_s:
                return depth, waited
            await asyncio.sleep(0.5)


async def _run_stages(ctx: RunContext, chosen: list[str], probe_interval: float) -> list[StageResult]:
    pids = {n: p.pid for n, p in ctx.stack.processes.items() if n in ("whatsapp-sim", "qloapps-sim")}
    ctx.cpu = CpuMonitor(pids, stage=lambda: ctx.stage)
    ctx.cpu.start()
    prober = ReadinessProber(ctx.stack.agent_url, ctx.clock, probe_interval, stage=lambda: ctx.stage)
    prober.start()
    results: list[StageResult] = []
    watchers = [STAGES[name] for name in chosen if STAGES[name].begin is not None]
    try:
        for spec in watchers:
            await spec.begin(ctx)  # type: ignore[misc]
        for name in chosen:
            if ctx.aborted:
                break
            spec = STAGES[name]
            ctx.stage = name
            if not spec.sends_load:
                ctx.ui.stage_started(name)
            dead = ctx.stack.dead()
            started = ctx.clock.now_ms()
            if dead:
                proc = ctx.stack.processes[dead[0]]
                detail = f"{dead[0]} exited with code {proc.popen.returncode}: {proc.log_tail(5)}"
                result = StageResult(name=name, status="ERROR", started_ms=started, ended_ms=started, detail=detail)
            else:
                try:
                    result = await spec.run(ctx)
                except Terminated:
                    raise  # SIGTERM ends the run (reported as interrupted), not just this stage
                except Exception as exc:  # noqa: BLE001 - a crashed stage is reported, the run goes on
                    result = StageResult(
                        name=name,
                        status="ERROR",
                        started_ms=started,
                        ended_ms=ctx.clock.now_ms(),
                        detail=f"{type(exc).__name__}: {exc}"[:500],
                    )
            if spec.drains_inbox and not dead and not ctx.aborted:
                depth, waited = await wait_inbox_empty(ctx.stack.agent_url, INBOX_DRAIN_S)
                result.figures["inbox_after"] = {"depth": depth, "waited_s": round(waited, 1)}
                if depth:
                    result.detail += f" (agent inbox still held {depth:.0f} messages {waited:.0f} s after the stage)"
            results.append(result)
            ctx.ui.stage_finished(name, result.status, result.detail)
        ctx.stage = "teardown"
    finally:
        for spec in watchers:
            if spec.end is not None:
                await spec.end(ctx)
        await prober.stop()
        await ctx.cpu.stop()
        ctx.m.probes = prober.samples
    return results


def _not_run_reasons(config: GatesFile, profile: Profile, opts: RunOptions, results: list[StageResult]) -> dict:
    """Why each stage that produced nothing did not run: not in the profile, not selected, or the run stopped."""
    why: dict[str, str] = {}
    for name in STAGES:
        if name not in profile.stages:
            why[name] = f"profile {opts.profile!r} does not run stage {name}"
        elif opts.stages is not None and name not in opts.stages:
            why[name] = "not selected"
    for r in results:
        if r.status == "NOT_RUN":
            why[r.name] = r.detail or "stage did not run"
    return why


def _partly_run(gates: list[GateResult], ran: list[str], why: dict[str, str]) -> list[GateResult]:
    """A gate spanning stages of which some were left out cannot be proven: its INCONCLUSIVE does not block."""
    out = []
    for g in gates:
        stages = g.stages() or ()
        left_out = [s for s in stages if s not in ran]
        if g.status is Status.INCONCLUSIVE and left_out and g.blocks_if_inconclusive:
            detail = "; ".join(f"{s}: {why.get(s, 'did not run')}" for s in left_out)
            g = g.replace(reason=f"{g.reason}; partly run ({detail})", blocks_if_inconclusive=False)
        out.append(g)
    return out


def stage_statuses(
    stages: list[StageResult], gates: list[GateResult], config: GatesFile, m: Measurements
) -> list[StageResult]:
    """A stage's status agrees with its blocking gates: a gate that fails on that stage's own samples fails it.

    A gate spanning several stages (readiness) is judged again on each stage's samples alone, so a PMS outage
    during load fails load, not preflight.
    """
    out = []
    for stage in stages:
        if stage.status in ("PASS", "INCONCLUSIVE"):
            failed, unproven = [], []
            for g in gates:
                if not g.blocking or stage.name not in (g.stages() or ()):
                    continue
                if g.status is Status.FAIL and len(g.stages() or ()) > 1:
                    gate = config.gate(g.name)
                    own = gate.model_copy(update={"scope": gate.scope.model_copy(update={"stage": stage.name})})
                    if evaluate_gate(own, m).status is Status.FAIL:
                        failed.append(g.name)
                elif g.status is Status.FAIL:
                    failed.append(g.name)
                elif g.status is Status.INCONCLUSIVE and g.blocks_if_inconclusive:
                    unproven.append(g.name)
            note = "; ".join(
                text
                for text in (
                    f"gate failed: {', '.join(failed)}" if failed else "",
                    f"not proven: {', '.join(unproven)}" if unproven and not failed else "",
                )
                if text
            )
            if note:
                status = "FAIL" if failed else "INCONCLUSIVE"
                detail = f"{stage.detail}; {note}" if stage.detail else note
                stage = stage.model_copy(update={"status": status, "detail": detail})
        out.append(stage)
    return out


def _meta(opts: RunOptions, stamp: str) -> RunMeta:
    commit, dirty = git_state(Path(validation.__file__).resolve().parents[1])
    return RunMeta(
        run_id=stamp,
        started_at=now_iso(),
        profile=opts.profile,
        gates_file=str(opts.gates_path or default_gates_path()),
        command=opts.command or sys.argv,
        git_commit=commit,
        git_dirty=dirty,
        versions=versions(),
        machine=machine(),
    )


def write_reports(result: Result, out_dir: Path, baseline: Result | None, console: Console) -> None:
    """result.json, junit.xml, summary.md, report.html and the history line: on every way out of a run."""
    result.write(out_dir / "result.json")
    if result.error_kind != "configuration":
        history.append(result, out_dir)
    try:
        deltas = render_all(result, out_dir, baseline)
    except Exception as exc:  # noqa: BLE001 - CI must still get junit.xml when a renderer breaks
        from validation.reports.junit import render_junit

        (out_dir / "junit.xml").write_text(render_junit(result), encoding="utf-8")
        console.print(f"[red]report rendering failed[/]: {type(exc).__name__}: {exc}", highlight=False)
        deltas = None
    print_result(console, result, deltas)
    console.print(f"reports: {out_dir}/{{result.json, junit.xml, summary.md, report.html}}", highlight=False)


def run_validation(opts: RunOptions, console: Console | None = None) -> int:
    """Run the whole validation; return the exit code (0 PASS, 1 FAIL, 2 config/usage/harness error, 3 other)."""
    console = console or Console()
    wall_start = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = (opts.out or Path("reports") / stamp).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = _meta(opts, stamp)
    try:
        config, profile, injections, baseline = prepare(opts, out_dir)
    except GateConfigError as exc:
        console.print(f"[red]configuration error[/]: {exc}", highlight=False)
        meta.finished_at = now_iso()
        result = Result(
            verdict=Verdict.ERROR,
            exit_code=ExitCode.ERROR,
            verdict_reason=f"configuration error: {exc}",
            error_kind="configuration",
            run=meta,
        )
        write_reports(result, out_dir, None, console)
        return result.exit_code
    meta.injected = [i.label() for i in injections]
    chosen = [s for s in profile.stages if opts.stages is None or s in opts.stages]
    clock = RunClock()
    stage_results: list[StageResult] = []
    error: str | None = None
    error_kind = ""
    ctx: RunContext | None = None
    stack_opts = StackOptions(
        out_dir=out_dir,
        agent_url=opts.agent_url,
        whatsapp_url=opts.whatsapp_url,
        qloapps_url=opts.qloapps_url,
        database_url=opts.database_url,
        redis_url=opts.redis_url,
        credentials=Credentials.generate(**opts.credentials),
        startup_timeout=opts.startup_timeout,
    )
    console.print(f"hotelero validate · profile [bold]{opts.profile}[/] · stages {', '.join(chosen)} · out {out_dir}")
    try:
        with sigterm_unwinds(), Ui(console, enabled=opts.live) as ui, run_stack(stack_opts, on_step=ui.log) as stack:
            meta.agent_url, meta.agent_external = stack.agent_url, stack.agent_external
            meta.services = [ServiceTier(**s) for s in stack.services]
            ctx = RunContext(
                stack=stack,
                clock=clock,
                config=config,
                profile=profile,
                profile_name=opts.profile,
                out_dir=out_dir,
                ui=ui,
                injections=injections,
                gates_path=(opts.gates_path or default_gates_path()).resolve(),
                load_driver=opts.load_driver,
            )
            stage_results = asyncio.run(_run_stages(ctx, chosen, profile.readiness_probe_interval))
    except StackError as exc:
        error, error_kind = f"the stack did not come up: {exc}", "harness"
    except (KeyboardInterrupt, Terminated):
        error, error_kind = "interrupted; every started process was stopped", "interrupted"
    except Exception as exc:  # noqa: BLE001 - every way out writes result.json and junit.xml
        error, error_kind = f"harness error: {type(exc).__name__}: {exc}", "harness"
    m = ctx.m if ctx is not None else Measurements()
    aborted = ctx.aborted if ctx is not None else ""
    for name in chosen:
        if name not in {s.name for s in stage_results}:
            detail = f"run aborted: {aborted}" if aborted else "run ended before this stage"
            stage_results.append(StageResult(name=name, status="NOT_RUN", detail=detail))
    why = _not_run_reasons(config, profile, opts, stage_results)
    ran = [s.name for s in stage_results if s.status != "NOT_RUN"]
    gates = evaluate(config, m, not_run(config, ran, why), profile.unproven_ok)
    gates = _partly_run(gates, ran, why)
    stage_results = stage_statuses(stage_results, gates, config, m)
    tripped = any(g.tripped for g in m.guards)
    failed_checks = sum(1 for s in stage_results for c in s.checks if not c.passed)
    failed_checks += sum(1 for s in stage_results if s.status == "ERROR")
    verdict = Verdict.ERROR if error else decide(gates, tripped, failed_checks)
    if aborted and verdict in (Verdict.PASS, Verdict.INCONCLUSIVE):
        verdict = Verdict.FAIL
    reason = error or _verdict_reason(verdict, gates, m, stage_results)
    if aborted and not error:
        reason = f"run aborted early: {aborted}; {reason}"
    meta.finished_at = now_iso()
    meta.wall_s = round(time.monotonic() - wall_start, 1)
    if profile.max_wall and meta.wall_s > profile.max_wall:
        reason += f" (note: the run took {meta.wall_s:.0f} s, over the profile's {profile.max_wall:.0f} s budget)"
    samples_dir = out_dir / "samples"
    write_jsonl(samples_dir / SAMPLE_FILES["e2e"], m.e2e)
    write_jsonl(samples_dir / SAMPLE_FILES["probes"], m.probes)
    write_jsonl(samples_dir / SAMPLE_FILES["conversations"], m.conversations)
    locust_html = out_dir / "load" / "locust.html"
    result = Result(
        verdict=verdict,
        exit_code=verdict.exit_code,
        verdict_reason=reason,
        error_kind=error_kind,
        run=meta,
        stages=stage_results,
        gates=gates,
        guards=m.guards,
        conversations=m.conversations,
        faults=ctx.faults if ctx is not None else [],
        reply_timeout_ms=m.reply_timeout_ms,
        samples={k: f"samples/{v}" for k, v in SAMPLE_FILES.items()},
        logs={p.stem: f"logs/{p.name}" for p in sorted((out_dir / "logs").glob("*.log"))},
        artefacts={"locust_html": "load/locust.html"} if locust_html.exists() else {},
    )
    write_reports(result, out_dir, baseline, console)
    return result.exit_code
