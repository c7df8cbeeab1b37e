"""Offline API docs for the simulators: Swagger UI and ReDoc pages over their OpenAPI documents.

The pages load Swagger UI and ReDoc from files the `fastapi-offline` wheel ships, served by the simulator
itself, never from a CDN, and ask for no web fonts: they render on a machine without internet.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import orjson
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

PREFIX = "/_sim"
ASSETS = f"{PREFIX}/docs/assets/"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}


@cache
def asset(name: str) -> bytes:
    data = resources.files("fastapi_offline").joinpath("static", name).read_bytes()
    # ReDoc's side menu shows a logo from cdn.redoc.ly: point it at an empty inline image instead.
    return data.replace(REDOC_LOGO, b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E")


def swagger_page(title: str, openapi_url: str, assets: str) -> bytes:
    """Swagger UI over `openapi_url`, its files from `assets` (no validator badge: it would call out)."""
    html = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=assets + "swagger-ui-bundle.js",
        swagger_css_url=assets + "swagger-ui.css",
        swagger_favicon_url=assets + "favicon.png",
        swagger_ui_parameters={"validatorUrl": None},
    )
    return bytes(html.body)


def redoc_page(title: str, openapi_url: str, assets: str) -> bytes:
    html = get_redoc_html(
        openapi_url=openapi_url,
        title=title,
        redoc_js_url=assets + "redoc.standalone.js",
        redoc_favicon_url=assets + "favicon.png",
        with_google_fonts=False,
    )
    return bytes(html.body)


Answer = tuple[int, bytes, str]


def docs_answer(path: str, title: str, spec: Callable[[], dict[str, Any]]) -> Answer | None:
    """The answer for a docs path under /_sim (docs, redoc, openapi.json, assets), or None for other paths."""
    if path == f"{PREFIX}/openapi.json":
        return 200, orjson.dumps(spec()), "application/json"
    if path in (f"{PREFIX}/docs", f"{PREFIX}/docs/"):
        return 200, swagger_page(title, f"{PREFIX}/openapi.json", ASSETS), "text/html; charset=utf-8"
    if path == f"{PREFIX}/redoc":
        return 200, redoc_page(title, f"{PREFIX}/openapi.json", ASSETS), "text/html; charset=utf-8"
    if path.startswith(ASSETS):
        name = path[len(ASSETS) :]
        if name in ASSET_TYPES:
            return 200, asset(name), ASSET_TYPES[name]
        return 404, b"no such docs asset", "text/plain; charset=utf-8"
    return None


def operation(summary: str, *, body: bool = False, responses: dict[str, str] | None = None, **extra: Any) -> dict:
    """A compact OpenAPI operation: JSON in (optional) and JSON out."""
    op: dict[str, Any] = {"summary": summary}
    op.update(extra)
    if body:
        op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
    op["responses"] = {
        code: {"description": text, "content": {"application/json": {"schema": {"type": "object"}}}}
        for code, text in (responses or {"200": "OK", "400": "Bad request, with the reason"}).items()
    }
    return op


def path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}
