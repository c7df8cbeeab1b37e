"""The webhook sender: Meta's exact request bytes, one pool per URL, a bad URL as a failed attempt, stale connections.

The transport itself (reuse, framing, timeouts, failures) is pinned in tests/hotpath/test_client.py.
"""

from __future__ import annotations

import asyncio

import pytest

from hotpath.client import Origin
from simulators.whatsapp.sender import WebhookSender, webhook_head
from tests.hotpath.rawserver import OK, RawServer

UA = "facebookexternalua"


def test_request_head_names_the_target_host_agent_type_signature_and_length() -> None:
    async def go() -> tuple[bytes, str, int]:
        async with RawServer(lambda r, n: OK) as srv:
            status = await WebhookSender().post(srv.url, UA, b'{"a":1}', "sha256=abc", 5)
            return srv.requests[0], srv.url, status

    request, url, status = asyncio.run(go())
    assert status == 200
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
    def head(url: str) -> bytes:
        origin, target = Origin.split(url)
        return webhook_head(target, origin.authority, UA)

    assert b"Host: example.org\r\n" in head("https://example.org/w")
    assert b"Host: example.org:8443\r\n" in head("https://example.org:8443/w")
    assert head("http://example.org").startswith(b"POST / HTTP/1.1\r\n")


def test_posts_reuse_a_connection_and_one_closed_unanswered_is_replayed_without_a_failed_attempt() -> None:
    async def go() -> tuple[list[int], int, int]:
        async with RawServer(lambda r, n: OK, drop_on=4) as srv:  # the receiver's idle timeout crossing the 4th
            sender = WebhookSender()
            answers = [await sender.post(srv.url, UA, b"{}", "s", 5) for _ in range(4)]
            sender.close()
            return answers, srv.connections, len(srv.requests)

    assert asyncio.run(go()) == ([200] * 4, 2, 5)


def test_a_url_it_cannot_post_to_is_a_failed_attempt_not_an_exception_at_send() -> None:
    async def go() -> None:
        sent = WebhookSender().send("http://", UA, b"{}", "s", 5)
        with pytest.raises(ValueError):
            await sent

    asyncio.run(go())
