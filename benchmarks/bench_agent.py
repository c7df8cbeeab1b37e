"""Benchmark the agent's message path at fixed offered rates (open model). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_agent.py                      # 50 and 200 msg/s, 20 s each, then a search
    .venv/bin/python benchmarks/bench_agent.py --rates 50 --no-search
    .venv/bin/python benchmarks/bench_agent.py --database-url postgresql://... --redis-url redis://...

Starts a real Postgres and Redis (validation.services tiers) unless URLs are given, the WhatsApp simulator
(rate limits off) and the agent (one uvicorn process with its in-process worker), all on 127.0.0.1.
Message i is sent at t0 + i/rate whatever happened before (no coordinated omission), by virtual guests
round-robin, so one guest writes only every guests/rate seconds.

Figures per rate:
- webhook ack latency: the simulator's webhook POST to the agent until 200 (`timeline.attempts[0].latency_ms`);
- end-to-end latency: guest message accepted by the simulator -> the agent's reply arrives at the simulator;
- sender lag: scheduled send -> accepted by the simulator (both monotonic ms on this box), to show the
  generator kept up.
The search steps the rate up (short runs) and reports the highest rate whose e2e p95 stays under the target
with every reply delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
SECRET, VERIFY, TOKEN, PHONE_ID = "bench-secret", "bench-verify", "bench-token", "106540352242922"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu(pid: int) -> float:
    """User+system CPU seconds of a process and its children (uvicorn --workers spawns children)."""
    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system
    return total


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


@dataclass
class RunResult:
    rate: float
    duration: float
    sent: int = 0
    send_errors: int = 0
    replied: int = 0
    duplicates: int = 0
    ack_ms: list[float] = field(default_factory=list)
    e2e_ms: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)
    agent_cores: float = 0.0
    sim_cores: float = 0.0
    box_cores: float = 0.0

    @property
    def missing(self) -> int:
        return self.sent - self.replied

    def line(self) -> str:
        return (
            f"{self.rate:>6.0f} {self.sent:>6} {self.replied:>6} {self.missing:>5} {self.duplicates:>4} | "
            f"{pct(self.ack_ms, 50):>6.1f} {pct(self.ack_ms, 95):>6.1f} {pct(self.ack_ms, 99):>6.1f} | "
            f"{pct(self.e2e_ms, 50):>6.1f} {pct(self.e2e_ms, 95):>7.1f} {pct(self.e2e_ms, 99):>7.1f} | "
            f"{pct(self.lag_ms, 99):>6.1f} | {self.agent_cores:>5.2f} {self.sim_cores:>5.2f} {self.box_cores:>5.2f} | "
            f"{1000 * self.agent_cores / self.rate:>6.2f}"
        )


HEADER = (
    "  rate   sent  reply  miss  dup |  ack50  ack95  ack99 |  e2e50   e2e95   e2e99 | lag99 "
    "| agent   sim   box | agent\n"
    "  msg/s                         |   ms     ms     ms   |   ms      ms      ms   |  ms   "
    "| cores cores cores | ms CPU/msg"
)


@contextlib.contextmanager
def datastores(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    if args.database_url and args.redis_url:
        yield args.database_url, args.redis_url
        return
    from validation.services import postgres_service, redis_service

    with postgres_service() as pg, redis_service() as rd:
        yield pg.url, rd.url


def fresh_database(admin_url: str) -> str:
    name = f"bench_agent_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, db_url: str) -> None:
    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


async def wait_http(session: aiohttp.ClientSession, url: str, key: str | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            async with session.get(url) as resp:
                if resp.status == 200 and (key is None or (await resp.json()).get(key)):
                    return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")


async def pending(db_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        cur = await conn.execute("SELECT count(*) FROM inbound_messages WHERE state = 'pending'")
        return (await cur.fetchone())[0]


async def run_rate(
    session: aiohttp.ClientSession,
    sim: str,
    db_url: str,
    pids: tuple[int, int],
    run: int,
    rate: float,
    duration: float,
    guests: int,
    drain: float,
) -> RunResult:
    result = RunResult(rate, duration)
    total = int(rate * duration)
    sent: list[tuple[str, str, float, float]] = []  # (guest, text, scheduled_ms, accepted_ms)
    sem = asyncio.Semaphore(512)
    guest_ids = [f"34{run:02d}{g:07d}" for g in range(min(guests, total))]

    async def send_one(i: int, scheduled: float) -> None:
        guest = guest_ids[i % len(guest_ids)]
        text = f"bench {run} {i}"
        async with sem:
            try:
                async with session.post(
                    f"{sim}/_sim/guests/{guest}/messages", json={"type": "text", "text": text}
                ) as resp:
                    data = await resp.json()
                    if resp.status != 201:
                        result.send_errors += 1
                        return
            except Exception:
                result.send_errors += 1
                return
        sent.append((guest, text, scheduled * 1000, float(data["accepted_at_ms"])))

    cpu0 = [tree_cpu(pid) for pid in pids]
    box0 = psutil.cpu_times()
    tasks = []
    t0 = time.monotonic() + 0.2
    for i in range(total):
        scheduled = t0 + i / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send_one(i, scheduled)))
    await asyncio.gather(*tasks)
    wall = time.monotonic() - t0
    cpu1 = [tree_cpu(pid) for pid in pids]
    box1 = psutil.cpu_times()
    used = [(b - a) / wall for a, b in zip(cpu0, cpu1, strict=True)]
    result.agent_cores, result.sim_cores = used
    busy = lambda t: t.user + t.system + t.nice + getattr(t, "irq", 0) + getattr(t, "softirq", 0)  # noqa: E731
    result.box_cores = (busy(box1) - busy(box0)) / wall
    result.sent = len(sent)
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline and await pending(db_url) > 0:
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)  # the last replies reach the simulator
    by_guest: dict[str, list[tuple[str, float, float]]] = {}
    for guest, text, scheduled_ms, accepted_ms in sent:
        by_guest.setdefault(guest, []).append((text, scheduled_ms, accepted_ms))
    fetch_sem = asyncio.Semaphore(16)

    async def collect(guest: str, items: list[tuple[str, float, float]]) -> None:
        async with fetch_sem, session.get(f"{sim}/_sim/guests/{guest}/conversation") as resp:
            conv = await resp.json()
        inbound = {}
        replies: dict[str, list[float]] = {}
        for m in conv["messages"]:
            body = m["message"]
            if m["direction"] == "in":
                inbound[body.get("text", {}).get("body", "")] = m.get("timeline") or {}
            else:
                reply_text = body.get("text", {}).get("body", "")
                replies.setdefault(reply_text.removeprefix("Has escrito: "), []).append(m["at_ms"])
        for text, scheduled_ms, accepted_ms in items:
            result.lag_ms.append(accepted_ms - scheduled_ms)
            timeline = inbound.get(text, {})
            attempts = timeline.get("attempts") or []
            if attempts and attempts[0].get("latency_ms") is not None:
                result.ack_ms.append(float(attempts[0]["latency_ms"]))
            arrivals = replies.get(text, [])
            if arrivals:
                result.replied += 1
                result.duplicates += len(arrivals) - 1
                result.e2e_ms.append(min(arrivals) - accepted_ms)

    await asyncio.gather(*(collect(g, items) for g, items in by_guest.items()))
    return result


async def main_async(args: argparse.Namespace, db_url: str, redis_url: str, tmp: Path) -> None:
    agent_port, sim_port = free_port(), free_port()
    sim = f"http://127.0.0.1:{sim_port}"
    agent_env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    agent_env.update(
        AGENT_DATABASE_URL=db_url,
        AGENT_REDIS_URL=redis_url,
        AGENT_GRAPH_API_BASE_URL=sim,
        AGENT_ACCESS_TOKEN=TOKEN,
        AGENT_PHONE_NUMBER_ID=PHONE_ID,
        AGENT_APP_SECRET=SECRET,
        AGENT_VERIFY_TOKEN=VERIFY,
        AGENT_LOG_LEVEL="WARNING",
        AGENT_WORKER_CONCURRENCY=str(args.concurrency),
        AGENT_RATE_LIMIT_MESSAGES="1000",
        AGENT_RESPONDER="echo",  # replies are matched by the echo text
    )
    command = [sys.executable, "-m", "agent", "--port", str(agent_port), "--web", str(args.agent_workers)]
    if args.profile_agent:
        # cProfile around the CLI, dumped when uvicorn returns after SIGTERM.
        code = (
            "import cProfile, sys, time\nfrom agent.cli import app\n"
            "pr = cProfile.Profile(time.process_time)\npr.enable()\n"
            f"try:\n    app(['--port', '{agent_port}'], standalone_mode=False)\n"
            f"finally:\n    pr.disable()\n    pr.dump_stats({args.profile_agent!r})\n"
        )
        command = [sys.executable, "-c", code]
    agent = start(command, agent_env, tmp / "agent.log")
    simp = start(
        [
            sys.executable,
            "-m",
            "simulators.whatsapp",
            "--webhook-url",
            f"http://127.0.0.1:{agent_port}/webhooks/whatsapp",
            "--phone-number-id",
            PHONE_ID,
            "--port",
            str(sim_port),
            "--no-rate-limits",
        ],
        {
            **{k: v for k, v in os.environ.items() if not k.startswith("AGENT_")},
            # Secrets by environment, never argv.
            "WHATSAPP_SIM_APP_SECRET": SECRET,
            "WHATSAPP_SIM_VERIFY_TOKEN": VERIFY,
            "WHATSAPP_SIM_ACCESS_TOKEN": TOKEN,
        },
        tmp / "sim.log",
    )
    connector = aiohttp.TCPConnector(limit=600)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            await wait_http(session, f"http://127.0.0.1:{agent_port}/health/ready", None, 60)
            await wait_http(session, f"{sim}/_sim/health", "webhook_verified", 60)
            print(f"# load average before: {os.getloadavg()[0]:.2f} (the machine is shared with other engineers)")
            print(HEADER)
            run = 0
            for rate in args.rates:
                run += 1
                r = await run_rate(
                    session, sim, db_url, (agent.pid, simp.pid), run, rate, args.duration, args.guests, args.drain
                )
                print(r.line(), flush=True)
            if args.search:
                print(
                    f"# search: highest rate with e2e p95 < {args.target_ms:.0f} ms and no missing reply "
                    f"({args.search_duration:.0f} s per step)"
                )
                best = None
                for rate in args.search_rates:
                    run += 1
                    r = await run_rate(
                        session,
                        sim,
                        db_url,
                        (agent.pid, simp.pid),
                        run,
                        rate,
                        args.search_duration,
                        args.guests,
                        args.drain,
                    )
                    print(r.line(), flush=True)
                    if r.missing == 0 and r.send_errors == 0 and pct(r.e2e_ms, 95) < args.target_ms:
                        best = rate
                    else:
                        break
                print(f"# highest sustained rate with e2e p95 < {args.target_ms:.0f} ms: {best} msg/s")
            print(f"# load average after: {os.getloadavg()[0]:.2f}")
            if args.show_metrics:
                async with session.get(f"http://127.0.0.1:{agent_port}/metrics") as resp:
                    for line in (await resp.text()).splitlines():
                        if line.startswith("hotelero_") and ("_sum" in line or "_count" in line or "_total" in line):
                            print("#", line)
    finally:
        for proc in (simp, agent):
            # SIGINT: uvicorn shuts down gracefully and re-raises it as KeyboardInterrupt (the profile gets written).
            proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
            if proc.poll() is None:
                proc.kill()


STUB = """
import sys
from aiohttp import web
OK = b'{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],"messages":[{"id":"wamid.X"}]}'
async def messages(request):
    await request.read()
    return web.Response(body=OK, content_type="application/json")
