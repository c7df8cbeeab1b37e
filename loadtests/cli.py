"""`hotelero load`: headless or distributed Locust runs of the guest scenarios.

Locust always runs in its own processes (gevent does not mix with asyncio or pytest); this command only
builds their command lines, waits for them, stops them by PID and prints the run summary.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import typer

import loadtests
from loadtests.settings import SettingsError, resolve

LOCUSTFILE = Path(loadtests.__file__).parent / "locustfile.py"
# The meanings of `hotelero validate`'s codes (validation/exitcodes.py): 2 could not run, 3 INVALID.
EXIT_ERROR = 2
EXIT_INVALID = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def locust_base(host: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", host]


def scenario_args(flags: dict[str, Any]) -> list[str]:
    """Our own locustfile flags, only those given (the locustfile resolves the rest the same way)."""
    args: list[str] = []
    for key, value in flags.items():
        if value is None or value is False:
            continue
        flag = f"--{key.replace('_', '-')}"
        args += [flag] if value is True else [flag, str(value)]
    return args


def _stop(procs: list[subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    """Terminate our own children by PID, then kill what is left."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def print_summary(summary: dict[str, Any], out: Path) -> None:
    """The figures a person reads first."""
    e2e, ack, cpu = summary["e2e"], summary["ack"], summary["generator_cpu"]
    echo = typer.echo
    echo(f"shape {summary['shape']}: {summary['schedule_s']:.0f} s scheduled, {summary['generators']} generator(s)")
    echo(
        f"  rate      offered {summary['offered_rate_per_s']:.3f}/s ({summary['offered']} msgs), "
        f"achieved {summary['achieved_rate_per_s']:.3f}/s; send lag p99 {summary['send_lag_ms']['p99']} ms"
    )
    echo(
        f"  e2e       p50 {e2e['p50_ms']} ms  p95 {e2e['p95_ms']} ms  p99 {e2e['p99_ms']} ms  "
        f"failures {e2e['failures']}/{e2e['count']} {e2e['errors'] or ''}"
    )
    echo(f"  ack       p50 {ack['p50_ms']} ms  p99 {ack['p99_ms']} ms  failures {ack['failures']}/{ack['count']}")
    echo(
        f"  generator CPU mean {cpu['mean_cores']} cores, peak {cpu['peak_cores']} "
        f"({100 * (cpu['share_of_box'] or 0):.1f}% of {cpu['cpu_count']} cores); "
        f"box busy {cpu['box_busy_percent_mean']}%"
    )
    if "knee" in summary:
        knee = summary["knee"]
        echo(
            f"  knee      {knee['rate_per_s']} msgs/s (e2e p95 {knee['e2e_p95_ms']} ms, generator "
            f"{knee['generator_cores']} cores); broke at {knee['broken_at_rate_per_s']}: {knee['broken_because']} "
            f"{knee['note']}"
        )
        for step in summary["steps"]:
            echo(
                f"    {step['label']:>12}  sent {step['sent']}/{step['offered']}  p50 {step['e2e']['p50_ms']}  "
                f"p95 {step['e2e']['p95_ms']}  fail {step['e2e']['failures']}  cpu {step['generator_cores']}  "
                f"{'ok' if step['passed'] else step['why']}"
            )
    if "recovery" in summary:
        rec = summary["recovery"]
        echo(f"  recovery  {rec.get('recovery_s')} s after the spike (windows of {rec.get('window_s')} s)")
    if not summary["valid"]:
        echo(f"  INVALID   {'; '.join(summary['invalid_reasons'])}")
    echo(f"  files     {out}/samples.jsonl, summary.json, locust_stats.csv, locust.html, locust.log")


