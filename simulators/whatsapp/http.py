"""HTTP helpers shared by the Graph API and control-plane routes: bounded bodies, JSON, Meta's error envelope."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from simulators.whatsapp.errors import GraphError, fbtrace_id, invalid_param

JSON_LIMIT = 1024 * 1024
UPLOAD_LIMIT = 101 * 1024 * 1024


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def graph_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A Graph API answer with the headers Graph sends (trace ids, API version)."""
    trace = fbtrace_id()
    h = {"x-fb-trace-id": trace, "x-fb-request-id": trace, "facebook-api-version": "v25.0"}
    if headers:
        h.update(headers)
    return Response(orjson.dumps(data), status_code=status, media_type="application/json; charset=UTF-8", headers=h)


def error_response(err: GraphError) -> Response:
    trace = fbtrace_id()
    headers = {"x-fb-trace-id": trace, "x-fb-request-id": trace, **err.headers}
    return Response(
        orjson.dumps(err.body(trace)),
        status_code=err.http_status or 400,
        media_type="application/json; charset=UTF-8",
        headers=headers,
    )


def unexpected_error(exc: Exception) -> Response:
    """A bug's answer: Meta's code 1 envelope with the exception's type, never a traceback."""
    return error_response(
        GraphError(1, message="An unknown error occurred", details=type(exc).__name__, http_status=500)
    )


async def read_body(request: Request, limit: int = JSON_LIMIT) -> bytes:
    """The request body, refusing (413, Meta envelope) anything over `limit` bytes without buffering it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise GraphError(
            100,
            details=f"Request body exceeds {limit} bytes; send a smaller body.",
            message="(#100) Request body too large",
            http_status=413,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise GraphError(
                100,
                details=f"Request body exceeds {limit} bytes; send a smaller body.",
                message="(#100) Request body too large",
                http_status=413,
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int = JSON_LIMIT, *, required: bool = True) -> Any:
    raw = await read_body(request, limit)
    if not raw.strip():
        if required:
            raise invalid_param("The request body is empty: send a JSON object.")
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_param(f"The request body is not valid JSON: {exc}") from exc


def parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[bytes, str | None, str | None]]:
    """multipart/form-data -> {name: (data, filename, content_type)}; small and exact (binary-safe)."""
    boundary = None
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise invalid_param("Expected multipart/form-data with a boundary.")
    out: dict[str, tuple[bytes, str | None, str | None]] = {}
    delim = b"--" + boundary.encode()
    for chunk in body.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        if data.endswith(b"\r\n"):
            data = data[:-2]
        name = filename = ctype = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            hkey, _, hval = line.partition(":")
            if hkey.strip().lower() == "content-disposition":
                for attr in hval.split(";"):
                    akey, _, aval = attr.strip().partition("=")
                    if akey == "name":
                        name = aval.strip('"')
                    elif akey == "filename":
                        filename = aval.strip('"')
            elif hkey.strip().lower() == "content-type":
                ctype = hval.strip()
        if name:
            out[name] = (data, filename, ctype)
    return out
