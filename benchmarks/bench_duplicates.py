"""The remaining duplicate window: a worker SIGKILLed after Meta accepted a reply but before the agent recorded it.

    .venv/bin/python benchmarks/bench_duplicates.py                 # 20 kills in each layout
    .venv/bin/python benchmarks/bench_duplicates.py --trials 50

Each trial: a guest writes; the WhatsApp simulator holds every Graph call for 1 s (`graph_latency_ms`), and the
worker is SIGKILLed 0.5 s into the call, so the simulator accepts the reply after the worker is gone. The reply
was recorded as "sending" with its callback key (biz_opaque_callback_data); when the lease expires the message is
claimed again and the agent looks for a status carrying that key before it sends again.

- supervised layout (web + worker, as `hotelero up` runs it): the web process keeps storing statuses, so the
  reclaim finds the `sent` status and does not resend;
- one all-in-one process (SIGKILLed, started again at once): the status webhook is refused while it is down and
  Meta redelivers it on its own schedule; a reclaim that comes before that redelivery resends.

Prints, per layout: trials, duplicates seen by the guest (same callback delivered twice), and the share. Real
Postgres and Redis (validation.services), the real simulator and agent, all on 127.0.0.1. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
SECRET, VERIFY, TOKEN, PHONE_ID = "dup-secret", "dup-verify", "dup-token", "106540352242922"


def free_port() -> int:
    from validation.services.ports import free_port as pick

    return pick()


def wait(check, seconds: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def worker_of(agent: subprocess.Popen[bytes]) -> psutil.Process | None:
    """The supervisor's `python -m agent worker` child, if one runs now."""
    return next((c for c in psutil.Process(agent.pid).children() if c.cmdline()[-1:] == ["worker"]), None)


def settled(worker: psutil.Process | None) -> bool:
    return worker is not None and time.time() - worker.create_time() > 10.5


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def run_layout(
    index: int, name: str, agent_args: list[str], trials: int, db: str, redis_url: str, tmp: Path
) -> tuple[int, int]:
    port, sim_port = free_port(), free_port()
    sim_url, agent_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{port}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    agent_env = {
        **base,
        "AGENT_DATABASE_URL": db,
        "AGENT_REDIS_URL": redis_url,
        "AGENT_GRAPH_API_BASE_URL": sim_url,
        "AGENT_ACCESS_TOKEN": TOKEN,
        "AGENT_PHONE_NUMBER_ID": PHONE_ID,
        "AGENT_APP_SECRET": SECRET,
        "AGENT_VERIFY_TOKEN": VERIFY,
        "AGENT_RESPONDER": "echo",
        "AGENT_MARK_READ": "false",
        "AGENT_LEASE_SECONDS": "3",
        "AGENT_GRAPH_TIMEOUT_SECONDS": "5",
    }
    agent_argv = [sys.executable, "-m", "agent", "--port", str(port), *agent_args]
    agent = start(agent_argv, agent_env, tmp / f"{name}-agent.log")
    wait(lambda: httpx.get(agent_url + "/health/live").status_code == 200, 60, "the agent")
    sim_env = {**base, "WHATSAPP_SIM_APP_SECRET": SECRET, "WHATSAPP_SIM_VERIFY_TOKEN": VERIFY}
    sim_env["WHATSAPP_SIM_ACCESS_TOKEN"] = TOKEN
    sim_argv = [sys.executable, "-m", "simulators.whatsapp", "--port", str(sim_port), "--no-rate-limits"]
    sim = start([*sim_argv, "--webhook-url", agent_url + "/webhooks/whatsapp"], sim_env, tmp / f"{name}-sim.log")
    procs = [sim, agent]
    try:
        wait(lambda: httpx.get(sim_url + "/_sim/health").json().get("webhook_verified"), 60, "the webhook")
        httpx.post(sim_url + "/_sim/faults", json={"graph_latency_ms": 1000}).raise_for_status()
        duplicates = 0
        for trial in range(trials):
            wa_id = f"3465{index}{trial:07d}"
            if agent_args:
                # A worker that lived 10 s is restarted after 1 s when killed (agent/supervisor.py backs off
                # for ones that die young): every trial kills a settled worker.
                wait(lambda a=agent: settled(worker_of(a)), 90, "a settled worker")
            httpx.post(sim_url + "/_sim/guests", json={"wa_id": wa_id}).raise_for_status()
            httpx.post(f"{sim_url}/_sim/guests/{wa_id}/messages", json={"type": "text", "text": f"hola {trial}"})
            time.sleep(0.5)  # the worker is inside the 1 s Graph call now
            if agent_args:  # supervised: kill the worker child; the supervisor starts it again
                worker = worker_of(agent)
                assert worker is not None
                worker.send_signal(signal.SIGKILL)
            else:  # all-in-one: kill it and start it again at once, as a process manager would
                os.killpg(agent.pid, signal.SIGKILL)
                agent.wait(10)
                agent = start(agent_argv, agent_env, tmp / f"{name}-agent.log")
                procs[1] = agent
                wait(lambda: httpx.get(agent_url + "/health/live").status_code == 200, 60, "the agent again")

            def answered(wa_id: str = wa_id) -> bool:
                conv = httpx.get(f"{sim_url}/_sim/guests/{wa_id}/conversation").json()
                return any(m["direction"] == "out" for m in conv["messages"])

            wait(answered, 60, f"trial {trial} answered")
            time.sleep(4.5)  # past the lease and a reclaim: a resend would have happened by now
            conv = httpx.get(f"{sim_url}/_sim/guests/{wa_id}/conversation").json()
            sent = [m["message"] for m in conv["messages"] if m["direction"] == "out"]
            keys = Counter(m.get("biz_opaque_callback_data") for m in sent)
            duplicates += sum(n - 1 for n in keys.values())
        return trials, duplicates
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    from validation.services import postgres_service, redis_service

    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-dup-") as tmp, postgres_service() as pg, redis_service() as rd:
        rows = []
        for index, (name, agent_args) in enumerate((("web+worker", ["--workers", "1"]), ("all-in-one", []))):
            trials, dups = run_layout(index, name, agent_args, args.trials, pg.url, rd.url, Path(tmp))
            rows.append((name, trials, dups))
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'layout':<12} {'kills':>6} {'duplicates':>11} {'share':>7}")
    for name, trials, dups in rows:
        print(f"{name:<12} {trials:>6} {dups:>11} {dups / trials:>7.1%}")


if __name__ == "__main__":
    main()
