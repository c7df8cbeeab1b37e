"""Third-party WhatsApp clients against the real simulator: shared settings and the Graph-host redirects.

The clients hard-code https://graph.facebook.com; each suite points them at the simulator the way a user
would in a test: through the HTTP transport (httpx) or a transport adapter (requests), never by editing
the client or bending the simulator.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
import requests
from requests.adapters import HTTPAdapter

from simulators.whatsapp.config import SimSettings, Template, TemplateButton
from simulators.whatsapp.server import ThreadedSimulator
from tests.waiting import wait_until
from tests.whatsapp.receiver import Received

SECRET = "client-suite-secret"
TOKEN = "client-suite-token"
VERIFY = "client-suite-verify"
PNID = "106540352242922"
WABA = "102290129340398"
GUEST = "34600111222"
GRAPH_HOST = "graph.facebook.com"


def client_settings(webhook_url: str, **overrides: Any) -> SimSettings:
    data: dict[str, Any] = {
        "webhook_url": webhook_url,
        "app_secret": SECRET,
        "verify_token": VERIFY,
        "access_token": TOKEN,
        "templates": [
            Template(name="hello_world", language="en_US", body="Hello World"),
            Template(
                name="booking_reminder",
                language="es",
                body_params=2,
                body="Hola {{1}}, te esperamos el {{2}}.",
                buttons=[TemplateButton(text="Confirmar")],
            ),
        ],
        "statuses": {"sent_after_ms": 5, "delivered_after_ms": 20, "read_after_ms": 40},
        "delivery": {"handshake_retry_s": 0.05, "handshake_retry_max_s": 0.2, "timeout_s": 5},
    }
    data.update(overrides)
    return SimSettings.model_validate(data)


def start_simulator(webhook_url: str, **overrides: Any) -> ThreadedSimulator:
    return ThreadedSimulator(client_settings(webhook_url, **overrides)).start()


def wait_verified(sim: ThreadedSimulator) -> None:
    wait_until(sim.sim.delivery.verified.is_set, 15, what="the client's webhook to answer the handshake")


class GraphRedirect(httpx.BaseTransport):
    """An httpx transport sending graph.facebook.com requests to the simulator (plain HTTP on loopback)."""

    def __init__(self, sim_base_url: str) -> None:
        self.target = httpx.URL(sim_base_url)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == GRAPH_HOST:
            request.url = request.url.copy_with(scheme="http", host=self.target.host, port=self.target.port)
        return self.inner.handle_request(request)


@contextlib.contextmanager
def redirect_requests(
    sim_base_url: str, canned: dict[str, Callable[[], requests.Response]] | None = None
) -> Iterator[None]:
    """Route every `requests` call for graph.facebook.com to the simulator, at the transport adapter.

    Clients that call `requests.post(...)` build a new Session each time, so the adapter's `send` is the
    one place a test can redirect them; `canned` answers hosts a client calls needlessly (offline).
    """
    target = httpx.URL(sim_base_url)
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = httpx.URL(request.url or "")
        if canned and url.host in canned:
            return canned[url.host]()
        if url.host == GRAPH_HOST:
            request.url = str(url.copy_with(scheme="http", host=target.host, port=target.port))
        return original(self, request, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(HTTPAdapter, "send", send)
        yield


def signed_bodies(posts: list[Received]) -> list[dict[str, Any]]:
    """The webhook bodies whose X-Hub-Signature-256 matches the app secret, parsed (others are dropped)."""

    def ok(post: Received) -> bool:
        # Written out here rather than reusing the simulator's signer: the check must be independent.
        expected = "sha256=" + hmac.new(SECRET.encode(), post.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, post.headers.get("x-hub-signature-256", ""))

    return [orjson.loads(p.body) for p in posts if ok(p)]


class Collected:
    """Thread-safe collection of what a client's handlers saw."""

    def __init__(self) -> None:
        self.items: list[tuple[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, kind: str, item: Any) -> None:
        with self._lock:
            self.items.append((kind, item))

    def of(self, kind: str) -> list[Any]:
        with self._lock:
            return [i for k, i in self.items if k == kind]

    def wait(self, kind: str, match: Callable[[Any], bool] = lambda _i: True, timeout: float = 10) -> Any:
        return wait_until(
            lambda: next((i for i in self.of(kind) if match(i)), None), timeout, what=f"a {kind} in the client"
        )
