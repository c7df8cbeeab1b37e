"""The agent's one-origin client (agent/http1.py) against a real local aiohttp server: fixed headers, reuse, and
every failure as a TransportError. The transport itself is pinned in tests/hotpath/test_client.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from agent.http1 import OriginClient, TransportError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _serve(handler: Handler, **site: Any) -> tuple[web.AppRunner, str, list[tuple[str, int]]]:
    """Serve `handler` on a free port; also return the list of client ports seen (one per connection)."""
    peers: list[tuple[str, int]] = []

    async def record(request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer and tuple(peer[:2]) not in peers:
            peers.append(tuple(peer[:2]))
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, **site)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}", peers


def _client(url: str, timeout_s: float = 5.0) -> OriginClient:
    return OriginClient(url, {"Authorization": "Bearer tok"}, timeout_s=timeout_s, connect_timeout_s=1.0)


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "path": request.path_qs,
            "auth": request.headers.get("Authorization"),
            "len": len(body),
            "host": request.host,
            "type": request.headers.get("Content-Type"),
        },  # fmt: skip
        headers={"X-Business-Use-Case-Usage": "{}"},
    )


def test_requests_reuse_one_keep_alive_connection_and_carry_the_fixed_headers() -> None:
    async def main() -> tuple[list[Any], int, int]:
        runner, url, peers = await _serve(_echo)
        client = _client(url)
        try:
            answers = [await client.request("POST", "/v21.0/1/messages?x=1", b'{"a":1}', "application/json")
                       for _ in range(20)]  # fmt: skip
            await asyncio.gather(*(client.request("GET", "/") for _ in range(5)))
            return answers, client.connections_opened, len(peers)
        finally:
            await client.close()
            await runner.cleanup()

    answers, opened, peers = asyncio.run(main())
    first = answers[0]
    assert first.status == 200 and first.headers["x-business-use-case-usage"] == "{}"
    seen = orjson.loads(first.body)
    assert seen["host"].startswith("127.0.0.1:")
    assert seen | {"host": ""} == {
        "path": "/v21.0/1/messages?x=1",
        "auth": "Bearer tok",
        "len": 7,
        "host": "",
        "type": "application/json",
    }
    assert all(a.body == first.body for a in answers)
    assert opened == peers and 1 <= opened <= 5  # 20 in a row on one connection, then at most one per concurrent call


def test_connection_close_and_a_dropped_connection_are_survived_by_the_next_request() -> None:
    calls: list[int] = []

    async def flaky(request: web.Request) -> web.StreamResponse:
        calls.append(1)
        if len(calls) == 1:
            return web.Response(text="bye", headers={"Connection": "close"})
        if len(calls) == 2:
            assert request.transport is not None
            request.transport.close()  # no answer at all
            await asyncio.sleep(0.05)
        return web.Response(text="ok")

    async def main() -> tuple[bytes, str, bytes, int]:
        runner, url, _ = await _serve(flaky)
        client = _client(url)
        try:
            first = await client.request("GET", "/")
            with pytest.raises(TransportError) as lost:
                await client.request("GET", "/")
            third = await client.request("GET", "/")
            return first.body, str(lost.value), third.body, client.connections_opened
        finally:
            await client.close()
            await runner.cleanup()

    first, lost, third, opened = asyncio.run(main())
    assert first == b"bye" and "connection lost" in lost and third == b"ok"
    assert opened == 3  # a closed connection is never reused


def test_a_slow_answer_times_out_and_its_connection_is_not_reused() -> None:
    async def main() -> tuple[str, bytes, int]:
        release = asyncio.Event()

        async def slow(request: web.Request) -> web.Response:
            if request.path == "/slow":
                await release.wait()  # answers only after the client gave up
            return web.Response(text=request.path)

        runner, url, _ = await _serve(slow)
        client = _client(url, timeout_s=1.0)
        try:
            with pytest.raises(TransportError) as timed_out:
                await client.request("GET", "/slow")
            release.set()
            after = await client.request("GET", "/fast")
            return str(timed_out.value), after.body, client.connections_opened
        finally:
            release.set()
            await client.close()
            await runner.cleanup()

    timed_out, after, opened = asyncio.run(main())
    assert "timed out" in timed_out and after == b"/fast" and opened == 2


def test_a_refused_connection_is_a_transport_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        client = _client(f"http://127.0.0.1:{port}")
        await client.request("GET", "/")

    with pytest.raises(TransportError, match="ConnectionRefusedError"):
        asyncio.run(main())
