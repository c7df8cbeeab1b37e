"""Graph API HTTP endpoints: messages, media, the phone-number node, message templates, media download."""

from __future__ import annotations

import asyncio
import re

from starlette.requests import Request
from starlette.responses import Response

from simulators.whatsapp.config import BusinessNumber
from simulators.whatsapp.errors import DETAILS, GraphError, auth_error, invalid_param, unknown_object
from simulators.whatsapp.graph import parse_send
from simulators.whatsapp.http import (
    UPLOAD_LIMIT,
    error_response,
    graph_response,
    parse_multipart,
    read_body,
    read_json,
)
from simulators.whatsapp.simulator import Simulator
from simulators.whatsapp.state import MEDIA_UPLOAD_TTL_S
from simulators.whatsapp.templates import create_template, delete_templates, list_templates, phone_number_node

_VERSION = re.compile(r"^v\d+(\.\d+)?$")

# Meta's accepted upload types and size caps (reference §4.1).
MEDIA_CAPS: dict[str, int] = {
    "image/jpeg": 5 * 1024**2,
    "image/png": 5 * 1024**2,
    "audio/aac": 16 * 1024**2,
    "audio/amr": 16 * 1024**2,
    "audio/mpeg": 16 * 1024**2,
    "audio/mp4": 16 * 1024**2,
    "audio/ogg": 16 * 1024**2,
    "video/mp4": 16 * 1024**2,
    "video/3gpp": 16 * 1024**2,
    "image/webp": 500 * 1024,
    "text/plain": 100 * 1024**2,
    "application/pdf": 100 * 1024**2,
    "application/vnd.ms-powerpoint": 100 * 1024**2,
    "application/msword": 100 * 1024**2,
    "application/vnd.ms-excel": 100 * 1024**2,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * 1024**2,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * 1024**2,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * 1024**2,
}


# Magic bytes of the types whose content Meta checks against the declared `type` (D7: a JPEG sent as
# image/png must get 131053, as docs/whatsapp-simulator.md promises).
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF", 0, "application/pdf"),
    (b"OggS", 0, "audio/ogg"),
)
SNIFFABLE = {mime for _, _, mime in SIGNATURES}


def sniff_mime(data: bytes) -> str | None:
    for magic, offset, mime in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return mime
    return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _auth(sim: Simulator, request: Request, number: BusinessNumber | None = None) -> None:
    token = _bearer(request)
    if token is None:
        raise auth_error("Invalid OAuth access token - Cannot parse access token")
    if not sim.state.token_ok(number, token):
        raise auth_error("Malformed access token " + token[:16])


DEFAULT_VERSION = "v25.0"


async def graph_dispatch(request: Request) -> Response:
    """Route any Graph-looking path: optional /vNN.N/ prefix, then the object id and edge."""
    sim: Simulator = request.app.state.sim
    parts = [p for p in request.url.path.split("/") if p]
    # Graph names the version the call ran on (D6); unversioned calls run on the default one.
    version = DEFAULT_VERSION
    if parts and _VERSION.match(parts[0]):
        version = parts[0] if "." in parts[0] else parts[0] + ".0"
        parts = parts[1:]
    try:
        resp = await _route(sim, request, parts)
    except GraphError as err:
        # Graph repeats the error in WWW-Authenticate, e.g. the (#100) error in WhatsApp-Nodejs-SDK#21.
        # A header value is printable latin-1: a message quoting an odd path is escaped, not a 500 (found by fuzzing).
        quoted = err.message.encode("unicode_escape").decode("ascii")
        err.headers.setdefault("WWW-Authenticate", f'OAuth "Facebook Platform" "invalid_request" "{quoted}"')
        resp = error_response(err)
    resp.headers["facebook-api-version"] = version
    return resp


