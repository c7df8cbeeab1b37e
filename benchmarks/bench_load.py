"""Load figures on this machine: the highest rate within 200 ms and the knee at the 2 s gate, CPU per component.

Brings up the validation runner's stack (real Postgres and Redis, the WhatsApp and QloApps simulators, the
agent in the process layout asked for) on 127.0.0.1, then runs `hotelero load` ramps in a subprocess, and
samples every component's CPU (process tree, user+system) once a second. Nothing is asserted; read the numbers.

For each layout (`--layouts web:workers,...`, e.g. 1:0 = one process with its in-process worker, 1:1 = one web
process and one separate worker process) it prints:

- ramp at the 200 ms gate: the highest step rate with e2e p95 < 200 ms and nothing lost (no failure at all);
- ramp at the 2 s gate (the quality gate's p95), starting one step above that rate: the knee, i.e. the last
  step within the gates;
- per step: e2e p50/p95, failures, the agent's CPU per guest message (ms), each component's cores (agent web,
  agent worker, each simulator, Postgres, Redis, Locust) and the WhatsApp simulator's added latency p95
  (guest message accepted -> its webhook POST leaving, exact: read per message from the simulator's timeline;
  its histogram's reading is printed for the whole run as a cross-check);
- over the whole run: CPU ms per guest message of every component, the QloApps simulator's time per request
  (p95 from its histogram: the bucket bound and the interpolated value), and round trips per guest message
  (SQL transactions, Redis commands, Graph and QloApps calls, webhook POSTs, Locust's control-plane calls).

Each ramp stops at its first broken step (Locust's ramp judges each step as it ends), so a run takes about
2 min of start-up and warm-up plus 15 s per step: about 8-10 minutes for one layout on a quiet box.

    .venv/bin/python benchmarks/bench_load.py [--responder receptionist|echo] [--layouts 1:1]
        [--fast-start 100] [--fast-step 25] [--knee-start R] [--knee-step 25] [--step-duration 15s]
        [--max-rate 500] [--warmup 20s] [--pause 5s] [--only fast,knee] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qualitygates.durations import parse_duration  # noqa: E402
from validation.stack import StackOptions, run_stack  # noqa: E402

FAST_GATE_MS = 200.0
KNEE_GATE_MS = 2000.0


def hotelero(*args: str) -> list[str]:
    return [sys.executable, "-m", "validation.cli", *args]


def _tree_cpu(proc: psutil.Process) -> float:
    """User+system seconds of a process, its live descendants and the children it has reaped."""
    try:
        t = proc.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in proc.children(recursive=True):
            try:
                ct = child.cpu_times()
                total += ct.user + ct.system
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0.0


def agent_parts(agent: psutil.Process) -> dict[str, list[psutil.Process]]:
    """The agent's web and worker processes: `hotelero agent worker` children are workers, the rest is web."""
    workers = [c for c in agent.children() if c.cmdline()[-1:] == ["worker"]]
    return {"agent-worker": workers, "agent": [agent]}


def _server_process(needle: str) -> psutil.Process | None:
    """The Postgres postmaster or Redis server whose command line names this port."""
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if needle in cmd and ("postgres -D" in cmd or "redis-server" in cmd):
            return proc
    return None


def _port(url: str) -> str:
    return url.rsplit(":", 1)[1].split("/")[0]


@dataclass
class CpuSampler:
    """Cumulative CPU seconds of each component (a list of process trees each), sampled once a second in a thread.

    `agent-web` is the agent's tree less its worker processes' trees.
    """

    roots: dict[str, list[psutil.Process]]
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def read(self) -> dict[str, float]:
        cpu = {k: sum(_tree_cpu(p) for p in procs) for k, procs in self.roots.items()}
        if "agent" in cpu and "agent-worker" in cpu:
            cpu["agent-web"] = cpu["agent"] - cpu["agent-worker"]
        return cpu

    def names(self) -> list[str]:
        """Components in print order: the agent's parts first, then the rest as found."""
        found = list(self.samples[0][1]) if self.samples else list(self.roots)
        first = [n for n in ("agent-web", "agent-worker", "agent") if n in found]
        return first + [n for n in found if n not in first]

    def start(self) -> None:
        self.samples.append((time.time(), self.read()))
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append((time.time(), self.read()))

    def stop(self) -> None:
        self._stop.set()
        self.samples.append((time.time(), self.read()))

    def between(self, start: float, end: float) -> tuple[float, dict[str, float]]:
        """(seconds, CPU seconds per component) between the samples nearest to `start` and `end`."""
        inside = [s for s in self.samples if start <= s[0] <= end] or self.samples[-1:]
        first, last = inside[0], inside[-1]
        span = max(1e-9, last[0] - first[0])
        return span, {k: last[1][k] - first[1].get(k, 0.0) for k in last[1]}


