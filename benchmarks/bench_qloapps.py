"""Benchmark the QloApps simulator (not a test): hotel_ari search and GET /api/hotels with N room bookings on record.

Starts `python -m simulators.qloapps` (one uvicorn worker) in a subprocess on a free 127.0.0.1 port, books
`--bookings` rooms through POST /api/bookings, then measures with aiohttp:

1. closed loop: 1,000 hotel_ari searches one at a time, then `--requests` at `--concurrency` in flight:
   p50/p95/p99 and requests/s;
2. closed loop: GET /api/hotels?output_format=JSON requests/s;
3. open model: hotel_ari searches paced at `--rate`/s for `--duration` s; latency from the intended send time
   (no coordinated omission): p50/p95/p99/max.

    .venv/bin/python benchmarks/bench_qloapps.py [--bookings 10000] [--rate 100] [--duration 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qualitygates.stats import percentile  # noqa: E402
from simulators.qloapps.config import DEFAULT_API_KEY  # noqa: E402
from simulators.serving import free_port  # noqa: E402

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{DEFAULT_API_KEY}:".encode()).decode()}
START = date(2027, 1, 1)


def summary(name: str, ms: list[float], wall_s: float | None = None) -> str:
    line = (
        f"{name:<44} n={len(ms):>5}  p50={percentile(ms, 50):7.2f} ms  p95={percentile(ms, 95):7.2f} ms  "
        f"p99={percentile(ms, 99):7.2f} ms  max={max(ms):7.2f} ms"
    )
    if wall_s:
        line += f"  {len(ms) / wall_s:8.1f} req/s"
    return line


def ari_body(rng: random.Random, span_days: int) -> bytes:
    f = START + timedelta(days=rng.randrange(span_days))
    t = f + timedelta(days=rng.randint(1, 4))
    return (
        f"<qloapps><hotel_ari><id_hotel>1</id_hotel><date_from>{f}</date_from><date_to>{t}</date_to>"
        "<get_available_rooms>1</get_available_rooms><associations><room_occupancies><room_occupancy>"
        "<adults>2</adults><children>0</children></room_occupancy></room_occupancies></associations>"
        "</hotel_ari></qloapps>"
    ).encode()


async def seed_bookings(session: aiohttp.ClientSession, base: str, target: int, rng: random.Random) -> int:
    """Book single rooms until `target` room bookings exist; returns the span of days used."""
    made = 0
    day = 0
    sem = asyncio.Semaphore(8)

    async def one(rt: int, f: date, nights: int) -> bool:
        body = {"booking": {"currency": "EUR", "id_property": 1, "customer_detail": {
            "firstname": "Bench", "lastname": "Guest", "email": f"bench{rng.randrange(5000)}@example.com",
            "phone": "+34600000000"},  # a default install requires it
            "room_types": [{"id_room_type": rt, "checkin_date": f.isoformat(),
                            "checkout_date": (f + timedelta(days=nights)).isoformat(), "number_of_rooms": 1,
                            "rooms": [{"adults": 2, "child": 0, "total_tax": 0}]}]}}  # fmt: skip
        async with sem, session.post(f"{base}/api/bookings", data=json.dumps(body), headers=AUTH) as r:
            await r.read()
            return r.status == 200

    while made < target:
        batch = []
        for rt in (1, 2, 3, 4):
            for _ in range(5):  # five rooms per type: fill each day, with stays of 1-3 nights
                batch.append(one(rt, START + timedelta(days=day + rng.randrange(3)), rng.randint(1, 3)))
        made += sum(await asyncio.gather(*batch))
        day += 2
    return day + 3


async def closed_loop(session, method, url, bodies, concurrency: int) -> tuple[list[float], float]:
    samples: list[float] = []
    it = iter(bodies)

    async def worker() -> None:
        for body in it:
            t0 = time.perf_counter()
            async with session.request(method, url, data=body, headers=AUTH) as r:
                await r.read()
                assert r.status == 200, r.status
            samples.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, time.perf_counter() - t0


async def open_model(session, url: str, rate: float, duration: float, rng, span) -> tuple[list[float], int]:
    n = int(rate * duration)
    samples: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.05

    async def one(i: int) -> None:
        nonlocal errors
        intended = start + i / rate
        await asyncio.sleep(max(0.0, intended - time.perf_counter()))
        try:
            async with session.post(url, data=ari_body(rng, span), headers=AUTH) as r:
                await r.read()
                if r.status != 200:
                    errors += 1
        except aiohttp.ClientError:
            errors += 1
        samples.append((time.perf_counter() - intended) * 1000)

    await asyncio.gather(*(one(i) for i in range(n)))
    return samples, errors


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "simulators.qloapps", "--port", str(port), "--seed", "1"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    server = psutil.Process(proc.pid)
    rng = random.Random(1)
    try:
        connector = aiohttp.TCPConnector(limit=max(args.concurrency, 64))
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(200):
                try:
                    async with session.get(f"{base}/_sim/health") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            t0 = time.perf_counter()
            span = await seed_bookings(session, base, args.bookings, rng)
            async with session.get(f"{base}/_sim/state") as r:
                counts = (await r.json())["counts"]
            print(f"seeded {counts['room_bookings']} room bookings ({counts['orders']} orders) over {span} days "
                  f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
            ari = f"{base}/api/hotel_ari?output_format=JSON"
            await closed_loop(session, "POST", ari, [ari_body(rng, span) for _ in range(200)], args.concurrency)
            ms, wall = await closed_loop(session, "POST", ari, [ari_body(rng, span) for _ in range(1000)], 1)
            print(summary("hotel_ari closed loop (concurrency 1)", ms, wall))
            cpu0 = server.cpu_times()
            ms, wall = await closed_loop(session, "POST", ari, [ari_body(rng, span) for _ in range(args.requests)],
                                         args.concurrency)  # fmt: skip
            cpu1 = server.cpu_times()
            busy = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall
            print(summary(f"hotel_ari closed loop (concurrency {args.concurrency})", ms, wall)
                  + f"  server CPU {busy * 100:.0f}%")  # fmt: skip
            ms, wall = await closed_loop(session, "GET", f"{base}/api/hotels?output_format=JSON",
                                         [None] * args.requests, args.concurrency)  # fmt: skip
            print(summary(f"GET /api/hotels JSON closed loop (conc. {args.concurrency})", ms, wall))
            cpu0 = server.cpu_times()
            ms, errors = await open_model(session, ari, args.rate, args.duration, rng, span)
            cpu1 = server.cpu_times()
            busy = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / args.duration
            print(summary(f"hotel_ari open model at {args.rate:g}/s for {args.duration:g} s", ms)
                  + f"  errors={errors}  server CPU {busy * 100:.0f}%")  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bookings", type=int, default=10_000, help="room bookings on record before measuring")
    ap.add_argument("--requests", type=int, default=3000, help="requests per closed-loop phase")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rate", type=float, default=100.0, help="open-model searches per second")
    ap.add_argument("--duration", type=float, default=20.0, help="open-model seconds")
    asyncio.run(main(ap.parse_args()))
