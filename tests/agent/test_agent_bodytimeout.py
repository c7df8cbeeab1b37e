"""BodyTimeout as ASGI middleware, without a server: the body deadline answers 408, and only the deadline does."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent.bodytimeout import BodyTimeout

SCOPE = {"type": "http", "path": "/webhooks/whatsapp"}


async def _echo(scope: Any, receive: Any, send: Any) -> None:
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": message["body"]})


def _serve(receive: Any, timeout_s: float = 0.1) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(BodyTimeout(_echo, timeout_s)(SCOPE, receive, send))
    return sent


def test_a_body_in_time_reaches_the_app() -> None:
    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.01)
        return {"type": "http.request", "body": b"ok", "more_body": False}

    sent = _serve(receive)
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"ok")


def test_a_stalled_body_gets_408() -> None:
    async def receive() -> dict[str, Any]:
        await asyncio.sleep(5)
        return {"type": "http.request", "body": b"late", "more_body": False}

    sent = _serve(receive)
    assert sent[0]["status"] == 408 and (b"connection", b"close") in sent[0]["headers"]


def test_a_body_in_chunks_shares_one_deadline() -> None:
    chunks = iter([b"a", b"b", b"c", b"d"])

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.04)  # each chunk in time, the four together not
        return {"type": "http.request", "body": next(chunks), "more_body": True}

    async def read_all(scope: Any, receive: Any, send: Any) -> None:
        while (await receive())["more_body"]:
            pass

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(BodyTimeout(read_all, 0.1)(SCOPE, receive, send))
    assert sent[0]["status"] == 408


def test_a_cancellation_that_is_not_the_deadline_propagates() -> None:
    async def receive() -> dict[str, Any]:
        await asyncio.sleep(5)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def scenario() -> None:
        async def send(message: dict[str, Any]) -> None:
            raise AssertionError("nothing may be answered")

        task = asyncio.create_task(BodyTimeout(_echo, 10)(SCOPE, receive, send))
        await asyncio.sleep(0.01)
        task.cancel()  # the server shutting down, say
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())
