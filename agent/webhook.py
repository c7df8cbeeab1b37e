"""GET/POST /webhooks/whatsapp: Meta's verification handshake, and signed notifications stored durably before 200."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from agent import metrics, signature
from agent.envelope import parse_envelope
from agent.logs import describe_error, mask_phone
from agent.pgtext import loads_storable

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhook"])

_OK = b'{"status":"ok"}'
# Bound once: `labels()` per webhook is a locked dict lookup, four webhooks per guest message.
_ACCEPTED = metrics.WEBHOOK_REQUESTS.labels(result="ok")
_DUPLICATE = metrics.WEBHOOK_REQUESTS.labels(result="duplicate")
_ACK_SECONDS = metrics.WEBHOOK_ACK_SECONDS


def _json(status: int, body: bytes) -> Response:
    return Response(content=body, status_code=status, media_type="application/json")


@router.get("/webhooks/whatsapp")
async def verify_subscription(request: Request) -> Response:
    """Meta's handshake: echo hub.challenge when hub.verify_token matches, 403 otherwise."""
    settings = request.app.state.settings
    params = request.query_params
    token = params.get("hub.verify_token", "")
    expected = settings.verify_token.get_secret_value()
    if params.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        return PlainTextResponse(params.get("hub.challenge", ""))
    return PlainTextResponse("Forbidden", status_code=403)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_notification(request: Request) -> Response:
    """The webhook as a Starlette route (in-process apps and tests); served processes use `WebhookFastPath`."""
    state = request.app.state
    started = state.clock.monotonic()
    body = await _read_limited(request, state.settings.webhook_max_bytes)
    status, payload = await handle_notification(state, body, request.headers.get("x-hub-signature-256"), started)
    return _json(status, payload)


async def handle_notification(state, body: bytes | None, sig: str | None, started: float) -> tuple[int, bytes]:  # noqa: ANN001 - app.state
    """Verify the signature over the raw bytes, parse every item, store, commit, then 200. No business logic here.

    `body` is None when it exceeded the size limit. Returns the status and the JSON body to answer.
    """
    settings = state.settings
    if body is None:
        metrics.WEBHOOK_REQUESTS.labels(result="too_large").inc()
        return 413, b'{"error":"payload too large"}'
    if not signature.is_valid(settings.app_secret.get_secret_value(), body, sig):
        metrics.WEBHOOK_REQUESTS.labels(result="bad_signature").inc()
        log.warning("webhook signature missing or wrong", extra={"bytes": len(body)})
        return 401, b'{"error":"invalid signature"}'
    try:
        # Cleaned of what Postgres cannot store (U+0000, lone surrogates): such a message is answered, not refused.
        data = loads_storable(body)
    except ValueError:
        metrics.WEBHOOK_REQUESTS.labels(result="bad_json").inc()
        return 400, b'{"error":"body is not JSON"}'
    env = parse_envelope(data)
    for problem in env.problems:
        log.info("webhook item skipped", extra={"problem": problem})
    for err in env.errors:
        metrics.WEBHOOK_ERRORS.labels(code=str(err.code)).inc()
        log.warning("Meta reported an error", extra={"code": err.code, "title": err.title, "details": err.details})
    for st in env.statuses:
        metrics.count_status(st.status)
    result = _ACCEPTED
    if env.messages or env.statuses:
        try:
            # Bounded: without Postgres the answer is a quick 503 (Meta redelivers), never a hang.
            stored = await state.writer.store(env, settings.webhook_store_timeout_seconds)
        except Exception as exc:
            # Not stored, so not acknowledged: Meta will redeliver.
            metrics.WEBHOOK_REQUESTS.labels(result="store_failed").inc()
            log.error("webhook not stored", extra={"error": describe_error(exc)})
            return 503, b'{"error":"temporarily unavailable, retry"}'
        if stored.new_wamids and state.worker is not None:
            state.worker.wake()
        if stored.new_wamids and log.isEnabledFor(logging.DEBUG):
            # Debug only: the worker's "processed" line tells each message's fate; this was a line per guest message.
            for msg in env.messages:
                if msg.wamid in stored.new_wamids:
                    log.debug("stored", extra={"wamid": msg.wamid, "guest": mask_phone(msg.guest), "type": msg.type})
        # The unique wamid answered: a redelivery of stored messages costs its share of one statement, no more.
        if env.messages and not env.statuses and not stored.new_wamids:
            result = _DUPLICATE
    result.inc()
    _ACK_SECONDS.observe(state.clock.monotonic() - started)
    return 200, _OK


# The hot path as a plain Starlette route: no FastAPI parameter solving or validation per webhook (~20% less CPU).
notification_route = Route("/webhooks/whatsapp", receive_notification, methods=["POST"], name="receive_notification")


class WebhookFastPath:
    """The served ASGI app: POST /webhooks/whatsapp goes straight to `handle_notification`, the rest to the app.

    Four webhooks per guest message (the message and its sent/delivered/read statuses) make the per-request
    framework cost the largest part of the web process's CPU; this path skips FastAPI's middleware stack and
    Starlette's Request, with the same answers as the route. The body deadline is the server protocol's
    (agent/bodytimeout.py), for every route alike.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/webhooks/whatsapp" and scope["method"] == "POST":
            try:
                await self._serve(scope, receive, send)
            except ClientDisconnect:  # gone before its body arrived (or timed out: the protocol answered 408)
                log.info("client disconnected before the request was read", extra={"path": scope["path"]})
        else:
            await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = self.state.clock.monotonic()
        limit = self.state.settings.webhook_max_bytes
        sig: str | None = None
        declared = b""
        for key, value in scope["headers"]:
            if key == b"x-hub-signature-256":
                sig = value.decode("latin-1")
            elif key == b"content-length":
                declared = value
        body: bytes | None = None
        if not (declared.isdigit() and int(declared) > limit):
            body = await _receive_limited(receive, limit)
        status, payload = await handle_notification(self.state, body, sig, started)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def _receive_limited(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def served_app() -> WebhookFastPath:
    """The factory `hotelero agent` serves (settings from the environment)."""
    from agent.app import create_app

    return WebhookFastPath(create_app())
