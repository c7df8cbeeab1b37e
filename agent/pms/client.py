"""The QloApps webservice adapter (over agent/http1.py): wire formats, timeouts, read retries, cache, breaker."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import orjson
from prometheus_client import Counter, Histogram

from agent.clock import Clock, SystemClock
from agent.http1 import OriginClient, TransportError
from agent.pms import wire
from agent.pms.breaker import BreakerConfig, CircuitBreaker
from agent.pms.cache import PmsCache
from agent.pms.errors import (
    CircuitOpen,
    NotFound,
    PmsAuthError,
    PmsError,
    PmsRejected,
    PmsUnavailable,
    RoomsUnavailable,
)
from agent.pms.models import (
    Availability,
    Booking,
    BookingRequest,
    Customer,
    Hotel,
    HotelFeature,
    RefundRule,
    RoomTypeInfo,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

PMS_CALLS = Counter("hotelero_pms_calls_total", "QloApps calls by resource and outcome", ["resource", "outcome"])
PMS_LATENCY = Histogram(
    "hotelero_pms_call_seconds",
    "QloApps call latency by resource",
    ["resource"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


@dataclass
class QloAppsConfig:
    """Where QloApps lives and how patient to be with it."""

    base_url: str
    api_key: str
    connect_timeout_s: float = 1.0
    read_timeout_s: float = 3.0
    read_retries: int = 2
    retry_backoff_s: float = 0.1
    breaker: BreakerConfig | None = None


class QloAppsClient:
    """Talks to `{base_url}/api/...` with Basic auth and `output_format=JSON`.

    Reads and searches retry on transport errors and 5xx; writes (bookings, cancellations) never retry, because a
    timed-out write may have happened. Every call goes through the circuit breaker.
    """

    def __init__(
        self,
        config: QloAppsConfig,
        cache: PmsCache | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._config = config
        self._base = config.base_url.rstrip("/") + "/api"
        self._api = (urlsplit(config.base_url).path.rstrip("/")) + "/api"
        self._cache = cache or PmsCache(None)
        self._clock = clock or SystemClock()
        self.breaker = CircuitBreaker(self._clock, config.breaker, probe=self._probe)
        self._http: OriginClient | None = None
        # Parsed static data, keyed like the cache, with the body objects it was parsed from.
        self._memo: dict[str, tuple[tuple[Any, ...], Any]] = {}

    async def _probe(self) -> None:
        """One uncached call through the breaker to the webservice root: any answer below 500 closes it."""
        await self._once("GET", "probe", "", params=None, body=None, json_body=None)

    def _get_http(self) -> OriginClient:
        if self._http is None:
            self._http = OriginClient(
                self._config.base_url,
                # QloApps reads the key as the Basic username; the password is ignored.
                {"Authorization": "Basic " + base64.b64encode(f"{self._config.api_key}:".encode()).decode()},
                timeout_s=self._config.read_timeout_s,
                connect_timeout_s=self._config.connect_timeout_s,
                max_connections=64,
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # ---- transport ----------------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        resource: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: str | None = None,
        json_body: Any = None,
        retry: bool,
    ) -> Any:
        attempts = 1 + (self._config.read_retries if retry else 0)
        last: PmsError | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self._config.retry_backoff_s * (2 ** (attempt - 1)))
            try:
                return await self._once(method, resource, path, params=params, body=body, json_body=json_body)
            except CircuitOpen:
                raise
            except PmsUnavailable as exc:
                last = exc
                log.warning("QloApps %s %s failed (attempt %d/%d): %s", method, path, attempt + 1, attempts, exc)
        assert last is not None
        raise last

    async def _once(
        self, method: str, resource: str, path: str, *, params: dict[str, str] | None, body: str | None, json_body: Any
    ) -> Any:
        self.breaker.before_call()
        http = self._get_http()
        query = urlencode({"output_format": "JSON", **(params or {})})
        data = b""
        content_type = ""
        if body is not None:
            data = body.encode()
            content_type = "application/xml"
        elif json_body is not None:
            data = orjson.dumps(json_body)
            content_type = "application/json"
        started = self._clock.monotonic()
        try:
            resp = await http.request(method, f"{self._api}/{path}?{query}", data, content_type)
        except TransportError as exc:
            self.breaker.on_failure()
            PMS_CALLS.labels(resource, "transport_error").inc()
            raise PmsUnavailable(f"QloApps unreachable at {self._base}: {exc}") from exc
        finally:
            PMS_LATENCY.labels(resource).observe(max(self._clock.monotonic() - started, 0.0))
        status, raw = resp.status, resp.body
        return self._interpret(resource, status, raw)

    def _interpret(self, resource: str, status: int, raw: bytes) -> Any:
        text = raw.decode("utf-8", errors="replace")
        parsed: Any = None
        if raw.strip():
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError:
                parsed = text
        if status >= 500:
            self.breaker.on_failure()
            PMS_CALLS.labels(resource, "server_error").inc()
            code, message = wire.parse_errors(parsed)
            raise PmsUnavailable(f"QloApps answered HTTP {status} (code {code}): {message}", answered=True)
        # Any non-5xx answer proves QloApps is alive.
        self.breaker.on_success()
        if status in (200, 201):
            if isinstance(parsed, str):
                PMS_CALLS.labels(resource, "bad_body").inc()
                raise PmsUnavailable(
                    f"QloApps answered HTTP {status} with a non-JSON body: {text[:200]}", answered=True
                )
            PMS_CALLS.labels(resource, "ok").inc()
            return parsed
        code, message = wire.parse_errors(parsed)
        if status == 404 and not raw.strip():
            PMS_CALLS.labels(resource, "not_found").inc()
            raise NotFound(f"QloApps has no such {resource} record")
        PMS_CALLS.labels(resource, f"http_{status}").inc()
        if status in (401, 403, 405):
            raise PmsAuthError(status, code, message or text[:200])
        # QloApps answers every bookings refusal with HTTP 400 and body code 404; only some mean "rooms gone".
        if resource == "bookings" and status == 400 and code == 404 and "not available" in message.lower():
            raise RoomsUnavailable(status, code, message)
        raise PmsRejected(status, code, message)

    async def _cached_get(self, key: str, resource: str, path: str, params: dict[str, str] | None = None) -> Any:
        hit = await self._cache.get_static(key)
        if hit is not None:
            return hit
        body = await self._request("GET", resource, path, params=params, retry=True)
        await self._cache.put_static(key, body)
        return body

    def _parsed(self, key: str, raws: tuple[Any, ...], parse: Callable[..., T]) -> T:
        """`parse(*raws)`, computed once per cached body: the same body objects give the same parsed value."""
        memo = self._memo.get(key)
        if memo is not None and len(memo[0]) == len(raws) and all(a is b for a, b in zip(memo[0], raws, strict=True)):
            return memo[1]
        value = parse(*raws)
        self._memo[key] = (raws, value)
        return value

    # ---- reads --------------------------------------------------------------------------------------------

    async def get_hotel(self, hotel_id: int) -> Hotel:
        """The hotel's name, address, check-in/out times and associated features and refund rules."""
        key = f"hotel:{hotel_id}"
        return self._parsed(key, (await self._cached_get(key, "hotels", f"hotels/{int(hotel_id)}"),), wire.parse_hotel)

    async def room_types(self, hotel_id: int) -> list[RoomTypeInfo]:
        """The hotel's room types with their occupancy limits."""
        hrt = await self._cached_get(
            f"hotel_room_types:{hotel_id}",
            "hotel_room_types",
            "hotel_room_types",
            {"filter[id_hotel]": f"[{int(hotel_id)}]", "display": "full"},
        )
        rts = await self._cached_get("room_types", "room_types", "room_types", {"display": "full"})
        return list(self._parsed(f"room_types:{hotel_id}", (rts, hrt), wire.parse_room_types))

    async def hotel_features(self, hotel_id: int) -> list[HotelFeature]:
        """The amenities QloApps lists for the hotel."""
        hotel = await self.get_hotel(hotel_id)
        body = await self._cached_get("hotel_features", "hotel_features", "hotel_features", {"display": "full"})
        features = list(self._parsed("hotel_features", (body,), wire.parse_features))
        if hotel.feature_ids:
            wanted = set(hotel.feature_ids)
            features = [f for f in features if f.id in wanted]
        return features

    async def refund_rules(self, hotel_id: int) -> list[RefundRule]:
        """The hotel's cancellation rules, largest `days` first."""
        hotel = await self.get_hotel(hotel_id)
        body = await self._cached_get(
            "hotel_refund_rules", "hotel_refund_rules", "hotel_refund_rules", {"display": "full"}
        )
        rules = list(self._parsed("hotel_refund_rules", (body,), wire.parse_refund_rules))
        if hotel.refund_rule_ids:
            wanted = set(hotel.refund_rule_ids)
            rules = [r for r in rules if r.id in wanted]
        return rules

    async def search_availability(
        self,
        hotel_id: int,
        date_from: date,
        date_to: date,
        occupancies: Iterable[tuple[int, int]] = ((2, 0),),
        *,
        use_cache: bool = True,
    ) -> Availability:
        """Free room types and prices for a stay (`hotel_ari`, XML POST); cached a few seconds.

        `use_cache=False` (right before a booking write) asks QloApps and leaves the cache alone: the write that
        follows bumps the generation, so an entry stored now would never be read."""
        if date_to <= date_from:
            raise ValueError("date_to must be after date_from (check-out is the departure day)")
        occ = list(occupancies) or [(2, 0)]
        occ_key = "_".join(f"{a}-{c}" for a, c in occ)
        key = f"{hotel_id}:{date_from}:{date_to}:{occ_key}"
        gen, body = await self._cache.get_availability(hotel_id, key) if use_cache else (-1, None)
        if body is None:
            xml = wire.ari_search_xml(hotel_id, date_from, date_to, occ)
            body = await self._request("POST", "hotel_ari", "hotel_ari", body=xml, retry=True)
            await self._cache.put_availability(key, gen, body)
        avail = wire.parse_availability(body, hotel_id, date_from, date_to)
        # hotel_ari multiplies total_price by the number of occupancies; that is the stay total for all rooms.
        return avail

    async def find_customers(self, email: str) -> list[Customer]:
        body = await self._request(
            "GET",
            "customers",
            "customers",
            params={"filter[email]": wire.filter_value(email), "display": "full"},
            retry=True,
        )
        return wire.parse_customers(body)

    async def find_customers_by_phone(self, phone: str) -> list[Customer]:
        """Customers whose `phone` (a customers field since QloApps 1.6.1) is exactly `phone`."""
        body = await self._request(
            "GET",
            "customers",
            "customers",
            params={"filter[phone]": wire.filter_value(phone), "display": "full"},
            retry=True,
        )
        return wire.parse_customers(body)

    async def _order(self, id_order: int) -> dict[str, Any]:
        body = await self._request("GET", "orders", f"orders/{int(id_order)}", retry=True)
        order = body.get("order") if isinstance(body, dict) else None
        if isinstance(order, list):
            order = order[0] if order else None
        if not isinstance(order, dict):
            raise PmsUnavailable(f"QloApps returned an order without an 'order' object: {str(body)[:200]}")
        return order

    async def get_booking(self, id_order: int, order: dict[str, Any] | None = None) -> Booking:
        """A booking with its order state and stay lines."""
        if order is None:
            order = await self._order(id_order)
        body = await self._request("GET", "bookings", f"bookings/{int(id_order)}", retry=True)
        return wire.parse_booking(body, order)

    async def booking_by_reference(self, reference: str) -> Booking | None:
        """The booking whose order reference is `reference` (case-insensitive), or None."""
        body = await self._request(
            "GET",
            "orders",
            "orders",
            params={"filter[reference]": wire.filter_value(reference.strip().upper()), "display": "full"},
            retry=True,
        )
        orders = wire.parse_orders(body)
        if not orders:
            return None
        return await self.get_booking(int(orders[0]["id"]), orders[0])

    async def bookings_for_email(self, email: str) -> list[Booking]:
        """Every booking of the customers with this email, newest first."""
        return await self._bookings_of(await self.find_customers(email))

    async def bookings_for_phone(self, phone: str, known: frozenset[int] = frozenset()) -> list[Booking]:
        """Every booking of the customers with this phone (as the agent sends it: `+<wa_id>`), newest first, but
        those whose order id is in `known` (already read by the caller: not read again)."""
        return await self._bookings_of(await self.find_customers_by_phone(phone), known)

    async def find_booking_by_key(self, email: str, idempotency_key: str, newest: int = 5) -> Booking | None:
        """The booking whose remark carries this idempotency key, among the newest orders of the customers with
        this email (QloApps books under the customer found by email), or None when QloApps holds none."""
        marker = wire.idempotency_marker(idempotency_key)
        for customer in await self.find_customers(email):
            body = await self._request(
                "GET",
                "orders",
                "orders",
                params={"filter[id_customer]": f"[{customer.id}]", "display": "full", "sort": "[id_DESC]",
                        "limit": str(newest)},  # fmt: skip
                retry=True,
            )
            for order in wire.parse_orders(body):
                booking = await self.get_booking(int(order["id"]), order)
                if any(marker in remark for remark in booking.remarks):
                    return booking
        return None

    async def _bookings_of(self, customers: list[Customer], known: frozenset[int] = frozenset()) -> list[Booking]:
        out: list[Booking] = []
        for customer in customers:
            body = await self._request(
                "GET",
                "orders",
                "orders",
                params={"filter[id_customer]": f"[{customer.id}]", "display": "full"},
                retry=True,
            )
            for order in wire.parse_orders(body):
                if int(order["id"]) not in known:
                    out.append(await self.get_booking(int(order["id"]), order))
        out.sort(key=lambda b: b.id_order, reverse=True)
        return out

    # ---- writes (never retried) ---------------------------------------------------------------------------

    async def create_booking(self, req: BookingRequest) -> Booking:
        """Book through `POST /api/bookings` (JSON); RoomsUnavailable if the rooms went meanwhile."""
        try:
            body = await self._request("POST", "bookings", "bookings", json_body=wire.booking_json(req), retry=False)
        finally:
            # Whatever happened, cached availability for this hotel may now be wrong.
            await self._cache.invalidate_availability(req.hotel_id)
        booking = wire.parse_booking(body, {})
        try:
            order = await self._order(booking.id_order)
        except PmsError as exc:
            # The booking exists; only its reference is unknown. Keep the id so the guest still gets an answer.
            log.warning("booking %s made but its order could not be read: %s", booking.id_order, exc)
            order = {"reference": f"#{booking.id_order}", "current_state": 0}
        return wire.parse_booking(body, order)

    async def cancel_booking(self, booking: Booking) -> None:
        """Cancel through `order_histories` with order state 4 (Canceled), which frees the rooms."""
        try:
            await self._request(
                "POST",
                "order_histories",
                "order_histories",
                body=wire.order_history_xml(booking.id_order, 4),
                retry=False,
            )
        finally:
            await self._cache.invalidate_availability(booking.hotel_id)
