"""The raw keep-alive webhook sender: exact request bytes, connection reuse, framing, timeouts and stale connections."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.whatsapp.sender import Disconnected, Target, WebhookSender

UA = "facebookexternalua"
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"

# A scripted server: given the request bytes and the connection's request count, what to write (None: say nothing).
Script = Callable[[bytes, int], bytes | None]


@dataclass
class RawServer:
    """A loopback TCP server that reads whole requests and answers with exact bytes, in chunks if asked."""

    script: Script
    chunk: int = 0
    close_after: bool = False
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook?x=1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        for w in self.writers:
            w.close()
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        n = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                n += 1
                answer = self.script(request, n)
                if answer is None:
                    continue
                step = self.chunk or len(answer)
                for i in range(0, len(answer), step):
                    writer.write(answer[i : i + step])
                    await writer.drain()
                if self.close_after:
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def run(coro):  # noqa: ANN001, ANN201 - test helper
    return asyncio.run(coro)


def test_request_head_names_the_target_host_agent_type_signature_and_length() -> None:
    async def go() -> tuple[bytes, str]:
        async with RawServer(lambda r, n: OK) as srv:
            await WebhookSender().post(srv.url, UA, b'{"a":1}', "sha256=abc", 5)
            return srv.requests[0], srv.url

    request, url = run(go())
    port = url.split(":")[2].split("/")[0]
    assert (
        request
        == (
            f"POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {UA}\r\nAccept: */*\r\n"
            "Content-Type: application/json\r\nX-Hub-Signature-256: sha256=abc\r\nContent-Length: 7\r\n\r\n"
            '{"a":1}'
        ).encode()
    )


def test_host_header_omits_the_default_port() -> None:
    assert b"Host: example.org\r\n" in Target.parse("https://example.org/w", UA).head
    assert b"Host: example.org:8443\r\n" in Target.parse("https://example.org:8443/w", UA).head
    assert Target.parse("http://example.org", UA).head.startswith(b"POST / HTTP/1.1\r\n")
    with pytest.raises(ValueError):
        Target.parse("ftp://example.org/", UA)


def test_posts_reuse_one_keep_alive_connection() -> None:
    async def go() -> tuple[list[int], int]:
        async with RawServer(lambda r, n: OK) as srv:
            sender = WebhookSender()
            statuses = [await sender.post(srv.url, UA, b"{}", "s", 5) for _ in range(5)]
            return statuses, srv.connections

    assert run(go()) == ([200] * 5, 1)


def test_connection_close_answer_is_not_reused() -> None:
    close = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"

    async def go() -> tuple[list[int], int]:
        async with RawServer(lambda r, n: close) as srv:
            sender = WebhookSender()
            statuses = [await sender.post(srv.url, UA, b"{}", "s", 5) for _ in range(3)]
            return statuses, srv.connections

    assert run(go()) == ([200] * 3, 3)


def test_idle_connection_closed_by_the_receiver_is_replaced_without_a_failed_attempt() -> None:
    async def go() -> tuple[int, int, int]:
        async with RawServer(lambda r, n: OK) as srv:
            sender = WebhookSender()
            await sender.post(srv.url, UA, b"{}", "s", 5)
            for w in srv.writers:
                w.close()  # the receiver's keep-alive timeout
            await asyncio.sleep(0.05)
            status = await sender.post(srv.url, UA, b"{}", "s", 5)
            return status, srv.connections, len(srv.requests)

    assert run(go()) == (200, 2, 2)


def test_a_receiver_that_never_answers_times_out_and_its_connection_is_dropped() -> None:
    async def go() -> tuple[int, int]:
        async with RawServer(lambda r, n: None if len(srv.requests) == 1 else OK) as srv:
            sender = WebhookSender()
            with pytest.raises(TimeoutError):
                await sender.post(srv.url, UA, b"{}", "s", 0.1)
            status = await sender.post(srv.url, UA, b"{}", "s", 5)
            return status, srv.connections

    assert run(go()) == (200, 2)


def test_refused_connection_is_an_os_error() -> None:
    async def go() -> None:
        async with RawServer(lambda r, n: OK) as srv:
            url = srv.url
        with pytest.raises(OSError):
            await WebhookSender().post(url, UA, b"{}", "s", 5)

    run(go())


def test_disconnect_before_any_answer_on_a_fresh_connection_is_reported() -> None:
    async def go() -> None:
        async with RawServer(lambda r, n: b"", close_after=True) as srv:
            with pytest.raises(Disconnected):
                await WebhookSender().post(srv.url, UA, b"{}", "s", 5)

    run(go())


def test_garbage_answer_is_a_value_error() -> None:
    async def go() -> None:
        async with RawServer(lambda r, n: b"NOT HTTP AT ALL\r\n\r\n") as srv:
            with pytest.raises(ValueError):
                await WebhookSender().post(srv.url, UA, b"{}", "s", 5)

    run(go())


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
def test_status_is_read_whatever_the_framing_and_packet_split(
    status: int, body: bytes, framing: str, chunk: int
) -> None:
    if status == 204:
        body = b""  # a 204 has no body by definition
    answer = framed(status, body, framing)

    async def go() -> list[int]:
        async with RawServer(lambda r, n: answer, chunk=chunk, close_after=framing == "close") as srv:
            sender = WebhookSender()
            return [await sender.post(srv.url, UA, b"{}", "s", 5) for _ in range(2)]

    assert run(go()) == [status, status]


def test_a_url_it_cannot_post_to_is_a_failed_attempt_not_an_exception_at_send() -> None:
    async def go() -> None:
        sent = WebhookSender().send("http://", UA, b"{}", "s", 5)
        with pytest.raises(ValueError):
            await sent

    run(go())