app = web.Application()
app.router.add_post("/v21.0/1/messages", messages)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


async def graph_client_bench(calls: int = 3000) -> None:
    """Client CPU per send against a trivial Graph stub in another process: ours (agent/http1.py), aiohttp, httpx."""
    import httpx

    from agent.graph import GraphClient, GraphConfig

    port = free_port()
    url = f"http://127.0.0.1:{port}/v21.0/1/messages"
    stub = subprocess.Popen([sys.executable, "-c", STUB, str(port)])
    body = {"messaging_product": "whatsapp", "to": "34600111222", "type": "text", "text": {"body": "hola"}}
    try:
        async with aiohttp.ClientSession() as probe:
            await wait_http_post(probe, url, 15)
        print("# Graph client CPU per call (client process only; stub in another process)")
        print("client          concurrency  calls/s  CPU us/call")
        for concurrency in (1, 10, 50):
            client = GraphClient(GraphConfig(url, "t", max_connections=64))
            await client.start()
            rate, cpu = await _drive(lambda c=client: c.send(body), calls, concurrency)
            await client.close()
            print(f"agent http1     {concurrency:>11} {rate:>8.0f} {cpu:>12.0f}")
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:

                async def post(s: aiohttp.ClientSession = session) -> None:
                    async with s.post(url, json=body) as resp:
                        await resp.read()

                rate, cpu = await _drive(post, calls, concurrency)
            print(f"aiohttp         {concurrency:>11} {rate:>8.0f} {cpu:>12.0f}")
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=64)) as hx:
                rate, cpu = await _drive(lambda h=hx: h.post(url, json=body), calls, concurrency)
            print(f"httpx           {concurrency:>11} {rate:>8.0f} {cpu:>12.0f}")
    finally:
        stub.terminate()
        stub.wait(10)