def _families(url: str) -> dict[str, list[Any]]:
    text = httpx.get(url, timeout=10).text
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def _counter(fams: dict[str, list[Any]], name: str) -> float:
    return sum(s.value for s in fams.get(name, []) if s.name.endswith("_total") or s.name == name)


def _buckets(fams: dict[str, list[Any]], name: str) -> dict[float, float]:
    out: dict[float, float] = {}
    for s in fams.get(name, []):
        if s.name == name + "_bucket":
            le = float(s.labels["le"])
            out[le] = out.get(le, 0.0) + s.value
    return out


def bucket_p95(before: dict[float, float], after: dict[float, float]) -> tuple[float | None, float | None, int]:
    """(upper bound of the bucket holding the 95th percentile, the value interpolated inside it, count), in ms."""
    delta = {le: after[le] - before.get(le, 0.0) for le in after}
    total = delta.get(float("inf"), 0.0)
    if total <= 0:
        return None, None, 0
    lower, below = 0.0, 0.0
    for le in sorted(delta):
        if delta[le] >= 0.95 * total:
            if le == float("inf"):
                return None, None, int(total)
            # Linear inside the bucket, as Prometheus' histogram_quantile reads it.
            inside = (0.95 * total - below) / max(1e-9, delta[le] - below)
            return le * 1000, round((lower + inside * (le - lower)) * 1000, 2), int(total)
        lower, below = le, delta[le]
    return None, None, int(total)


class Probes:
    """Counters read before and after a run: round trips and the simulators' latency histograms."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.redis = redis.Redis.from_url(stack.redis_url)

    def read(self) -> dict[str, Any]:
        import psycopg

        with psycopg.connect(self.stack.database_url, autocommit=True) as conn:
            xacts = conn.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()[0]
        redis_calls = sum(v["calls"] for k, v in self.redis.info("commandstats").items() if k.startswith("cmdstat_"))
        wa = _families(self.stack.whatsapp_url + "/metrics")
        qlo = _families(self.stack.qloapps_url + "/metrics")
        return {
            "sql": xacts,
            "redis": redis_calls,
            "guest_messages": _counter(wa, "wa_sim_guest_messages"),
            "graph": _counter(wa, "wa_sim_graph_requests"),
            "qloapps": _counter(qlo, "qloapps_sim_requests"),
            "webhooks": _counter(wa, "wa_sim_webhook_attempts"),
            "wa_dispatch": _buckets(wa, "wa_sim_dispatch_lag_seconds"),
            "qlo_request": _buckets(qlo, "qloapps_sim_request_seconds"),
        }


def _children_cpu() -> float:
    """CPU seconds of this process's waited-for children (a finished `hotelero load` and its Locust)."""
    t = os.times()
    return t.children_user + t.children_system


def _load(sim_url: str, out: Path, args: argparse.Namespace, *flags: str) -> tuple[dict[str, Any], float]:
    """One `hotelero load` run: (its summary, CPU seconds of it and its Locust process)."""
    extra = ["--no-reply-check"] if args.responder == "echo" else []
    cmd = hotelero("load", "--host", sim_url, "--out", str(out), *flags, *extra)
    print("$ hotelero " + " ".join(cmd[3:]), flush=True)
    before = _children_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    cpu = _children_cpu() - before
    if done.returncode not in (0, 3) or not (out / "summary.json").exists():
        print(done.stdout[-2000:], done.stderr[-2000:])
        raise SystemExit(f"bench_load: hotelero load failed (exit {done.returncode}); see {out / 'locust.log'}")
    return json.loads((out / "summary.json").read_text()), cpu


def ramp(sim_url: str, out: Path, start: float, step: float, gate_ms: float, args: argparse.Namespace) -> Any:
    return _load(
        sim_url, out, args,
        "--shape", "ramp", "--rate", str(start), "--step-rate", str(step), "--step-duration", args.step_duration,
        "--max-rate", str(args.max_rate), "--gate-p95-ms", str(gate_ms),
    )  # fmt: skip


def clean(step: dict[str, Any]) -> bool:
    """e2e p95 under 200 ms and nothing lost: every offered message answered, and right."""
    e2e = step["e2e"]
    p95 = e2e["p95_ms"]
    return p95 is not None and p95 < FAST_GATE_MS and e2e["failures"] == 0 and e2e["count"] >= step["offered"]


