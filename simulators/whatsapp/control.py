"""The control plane under /_sim/: virtual guests, long-poll replies, journal, faults, clock, settings."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from simulators.whatsapp.config import Policies, RetryPolicy, StatusTiming, Template
from simulators.whatsapp.errors import GraphError
from simulators.whatsapp.http import error_response, json_response, read_json
from simulators.whatsapp.simulator import ControlError, Simulator, decode_b64
from simulators.whatsapp.state import Guest, Message
from simulators.whatsapp.templates import template_id

_WA_ID = re.compile(r"^[0-9]{5,20}$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuestIn(_Body):
    wa_id: str = Field(pattern=r"^[0-9]{5,20}$")
    profile_name: str | None = Field(default=None, min_length=1, max_length=256)
    language: str | None = Field(default=None, min_length=2, max_length=15)
    reachable: bool | None = None
    username_mode: bool | None = None
    username: str | None = Field(default=None, min_length=1, max_length=64)
    delivered_after_ms: float | None = Field(default=None, ge=0, le=86_400_000)
    read_after_ms: float | None = Field(default=None, ge=0, le=86_400_000)
    reads: bool | None = None
    skip_delivered: bool | None = None


class GuestMessageIn(_Body):
    type: Literal[
        "text",
        "button",
        "list",
        "location",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "reaction",
        "contacts",
        "unsupported",
    ] = "text"
    text: str | None = Field(default=None, max_length=65536)
    button_id: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=256)
    row_id: str | None = Field(default=None, max_length=200)
    context_wamid: str | None = Field(default=None, max_length=512)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    name: str | None = Field(default=None, max_length=1000)
    address: str | None = Field(default=None, max_length=1000)
    caption: str | None = Field(default=None, max_length=1024)
    filename: str | None = Field(default=None, max_length=240)
    mime_type: str | None = Field(default=None, max_length=128)
    data_b64: str | None = Field(default=None, max_length=8_000_000)
    voice: bool = False
    emoji: str | None = Field(default=None, max_length=16)
    message_id: str | None = Field(default=None, max_length=512)
    contacts: list[dict[str, Any]] | None = Field(default=None, max_length=20)
    unsupported_type: str = Field(default="poll_update", max_length=64)
    forwarded: bool = False
    phone_number_id: str | None = Field(default=None, max_length=64)
    profile_name: str | None = Field(default=None, min_length=1, max_length=256)


class AdvanceIn(_Body):
    seconds: float | None = Field(default=None, ge=0, le=10 * 365 * 86400)
    ms: float | None = Field(default=None, ge=0, le=10 * 365 * 86400 * 1000)


class SettingsIn(_Body):
    policies: dict[str, Any] | None = None
    statuses: dict[str, Any] | None = None
    payload_shape: Literal["2026", "pre2026"] | None = None
    payload_version: str | None = Field(default=None, pattern=r"^v\d+\.\d+$")
    auto_create_guests: bool | None = None
    delivery_timeout_s: float | None = Field(default=None, gt=0, le=600)
    retry: dict[str, Any] | None = None
    throughput_mps: float | None = Field(default=None, gt=0, le=100_000)


class WebhookIn(_Body):
    url: str | None = Field(default=None, max_length=2000)
    verify_token: str | None = Field(default=None, max_length=512)
    app_secret: str | None = Field(default=None, max_length=512)
    verify: bool | None = None


class TemplatesIn(_Body):
    templates: list[Template] = Field(max_length=1000)


class TemplateStatusIn(_Body):
    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=15)
    # Events of message_template_status_update (Meta's webhook reference for that field).
    event: Literal["APPROVED", "REJECTED", "PENDING", "PAUSED", "DISABLED", "FLAGGED", "REINSTATED"]
    reason: str | None = Field(default=None, max_length=256)


class ValueErrorsIn(_Body):
    code: int = Field(ge=0, le=10_000_000)
    details: str | None = Field(default=None, max_length=2000)
    phone_number_id: str | None = Field(default=None, max_length=64)


DEFAULT_MIME = {
    "image": "image/jpeg",
    "audio": "audio/ogg; codecs=opus",
    "video": "video/mp4",
    "document": "application/pdf",
    "sticker": "image/webp",
}


def _validate(model: type[BaseModel], data: Any) -> Any:
    if not isinstance(data, dict):
        raise ControlError("the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ControlError(f"{where}: {first['msg']} ({exc.error_count()} problem(s) in the body)") from exc


def _wa_id(request: Request) -> str:
    wa_id = request.path_params["wa_id"]
    if not _WA_ID.match(wa_id):
        raise ControlError(f"wa_id must be 5-20 digits, got {wa_id!r}")
    return wa_id


def _sim(request: Request) -> Simulator:
    return request.app.state.sim


def _reply_item(msg: Message) -> dict[str, Any]:
    return {
        "wamid": msg.wamid,
        "arrived_at_ms": msg.at_ms,
        "phone_number_id": msg.phone_number_id,
        "type": msg.type,
        "message": orjson.Fragment(msg.raw),
        "statuses": [s["status"] for s in msg.statuses],
    }


async def guests_create(request: Request) -> Response:
    sim = _sim(request)
    body = _validate(GuestIn, await read_json(request))
    fields = body.model_dump(exclude={"wa_id"}, exclude_none=True)
    existed = body.wa_id in sim.state.guests
    guest = sim.state.add_guest(body.wa_id, **fields)
    sim.journal.add("control", action="guest", wa_id=guest.wa_id)
    return json_response(guest.public(), 200 if existed else 201)


async def guests_list(request: Request) -> Response:
    return json_response({"guests": [g.public() for g in _sim(request).state.guests.values()]})


async def guest_get(request: Request) -> Response:
    sim = _sim(request)
    return json_response(sim.guest_or_error(_wa_id(request)).public())


def _button_reply(sim: Simulator, guest: Guest, body: GuestMessageIn) -> tuple[str, dict[str, Any], Message]:
    want_id, want_title = body.button_id, body.title
    if want_id is None and want_title is None and body.text is not None:
        want_title = body.text
    if want_id is None and want_title is None:
        raise ControlError("a button reply needs button_id or title (of a button the business sent)")

    def buttons_of(msg: Message) -> list[tuple[str, str, str]]:
        """(id or payload, title, kind) of the reply buttons in a business message."""
        p = msg.payload
        if msg.type == "interactive" and p["interactive"].get("type") == "button":
            return [
                (b["reply"]["id"], b["reply"]["title"], "interactive") for b in p["interactive"]["action"]["buttons"]
            ]
        if msg.type == "template":
            tpl = next((t for t in sim.settings.templates if t.name == p["template"]["name"]), None)
            if tpl is None:
                return []
            payloads = {}
            for comp in p["template"].get("components", []):
                if comp.get("type") == "button" and comp.get("sub_type") == "quick_reply":
                    for param in comp.get("parameters", []):
                        if param.get("type") == "payload":
                            payloads[int(comp.get("index", 0))] = param.get("payload")
            qr = [b for b in tpl.buttons if b.type == "QUICK_REPLY"]
            return [(payloads.get(i) or b.text, b.text, "template") for i, b in enumerate(qr)]
        return []

    def match(msg: Message) -> bool:
        if body.context_wamid and msg.wamid != body.context_wamid:
            return False
        return any(
            (want_id is None or bid == want_id) and (want_title is None or title == want_title)
            for bid, title, _ in buttons_of(msg)
        )

    target = sim.state.find_business_message(guest.wa_id, match)
    if target is None:
        offered = []
        for msg in reversed(sim.state.conversations.get(guest.wa_id, [])):
            if msg.direction == "out" and buttons_of(msg):
                offered = [{"id": b, "title": t} for b, t, _ in buttons_of(msg)]
                break
        raise ControlError(
            f"the business sent no button with id={want_id!r} title={want_title!r} to {guest.wa_id}; "
            f"latest buttons offered: {offered}"
        )
    bid, title, kind = next(
        b
        for b in buttons_of(target)
        if (want_id is None or b[0] == want_id) and (want_title is None or b[1] == want_title)
    )
    if kind == "template":
        return "button", {"payload": bid, "text": title}, target
    return "interactive", {"type": "button_reply", "button_reply": {"id": bid, "title": title}}, target


def _list_reply(sim: Simulator, guest: Guest, body: GuestMessageIn) -> tuple[str, dict[str, Any], Message]:
    want_id, want_title = body.row_id, body.title
    if want_id is None and want_title is None and body.text is not None:
        want_title = body.text
    if want_id is None and want_title is None:
        raise ControlError("a list reply needs row_id or title (of a row the business sent)")

    def rows_of(msg: Message) -> list[dict[str, Any]]:
        p = msg.payload
        if msg.type == "interactive" and p["interactive"].get("type") == "list":
            return [r for s in p["interactive"]["action"]["sections"] for r in s["rows"]]
        return []

    def row_match(row: dict[str, Any]) -> bool:
        return (want_id is None or row["id"] == want_id) and (want_title is None or row["title"] == want_title)

    def match(msg: Message) -> bool:
        if body.context_wamid and msg.wamid != body.context_wamid:
            return False
        return any(row_match(r) for r in rows_of(msg))

    target = sim.state.find_business_message(guest.wa_id, match)
    if target is None:
        raise ControlError(
            f"the business sent no list row with id={want_id!r} title={want_title!r} to "
            f"{guest.wa_id}: send the list first, then reply with one of its row ids or titles"
        )
    row = next(r for r in rows_of(target) if row_match(r))
    reply = {"id": row["id"], "title": row["title"]}
    if "description" in row:
        reply["description"] = row["description"]
    return "interactive", {"type": "list_reply", "list_reply": reply}, target


async def guest_message(request: Request) -> Response:
    """Make a guest send a message to the business; returns its wamid and accepted_at_ms."""
    sim = _sim(request)
    wa_id = _wa_id(request)
    body: GuestMessageIn = _validate(GuestMessageIn, await read_json(request))
    number = sim.number_or_error(body.phone_number_id)
    existed = wa_id in sim.state.guests
    guest = sim.guest_or_error(wa_id, create=True)
    if not existed and body.profile_name:
        guest.profile_name = body.profile_name
    context: dict[str, Any] | None = None
    target: Message | None = None
    mtype: str = body.type
    payload: dict[str, Any]
    if body.type == "text":
        if body.text is None or body.text == "":
            raise ControlError("a text message needs a non-empty `text`")
        payload = {"body": body.text}
    elif body.type == "button":
        mtype, payload, target = _button_reply(sim, guest, body)
    elif body.type == "list":
        mtype, payload, target = _list_reply(sim, guest, body)
    elif body.type == "location":
        if body.latitude is None or body.longitude is None:
            raise ControlError("a location needs latitude and longitude")
        payload = {"latitude": body.latitude, "longitude": body.longitude}
        if body.name is not None:
            payload["name"] = body.name
        if body.address is not None:
            payload["address"] = body.address
    elif body.type in DEFAULT_MIME:
        data = decode_b64(body.data_b64) if body.data_b64 is not None else None
        payload = sim.guest_media(
            number, body.type, data, body.mime_type or DEFAULT_MIME[body.type], body.caption, body.filename, body.voice
        )
    elif body.type == "reaction":
        target_id = body.message_id
        if target_id is None:
            last = sim.state.find_business_message(guest.wa_id, lambda m: True)
            if last is None:
                raise ControlError("a reaction needs message_id (no business message to react to yet)")
            target_id = last.wamid
        payload = {"message_id": target_id, "emoji": body.emoji or ""}
    elif body.type == "contacts":
        payload = body.contacts or [
            {
                "name": {"formatted_name": "Ana", "first_name": "Ana"},
                "phones": [{"phone": "+34 600 000 000", "type": "CELL"}],
            }
        ]
    else:
        mtype = "unsupported"
        payload = {"type": body.unsupported_type}
    if body.context_wamid or target is not None:
        ctx_id = target.wamid if target is not None else body.context_wamid
        ref = sim.state.messages.get(ctx_id or "")
        if ref is None:
            raise ControlError(f"context_wamid {ctx_id} is not a message of this simulator")
        context = {"from": number.display_phone_number, "id": ctx_id}
    elif body.forwarded:
        context = {"forwarded": True}
    msg = sim.guest_send(guest, number, mtype, payload, context)
    return json_response(
        {
            "wamid": msg.wamid,
            "accepted_at_ms": msg.at_ms,
            "timestamp": msg.timestamp,
            "phone_number_id": number.phone_number_id,
            "message": orjson.Fragment(msg.raw),
        },
        201,
    )


def _num(request: Request, key: str, default: float, lo: float, hi: float) -> float:
    raw = request.query_params.get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ControlError(f"query parameter {key} must be a number, got {raw!r}") from exc
    if not lo <= value <= hi:
        raise ControlError(f"query parameter {key} must be between {lo} and {hi}, got {value}")
    return value


async def guest_replies(request: Request) -> Response:
    """Long-poll the business messages sent to this guest after an inbound wamid."""
    sim = _sim(request)
    wa_id = _wa_id(request)
    timeout = _num(request, "timeout", 10.0, 0, 300)
    settle = _num(request, "settle_ms", 200.0, 0, 60_000)
    guest = sim.guest_or_error(wa_id)
    after = request.query_params.get("after")
    inbound: Message | None
    if after:
        inbound = sim.state.messages.get(after)
        if inbound is None or inbound.wa_id != guest.wa_id:
            raise ControlError(f"after={after} is not a message of guest {wa_id}", 404)
    else:
        inbound = sim.state.last_inbound(guest.wa_id)
    seq = inbound.seq if inbound is not None else 0
    replies, timed_out = await sim.wait_replies(guest.wa_id, seq, timeout, settle)
    timeline = inbound.timeline() if inbound is not None and inbound.direction == "in" else None
    return json_response({"replies": [_reply_item(m) for m in replies], "timeline": timeline, "timed_out": timed_out})


async def guest_conversation(request: Request) -> Response:
    sim = _sim(request)
    guest = sim.guest_or_error(_wa_id(request))
    conv = sim.state.conversations.get(guest.wa_id, [])
    pnid = conv[-1].phone_number_id if conv else sim.state.default_number.phone_number_id
    return json_response(
        {
            "guest": guest.public(),
            "messages": [m.public() for m in conv],
            "window_expires_at": sim.state.window_expires_at(pnid, guest.wa_id),
            "now": sim.clock.time(),
        }
    )


async def journal(request: Request) -> Response:
    sim = _sim(request)
    kind = request.query_params.get("kind")
    after = int(_num(request, "after", 0, 0, 1e15))
    limit = int(_num(request, "limit", 1000, 1, 50_000))
    entries = sim.journal.query(kind, after, limit)
    return json_response({"entries": entries, "last_seq": sim.journal.seq})


async def faults_get(request: Request) -> Response:
    return json_response(_sim(request).faults.faults.model_dump())


async def faults_post(request: Request) -> Response:
    sim = _sim(request)
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ControlError("the request body must be a JSON object of fault settings")
    try:
        faults = sim.faults.update(data)
    except (ValidationError, ValueError) as exc:
        msg = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise ControlError(f"bad fault settings: {msg}") from exc
    sim.journal.add("control", action="faults", faults=data)
    return json_response(faults.model_dump())


async def faults_delete(request: Request) -> Response:
    sim = _sim(request)
    sim.faults.clear()
    sim.journal.add("control", action="faults_cleared")
    return json_response(sim.faults.faults.model_dump())


async def clock_advance(request: Request) -> Response:
    sim = _sim(request)
    body: AdvanceIn = _validate(AdvanceIn, await read_json(request))
    if (body.seconds is None) == (body.ms is None):
        raise ControlError("give exactly one of seconds or ms")
    seconds = body.seconds if body.seconds is not None else (body.ms or 0) / 1000.0
    offset = sim.clock.advance(seconds)
    sim.journal.add("control", action="clock_advance", seconds=seconds)
    return json_response({"now": sim.clock.time(), "offset_s": offset, "now_ms": sim.clock.now_ms()})


async def clock_get(request: Request) -> Response:
    sim = _sim(request)
    return json_response({"now": sim.clock.time(), "offset_s": sim.clock.offset_s, "now_ms": sim.clock.now_ms()})


async def reset(request: Request) -> Response:
    sim = _sim(request)
    sim.reset()
    sim.journal.add("control", action="reset")
    return json_response({"reset": True})


async def health(request: Request) -> Response:
    sim = _sim(request)
    return json_response(
        {
            "status": "ok",
            "service": "whatsapp-simulator",
            "webhook_url": sim.settings.webhook_url,
            "webhook_verified": sim.delivery.verified.is_set(),
            "pending_deliveries": sim.delivery.pending,
            "guests": len(sim.state.guests),
            "now_ms": sim.clock.now_ms(),
            "phone_number_ids": [n.phone_number_id for n in sim.settings.numbers],
            # Recent event-loop lag: if it is high, the simulator (or its CPU share) is slowing the run.
            **sim.monitor.summary(),
        }
    )


def _settings_view(sim: Simulator) -> dict[str, Any]:
    s = sim.settings
    return {
        "policies": s.policies.model_dump(),
        "statuses": s.statuses.model_dump(),
        "payload_shape": s.payload_shape,
        "payload_version": s.payload_version,
        "auto_create_guests": s.auto_create_guests,
        "delivery_timeout_s": s.delivery.timeout_s,
        "retry": s.delivery.retry.model_dump(),
        "retry_delays_s": s.delivery.retry.delays(),
        "numbers": [n.model_dump() for n in s.numbers],
    }


async def settings_get(request: Request) -> Response:
    return json_response(_settings_view(_sim(request)))


async def settings_post(request: Request) -> Response:
    """Change policies at runtime (window, rate limits, payload shape, status timing, retry schedule)."""
    sim = _sim(request)
    body: SettingsIn = _validate(SettingsIn, await read_json(request))
    s = sim.settings
    try:
        policies = Policies.model_validate({**s.policies.model_dump(), **(body.policies or {})})
        statuses = StatusTiming.model_validate({**s.statuses.model_dump(), **(body.statuses or {})})
        retry = RetryPolicy.model_validate({**s.delivery.retry.model_dump(), **(body.retry or {})})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ControlError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc
    s.policies, s.statuses, s.delivery.retry = policies, statuses, retry
    if body.payload_shape is not None:
        s.payload_shape = body.payload_shape
    if body.payload_version is not None:
        s.payload_version = body.payload_version
    if body.auto_create_guests is not None:
        s.auto_create_guests = body.auto_create_guests
    if body.delivery_timeout_s is not None:
        s.delivery.timeout_s = body.delivery_timeout_s
    if body.throughput_mps is not None:
        for n in s.numbers:
            n.throughput_mps = body.throughput_mps
    sim.journal.add("control", action="settings", settings=body.model_dump(exclude_none=True))
    return json_response(_settings_view(sim))


async def webhook_post(request: Request) -> Response:
    sim = _sim(request)
    body: WebhookIn = _validate(WebhookIn, await read_json(request))
    if body.url is not None and not re.match(r"^https?://", body.url):
        raise ControlError("url must be an http(s) URL")
    s = sim.settings
    s.webhook_url = body.url if body.url is not None else s.webhook_url
    s.verify_token = body.verify_token if body.verify_token is not None else s.verify_token
    s.app_secret = body.app_secret if body.app_secret is not None else s.app_secret
    if body.verify is not None:
        s.delivery.verify = body.verify
    sim.delivery.restart_handshake()
    sim.journal.add("control", action="webhook", url=s.webhook_url)
    return json_response(
        {
            "webhook_url": s.webhook_url,
            "verify_token": s.verify_token,
            "webhook_verified": sim.delivery.verified.is_set(),
        }
    )


async def templates_get(request: Request) -> Response:
    return json_response({"templates": [t.model_dump() for t in _sim(request).settings.templates]})


async def templates_post(request: Request) -> Response:
    sim = _sim(request)
    body: TemplatesIn = _validate(TemplatesIn, await read_json(request))
    by_key = {(t.name, t.language): t for t in sim.settings.templates}
    for t in body.templates:
        by_key[(t.name, t.language)] = t
    sim.settings.templates = list(by_key.values())
    return json_response({"templates": [t.model_dump() for t in sim.settings.templates]})


async def template_status(request: Request) -> Response:
    """Change a template's review status and send the `message_template_status_update` webhook."""
    sim = _sim(request)
    body: TemplateStatusIn = _validate(TemplateStatusIn, await read_json(request))
    tpl = next((t for t in sim.settings.templates if t.name == body.name and t.language == body.language), None)
    if tpl is None:
        raise ControlError(f"no template {body.name}/{body.language}: create it first (POST /_sim/templates)", 404)
    if tpl.id is None:
        tpl.id = template_id(tpl)
    sim.set_template_status(sim.state.default_number, tpl, body.event, body.reason)
    return json_response({"template": tpl.model_dump(), "event": body.event}, 202)


