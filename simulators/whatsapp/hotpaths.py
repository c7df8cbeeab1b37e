"""The served ASGI app: the routes hit for every guest message skip Starlette's middleware and router.

Per guest message the simulator answers the guest's send (control plane), about two Graph sends from the
business (the reply and the mark-read) and the replies long poll; per conversation, the guest's creation.
Starlette's middleware stack and router cost more than those handlers; this path calls the very same
handlers with the same Request and Response objects, so the bytes, statuses and errors are the framework
path's by construction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from simulators.whatsapp import control as c
from simulators.whatsapp.graph_routes import graph_dispatch
from simulators.whatsapp.http import unexpected_error

log = logging.getLogger("simulators.whatsapp")

Handler = Callable[[Request], Awaitable[Response]]

_GUESTS = "/_sim/guests/"


class HotPaths:
    """Wraps the simulator's Starlette app; anything not matched here goes to the app unchanged."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.state = app.state
        self._guest_message = c.guarded(c.guest_message)
        self._guest_replies = c.guarded(c.guest_replies)
        self._guests_create = c.guarded(c.guests_create)

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """The handler (and path params) the app's router would pick for a hot route, else None."""
        if path == "/_sim/guests" and method == "POST":
            return self._guests_create, {}
        if path.startswith(_GUESTS):
            # Route("/guests/{wa_id}/messages") under Mount("/_sim"): {wa_id} is one non-empty segment.
            wa_id, slash, edge = path[len(_GUESTS) :].partition("/")
            if not wa_id or not slash:
                return None
            if edge == "messages" and method == "POST":
                return self._guest_message, {"wa_id": wa_id}
            if edge == "replies" and method == "GET":
                return self._guest_replies, {"wa_id": wa_id}
            return None
        if method == "POST" and not path.startswith("/_sim/"):
            # Every POST outside the control plane falls to the Graph catch-all Route("/{path:path}").
            return graph_dispatch, {"path": path[1:]}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self.match(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if hot is None:
            await self.app(scope, receive, send)
            return
        handler, params = hot
        scope["app"] = self.app  # what Starlette and its router put in the scope
        scope["path_params"] = params
        request = Request(scope, receive, send)
        try:
            response = await handler(request)
        except Exception as exc:  # noqa: BLE001 - the framework path's Exception handler, same answer
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            response = unexpected_error(exc)
        await response(scope, receive, send)