def report(label: str, summary: dict, sampler: CpuSampler, gate_ms: float) -> dict[str, Any]:
    """Print each step with CPU per component; return the steps, the highest clean rate and the knee."""
    t0 = summary["started_unix"]
    names = sampler.names()
    print(f"\n{label}: steps of {summary['settings'].get('step_s')} s (gate p95 < {gate_ms:.0f} ms)")
    print("rate/s | e2e p50/p95 ms | failures | agent CPU ms/msg | WA sim dispatch p95 ms | cores: " + " ".join(names))
    highest_clean = None
    broken = False
    rows = []
    for st in summary["steps"]:
        span, cpu = sampler.between(t0 + st["start_s"], t0 + st["end_s"])
        sent = max(1, st["sent"])
        # CPU over the sampled span, per message sent in that span (the span is the step's, give or take 1 s).
        agent_ms = 1000 * cpu.get("agent", 0.0) / (sent * span / max(1e-9, st["end_s"] - st["start_s"]))
        cores = {k: round(v / span, 3) for k, v in cpu.items()}
        cores["locust"] = st["generator_cores"]
        e2e = st["e2e"]
        dispatch = (st.get("sim_dispatch_ms") or {}).get("p95_ms")
        print(
            f"{st['rate']:.0f} | {e2e['p50_ms']}/{e2e['p95_ms']} | {e2e['failures']}/{e2e['count']} | {agent_ms:.2f} | "
            f"{dispatch} | " + " ".join(f"{cores[k]:.2f}" for k in names) + f" locust {st['generator_cores']}"
        )
        rows.append({**st, "agent_cpu_ms_per_msg": round(agent_ms, 3), "cores": cores})
        if broken:
            continue
        if clean(st):
            highest_clean = st["rate"]
        else:
            broken = True
    knee = summary.get("knee", {})
    return {"steps": rows, "clean_rate": highest_clean, "knee": knee.get("rate_per_s"), "knee_detail": knee}


