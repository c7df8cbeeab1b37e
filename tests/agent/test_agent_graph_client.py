"""The Graph client's retry and no-retry decision for each Meta error code, against a real local HTTP server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from agent.graph import GraphClient, GraphConfig, GraphError, is_retryable


def _error(code: int, status: int) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": f"(#{code}) x", "type": "OAuthException", "code": code, "fbtrace_id": "A"}}


async def _run(responses: list[tuple[int, dict[str, Any]]], max_retries: int = 3) -> tuple[list[dict], Any]:
    """Serve `responses` in order (the last repeats); return the requests seen and the send outcome."""
    seen: list[dict] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(await request.json())
        status, body = responses[min(len(seen) - 1, len(responses) - 1)]
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/v21.0/123/messages", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sleeps: list[float] = []

    async def no_sleep(s: float) -> None:
        sleeps.append(s)

    client = GraphClient(
        GraphConfig(f"http://127.0.0.1:{port}/v21.0/123/messages", "tok", max_retries=max_retries), sleep=no_sleep
    )
    try:
        outcome: Any = await client.send({"messaging_product": "whatsapp", "to": "34600111222", "type": "text"})
    except GraphError as exc:
        outcome = exc
    finally:
        await client.close()
        await runner.cleanup()
    return seen, (outcome, sleeps)


OK = (200, {"messaging_product": "whatsapp", "contacts": [], "messages": [{"id": "wamid.OK"}]})


@pytest.mark.parametrize(
    ("code", "status"),
    [(130429, 400), (131056, 400), (131000, 500), (131016, 500), (4, 400), (80007, 400), (2, 503)],
)
def test_transient_errors_are_retried_until_success(code: int, status: int) -> None:
    seen, (outcome, sleeps) = asyncio.run(_run([_error(code, status), _error(code, status), OK]))
    assert outcome == "wamid.OK"
    assert len(seen) == 3
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)


def test_http_429_and_5xx_without_meta_body_are_retried() -> None:
    seen, (outcome, _) = asyncio.run(_run([(429, {}), (502, {}), OK]))
    assert outcome == "wamid.OK" and len(seen) == 3


@pytest.mark.parametrize(
    ("code", "status"),
    [(100, 400), (131008, 400), (131009, 400), (131047, 400), (131026, 400), (132001, 404), (190, 401), (368, 403)],
)
def test_validation_auth_and_policy_errors_are_not_retried(code: int, status: int) -> None:
    seen, (outcome, sleeps) = asyncio.run(_run([_error(code, status), OK]))
    assert isinstance(outcome, GraphError)
    assert outcome.code == code and outcome.status == status
    assert len(seen) == 1 and sleeps == []


def test_gives_up_after_max_retries_with_the_last_error() -> None:
    seen, (outcome, sleeps) = asyncio.run(_run([_error(130429, 400)], max_retries=2))
    assert isinstance(outcome, GraphError) and outcome.code == 130429
    assert len(seen) == 3 and len(sleeps) == 2


def test_backoff_grows_and_is_jittered() -> None:
    client = GraphClient(GraphConfig("http://x", "t", retry_base_s=0.1, retry_cap_s=10))
    delays = [[client.backoff(a) for _ in range(50)] for a in range(4)]
    for attempt, values in enumerate(delays):
        ceiling = 0.1 * 2**attempt
        assert all(ceiling / 2 <= v <= ceiling for v in values)
        assert len(set(values)) > 1


def test_transport_error_is_retryable() -> None:
    assert is_retryable(None, None)
    assert not is_retryable(400, 131009)
