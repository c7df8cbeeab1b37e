"""The agent's API docs: OpenAPI, Swagger UI and ReDoc behind the admin token, their files served locally.

The pages load Swagger UI and ReDoc from the `fastapi-offline` wheel's files (no CDN, no web fonts), so they
render offline. The document describes the staff API, so it needs `Authorization: Bearer <AGENT_ADMIN_TOKEN>`
like the rest of /admin; the static files hold nothing secret.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from agent.admin import require_admin
from agent.webhook_schema import with_webhook

ASSETS = "/docs-assets/"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
OPENAPI = "/admin/openapi.json"

router = APIRouter(include_in_schema=False)
protected = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(require_admin)])


@cache
def _asset(name: str) -> bytes:
    data = resources.files("fastapi_offline").joinpath("static", name).read_bytes()
    # ReDoc's side menu shows a logo from cdn.redoc.ly: point it at an empty inline image instead.
    return data.replace(REDOC_LOGO, b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E")


@router.get(ASSETS + "{name}")
def asset(name: str) -> Response:
    if name not in ASSET_TYPES:
        raise HTTPException(404, f"no docs asset {name}; the pages use {', '.join(ASSET_TYPES)}")
    return Response(_asset(name), media_type=ASSET_TYPES[name], headers={"cache-control": "max-age=86400"})


@protected.get("/openapi.json")
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(with_webhook(request.app.openapi()))


@protected.get("/docs")
def swagger(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI,
        title=f"{request.app.title} · API",
        swagger_js_url=ASSETS + "swagger-ui-bundle.js",
        swagger_css_url=ASSETS + "swagger-ui.css",
        swagger_favicon_url=ASSETS + "favicon.png",
        # No validator badge: it would call validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


@protected.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=OPENAPI,
        title=f"{request.app.title} · API",
        redoc_js_url=ASSETS + "redoc.standalone.js",
        redoc_favicon_url=ASSETS + "favicon.png",
        with_google_fonts=False,
    )
