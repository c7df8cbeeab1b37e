"""Time to provision Postgres + Redis per tier and to tear them down (median of N runs).

    .venv/bin/python benchmarks/bench_services.py [--tier embedded,local,docker] [--runs 5]

The docker tier uses the engine and images the environment names (DOCKER_HOST, HOTELERO_POSTGRES_IMAGE, ...).

Also times the per-test cost of `fresh_postgres_url` (CREATE DATABASE ... TEMPLATE + DROP) and
`fresh_redis_url` (FLUSHDB) on the last run's servers. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack

import psycopg
import redis

from validation.services import postgres_service, redis_service


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.1f} ms"


def _fresh_costs(pg_url: str, redis_url: str, rounds: int) -> tuple[list[float], list[float], list[float]]:
    creates, drops, flushes = [], [], []
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("CREATE DATABASE bench_template")
        for i in range(rounds):
            t0 = time.perf_counter()
            admin.execute(f"CREATE DATABASE bench_{i} TEMPLATE bench_template")
            t1 = time.perf_counter()
            admin.execute(f"DROP DATABASE bench_{i} WITH (FORCE)")
            t2 = time.perf_counter()
            creates.append(t1 - t0)
            drops.append(t2 - t1)
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/1")
    for _ in range(rounds):
        client.set("k", "v")
        t0 = time.perf_counter()
        client.flushdb()
        flushes.append(time.perf_counter() - t0)
    client.close()
    return creates, drops, flushes


def bench_tier(tier: str, runs: int, fresh_rounds: int) -> None:
    up, down, pg_up, redis_up = [], [], [], []
    fresh: tuple[list[float], list[float], list[float]] | None = None
    for run in range(runs):
        stack = ExitStack()
        t0 = time.perf_counter()
        pg = stack.enter_context(postgres_service(tier))
        t1 = time.perf_counter()
        rd = stack.enter_context(redis_service(tier))
        t2 = time.perf_counter()
        if run == runs - 1 and fresh_rounds:
            fresh = _fresh_costs(pg.url, rd.url, fresh_rounds)
        t3 = time.perf_counter()
        stack.close()
        t4 = time.perf_counter()
        pg_up.append(t1 - t0)
        redis_up.append(t2 - t1)
        up.append(t2 - t0)
        down.append(t4 - t3)
        print(f"run {run + 1}: provision {(t2 - t0) * 1000:7.1f} ms, teardown {(t4 - t3) * 1000:7.1f} ms  ({pg.tier})")

    print(f"  postgres: {pg.description}\n  redis: {rd.description}")
    print(f"tier {tier}, {runs} runs (median):")
    parts = f"postgres {_median_ms(pg_up).strip()}, redis {_median_ms(redis_up).strip()}"
    print(f"  provision postgres + redis  {_median_ms(up)}   ({parts})")
    print(f"  teardown  postgres + redis  {_median_ms(down)}")
    if fresh:
        creates, drops, flushes = fresh
        print(f"per test, {len(creates)} rounds (median):")
        print(f"  fresh_postgres_url CREATE DATABASE ... TEMPLATE            {_median_ms(creates)}")
        print(f"  fresh_postgres_url DROP DATABASE ... WITH (FORCE)      {_median_ms(drops)}")
        print(f"  fresh_redis_url FLUSHDB                                 {_median_ms(flushes)}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tier", default="embedded,local,docker", help="comma-separated tiers (auto, docker, ...)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh-rounds", type=int, default=20, help="fresh database/db rounds on the last run")
    args = parser.parse_args()
    for tier in args.tier.split(","):
        bench_tier(tier.strip(), args.runs, args.fresh_rounds)


if __name__ == "__main__":
    main()