async def _route(sim: Simulator, request: Request, parts: list[str]) -> Response:
    endpoint = "other"
    status = 500
    method = request.method
    try:
        if len(parts) == 2 and parts[1] == "messages" and method == "POST":
            endpoint = "messages"
            resp = await _messages(sim, request, parts[0])
        elif len(parts) == 2 and parts[1] == "media" and method == "POST":
            endpoint = "media_upload"
            resp = await _upload(sim, request, parts[0])
        elif len(parts) == 1 and method == "GET" and sim.state.number(parts[0]) is not None:
            endpoint = "phone_number"
            number = sim.state.number(parts[0])
            _auth(sim, request, number)
            resp = graph_response(phone_number_node(number, request.query_params.get("fields")))
        elif len(parts) == 2 and parts[1] == "message_templates" and method in ("GET", "POST", "DELETE"):
            endpoint = "message_templates"
            resp = await _templates(sim, request, parts[0])
        elif len(parts) == 2 and parts[1] == "phone_numbers" and method == "GET":
            endpoint = "phone_numbers"
            resp = _phone_numbers(sim, request, parts[0])
        elif len(parts) == 1 and method in ("GET", "DELETE"):
            endpoint = "media"
            resp = await _media(sim, request, parts[0])
        else:
            _auth(sim, request)
            path = "/" + "/".join(parts)
            raise GraphError(
                2500 if len(parts) > 2 else 100,
                message=f"Unknown path components: {path}" if len(parts) > 2 else None,
                details=f"{request.method} {request.url.path} is not a Cloud API endpoint the simulator knows.",
                http_status=400,
            )
        status = resp.status_code
        return resp
    except GraphError as err:
        status = err.http_status or 400
        sim.journal.add(
            "graph", method=request.method, path=request.url.path, status=status, code=err.code, details=err.details
        )
        raise
    finally:
        sim.metrics.count(sim.metrics.graph_requests, endpoint, str(status))


def _waba_numbers(sim: Simulator, request: Request, waba_id: str) -> list[BusinessNumber]:
    numbers = [n for n in sim.settings.numbers if n.waba_id == waba_id]
    _auth(sim, request, numbers[0] if numbers else None)
    if not numbers:
        raise unknown_object(waba_id, method=request.method.lower())
    return numbers


def _phone_numbers(sim: Simulator, request: Request, waba_id: str) -> Response:
    """GET /{waba-id}/phone_numbers (Meta: embedded-signup/manage-accounts/phone-numbers, `data` list)."""
    fields = request.query_params.get("fields")
    data = [phone_number_node(n, fields) for n in _waba_numbers(sim, request, waba_id)]
    return graph_response({"data": data, "paging": {"cursors": {"before": "QVFI", "after": "QVFI"}}})


async def _templates(sim: Simulator, request: Request, waba_id: str) -> Response:
    """GET/POST/DELETE /{waba-id}/message_templates (Meta: WhatsApp Business Management API, templates)."""
    numbers = _waba_numbers(sim, request, waba_id)
    if request.method == "GET":
        return graph_response(list_templates(sim.settings.templates, request.query_params))
    if request.method == "DELETE":
        result = delete_templates(sim.settings, request.query_params)
        sim.journal.add("graph", method="DELETE", path=request.url.path, status=200, template=result["name"])
        return graph_response({"success": True})
    body = await read_json(request)
    tpl = create_template(sim.settings, body)
    sim.schedule_template_review(numbers[0], tpl)
    sim.journal.add("graph", method="POST", path=request.url.path, status=200, template=tpl.name, id=tpl.id)
    return graph_response({"id": tpl.id, "status": tpl.status, "category": tpl.category.upper()})


async def _faults(sim: Simulator, endpoint: str) -> None:
    f = sim.faults.faults
    if f.graph_latency_ms:
        await asyncio.sleep(f.graph_latency_ms / 1000.0)
    fault = sim.faults.graph_error(endpoint)
    if fault is not None:
        raise GraphError(fault.code, details=fault.details or DETAILS.get(fault.code, "Injected by /_sim/faults"))


async def _messages(sim: Simulator, request: Request, phone_number_id: str) -> Response:
    number = sim.state.number(phone_number_id)
    _auth(sim, request, number)
    if number is None:
        raise unknown_object(phone_number_id)
    body = await read_json(request)
    req = parse_send(body, sim.settings.templates)
    await _faults(sim, "messages")
    if req.kind == "read":
        result = sim.mark_read(number, req)
        sim.journal.add(
            "graph",
            method="POST",
            path=request.url.path,
            status=200,
            action="typing" if req.typing else "read",
            message_id=req.message_id,
        )
        return graph_response(result)
    result = sim.business_send(number, req)
    wamid = result["messages"][0]["id"]
    sim.journal.add(
        "graph", method="POST", path=request.url.path, status=200, type=req.type, to=req.to_input, wamid=wamid
    )
    return graph_response(result)


