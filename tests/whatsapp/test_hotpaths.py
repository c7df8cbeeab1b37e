"""The hot-route fast path (HotPaths) picks the handler Starlette's router would, and answers byte for byte alike."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Match, Mount

from simulators.whatsapp import http as sim_http
from simulators.whatsapp.app import create_app
from simulators.whatsapp.hotpaths import HotPaths
from tests.whatsapp.conftest import GUEST, PNID, TOKEN, make_settings

Exchange = tuple[int, list[tuple[bytes, bytes]], bytes]


def router_choice(app: Any, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The endpoint name and path params Starlette's router picks (first full match, else first partial)."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "path_params": {}}

    def walk(routes: list[Any], scope: dict[str, Any]) -> tuple[Match, Any, dict[str, Any]] | None:
        partial = None
        for route in routes:
            match, child = route.matches(scope)
            if match == Match.NONE:
                continue
            sub = {**scope, **child}
            if isinstance(route, Mount):
                found = walk(route.routes, sub)
                if found is not None and found[0] == Match.FULL:
                    return found
                partial = partial or found
            elif match == Match.FULL:
                return match, route, sub
            else:
                partial = partial or (match, route, sub)
        return partial

    found = walk(app.routes, scope)
    if found is None or found[0] != Match.FULL:
        return None
    _, route, sub = found
    return route.endpoint.__name__, dict(sub["path_params"])


segment = st.sampled_from(
    ["v21.0", "v9", PNID, "123", "messages", "replies", "media", "_sim", "guests", GUEST, "x", ""]
)


@settings(max_examples=400)
@given(method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD"]), parts=st.lists(segment, max_size=5))
def test_fast_path_takes_a_request_only_where_the_router_picks_the_same_handler(method: str, parts: list[str]) -> None:
    app = create_app(make_settings(None))
    path = "/" + "/".join(parts)
    hot = HotPaths(app).match(method, path)
    if hot is None:
        return
    handler, params = hot
    assert router_choice(app, method, path) == (handler.__name__, params)


def test_fast_path_serves_the_three_per_message_routes() -> None:
    app = create_app(make_settings(None))
    fast = HotPaths(app)
    for method, path, name in [
        ("POST", f"/v21.0/{PNID}/messages", "graph_dispatch"),
        ("POST", f"/_sim/guests/{GUEST}/messages", "guest_message"),
        ("GET", f"/_sim/guests/{GUEST}/replies", "guest_replies"),
        ("POST", "/_sim/guests", "guests_create"),
    ]:
        hot = fast.match(method, path)
        assert hot is not None and router_choice(app, method, path) == (name, hot[1])
    assert fast.match("GET", "/_sim/health") is None
    assert fast.match("GET", "/_sim/guests") is None
    assert fast.match("POST", "/_sim/guests/") is None
    assert fast.match("HEAD", f"/_sim/guests/{GUEST}/replies") is None  # the router's GET route takes HEAD too


# -- byte-for-byte answers -------------------------------------------------------------------


async def call(app: Any, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Exchange:
    """One ASGI request; the status, raw header list and body exactly as the server would write them."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    chunks = [body[: len(body) // 2], body[len(body) // 2 :]]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    return start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


_VOLATILE = re.compile(rb'("(?:[a-z_]+_ms|timestamp|now)":)"?[0-9.]+"?')
_WAMID = re.compile(rb"wamid\.[A-Za-z0-9_=-]+")


def normalised(exchange: Exchange) -> Exchange:
    """Mask what differs between two simulators by chance or time (wamids, clock readings, hence lengths)."""
    status, headers, body = exchange
    assert (b"content-length", str(len(body)).encode()) in headers
    headers = [(k, b"N" if k == b"content-length" else v) for k, v in headers]
    return status, headers, _VOLATILE.sub(rb"\1 0", _WAMID.sub(b"WAMID", body))


