"""WhatsApp simulator benchmark (not a test): prints figures, asserts nothing.

1. Sends accepted per second: closed loop of Graph API text sends against one uvicorn worker.
2. Added latency at an offered rate of guest messages (open model): from a guest message accepted by the
   control plane to its webhook POST leaving the simulator (timeline `attempts[0].at_ms - accepted_at_ms`),
   while an echo "agent" answers every message through the Graph API (so statuses and sends load it too).

Usage:
    .venv/bin/python benchmarks/bench_whatsapp.py [--send-seconds 10] [--concurrency 32]
        [--rate 200] [--duration 20] [--guests 400]

The simulator and the echo receiver each run in their own process on 127.0.0.1 free ports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import orjson
import psutil

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
PNID = "106540352242922"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(procs: list[psutil.Process]) -> list[float]:
    out = []
    for p in procs:
        t = p.cpu_times()
        out.append(t.user + t.system)
    return out


def cores_line(before: list[float], after: list[float], wall: float) -> str:
    names = ("simulator", "receiver", "load generator")
    return ", ".join(f"{n} {(b - a) / wall:.2f}" for n, a, b in zip(names, before, after, strict=False)) + " cores"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# -- echo receiver (its own process) ---------------------------------------------------------------
async def run_receiver(port: int, sim_base: str, echo: bool) -> None:
    from aiohttp import web

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
    pending: set[asyncio.Task] = set()

    async def reply(wa_id: str, wamid: str) -> None:
        body = {
            "messaging_product": "whatsapp",
            "to": wa_id,
            "type": "text",
            "text": {"body": "echo"},
            "context": {"message_id": wamid},
        }
        async with session.post(
            f"{sim_base}/v21.0/{PNID}/messages", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as resp:
            await resp.read()

    async def get(request: web.Request) -> web.Response:
        return web.Response(text=request.query.get("hub.challenge", ""))

    async def post(request: web.Request) -> web.Response:
        data = orjson.loads(await request.read())
        if echo:
            for entry in data["entry"]:
                for change in entry["changes"]:
                    for msg in change["value"].get("messages", []):
                        task = asyncio.create_task(reply(msg["from"], msg["id"]))
                        pending.add(task)
                        task.add_done_callback(pending.discard)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/webhook", get)
    app.router.add_post("/webhook", post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


# -- orchestration ---------------------------------------------------------------------------------
def start(cmd: list[str], log: str) -> subprocess.Popen:
    # Logs go to a file: an unread pipe would fill up and stall the process.
    env = {**os.environ, "WHATSAPP_SIM_ACCESS_TOKEN": TOKEN}  # secrets by environment, never argv
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)


async def wait_healthy(session: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{base}/_sim/health") as r:
                if r.status == 200 and (await r.json())["webhook_verified"]:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("simulator not healthy/verified within 30 s")


async def webhooks_ok(session: aiohttp.ClientSession, base: str) -> float:
    """Successful webhook POSTs so far, from the simulator's Prometheus counter."""
    async with session.get(f"{base}/metrics") as r:
        text = await r.text()
    for line in text.splitlines():
        if line.startswith('wa_sim_webhook_attempts_total{outcome="ok"}'):
            return float(line.split()[-1])
    return 0.0