async def _upload(sim: Simulator, request: Request, phone_number_id: str) -> Response:
    number = sim.state.number(phone_number_id)
    _auth(sim, request, number)
    if number is None:
        raise unknown_object(phone_number_id)
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise invalid_param("Upload media as multipart/form-data with fields messaging_product, file and type.")
    fields = parse_multipart(await read_body(request, UPLOAD_LIMIT), ctype)
    if fields.get("messaging_product", (b"",))[0].decode("utf-8", "replace") != "whatsapp":
        raise invalid_param(
            "The parameter messaging_product is required.", "(#100) The parameter messaging_product is required."
        )
    if "file" not in fields:
        raise invalid_param("The parameter file is required.", "(#100) The parameter file is required.")
    data, filename, file_ctype = fields["file"]
    mime = (fields["type"][0].decode("utf-8", "replace") if "type" in fields else file_ctype or "").strip()
    base_mime = mime.split(";")[0].strip().lower()
    if base_mime not in MEDIA_CAPS:
        raise GraphError(
            131053,
            details=f"Param file must be a file with one of the following types: "
            f"{', '.join(sorted(MEDIA_CAPS))}. Received file of type '{mime}'.",
        )
    if file_ctype and file_ctype.split(";")[0].strip().lower() != base_mime:
        raise GraphError(
            131053, details=f"Media upload error: type '{mime}' does not match the file's content type '{file_ctype}'."
        )
    if not data:
        raise GraphError(131053, details="Media upload error: the file is empty.")
    sniffed = sniff_mime(data)
    if sniffed is not None and sniffed != base_mime and base_mime in SNIFFABLE:
        raise GraphError(
            131053, details=f"Media upload error: the file's content is {sniffed}, not the declared type {base_mime}."
        )
    if len(data) > MEDIA_CAPS[base_mime]:
        raise GraphError(
            131053, details=f"Media upload error: file too large for {base_mime} (max {MEDIA_CAPS[base_mime]} bytes)."
        )
    await _faults(sim, "media")
    media = sim.state.add_media(data, mime, phone_number_id, MEDIA_UPLOAD_TTL_S, filename)
    sim.journal.add("graph", method="POST", path=request.url.path, status=200, media_id=media.id, bytes=len(data))
    return graph_response({"id": media.id})


async def _media(sim: Simulator, request: Request, media_id: str) -> Response:
    _auth(sim, request)
    media = sim.state.get_media(media_id)
    if media is None:
        raise unknown_object(media_id, method=request.method.lower())
    await _faults(sim, "media")
    if request.method == "DELETE":
        sim.state.media.pop(media_id, None)
        sim.journal.add("graph", method="DELETE", path=request.url.path, status=200, media_id=media_id)
        return graph_response({"success": True})
    pnid = request.query_params.get("phone_number_id")
    if pnid is not None and pnid != media.phone_number_id:
        raise unknown_object(media_id, method="get")
    sim.journal.add("graph", method="GET", path=request.url.path, status=200, media_id=media_id)
    return graph_response(
        {
            "messaging_product": "whatsapp",
            "url": sim.media_url(media.id),
            "mime_type": media.mime_type,
            "sha256": media.sha256_hex,
            # A string in the docs, an integer in captured responses; we follow the captures.
            "file_size": len(media.data),
            "id": media.id,
        }
    )


async def media_download(request: Request) -> Response:
    """The lookaside URL: bearer required, 404 once the 5-minute URL or the media id expired."""
    sim: Simulator = request.app.state.sim
    token = _bearer(request)
    if token is None or not sim.state.token_ok(None, token):
        return Response(b"", status_code=401)
    media = sim.state.media_for_url(request.query_params.get("hash", ""))
    if media is None or media.id != request.query_params.get("mid"):
        return Response(b"", status_code=404)
    return Response(media.data, media_type=media.mime_type.split(";")[0].strip())
