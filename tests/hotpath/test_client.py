"""The pooled keep-alive HTTP/1.1 client against a scripted loopback server: reuse, framing, timeouts, failures."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpath.client import Disconnected, Origin, Pool, Response
from tests.hotpath.rawserver import OK, RawServer

REQUEST = b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


def run(coro):  # noqa: ANN001, ANN201 - test helper
    return asyncio.run(coro)


async def statuses(pool: Pool, n: int, timeout_s: float = 5) -> list[int]:
    return [(await pool.send(REQUEST, timeout_s)).status for _ in range(n)]


def test_origin_and_target_of_a_url() -> None:
    assert Origin.split("https://example.org/w?a=1") == (Origin("example.org", 443, True, "example.org"), "/w?a=1")
    assert Origin.split("http://example.org:8080")[0].authority == "example.org:8080"
    assert Origin.split("http://[::1]:81/")[0].authority == "[::1]:81"
    with pytest.raises(ValueError):
        Origin.split("ftp://example.org/")


def test_requests_reuse_one_keep_alive_connection_and_are_written_as_given() -> None:
    async def go() -> tuple[list[int], int, int, list[bytes]]:
        async with RawServer(lambda r, n: OK) as srv:
            pool = Pool(srv.origin)
            return await statuses(pool, 5), srv.connections, pool.connections_opened, srv.requests

    answers, connections, opened, requests = run(go())
    assert (answers, connections, opened) == ([200] * 5, 1, 1) and requests == [REQUEST] * 5


def test_a_connection_close_answer_is_not_reused() -> None:
    close = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"

    async def go() -> tuple[list[int], int]:
        async with RawServer(lambda r, n: close) as srv:
            return await statuses(Pool(srv.origin), 3), srv.connections

    assert run(go()) == ([200] * 3, 3)


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    async def go() -> tuple[int, int]:
        async with RawServer(lambda r, n: OK) as srv:
            pool = Pool(srv.origin)
            await statuses(pool, 1)
            for w in srv.writers:
                w.close()  # the server's keep-alive timeout
            await asyncio.sleep(0.05)
            return (await pool.send(REQUEST, 5)).status, srv.connections

    assert run(go()) == (200, 2)


@pytest.mark.parametrize("replay", [True, False])
def test_a_reused_connection_closed_unanswered_is_replayed_only_when_asked(replay: bool) -> None:
    async def go() -> tuple[int | str, int, int]:
        async with RawServer(lambda r, n: OK, drop_on=2) as srv:
            pool = Pool(srv.origin, replay_unanswered=replay)
            await statuses(pool, 1)
            try:
                outcome: int | str = (await pool.send(REQUEST, 5)).status
            except Disconnected:
                outcome = "disconnected"
            return outcome, srv.connections, len(srv.requests)

    assert run(go()) == ((200, 2, 3) if replay else ("disconnected", 1, 2))


def test_a_server_that_never_answers_times_out_and_its_connection_is_dropped() -> None:
    async def go() -> tuple[int, int]:
        async with RawServer(lambda r, n: None if len(srv.requests) == 1 else OK) as srv:
            pool = Pool(srv.origin)
            with pytest.raises(TimeoutError):
                await pool.send(REQUEST, 0.1)
            return (await pool.send(REQUEST, 5)).status, srv.connections

    assert run(go()) == (200, 2)


def test_a_refused_connection_is_an_os_error() -> None:
    async def go() -> None:
        async with RawServer(lambda r, n: OK) as srv:
            origin = srv.origin
        with pytest.raises(OSError):
            await Pool(origin).send(REQUEST, 5)

    run(go())


def test_a_disconnect_before_any_answer_on_a_fresh_connection_is_reported() -> None:
    async def go() -> None:
        async with RawServer(lambda r, n: b"", close_after=True) as srv:
            with pytest.raises(Disconnected):
                await Pool(srv.origin, replay_unanswered=True).send(REQUEST, 5)

    run(go())


def test_a_garbage_answer_is_a_value_error() -> None:
    async def go() -> None:
        async with RawServer(lambda r, n: b"NOT HTTP AT ALL\r\n\r\n") as srv:
            with pytest.raises(ValueError):
                await Pool(srv.origin).send(REQUEST, 5)

    run(go())


def test_headers_and_body_are_read_only_by_a_whole_pool() -> None:
    async def go() -> tuple[Response, Response]:
        async with RawServer(lambda r, n: OK) as srv:
            return await Pool(srv.origin).send(REQUEST, 5), await Pool(srv.origin, whole=True).send(REQUEST, 5)

    status_only, whole = run(go())
    assert status_only == (200, b"", {})
    assert whole == (200, b"ok", {"content-length": "2", "content-type": "text/plain"})


def framed(status: int, body: bytes, framing: str) -> bytes:
    head = f"HTTP/1.1 {status} X\r\n".encode()
    if framing == "length":
        return head + f"content-length: {len(body)}\r\n\r\n".encode() + body
    if framing == "chunked":
        chunks = b"".join(
            f"{len(body[i : i + 7]):x}\r\n".encode() + body[i : i + 7] + b"\r\n" for i in range(0, len(body), 7)
        )
        return head + b"transfer-encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    return head + b"connection: close\r\n\r\n" + body  # ends when the connection does


@settings(max_examples=60, deadline=None)
@given(
    status=st.sampled_from([200, 201, 204, 301, 400, 403, 404, 429, 500, 503]),
    body=st.binary(max_size=200),
    framing=st.sampled_from(["length", "chunked", "close"]),
    chunk=st.integers(min_value=0, max_value=9),
)
def test_status_and_body_are_read_whatever_the_framing_and_packet_split(
    status: int, body: bytes, framing: str, chunk: int
) -> None:
    if status == 204:
        body = b""  # a 204 has no body by definition
    answer = framed(status, body, framing)

    async def go() -> list[tuple[int, bytes]]:
        async with RawServer(lambda r, n: answer, chunk=chunk, close_after=framing == "close") as srv:
            status_only, whole = Pool(srv.origin), Pool(srv.origin, whole=True)
            answers = [await pool.send(REQUEST, 5) for pool in (status_only, whole, status_only, whole)]
            return [(r.status, r.body) for r in answers]

    assert run(go()) == [(status, b""), (status, body)] * 2
