"""Load figures on this machine: the highest rate within 200 ms and the knee at the 2 s gate, CPU per component.

Brings up the validation runner's stack (real Postgres and Redis, the WhatsApp and QloApps simulators, the
agent in the process layout asked for) on 127.0.0.1, then runs `hotelero load` ramps in a subprocess, and
samples every component's CPU (process tree, user+system) once a second. Nothing is asserted; read the numbers.

For each layout (`--layouts web:workers,...`, e.g. 1:0 = one process with its in-process worker, 1:1 = one web
process and one separate worker process) it prints:

- ramp at the 200 ms gate: the highest step rate with e2e p95 < 200 ms and nothing lost (no failure at all);
- ramp at the 2 s gate (the quality gate's p95): the knee, i.e. the last step within the gates;
- per step: e2e p50/p95, failures, the agent's CPU per guest message (ms) and each component's cores;
- the harness: Locust's cores, the WhatsApp simulator's added latency (guest message accepted -> webhook POST
  leaving) and the QloApps simulator's time per request, as p95 from their histograms' buckets;
- round trips per guest message over the run: SQL transactions, Redis commands, Graph and QloApps calls.

    .venv/bin/python benchmarks/bench_load.py [--responder receptionist|echo] [--layouts 1:1]
        [--fast-start 150] [--fast-step 25] [--knee-start 250] [--knee-step 25] [--step-duration 15s]
        [--max-rate 500] [--warmup 20s] [--only fast,knee] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
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
    """Cumulative CPU seconds of each component, sampled once a second in a thread."""

    roots: dict[str, psutil.Process]
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), {k: _tree_cpu(p) for k, p in self.roots.items()}))
            self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        self.samples.append((time.time(), {k: _tree_cpu(p) for k, p in self.roots.items()}))

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


def bucket_p95(before: dict[float, float], after: dict[float, float]) -> tuple[float | None, int]:
    """The upper bound (ms) of the bucket holding the 95th percentile of what was observed in between."""
    delta = {le: after[le] - before.get(le, 0.0) for le in after}
    total = delta.get(float("inf"), 0.0)
    if total <= 0:
        return None, 0
    for le in sorted(delta):
        if delta[le] >= 0.95 * total:
            return le * 1000, int(total)
    return None, int(total)


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
            "wa_dispatch": _buckets(wa, "wa_sim_dispatch_lag_seconds"),
            "qlo_request": _buckets(qlo, "qloapps_sim_request_seconds"),
        }


def ramp(sim_url: str, out: Path, start: float, step: float, gate_ms: float, args: argparse.Namespace) -> dict:
    extra = ["--no-reply-check"] if args.responder == "echo" else []
    cmd = hotelero(
        "load",
        "--host",
        sim_url,
        "--out",
        str(out),
        "--shape",
        "ramp",
        "--rate",
        str(start),
        "--step-rate",
        str(step),
        "--step-duration",
        args.step_duration,
        "--max-rate",
        str(args.max_rate),
        "--gate-p95-ms",
        str(gate_ms),
        *extra,
    )
    print("$ hotelero " + " ".join(cmd[3:]), flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode not in (0, 3):
        print(done.stdout[-2000:], done.stderr[-2000:])
    return json.loads((out / "summary.json").read_text())


def warm_up(sim_url: str, out: Path, args: argparse.Namespace) -> None:
    """A steady run that is not judged: pools, connections and caches grow before the first judged step."""
    extra = ["--no-reply-check"] if args.responder == "echo" else []
    cmd = hotelero(
        "load", "--host", sim_url, "--out", str(out), "--shape", "steady", "--rate", str(args.fast_start),
        "--duration", args.warmup, *extra,
    )  # fmt: skip
    print("$ hotelero " + " ".join(cmd[3:]) + "   (warm-up, not judged)", flush=True)
    subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


def report(label: str, summary: dict, sampler: CpuSampler, gate_ms: float) -> dict[str, Any]:
    """Print each step with CPU per component; return the highest clean rate and the knee."""
    t0 = summary["started_unix"]
    print(f"\n{label}: steps of {summary['settings'].get('step_duration', '')} (gate p95 < {gate_ms:.0f} ms)")
    print("rate/s | e2e p50/p95 ms | failures | agent CPU ms/msg | cores: " + " ".join(sampler.roots))
    clean = knee = None
    broken = False
    rows = []
    for st in summary["steps"]:
        span, cpu = sampler.between(t0 + st["start_s"], t0 + st["end_s"])
        sent = max(1, st["sent"])
        agent_ms = 1000 * cpu.get("agent", 0.0) / (sent * span / max(1e-9, st["end_s"] - st["start_s"]))
        cores = {k: round(v / span, 2) for k, v in cpu.items()}
        e2e = st["e2e"]
        p95 = e2e["p95_ms"]
        print(
            f"{st['rate']:.0f} | {e2e['p50_ms']}/{p95} | {e2e['failures']}/{e2e['count']} | {agent_ms:.2f} | "
            + " ".join(f"{cores[k]:.2f}" for k in sampler.roots)
            + f" | locust {st['generator_cores']}"
        )
        rows.append({**st, "agent_cpu_ms_per_msg": round(agent_ms, 3), "cores": cores})
        if broken:
            continue
        if p95 is not None and p95 < FAST_GATE_MS and e2e["failures"] == 0 and st["sent"] >= 0.97 * st["offered"]:
            clean = st["rate"]
        if st["passed"]:
            knee = st["rate"]
        else:
            broken = True
    return {"steps": rows, "clean_rate": clean, "knee": knee}


def run_layout(web: int, workers: int, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    agent_env = {"AGENT_RESPONDER": args.responder, "AGENT_LOG_LEVEL": "WARNING"}
    opts = StackOptions(out_dir=out, agent_env=agent_env, agent_web=web, agent_workers=workers)
    results: dict[str, Any] = {"layout": f"{web}:{workers}"}
    with run_stack(opts) as st:
        db_port, redis_port = _port(st.database_url), _port(st.redis_url)
        roots = {name: psutil.Process(pid) for name, pid in st.pids().items()}
        for name, needle in (("postgres", f"-p {db_port}"), ("redis", f":{redis_port}")):
            proc = _server_process(needle)
            if proc is not None:
                roots[name] = proc
        print(f"\nlayout {web} web : {workers} worker processes; components {', '.join(roots)}", flush=True)
        probes = Probes(st)
        if args.warmup not in ("", "0", "0s"):
            warm_up(st.whatsapp_url, out / f"warmup-{web}-{workers}", args)
        sampler = CpuSampler(roots)
        sampler.start()
        before = probes.read()
        plan = [("fast", args.fast_start, args.fast_step, FAST_GATE_MS), ("knee", None, args.knee_step, KNEE_GATE_MS)]
        for key, start, step, gate in plan:
            if args.only and key not in args.only.split(","):
                continue
            if start is None:  # the 2 s ramp starts where the 200 ms one stopped being clean
                start = max(args.fast_step, (results.get("fast", {}).get("clean_rate") or args.knee_start))
                start = max(start, args.knee_start)
            summary = ramp(st.whatsapp_url, out / f"{key}-{web}-{workers}", start, step, gate, args)
            label = "200 ms ramp" if key == "fast" else "2 s ramp"
            results[key] = report(label, summary, sampler, gate)
            results[key]["locust_cores_mean"] = summary["generator_cpu"]["mean_cores"]
        sampler.stop()
        after = probes.read()
        msgs = max(1.0, after["guest_messages"] - before["guest_messages"])
        # Over the whole run every message was processed (the ramps wait for the last replies), so this is the
        # agent's CPU per guest message without the lag of an overloaded step.
        _, run_cpu = sampler.between(sampler.samples[0][0], sampler.samples[-1][0])
        per_msg = {k: round(1000 * v / msgs, 2) for k, v in run_cpu.items()}
        results["cpu_ms_per_guest_message_whole_run"] = per_msg
        print(f"\nCPU ms per guest message over the whole run: {per_msg}")
        trips = {k: round((after[k] - before[k]) / msgs, 2) for k in ("sql", "redis", "graph", "qloapps")}
        wa_p95, wa_n = bucket_p95(before["wa_dispatch"], after["wa_dispatch"])
        qlo_p95, qlo_n = bucket_p95(before["qlo_request"], after["qlo_request"])
        results.update(
            round_trips_per_guest_message=trips,
            whatsapp_sim_dispatch_p95_ms_at_most=wa_p95,
            qloapps_sim_request_p95_ms_at_most=qlo_p95,
        )
        print(f"\nround trips per guest message ({int(msgs)} messages): {trips}")
        print(f"WhatsApp simulator: accepted -> webhook POST p95 <= {wa_p95} ms ({wa_n} deliveries)")
        print(f"QloApps simulator: time per request p95 <= {qlo_p95} ms ({qlo_n} requests)")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responder", default="receptionist", choices=["echo", "receptionist"])
    parser.add_argument("--layouts", default="1:1", help="web:workers pairs, comma separated (1:0 = in-process)")
    parser.add_argument("--fast-start", type=float, default=150)
    parser.add_argument("--fast-step", type=float, default=25)
    parser.add_argument("--knee-start", type=float, default=250)
    parser.add_argument("--knee-step", type=float, default=25)
    parser.add_argument("--step-duration", default="15s")
    parser.add_argument("--warmup", default="20s", help="steady at --fast-start first, not judged (0 to skip)")
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
    print("\nlayout | highest rate with p95 < 200 ms, nothing lost | knee at the 2 s gate | Locust cores (mean)")
    for r in results:
        fast, knee = r.get("fast", {}), r.get("knee", {})
        print(
            f"{r['layout']} | {fast.get('clean_rate')} msg/s | {knee.get('knee')} msg/s | "
            f"{fast.get('locust_cores_mean')} / {knee.get('locust_cores_mean')}"
        )
    (out / "bench.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"\nfigures in {out / 'bench.json'}")


if __name__ == "__main__":
    main()
