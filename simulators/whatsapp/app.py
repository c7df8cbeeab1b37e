"""The ASGI app: Graph API routes, the media lookaside URL, and the /_sim/ control plane."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from simulators.apidocs import docs_answer
from simulators.whatsapp import chat, openapi
from simulators.whatsapp import control as c
from simulators.whatsapp.config import SimSettings
from simulators.whatsapp.errors import GraphError
from simulators.whatsapp.graph_routes import graph_dispatch, media_download
from simulators.whatsapp.hotpaths import HotPaths
from simulators.whatsapp.http import error_response, unexpected_error
from simulators.whatsapp.simulator import Simulator

log = logging.getLogger("simulators.whatsapp")


async def api_docs(request: Request) -> Response:
    """Swagger UI, ReDoc, their files and the OpenAPI document, all served locally (offline)."""
    answer = docs_answer(request.url.path, "WhatsApp Cloud API simulator", openapi.spec)
    status, body, ctype = answer or (404, b"not found", "text/plain")
    return Response(body, status_code=status, media_type=ctype)


def create_app(settings: SimSettings | None = None, base_url: str | None = None) -> Starlette:
    """Build the simulator app; `app.state.sim` is the Simulator (tests may reach into it)."""
    sim = Simulator(settings or SimSettings())
    if base_url:
        sim.base_url = base_url.rstrip("/")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await sim.start()
        try:
            yield
        finally:
            await sim.stop()

    g = c.guarded
    # Control routes live under one Mount so a Graph API call only tests a handful of patterns.
    control = [
        Route("/health", g(c.health), methods=["GET"]),
        Route("/guests", g(c.guests_create), methods=["POST"]),
        Route("/guests", g(c.guests_list), methods=["GET"]),
        Route("/guests/{wa_id}", g(c.guest_get), methods=["GET"]),
        Route("/guests/{wa_id}/messages", g(c.guest_message), methods=["POST"]),
        Route("/guests/{wa_id}/replies", g(c.guest_replies), methods=["GET"]),
        Route("/guests/{wa_id}/conversation", g(c.guest_conversation), methods=["GET"]),
        Route("/journal", g(c.journal), methods=["GET"]),
        Route("/faults", g(c.faults_get), methods=["GET"]),
        Route("/faults", g(c.faults_post), methods=["POST"]),
        Route("/faults", g(c.faults_delete), methods=["DELETE"]),
        Route("/clock", g(c.clock_get), methods=["GET"]),
        Route("/clock/advance", g(c.clock_advance), methods=["POST"]),
        Route("/reset", g(c.reset), methods=["POST"]),
        Route("/settings", g(c.settings_get), methods=["GET"]),
        Route("/settings", g(c.settings_post), methods=["POST"]),
        Route("/webhook", g(c.webhook_post), methods=["POST"]),
        Route("/templates", g(c.templates_get), methods=["GET"]),
        Route("/templates", g(c.templates_post), methods=["POST"]),
        Route("/templates/status", g(c.template_status), methods=["POST"]),
        Route("/errors", g(c.value_errors), methods=["POST"]),
        Route("/chat", chat.page, methods=["GET"]),
        Route("/chat/events", chat.events, methods=["GET"]),
        Route("/openapi.json", api_docs, methods=["GET"]),
        Route("/docs", api_docs, methods=["GET"]),
        Route("/redoc", api_docs, methods=["GET"]),
        Route("/docs/assets/{name}", api_docs, methods=["GET"]),
        Route("/{rest:path}", c.unknown_control, methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    routes = [
        Mount("/_sim", routes=control),
        Route("/metrics", c.metrics, methods=["GET"]),
        Route("/whatsapp_business/attachments/", media_download, methods=["GET"]),
        Route("/{path:path}", graph_dispatch, methods=["GET", "POST", "DELETE"]),
    ]

    async def on_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return unexpected_error(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 400)
        return error_response(
            GraphError(
                100,
                details=f"{request.method} {request.url.path}: HTTP {status}",
                message="(#100) Invalid request",
                http_status=status,
            )
        )

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={Exception: on_error, 404: on_http_error, 405: on_http_error},
    )
    app.state.sim = sim
    return app


def served_app(settings: SimSettings | None = None, base_url: str | None = None) -> HotPaths:
    """The app the simulator serves: `create_app` behind the hot-route fast path (`.state.sim` as there)."""
    return HotPaths(create_app(settings, base_url))