def load_command(
    shape: str = typer.Option("steady", "--shape", help="smoke | steady | ramp | spike | soak"),
    rate: float = typer.Option(None, "--rate", help="Guest messages/s (default 2.78 = 10x the 1000/h SLA)"),
    duration: str = typer.Option(None, "--duration", help="Schedule length: 60s, 10m, 1h (steady, soak, spike)"),
    step_duration: str = typer.Option(None, "--step-duration", help="Ramp: length of each step (default 20s)"),
    step_rate: float = typer.Option(None, "--step-rate", help="Ramp: increase per step (default: the start rate)"),
    max_rate: float = typer.Option(None, "--max-rate", help="Ramp: highest rate tried (default 40x the start)"),
    spike_factor: float = typer.Option(None, "--spike-factor", help="Spike: multiple of --rate (default 10)"),
    spike_duration: str = typer.Option(None, "--spike-duration", help="Spike: its length (default 30s)"),
    warmup: str = typer.Option(None, "--warmup", help="First part recorded but not judged, e.g. 5s"),
    reply_timeout: str = typer.Option(None, "--reply-timeout", help="A reply later than this fails (default 10s)"),
    mix: str = typer.Option(None, "--mix", help="Flow weights: faq=40,availability=30,booking=20,cancellation=10"),
    languages: str = typer.Option(None, "--languages", help="Guest language weights: es=60,en=40"),
    profile: str = typer.Option(None, "--profile", help="Take rate/duration/timeouts/mix from a gates profile"),
    gates_file: Path = typer.Option(None, "--gates-file", help="quality_gates.yaml (default: ./ or the repo's)"),
    gate_p95_ms: float = typer.Option(None, "--gate-p95-ms", help="Ramp/spike: e2e p95 gate (default from gates)"),
    no_reply_check: bool = typer.Option(
        False, "--no-reply-check", help="Accept any non-apology reply (for AGENT_RESPONDER=echo)"
    ),
    seed: int = typer.Option(None, "--seed", help="Guest names, languages and flows follow this seed"),
    conversations_dir: Path = typer.Option(
        None, "--conversations-dir", help="Golden conversations to reuse (default validation/conversations)"
    ),
    whatsapp_url: str = typer.Option(
        "http://127.0.0.1:8082", "--whatsapp-url", "--host", help="The WhatsApp simulator's base URL"
    ),
    out: Path = typer.Option(None, "--out", help="Output folder (default reports/load-<shape>-<time>)"),
    stop_file: Path = typer.Option(
        None, "--stop-file", help="Stop the schedule early once this file exists (in-flight replies still counted)"
    ),
    workers: int = typer.Option(0, "--workers", help="Distributed: a Locust master plus N worker processes"),
    expect_workers: int = typer.Option(None, "--expect-workers", help="Workers the master waits for (default N)"),
    master_host: str = typer.Option(
        None, "--master-host", help="Run only N workers here, connecting to the master on this host"
    ),
    master_port: int = typer.Option(None, "--master-port", help="Master port (default 5557; free port if local)"),
    master_bind_host: str = typer.Option(
        "127.0.0.1", "--master-bind-host", help="Interface the master listens on (0.0.0.0 for remote workers)"
    ),
) -> None:
    """Run a load shape headless against the WhatsApp simulator (and the agent behind it).

    Every guest message yields an `ack` and an `e2e:<flow>` sample; the exact samples, a run summary and
    Locust's CSV/HTML land in --out. Exit 0 when the run completed, 3 when it is INVALID (the generator
    could not offer the rate), 2 when it could not run.
    """
    flags: dict[str, Any] = {
        "shape": shape,
        "rate": rate,
        "duration": duration,
        "step_duration": step_duration,
        "step_rate": step_rate,
        "max_rate": max_rate,
        "spike_factor": spike_factor,
        "spike_duration": spike_duration,
        "warmup": warmup,
        "reply_timeout": reply_timeout,
        "mix": mix,
        "languages": languages,
        "gates_profile": profile,
        "gates_file": str(gates_file) if gates_file else None,
        "gate_p95_ms": gate_p95_ms,
        "seed": seed,
        "no_reply_check": no_reply_check or None,
        "conversations_dir": str(conversations_dir) if conversations_dir else None,
        "stop_file": str(stop_file) if stop_file else None,
    }
    try:
        settings = resolve(flags)
    except SettingsError as exc:
        typer.echo(f"hotelero load: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    if workers < 0:
        typer.echo("hotelero load: --workers must be 0 (one process) or more", err=True)
        raise typer.Exit(EXIT_ERROR)

    if master_host:
        _run_remote_workers(max(1, workers), master_host, master_port or 5557, whatsapp_url)
        return

    out = out or Path("reports") / f"load-{shape}-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    flags.update({"samples_file": str(out / "samples.jsonl"), "summary_file": str(out / "summary.json")})
    common = scenario_args(flags)
    reports = ["--csv", str(out / "locust"), "--html", str(out / "locust.html"), "--only-summary"]
    schedule = settings.schedule()
    budget = schedule.total_s + settings.reply_timeout_s + 90
    procs: list[subprocess.Popen[bytes]] = []
    log = (out / "locust.log").open("wb")
    try:
        if workers == 0:
            cmd = [*locust_base(whatsapp_url), "--headless", *reports, *common]
            procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
        else:
            expected = expect_workers or workers
            port = master_port or (5557 if expected > workers else _free_port())
            master = [
                *locust_base(whatsapp_url),
                "--headless",
                "--master",
                "--master-bind-host",
                master_bind_host,
                "--master-bind-port",
                str(port),
                "--expect-workers",
                str(expected),
                "--expect-workers-max-wait",
                "60",
                *reports,
                *common,
            ]
            procs.append(subprocess.Popen(master, stdout=log, stderr=subprocess.STDOUT))
            worker_host = "127.0.0.1" if master_bind_host in ("0.0.0.0", "") else master_bind_host
            for _ in range(workers):
                cmd = [*locust_base(whatsapp_url), "--worker", "--master-host", worker_host, "--master-port", str(port)]
                procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
        try:
            code = procs[0].wait(timeout=budget + (60 if workers else 0))
        except subprocess.TimeoutExpired:
            typer.echo(f"hotelero load: Locust did not finish within {budget:.0f} s; stopped it", err=True)
            code = EXIT_ERROR
    except KeyboardInterrupt:
        code = 130
    finally:
        _stop(procs)
        log.close()
    summary_path = out / "summary.json"
    if not summary_path.exists():
        typer.echo(f"hotelero load: no summary was written (Locust exit {code}); see {out / 'locust.log'}", err=True)
        raise typer.Exit(EXIT_ERROR)
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    print_summary(summary, out)
    if not summary["valid"]:
        raise typer.Exit(EXIT_INVALID)


def _run_remote_workers(n: int, master_host: str, port: int, whatsapp_url: str) -> None:
    """Worker processes for a master on another machine; they get the scenario flags from the master."""
    typer.echo(f"starting {n} Locust worker(s) for the master at {master_host}:{port}")
    procs = [
        subprocess.Popen(
            [*locust_base(whatsapp_url), "--worker", "--master-host", master_host, "--master-port", str(port)]
        )
        for _ in range(n)
    ]
    try:
        for proc in procs:
            proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(procs)
    codes = {p.returncode for p in procs}
    if codes - {0}:
        raise typer.Exit(EXIT_ERROR)
