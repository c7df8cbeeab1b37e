"""Load figures on this machine: the knee, e2e percentiles at 10x the SLA rate, the generator's CPU share.

Brings up real Postgres and Redis (validation.services tiers), the agent and the WhatsApp simulator on
127.0.0.1, then runs `hotelero load` shapes in subprocesses (one Locust process, then `--workers 2`) and
prints the figures. Nothing is asserted; read the numbers.

    .venv/bin/python benchmarks/bench_load.py [--responder echo|receptionist] [--qloapps-url URL]
        [--steady 60s] [--ramp-start 10] [--ramp-step 10] [--ramp-step-duration 15s] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
SLA_10X = round(10 * 1000 / 3600, 2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hotelero(*args: str) -> list[str]:
    return [sys.executable, "-c", "from validation.cli import app; app()", *args]


def wait(url: str, proc: subprocess.Popen[bytes], key: str | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the process exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError, ValueError):
            r = httpx.get(url, timeout=2)
            if r.status_code == 200 and (key is None or r.json().get(key)):
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} not ready in {timeout} s")


@contextlib.contextmanager
def stack(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """Postgres, Redis, the agent and the WhatsApp simulator (+ QloApps with --whole); yields the simulator URL."""
    if args.whole:
        from validation.stack import StackOptions, run_stack

        agent_env = {"AGENT_RESPONDER": args.responder, "AGENT_LOG_LEVEL": "WARNING"}
        with run_stack(StackOptions(out_dir=workdir, agent_env=agent_env)) as st:
            print(f"stack: whole ({args.responder}), simulator {st.whatsapp_url}, QloApps {st.qloapps_url}")
            yield st.whatsapp_url
        return
    from validation.services import postgres_service, redis_service

    procs: list[subprocess.Popen[bytes]] = []
    with postgres_service() as pg, redis_service() as rd:
        sim_port, agent_port = free_port(), free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        env = {
            **os.environ,
            "AGENT_GRAPH_API_BASE_URL": sim_url,
            "AGENT_GRAPH_API_VERSION": "v21.0",
            "AGENT_ACCESS_TOKEN": "sim-access-token",
            "AGENT_PHONE_NUMBER_ID": "106540352242922",
            "AGENT_APP_SECRET": "sim-app-secret",
            "AGENT_VERIFY_TOKEN": "sim-verify-token",
            "AGENT_ADMIN_TOKEN": "bench-admin",
            "AGENT_DATABASE_URL": pg.url,
            "AGENT_REDIS_URL": rd.url,
            "AGENT_QLOAPPS_URL": args.qloapps_url or "",
            "AGENT_RESPONDER": args.responder,
            "AGENT_LOG_LEVEL": "WARNING",
        }
        subprocess.run(hotelero("agent", "migrate"), env=env, check=True, capture_output=True)
        try:
            agent_log = (workdir / "agent.log").open("wb")
            procs.append(
                subprocess.Popen(
                    hotelero("agent", "--host", "127.0.0.1", "--port", str(agent_port)),
                    env=env,
                    stdout=agent_log,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                )
            )
            sim_log = (workdir / "sim.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "simulators.whatsapp",
                        "--webhook-url",
                        f"http://127.0.0.1:{agent_port}/webhooks/whatsapp",
                        "--port",
                        str(sim_port),
                        "--no-rate-limits",
                    ],
                    stdout=sim_log,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                )
            )
            wait(f"http://127.0.0.1:{agent_port}/health/ready", procs[0])
            wait(f"{sim_url}/_sim/health", procs[1], key="webhook_verified")
            print(f"stack: agent :{agent_port} ({args.responder}), simulator {sim_url}, {pg.tier} Postgres/Redis")
            yield sim_url
        finally:
            for proc in reversed(procs):
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=15)


def load(sim_url: str, out: Path, *extra: str) -> dict[str, Any]:
    cmd = hotelero("load", "--host", sim_url, "--out", str(out), *extra)
    print("$ hotelero load " + " ".join(["--host", sim_url, "--out", str(out), *extra]), flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    print(done.stdout.rstrip())
    if done.returncode not in (0, 3):
        print(done.stderr[-2000:])
    return json.loads((out / "summary.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responder", default="echo", choices=["echo", "receptionist"])
    parser.add_argument("--qloapps-url", default=None)
    parser.add_argument("--whole", action="store_true", help="the validation runner's stack, QloApps included")
    parser.add_argument("--out", default=None, help="where runs are kept (default reports/bench-load-<time>)")
    parser.add_argument("--only", default=None, help="comma list of: steady1,ramp1,steady2,ramp2")
    parser.add_argument("--steady", default="60s")
    parser.add_argument("--ramp-start", default="10")
    parser.add_argument("--ramp-step", default="10")
    parser.add_argument("--ramp-step-duration", default="15s")
    parser.add_argument("--ramp-max", default="400")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    check = ["--no-reply-check"] if args.responder == "echo" else []
    ramp = [
        "--shape",
        "ramp",
        "--rate",
        args.ramp_start,
        "--step-rate",
        args.ramp_step,
        "--step-duration",
        args.ramp_step_duration,
        "--max-rate",
        args.ramp_max,
        *check,
    ]
    steady = ["--shape", "steady", "--rate", str(SLA_10X), "--duration", args.steady, *check]
    rows: list[tuple[str, dict[str, Any]]] = []
    out = Path(args.out or f"reports/bench-load-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    with stack(args, out) as sim_url:
        workers = ["--workers", str(args.workers)]
        plan = [
            ("steady1", "steady 10x SLA, 1 process", steady),
            ("ramp1", "ramp, 1 process", ramp),
            ("steady2", f"steady 10x SLA, --workers {args.workers}", [*steady, *workers]),
            ("ramp2", f"ramp, --workers {args.workers}", [*ramp, *workers]),
        ]
        for key, label, extra in plan:
            if not args.only or key in args.only.split(","):
                rows.append((label, load(sim_url, out / key, *extra)))
    print(
        "\nfigure | offered/s | achieved/s | e2e p50/p95/p99 ms | ack p99 ms | failures | gen cores mean (share) | knee"
    )
    for label, s in rows:
        e2e, cpu = s["e2e"], s["generator_cpu"]
        knee = s.get("knee") or {}
        knee_text = (
            f"{knee.get('rate_per_s')}/s (broke at {knee.get('broken_at_rate_per_s')}: {knee.get('broken_because')};"
            f" gen {knee.get('generator_cores')} cores at the knee)"
            if knee
            else "-"
        )
        print(
            f"{label} | {s['offered_rate_per_s']:.2f} | {s['achieved_rate_per_s']:.2f} | "
            f"{e2e['p50_ms']}/{e2e['p95_ms']}/{e2e['p99_ms']} | {s['ack']['p99_ms']} | {e2e['failures']}/{e2e['count']}"
            f" | {cpu['mean_cores']} ({100 * (cpu['share_of_box'] or 0):.1f}% of box) | {knee_text}"
        )


if __name__ == "__main__":
    main()