async def bench_sends(
    session: aiohttp.ClientSession,
    base: str,
    seconds: float,
    concurrency: int,
    guests: list[str],
    procs: list[psutil.Process],
) -> None:
    for g in guests:  # open each guest's window
        async with session.post(f"{base}/_sim/guests/{g}/messages", json={"text": "hola"}) as r:
            await r.read()
    await asyncio.sleep(1.0)
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def worker(i: int) -> None:
        nonlocal errors
        n = i
        while time.monotonic() < stop_at:
            body = {
                "messaging_product": "whatsapp",
                "to": guests[n % len(guests)],
                "type": "text",
                "text": {"body": f"mensaje {n}"},
            }
            t0 = time.perf_counter()
            async with session.post(f"{base}/v21.0/{PNID}/messages", json=body, headers=headers) as r:
                await r.read()
                if r.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - t0) * 1000)
            n += concurrency

    ok0 = await webhooks_ok(session, base)
    cpu0 = cpu_s(procs)
    t0 = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    wall = time.monotonic() - t0
    cpu1 = cpu_s(procs)
    ok1 = await webhooks_ok(session, base)
    async with session.get(f"{base}/_sim/health") as r:
        health = await r.json()
    # Drain the status backlog before the next phase (so its cancellation cannot stall the simulator).
    drain0 = time.monotonic()
    pending = health["pending_deliveries"]
    while pending and time.monotonic() - drain0 < 120:
        await asyncio.sleep(0.5)
        async with session.get(f"{base}/_sim/health") as r:
            pending = (await r.json())["pending_deliveries"]
    drained = time.monotonic() - drain0
    print(
        f"[sends] {len(latencies)} sends in {wall:.1f}s -> {len(latencies) / wall:,.0f} accepted/s "
        f"(errors {errors}); latency p50 {pct(latencies, 50):.1f} ms p99 {pct(latencies, 99):.1f} ms; "
        f"CPU: {cores_line(cpu0, cpu1, wall)} (the simulator also POSTs sent/delivered/read for every send)"
    )
    print(
        f"  simulator event loop: lag p99 {health['loop_lag_p99_ms']} ms  max {health['loop_lag_max_ms']} ms; "
        f"max GC pause {health['gc_pause_max_ms']} ms"
    )
    print(
        f"  status webhooks delivered during the run: {(ok1 - ok0) / wall:,.0f}/s (3 per send are due); "
        f"backlog at the end {health['pending_deliveries']}, drained in {drained:.1f}s "
        f"-> sustained sends/s with every status delivered: {len(latencies) / (wall + drained):,.0f}"
    )


async def bench_latency(
    session: aiohttp.ClientSession,
    base: str,
    rate: float,
    duration: float,
    guests: list[str],
    procs: list[psutil.Process],
) -> None:
    total = int(rate * duration)
    accepted: list[tuple[str, str, float]] = []
    lags: list[float] = []
    control_ms: list[float] = []
    errors = 0

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        wa_id = guests[i % len(guests)]
        t0 = time.perf_counter()
        try:
            async with session.post(f"{base}/_sim/guests/{wa_id}/messages", json={"text": f"hola {i}"}) as r:
                body = await r.json()
                if r.status != 201:
                    errors += 1
                    return
        except aiohttp.ClientError:
            errors += 1
            return
        control_ms.append((time.perf_counter() - scheduled) * 1000)
        accepted.append((wa_id, body["wamid"], body["accepted_at_ms"]))
        del t0

    cpu0 = cpu_s(procs)
    start_t = time.perf_counter()
    tasks = []
    for i in range(total):
        scheduled = start_t + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, (time.perf_counter() - scheduled) * 1000))
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start_t
    cpu1 = cpu_s(procs)
    await asyncio.sleep(2.0)  # drain webhooks and echo replies
    added: list[float] = []
    own: list[float] = []
    slot: list[float] = []
    e2e: list[float] = []
    missing = 0
    by_guest: dict[str, set[str]] = {}
    for wa_id, wamid, _ in accepted:
        by_guest.setdefault(wa_id, set()).add(wamid)
    for wa_id, wamids in by_guest.items():
        async with session.get(f"{base}/_sim/guests/{wa_id}/conversation") as r:
            conv = await r.json()
        replies = {}
        for m in conv["messages"]:
            if m["direction"] == "out" and "context" in m["message"]:
                replies[m["message"]["context"]["message_id"]] = m["at_ms"]
        for m in conv["messages"]:
            if m["wamid"] in wamids:
                attempts = m["timeline"]["attempts"]
                if not attempts:
                    missing += 1
                    continue
                added.append(attempts[0]["at_ms"] - m["at_ms"])
                own.append(attempts[0]["at_ms"] - attempts[0]["slot_wait_ms"] - m["at_ms"])
                slot.append(attempts[0]["slot_wait_ms"])
                if m["wamid"] in replies:
                    e2e.append(replies[m["wamid"]] - m["at_ms"])
    async with session.get(f"{base}/_sim/health") as r:
        health = await r.json()
    print(
        f"[latency] offered {rate:.0f} guest msgs/s for {duration:.0f}s: {len(accepted)}/{total} accepted "
        f"(errors {errors}, not delivered {missing}); CPU: {cores_line(cpu0, cpu1, wall)}"
    )
    print(
        f"  added latency (accepted -> webhook POST leaves): p50 {pct(added, 50):.2f} ms  "
        f"p95 {pct(added, 95):.2f} ms  p99 {pct(added, 99):.2f} ms  max {max(added, default=0):.2f} ms"
    )
    print(
        f"    of which the simulator's own work (accepted -> ready to send): p50 {pct(own, 50):.2f} ms  "
        f"p95 {pct(own, 95):.2f} ms  p99 {pct(own, 99):.2f} ms; waiting for a free delivery slot "
        f"(receiver slow): p50 {pct(slot, 50):.2f} ms  p95 {pct(slot, 95):.2f} ms"
    )
    print(
        f"  control-plane POST (scheduled -> response): p50 {pct(control_ms, 50):.2f} ms  "
        f"p95 {pct(control_ms, 95):.2f} ms; sender lag p99 {pct(lags, 99):.2f} ms"
    )
    print(
        f"  guest message -> echo reply recorded (through the receiver): p50 {pct(e2e, 50):.2f} ms  "
        f"p95 {pct(e2e, 95):.2f} ms  ({len(e2e)} replies)"
    )
    print(
        f"  simulator event loop (last ~60 s): lag p50 {health['loop_lag_p50_ms']} ms  "
        f"p99 {health['loop_lag_p99_ms']} ms  max {health['loop_lag_max_ms']} ms; "
        f"max GC pause {health['gc_pause_max_ms']} ms; "
        f"box load average {os.getloadavg()[0]:.2f}"
    )


