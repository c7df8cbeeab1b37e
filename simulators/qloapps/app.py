"""The ASGI application: `/api/...` (QloApps webservice), `/_sim/...` (control plane), `/metrics`.

A plain ASGI callable rather than a framework router: the simulator must never be the bottleneck of a load test.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from pydantic import ValidationError

from simulators.apidocs import docs_answer
from simulators.qloapps import openapi
from simulators.qloapps.api import WebService
from simulators.qloapps.clock import SimClock
from simulators.qloapps.config import SimConfig
from simulators.qloapps.errors import DomainError
from simulators.qloapps.faults import Decision, FaultBook, FaultSpec
from simulators.qloapps.journal import Journal
from simulators.qloapps.metrics import SimMetrics
from simulators.qloapps.protocol import JSON_TYPE, XML_TYPE, Reply, Request, wants_json
from simulators.qloapps.seed import add_faker_hotels, demo_seed, fixture_keys, load_fixture
from simulators.qloapps.state import Backend, SeedData
from simulators.qloapps.wire import error_body

DOWN_PAGE = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>503 Service Unavailable</title>\n'
    b"</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your request.</p>\n"
    b"</body></html>\n"
)
NOT_FOUND_PAGE = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"
TOO_LARGE_PAGE = (
    b"<html><head><title>413 Request Entity Too Large</title></head><body><h1>Request Entity Too Large</h1>"
    b"</body></html>\n"
)


def build_seed(config: SimConfig) -> SeedData:
    """The fixture file if given, else the demo install; plus `--hotels N` Faker hotels."""
    seed = load_fixture(config.fixture) if config.fixture else demo_seed()
    if config.hotels:
        add_faker_hotels(seed, config.hotels, config.seed)
    return seed


class QloAppsSimulator:
    """State + protocol + control plane, as one ASGI app."""

    def __init__(self, config: SimConfig | None = None, *, clock: SimClock | None = None) -> None:
        self.config = config or SimConfig()
        if self.config.fixture is not None:
            keys = fixture_keys(self.config.fixture)
            if keys:
                self.config.keys = keys
        self.clock = clock or SimClock()
        self.backend = Backend(
            build_seed(self.config), clock=self.clock, rng_seed=self.config.seed,
            strict_occupancy=self.config.strict_occupancy,
        )  # fmt: skip
        self.ws = WebService(self.backend, self.config)
        self.faults = FaultBook(self.config.seed)
        self.journal = Journal(self.config.journal_size)
        self.metrics = SimMetrics(self.backend)
        self.started = time.monotonic()

    # ---- ASGI ----------------------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        docs = docs_answer(path, "QloApps webservice simulator", openapi.spec) if path.startswith("/_sim/") else None
        if path == "/api" or path.startswith("/api/"):
            await self._api(scope, receive, send)
        elif docs is not None:
            await _respond(send, docs[0], docs[1], docs[2])
        elif path.startswith("/_sim/"):
            body = await _read_body(receive, 1_000_000)
            status, payload = self.control(scope["method"], path, _query(scope), body or b"")
            await _respond(send, status, orjson.dumps(payload), "application/json")
        elif path == "/metrics":
            await _respond(send, 200, self.metrics.render(), "text/plain; version=0.0.4; charset=utf-8")
        else:
            await _respond(send, 404, NOT_FOUND_PAGE, "text/html; charset=iso-8859-1")

    async def _api(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        at_ms = self.clock.now_ms()
        method = scope["method"]
        rel = scope["path"][5:] if scope["path"].startswith("/api/") else ""
        resource = rel.split("/", 1)[0]
        qs = scope.get("query_string", b"").decode("latin-1")
        body = await _read_body(receive, self.config.max_body_bytes)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        req = Request(method, rel, dict(parse_qsl(qs, keep_blank_values=True)), headers, body or b"",
                      headers.get("host", "127.0.0.1"))  # fmt: skip
        applied: list[str] = []
        reply: Reply | None = None
        decision = self.faults.decide(resource, method) if self.faults else None
        if decision is not None:
            applied = decision.applied
            for name in applied:
                self.metrics.faults.labels(name.split("#")[0]).inc()
            if not decision.after:
                if await self._apply_fault(decision, send, req):
                    self._record(at_ms, started, method, scope, qs, resource, 0, body or b"", b"", applied)
                    return
                reply = decision.reply
        if reply is None:
            if body is None:
                reply = Reply(413, TOO_LARGE_PAGE, "text/html; charset=iso-8859-1")
            else:
                try:
                    reply = self.ws.handle(req)
                except Exception as exc:  # never a traceback on the wire: QloApps' 500 envelope instead
                    as_json = wants_json(req)
                    reply = Reply(500, error_body([(46, f"Internal error: {type(exc).__name__}")], as_json))
            if decision is not None and decision.after:
                # The request was handled (an order saved); now its answer is lost, late or replaced.
                if await self._apply_fault(decision, send, req):
                    self._record(at_ms, started, method, scope, qs, resource, 0, body or b"", b"", applied)
                    return
                reply = decision.reply or reply
        await _respond(send, reply.status, reply.body, reply.content_type, reply.headers)
        self._record(at_ms, started, method, scope, qs, resource, reply.status, body or b"", reply.body, applied)

    async def _apply_fault(self, decision: Decision, send: Any, req: Request) -> bool:
        """Delay, hang, drop or fail as decided; True when the connection was dropped (nothing to send)."""
        if decision.delay_ms > 0:
            await asyncio.sleep(decision.delay_ms / 1000.0)
        f = decision.fault
        if decision.action == "down":
            if f is not None and f.spec.mode == "drop":
                _drop(send)
                return True
            decision.reply = Reply(503, DOWN_PAGE, "text/html; charset=iso-8859-1")
        elif decision.action == "hang":
            assert f is not None
            await asyncio.sleep(f.spec.hang_s)
            _drop(send)  # the client has given up; before the work, the request is lost unprocessed
            return True
        elif decision.action == "drop":
            _drop(send)
            return True
        elif decision.action == "error":
            assert f is not None
            as_json = wants_json(req)
            code = f.spec.code if f.spec.code is not None else (46 if f.spec.status >= 500 else f.spec.status)
            msg = f.spec.message or "Simulated fault: the request failed (injected by /_sim/faults)"
            headers = {"PSWS-Version": "1.6.1.23", "X-Powered-By": "PrestaShop Webservice"}
            content_type = JSON_TYPE if as_json else XML_TYPE
            decision.reply = Reply(f.spec.status, error_body([(code, msg)], as_json), content_type, headers)
        return False

    def _record(self, at_ms: float, started: float, method: str, scope: dict[str, Any], qs: str, resource: str,
                status: int, body: bytes, out: bytes, applied: list[str]) -> None:  # fmt: skip
        elapsed = time.perf_counter() - started
        self.journal.record(
            at_ms=at_ms, method=method, path=scope["path"], query=qs, resource=resource or "/", status=status,
            latency_ms=elapsed * 1000, request=body, response=out, faults=applied,
        )  # fmt: skip
        self.metrics.requests.labels(resource or "/", method, str(status)).inc()
        self.metrics.latency.labels(resource or "/").observe(elapsed)

    # ---- control plane -------------------------------------------------------------------------------------

    def control(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        """Route a /_sim/ request; returns (status, JSON payload)."""
        try:
            data = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError as exc:
            return 400, {"error": f"the body is not JSON: {exc}"}
        if not isinstance(data, dict):
            return 400, {"error": "send a JSON object"}
        routes = {
            "/_sim/health": {"GET": self._health},
            "/_sim/reset": {"POST": self._reset},
            "/_sim/state": {"GET": self._state},
            "/_sim/journal": {"GET": self._journal, "DELETE": self._journal_clear},
            "/_sim/faults": {"GET": self._faults_list, "POST": self._faults_add, "DELETE": self._faults_clear},
            "/_sim/clock": {"GET": self._clock_get, "POST": self._clock_set},
        }
        if path.startswith("/_sim/faults/") and method == "DELETE":
            fid = path.rsplit("/", 1)[1]
            if fid.isdigit() and self.faults.remove(int(fid)):
                return 200, {"removed": int(fid), "faults": self.faults.list()}
            return 404, {"error": f"no fault {fid}; GET /_sim/faults lists them"}
        if path.startswith("/_sim/rooms/") and path.endswith("/status") and method == "POST":
            return self._room_status(path.split("/")[3], data)
        if path.startswith("/_sim/room_bookings/") and path.endswith("/status") and method == "POST":
            return self._room_booking_status(path.split("/")[3], data)
        if path.startswith("/_sim/orders/") and path.endswith("/refund_quote") and method == "GET":
            oid = path.split("/")[3]
            if not oid.isdigit() or not self.backend.has_order(int(oid)):
                return 404, {"error": f"no order {oid}"}
            return 200, self.backend.refund_quote(int(oid))
        handlers = routes.get(path)
        if handlers is None:
            return 404, {"error": f"unknown control endpoint {path}; see docs/qloapps-simulator.md"}
        handler = handlers.get(method)
        if handler is None:
            return 405, {"error": f"{method} not allowed on {path}; use {', '.join(handlers)}"}
        return handler(query, data)

    def _health(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            "status": "ok",
            "service": "qloapps-simulator",
            "qloapps_version": self.config.qloapps_version,
            "psws_version": "1.6.1.23",
            "api_key": self.config.keys[0].key if self.config.keys else None,
            "strict_occupancy": self.config.strict_occupancy,
            "strict_dates": self.config.strict_dates,
            "phone_required": self.config.phone_required,
            "hotels": len(self.backend.hotels),
            "orders": len(self.backend.order_ids()),
            "faults": len(self.faults.list()),
            "uptime_s": round(time.monotonic() - self.started, 3),
        }

    def _reset(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        self.backend.reset()
        self.journal.clear()
        if not d.get("keep_faults"):
            self.faults.clear(restart_ids=True)
        return 200, {"reset": True, "hotels": len(self.backend.hotels), "faults": self.faults.list()}

    def _state(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"qloapps_version": self.config.qloapps_version, **self.backend.summary(full=q.get("full") == "1")}

    def _journal(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        limit = int(q["limit"]) if q.get("limit", "").isdigit() else 100
        return 200, {"entries": self.journal.entries(limit, q.get("resource"), q.get("method"))}

    def _journal_clear(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        self.journal.clear()
        return 200, {"cleared": True}

    def _faults_list(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"faults": self.faults.list()}

    def _faults_add(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        try:
            spec = FaultSpec.model_validate(d)
        except ValidationError as exc:
            errs = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
            return 400, {"error": f"invalid fault: {errs}"}
        fault = self.faults.add(spec)
        return 201, {"id": fault.id, "fault": fault.describe(), "faults": self.faults.list()}

    def _faults_clear(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"cleared": self.faults.clear(), "faults": []}

    def _clock_get(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"now": self.clock.stamp(), "today": self.clock.today().isoformat()}

    def _clock_set(self, q: dict[str, str], d: dict[str, Any]) -> tuple[int, Any]:
        if d.get("reset"):
            self.clock.reset()
        else:
            try:
                self.clock.set_today(date.fromisoformat(str(d.get("today"))))
            except ValueError:
                return 400, {"error": 'send {"today": "YYYY-MM-DD"} or {"reset": true}'}
        return self._clock_get(q, d)

    def _room_booking_status(self, rid: str, d: dict[str, Any]) -> tuple[int, Any]:
        if not rid.isdigit() or int(rid) not in self.backend.room_bookings:
            return 404, {"error": f"no room booking {rid}; GET /api/room_bookings lists them"}
        try:
            at = datetime.fromisoformat(d["at"]) if d.get("at") else self.clock.now()
            rb = self.backend.set_room_booking_status(int(rid), int(d.get("id_status", 0)), at)
        except (KeyError, ValueError, TypeError, DomainError) as exc:
            return 400, {"error": f'{exc}; send {{"id_status": 2|3, "at": "YYYY-MM-DD HH:MM:SS"}}'}
        return 200, {"id": rb.id, "id_status": rb.id_status, "check_in": rb.check_in, "check_out": rb.check_out}

    def _room_status(self, rid: str, d: dict[str, Any]) -> tuple[int, Any]:
        if not rid.isdigit() or int(rid) not in self.backend.rooms:
            return 404, {"error": f"no room {rid}"}
        try:
            ranges = [(date.fromisoformat(f), date.fromisoformat(t)) for f, t in d.get("disable_dates", [])]
            self.backend.set_room_status(int(rid), int(d.get("id_status", 1)), ranges)
        except (ValueError, TypeError, DomainError) as exc:
            return 400, {
                "error": f'{exc}; send {{"id_status": 1|2|3, "disable_dates": [["YYYY-MM-DD", "YYYY-MM-DD"]]}}'
            }
        room = self.backend.rooms[int(rid)]
        return 200, {"id": room.id, "id_status": room.id_status,
                     "disable_dates": [[f.isoformat(), t.isoformat()] for f, t in room.disable_dates]}  # fmt: skip


# ---- ASGI helpers -------------------------------------------------------------------------------------------


def _query(scope: dict[str, Any]) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole body, or None once it exceeds `limit` (the rest is drained and dropped)."""
    chunks = []
    size = 0
    too_big = False
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            break
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            too_big = True
        elif chunk:
            chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return None if too_big else b"".join(chunks)


async def _respond(send: Any, status: int, body: bytes, content_type: str | None,
                   headers: dict[str, str] | None = None) -> None:  # fmt: skip
    raw = [(b"content-length", str(len(body)).encode())]
    if content_type:
        raw.append((b"content-type", content_type.encode()))
    for k, v in (headers or {}).items():
        raw.append((k.encode("latin-1"), v.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _drop(send: Any) -> None:
    """Close the TCP connection without a response (uvicorn's cycle holds the transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()
        cycle.disconnected = True  # uvicorn then neither logs nor answers 500


def create_app(config: SimConfig | None = None, *, clock: SimClock | None = None) -> QloAppsSimulator:
    """The simulator as an ASGI app (`app.backend`, `app.faults`, `app.journal` for in-process use)."""
    return QloAppsSimulator(config, clock=clock)
