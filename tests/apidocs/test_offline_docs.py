"""The OpenAPI pages of the agent and both simulators render in a real browser with the internet refused,
and the agent's docs and OpenAPI document need the admin token like the rest of /admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from agent.app import create_app as create_agent
from agent.settings import Settings
from simulators.qloapps.app import create_app as create_qloapps
from simulators.serving import ThreadedServer, free_port
from simulators.whatsapp.app import create_app as create_whatsapp
from tests.browser import chromium, offline_context

pytestmark = pytest.mark.e2e

ADMIN = "docs-admin-token-0123456789"


def _no_lifespan(app: Any) -> Any:
    """The agent without its start-up (no Postgres/Redis needed to serve its docs)."""

    async def wrapped(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return wrapped


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    settings = Settings(_env_file=None, admin_token=ADMIN, responder="echo")
    started = [
        ThreadedServer(_no_lifespan(create_agent(settings)), "127.0.0.1", free_port()).start(),
        ThreadedServer(create_whatsapp(), "127.0.0.1", free_port()).start(),
        ThreadedServer(create_qloapps(), "127.0.0.1", free_port()).start(),
    ]
    try:
        yield {"agent": started[0].base_url, "whatsapp": started[1].base_url, "qloapps": started[2].base_url}
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.mark.parametrize("path", ["/admin/docs", "/admin/redoc", "/admin/openapi.json"])
def test_agent_docs_need_the_admin_token(servers: dict[str, str], path: str) -> None:
    url = servers["agent"] + path
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    # FastAPI's own unauthenticated defaults are gone.
    for public in ("/docs", "/redoc", "/openapi.json"):
        assert httpx.get(servers["agent"] + public).status_code == 404


def test_agent_openapi_lists_the_admin_api(servers: dict[str, str]) -> None:
    spec = httpx.get(servers["agent"] + "/admin/openapi.json", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    assert any(p.startswith("/admin/") for p in spec["paths"])
    assert "/admin/docs" not in spec["paths"]


@pytest.mark.parametrize(
    ("server", "page", "headers", "expect"),
    [
        ("agent", "/admin/docs", True, "/admin/handoffs"),
        ("agent", "/admin/redoc", True, "hotelero agent"),
        ("whatsapp", "/_sim/docs", False, "/{version}/{phone_number_id}/messages"),
        ("whatsapp", "/_sim/redoc", False, "Send a message"),
        ("qloapps", "/_sim/docs", False, "/api/{resource}"),
        ("qloapps", "/_sim/redoc", False, "QloApps webservice simulator"),
    ],
)
def test_docs_pages_render_with_the_internet_refused(
    servers: dict[str, str], browser: Browser, server: str, page: str, headers: bool, expect: str
) -> None:
    options = {"extra_http_headers": {"Authorization": f"Bearer {ADMIN}"}} if headers else {}
    with offline_context(browser, **options) as (context, offline):
        tab = context.new_page()
        response = tab.goto(servers[server] + page)
        assert response is not None and response.status == 200
        tab.get_by_text(expect, exact=False).first.wait_for(state="attached", timeout=20_000)
        assert offline.refused == [], f"{page} tried to load from the internet: {offline.refused}"