async def main_async(args: argparse.Namespace) -> None:
    sim_port, rx_port = free_port(), free_port()
    base = f"http://127.0.0.1:{sim_port}"
    rx = start(
        [sys.executable, __file__, "--receiver", str(rx_port), "--sim", base] + (["--rx-echo"] if args.echo else []),
        "/tmp/bench_wa_receiver.log",
    )
    sim = start(
        [
            sys.executable,
            *(["-m", "cProfile", "-o", args.profile] if args.profile else []),
            "-m",
            "simulators.whatsapp",
            "--webhook-url",
            f"http://127.0.0.1:{rx_port}/webhook",
            "--port",
            str(sim_port),
            "--no-rate-limits",
            "--webhook-concurrency",
            str(args.webhook_concurrency),
        ],
        "/tmp/bench_wa_sim.log",
    )
    try:
        connector = aiohttp.TCPConnector(limit=512)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
            await wait_healthy(session, base)
            procs = [psutil.Process(sim.pid), psutil.Process(rx.pid), psutil.Process()]
            guests = [f"3460{n:07d}" for n in range(args.guests)]
            if args.send_seconds > 0:
                await bench_sends(session, base, args.send_seconds, args.concurrency, guests, procs)
                async with session.post(f"{base}/_sim/reset") as r:
                    await r.read()
                await asyncio.sleep(0.5)
            if args.duration > 0:
                await bench_latency(session, base, args.rate, args.duration, guests, procs)
    finally:
        for p in (sim, rx):
            p.send_signal(signal.SIGINT)
        for p in (sim, rx):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--send-seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--guests", type=int, default=400)
    parser.add_argument("--no-echo", dest="echo", action="store_false", help="receiver does not reply")
    parser.add_argument("--webhook-concurrency", type=int, default=64, help="the simulator's setting")
    parser.add_argument("--profile", help="run the simulator under cProfile, writing stats to this file")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sim", help=argparse.SUPPRESS)
    parser.add_argument("--rx-echo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        signal.signal(signal.SIGINT, lambda *_: os._exit(0))
        asyncio.run(run_receiver(args.receiver, args.sim, args.rx_echo))
        return
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