class Pair:
    """Two identical simulators: one answered through the framework, one through the fast path."""

    def __init__(self) -> None:
        overrides: dict[str, Any] = {
            "statuses": {"sent_after_ms": 3_600_000, "delivered_after_ms": 3_600_000, "read_after_ms": None},
            "policies": {"rate_limit_enabled": False, "pair_limit_enabled": False},
        }
        self.framework = create_app(make_settings(None, **overrides))
        self.fast = HotPaths(create_app(make_settings(None, **overrides)))
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        await self.framework.state.sim.start()
        await self.fast.state.sim.start()

    def both(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> tuple[Exchange, ...]:
        return tuple(
            normalised(self.loop.run_until_complete(call(app, method, path, query, headers, body)))
            for app in (self.framework, self.fast)
        )

    def close(self) -> None:
        async def stop() -> None:
            await self.framework.state.sim.stop()
            await self.fast.state.sim.stop()

        self.loop.run_until_complete(stop())
        self.loop.close()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    mp = pytest.MonkeyPatch()
    mp.setattr(sim_http, "fbtrace_id", lambda: "TRACE")  # the only random header
    p = Pair()
    # A guest who wrote first, so the business may answer inside the 24-hour window.
    assert p.both("POST", f"/_sim/guests/{GUEST}/messages", "", {}, b'{"type":"text","text":"hola"}')[0][0] == 201
    yield p
    p.close()
    mp.undo()


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)


text_send = st.fixed_dictionaries(
    {"messaging_product": st.sampled_from(["whatsapp", "sms"]), "to": st.sampled_from([GUEST, "1", "+34 600"])},
    optional={
        "type": st.sampled_from(["text", "image", "reaction", "bogus"]),
        "text": st.one_of(st.fixed_dictionaries({"body": st.text(max_size=40)}), st.integers(-1000, 1000)),
        "recipient_type": st.sampled_from(["individual", "group"]),
    },
)
read_send = st.fixed_dictionaries(
    {"messaging_product": st.just("whatsapp"), "status": st.sampled_from(["read", "sent"])},
    optional={"message_id": st.sampled_from(["wamid.nope", ""]), "typing_indicator": st.just({"type": "text"})},
)
new_guest = st.fixed_dictionaries(
    {"wa_id": st.sampled_from([GUEST, "34600999777", "12", "x" * 21])},
    optional={
        "profile_name": st.text(max_size=10),
        "language": st.sampled_from(["es", "en", "x"]),
        "reachable": st.booleans(),
        "bogus": st.just(1),
    },
)
guest_body = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["text", "location", "reaction", "bogus"]),
        "text": st.one_of(st.text(max_size=30), st.none()),
        "latitude": st.floats(-100, 100, allow_nan=False),
        "longitude": st.floats(-200, 200, allow_nan=False),
        "extra": st.just(1),
    },
)
bodies = st.one_of(
    text_send.map(json_bytes),
    read_send.map(json_bytes),
    guest_body.map(json_bytes),
    new_guest.map(json_bytes),
    st.sampled_from([b"", b"{", b"[]", b"null", b'"x"', b"\xff\xfe"]),
    st.binary(max_size=30),
)
graph_paths = st.sampled_from(
    [f"/v21.0/{PNID}/messages", f"/{PNID}/messages", "/v21.0/999/messages", "/v21.0/a/b/messages", "/x"]
)
guest_paths = st.sampled_from(
    [f"/_sim/guests/{GUEST}/messages", "/_sim/guests/12/messages", "/_sim/guests/34600999888/messages", "/_sim/guests"]
)
auths = st.sampled_from([{"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Bearer wrong"}, {}])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.one_of(graph_paths, guest_paths), auth=auths, body=bodies)
def test_post_answers_match_the_framework_path_byte_for_byte(pair: Pair, path: str, auth: dict, body: bytes) -> None:
    framework, fast = pair.both("POST", path, "", {"content-type": "application/json", **auth}, body)
    assert fast == framework


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    wa_id=st.sampled_from([GUEST, "12", "34600999888", "abc"]),
    query=st.sampled_from(
        ["timeout=0", "timeout=0&settle_ms=0", "timeout=-1", "timeout=x", "after=wamid.no&timeout=0"]
    ),
)
def test_replies_long_poll_matches_the_framework_path(pair: Pair, wa_id: str, query: str) -> None:
    framework, fast = pair.both("GET", f"/_sim/guests/{wa_id}/replies", query, {}, b"")
    assert fast == framework


def test_a_business_reply_reaches_the_long_poll_the_same_way(pair: Pair) -> None:
    send = {"messaging_product": "whatsapp", "to": GUEST, "type": "text", "text": {"body": "¡Hola! ✓"}}
    auth = {"content-type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    framework, fast = pair.both("POST", f"/v21.0/{PNID}/messages", "", auth, json_bytes(send))
    assert framework[0] == 200 and fast == framework
    framework, fast = pair.both("GET", f"/_sim/guests/{GUEST}/replies", "timeout=0&settle_ms=0", {}, b"")
    assert framework[0] == 200 and b"WAMID" in framework[2] and fast == framework