async def value_errors(request: Request) -> Response:
    """Send an out-of-band value-level `errors` webhook (e.g. 130429 or 131000)."""
    sim = _sim(request)
    body: ValueErrorsIn = _validate(ValueErrorsIn, await read_json(request))
    number = sim.number_or_error(body.phone_number_id)
    item = sim.send_value_errors(number, body.code, body.details)
    sim.journal.add("control", action="value_errors", code=body.code)
    return json_response({"error": item, "phone_number_id": number.phone_number_id}, 202)


async def metrics(request: Request) -> Response:
    return Response(_sim(request).metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


async def unknown_control(request: Request) -> Response:
    """404 for an unknown /_sim/ path, 405 when the path exists with other methods."""
    mount = request.app.routes[0]
    wrong_method = any(r.matches(request.scope)[0] == Match.PARTIAL for r in mount.routes[:-1])
    status = 405 if wrong_method else 404
    what = "does not accept this method" if wrong_method else "is not a control-plane endpoint"
    return error_response(
        ControlError(f"{request.method} {request.url.path} {what}; see docs/whatsapp-simulator.md", status)
    )


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Render GraphError / ControlError as Meta's envelope; never a traceback."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except GraphError as err:
            return error_response(err)

    endpoint.__name__ = handler.__name__
    return endpoint
