"""Liveness, readiness (database, Redis, migrations, PMS when configured) and Prometheus metrics."""

from __future__ import annotations

import asyncio

import aiohttp
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from agent import inbox, metrics
from agent.migrate import latest_version

router = APIRouter(tags=["operations"])


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


async def _check_db(request: Request) -> str:
    async with request.app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        (exists,) = await cur.fetchone()
        if not exists:
            return "migrations not applied: run `hotelero agent migrate`"
        cur = await conn.execute("SELECT max(version) FROM schema_migrations")
        (version,) = await cur.fetchone()
    want = latest_version()
    return "ok" if version == want else f"schema at {version}, agent needs {want}: run `hotelero agent migrate`"


async def _check_pms(url: str) -> str:
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url.rstrip("/") + "/api/") as resp:
        # Any HTTP answer (even 401 without a key) proves QloApps is reachable.
        return "ok" if resp.status < 500 else f"HTTP {resp.status}"


@router.get("/health/ready")
async def ready(request: Request) -> Response:
    """200 when the database (migrated) and Redis answer, and the PMS if one is configured; 503 otherwise."""
    state = request.app.state
    checks: dict[str, str] = {}

    async def run(name: str, coro) -> None:  # noqa: ANN001
        try:
            checks[name] = await asyncio.wait_for(coro, 3.0)
        except Exception as exc:
            checks[name] = f"unreachable: {type(exc).__name__}: {exc}"[:300]

    async def redis_ping() -> str:
        return "ok" if await state.redis.ping() else "no PONG"

    jobs = [run("database", _check_db(request)), run("redis", redis_ping())]
    if state.settings.qloapps_url:
        jobs.append(run("pms", _check_pms(state.settings.qloapps_url)))
    await asyncio.gather(*jobs)
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)


@router.get("/metrics")
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus exposition; inbox gauges are read from the database at scrape time."""
    state = request.app.state
    try:
        depth, oldest, dead = await asyncio.wait_for(inbox.inbox_gauges(state.pool, state.clock.now()), 2.0)
        metrics.INBOX_DEPTH.set(depth)
        metrics.INBOX_OLDEST_AGE.set(oldest)
        metrics.DEAD_LETTERS_OPEN.set(dead)
        metrics.DEPENDENCY_UP.labels(dependency="postgres").set(1)
    except Exception:  # still serve the other metrics when the database is down
        metrics.DEPENDENCY_UP.labels(dependency="postgres").set(0)
    try:
        pong = await asyncio.wait_for(state.redis.ping(), 1.0)
    except Exception:
        pong = False
    metrics.DEPENDENCY_UP.labels(dependency="redis").set(1 if pong else 0)
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
