"""The FastAPI application factory: pools, migrations and the in-process worker live in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
import psycopg
from fastapi import FastAPI
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import BlockingConnectionPool, Redis

from agent import admin, apidocs, health, inbox, metrics, migrate, webhook
from agent.clock import Clock, SystemClock
from agent.echo import EchoResponder
from agent.graph import GraphClient, GraphConfig
from agent.groupcommit import EnvelopeWriter
from agent.logs import configure as configure_logs
from agent.responder import Responder
from agent.settings import Settings
from agent.worker import Worker
from hotpath.heap import settle_heap

log = logging.getLogger(__name__)


def build_responder(settings: Settings, redis: Redis | None = None, clock: Clock | None = None) -> Responder:
    """The responder AGENT_RESPONDER names; the receptionist uses Redis (PMS cache, booking locks, idempotency)."""
    if settings.responder == "echo":
        return EchoResponder(delay_ms=settings.echo_delay_ms)
    from agent.receptionist import Receptionist

    return Receptionist.from_settings(settings, redis, clock or SystemClock())


def build_graph(settings: Settings) -> GraphClient:
    """The outbound Graph API client configured from settings."""
    return GraphClient(
        GraphConfig(
            messages_url=settings.graph_messages_url,
            access_token=settings.access_token.get_secret_value(),
            timeout_s=settings.graph_timeout_seconds,
            max_retries=settings.graph_max_retries,
            retry_base_s=settings.graph_retry_base_seconds,
            max_connections=settings.graph_max_connections,
        )
    )


async def _configure_connection(conn: psycopg.AsyncConnection) -> None:
    # jsonb columns (payloads, states, replies) come back through orjson: psycopg's default is the stdlib json.
    set_json_loads(orjson.loads, conn)


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[tuple[AsyncConnectionPool, Redis, GraphClient]]:
    """Database pool, Redis client (blocking pool: bounded connections) and Graph client, closed on exit."""
    pool = AsyncConnectionPool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        kwargs=inbox.connection_kwargs(settings.database_url),
        configure=_configure_connection,
        open=False,
    )
    await pool.open(wait=True, timeout=15)
    redis = Redis(
        connection_pool=BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=settings.redis_max_connections,
            timeout=5,
            # Bounded calls: without Redis a turn fails open after this long instead of hanging.
            socket_timeout=settings.redis_timeout_seconds,
            socket_connect_timeout=settings.redis_timeout_seconds,
        )
    )
    graph = build_graph(settings)
    await graph.start()
    metrics.publish_build_info(settings.whatsapp_throughput_mps)
    sampler = metrics.PoolSampler(pool, settings.db_pool_max)
    sampler.start()
    try:
        yield pool, redis, graph
    finally:
        await sampler.stop()
        metrics.process_exited()
        await graph.close()
        await redis.aclose()
        await pool.close()


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, responder: Responder | None = None
) -> FastAPI:
    """Build the agent. `settings` defaults to the environment; `clock` to the system clock."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logs(settings.log_level)
        if settings.migrate_on_start:
            try:
                applied = await migrate.apply(settings.database_url)
            except psycopg.OperationalError as exc:
                raise RuntimeError(
                    f"cannot reach Postgres at AGENT_DATABASE_URL ({exc}); start it or fix the URL"
                ) from exc
            if applied:
                log.info("migrations applied", extra={"migrations": applied})
        async with open_resources(settings) as (pool, redis, graph):
            app.state.pool = pool
            app.state.redis = redis
            app.state.graph = graph
            app.state.writer = EnvelopeWriter(pool, clock.now, status_linger_s=settings.status_batch_ms / 1000)
            worker = None
            if settings.run_worker:
                brain = responder or build_responder(settings, redis, clock)
                worker = Worker(settings, pool, redis, graph, brain, clock)
                worker.start()
            app.state.worker = worker
            settle_heap()
            try:
                yield
            finally:
                if worker is not None:
                    await worker.stop()
                    # The receptionist holds an HTTP session to QloApps.
                    close = getattr(worker.responder, "close", None)
                    if close is not None:
                        await close()

    # Docs and the OpenAPI document are served by agent/apidocs.py, behind the admin token and offline.
    app = FastAPI(title="hotelero agent", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.clock = clock
    app.state.worker = None
    app.router.routes.append(webhook.notification_route)
    app.include_router(webhook.router)
    app.include_router(health.router)
    app.include_router(admin.router)
    app.include_router(apidocs.router)
    app.include_router(apidocs.protected)
    from agent.nlu_routes import router as nlu_router

    app.include_router(nlu_router)
    return app