async def wait_http_post(session: aiohttp.ClientSession, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.post(url, data=b"{}") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"stub at {url} not ready")


async def _drive(call, calls: int, concurrency: int) -> tuple[float, float]:  # noqa: ANN001
    for _ in range(50):  # warm the connection pool
        await call()
    remaining = calls
    cpu0, t0 = time.process_time(), time.perf_counter()

    async def lane() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return calls / wall, cpu / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[50.0, 200.0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per fixed rate")
    parser.add_argument("--drain", type=float, default=30.0, help="max seconds to wait for the inbox to empty")
    parser.add_argument("--guests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32, help="AGENT_WORKER_CONCURRENCY")
    parser.add_argument(
        "--agent-workers", type=int, default=1, help="agent server processes (hotelero agent --web)"
    )
    parser.add_argument("--search", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--search-rates",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[50, 75, 100, 150, 200, 300, 400, 500, 600, 800],
    )
    parser.add_argument("--search-duration", type=float, default=10.0)
    parser.add_argument("--target-ms", type=float, default=200.0)
    parser.add_argument("--show-metrics", action="store_true", help="print the agent's counters and sums at the end")
    parser.add_argument("--profile-agent", default=None, help="write a cProfile of the agent process to this file")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument(
        "--graph-client", action="store_true", help="only measure the outbound Graph client's CPU per call"
    )
    args = parser.parse_args()
    if args.graph_client:
        asyncio.run(graph_client_bench())
        return
    with datastores(args) as (admin_url, redis_url), tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
        db_url = fresh_database(admin_url)
        try:
            asyncio.run(main_async(args, db_url, redis_url, Path(tmp)))
        finally:
            drop_database(admin_url, db_url)


if __name__ == "__main__":
    main()