def run_layout(web: int, workers: int, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    agent_env = {"AGENT_RESPONDER": args.responder, "AGENT_LOG_LEVEL": "WARNING"}
    opts = StackOptions(out_dir=out, agent_env=agent_env, agent_web=web, agent_workers=workers)
    results: dict[str, Any] = {"layout": f"{web}:{workers}"}
    with run_stack(opts) as st:
        db_port, redis_port = _port(st.database_url), _port(st.redis_url)
        roots: dict[str, list[psutil.Process]] = {}
        for name, pid in st.pids().items():
            proc = psutil.Process(pid)
            roots.update(agent_parts(proc) if name == "agent" else {name: [proc]})
        for name, needle in (("postgres", f"-p {db_port}"), ("redis", f":{redis_port}")):
            server = _server_process(needle)
            if server is not None:
                roots[name] = [server]
        print(f"\nlayout {web} web : {workers} worker processes; components {', '.join(roots)}", flush=True)
        probes = Probes(st)
        if args.warmup not in ("", "0", "0s"):
            print("(warm-up, not judged)")
            _load(st.whatsapp_url, out / f"warmup-{web}-{workers}", args,
                  "--shape", "steady", "--rate", str(args.fast_start), "--duration", args.warmup)  # fmt: skip
        sampler = CpuSampler(roots)
        sampler.start()
        before = probes.read()
        locust_cpu, sent, calls = 0.0, 0, 0.0
        for key in ("fast", "knee"):
            if args.only and key not in args.only.split(","):
                continue
            if key == "fast":
                start, step, gate, label = args.fast_start, args.fast_step, FAST_GATE_MS, "200 ms ramp"
            else:
                # The 2 s ramp starts one step above the highest clean rate (that step is within 2 s already).
                base = results.get("fast", {}).get("clean_rate")
                start = args.knee_start or (base + args.knee_step if base else args.fast_start)
                step, gate, label = args.knee_step, KNEE_GATE_MS, "2 s ramp"
                time.sleep(parse_duration(args.pause))  # the first ramp's broken step may have left a backlog
            summary, cpu_s = ramp(st.whatsapp_url, out / f"{key}-{web}-{workers}", start, step, gate, args)
            results[key] = report(label, summary, sampler, gate)
            locust_cpu += cpu_s
            sent += summary["sent"]
            calls += sum(summary.get("control_calls", {}).values())
        sampler.stop()
        after = probes.read()
        fast, knee = results.get("fast", {}), results.get("knee", {})
        # A 2 s ramp whose first step broke: the knee is the highest clean rate (within 200 ms, so within 2 s).
        results["knee_rate"] = knee.get("knee") or (fast.get("clean_rate") if knee else None)
        msgs = max(1.0, after["guest_messages"] - before["guest_messages"])
        # Over the whole run every message was processed (the ramps wait for the last replies), so this is each
        # component's CPU per guest message without the lag of an overloaded step.
        _, run_cpu = sampler.between(sampler.samples[0][0], sampler.samples[-1][0])
        per_msg = {k: round(1000 * run_cpu[k] / msgs, 2) for k in sampler.names()}
        # Locust's process trees from start to exit (start-up and the wait for the last replies included).
        per_msg["locust"] = round(1000 * locust_cpu / max(1, sent), 2)
        results["cpu_ms_per_guest_message_whole_run"] = per_msg
        print(f"\nCPU ms per guest message over the whole run: {per_msg}")
        trips = {k: round((after[k] - before[k]) / msgs, 2) for k in ("sql", "redis", "graph", "qloapps", "webhooks")}
        trips["locust_control"] = round(calls / max(1, sent), 2)
        qlo_le, qlo_p95, qlo_n = bucket_p95(before["qlo_request"], after["qlo_request"])
        wa_le, wa_p95, wa_n = bucket_p95(before["wa_dispatch"], after["wa_dispatch"])
        results.update(round_trips_per_guest_message=trips, qloapps_sim_request_p95_ms=qlo_p95)
        print(f"round trips per guest message ({int(msgs)} messages): {trips}")
        print(f"QloApps simulator: time per request p95 ~{qlo_p95} ms (bucket <= {qlo_le} ms; {qlo_n} requests)")
        print(
            f"WhatsApp simulator: dispatch p95 from its histogram ~{wa_p95} ms (bucket <= {wa_le} ms; {wa_n} messages)"
        )
    return results


def _at_clean(r: dict[str, Any]) -> dict[str, Any]:
    """The 200 ms ramp's step at the highest clean rate (the figures the issue asks for at that load)."""
    fast = r.get("fast", {})
    return next((s for s in fast.get("steps", []) if s["rate"] == fast.get("clean_rate")), {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responder", default="receptionist", choices=["echo", "receptionist"])
    parser.add_argument("--layouts", default="1:1", help="web:workers pairs, comma separated (1:0 = in-process)")
    parser.add_argument("--fast-start", type=float, default=100, help="first rate of the 200 ms ramp (msg/s)")
    parser.add_argument("--fast-step", type=float, default=25)
    parser.add_argument("--knee-start", type=float, default=None, help="default: one step above the clean rate")
    parser.add_argument("--knee-step", type=float, default=25)
    parser.add_argument("--step-duration", default="15s")
    parser.add_argument("--warmup", default="20s", help="steady at --fast-start first, not judged (0 to skip)")
    parser.add_argument("--pause", default="5s", help="between the two ramps, for a backlog to drain")
    parser.add_argument("--max-rate", type=float, default=500)
    parser.add_argument("--only", default=None, help="comma list of: fast (200 ms ramp), knee (2 s ramp)")
    parser.add_argument("--out", default=None, help="where runs are kept (default reports/bench-load-<time>)")
    args = parser.parse_args()
    out = Path(args.out or f"reports/bench-load-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    print(f"loadavg before: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}", flush=True)
    results = []
    for pair in args.layouts.split(","):
        web, workers = (int(x) for x in pair.split(":"))
        results.append(run_layout(web, workers, args, out))
    print(f"\nloadavg after: {' '.join(f'{x:.2f}' for x in psutil.getloadavg())}")
    print(
        "\nlayout | highest rate with p95 < 200 ms, nothing lost | knee at the 2 s gate | agent CPU ms/msg (whole run)"
        " | at the highest clean rate: WA sim dispatch p95 ms, cores per component"
    )
    for r in results:
        step = _at_clean(r)
        cores = " ".join(f"{k} {v}" for k, v in step.get("cores", {}).items())
        print(
            f"{r['layout']} | {r.get('fast', {}).get('clean_rate')} msg/s | {r.get('knee_rate')} msg/s | "
            f"{r['cpu_ms_per_guest_message_whole_run'].get('agent')} | "
            f"{(step.get('sim_dispatch_ms') or {}).get('p95_ms')} | {cores}"
        )
    (out / "bench.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"\nfigures in {out / 'bench.json'}")


if __name__ == "__main__":
    main()
