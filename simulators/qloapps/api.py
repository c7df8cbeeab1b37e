"""The `/api/` protocol layer (WebserviceRequest::fetch): auth, format, routing, generic resources, errors."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any
from xml.etree.ElementTree import Element

from simulators.qloapps.ari import HotelAri
from simulators.qloapps.bookings_api import BookingsApi
from simulators.qloapps.config import METHODS, SimConfig
from simulators.qloapps.errors import NotFoundEmpty, WsError, did_you_mean
from simulators.qloapps.protocol import JSON_TYPE, XML_TYPE, Ctx, Reply, Request, SchemaAssoc, schema_body, wants_json
from simulators.qloapps.query import ListQuery, matches, parse_list_query, sort_key
from simulators.qloapps.resources import GENERIC, ResourceDef, check_fields, xml_fields
from simulators.qloapps.state import Backend
from simulators.qloapps.wire import (
    PSWS_VERSION,
    XML_HEAD,
    XML_TAIL,
    Rendered,
    dumps,
    error_body,
    json_entity,
    parse_xml,
    xml_entity,
)

# webservice/dispatcher.php:55 (no key at all) and classes/webservice/WebserviceRequest.php:765 (a refused key).
DISPATCHER_REALM = (
    "Welcome to PrestaShop Webservice, please enter the authentication key as the login. No password required."
)
AUTH_REALM = "Welcome to QloApps Webservice, please enter the authentication key as the login. No password required."

# WebserviceRequest::getResources (1.6.1 / 1.7.0) plus the hotel module's resources; description per resource.
CORE_RESOURCES = [
    "addresses",
    "carriers",
    "carts",
    "cart_rules",
    "categories",
    "combinations",
    "configurations",
    "contacts",
    "content_management_system",
    "countries",
    "currencies",
    "customers",
    "customer_threads",
    "customer_messages",
    "customizations",
    "deliveries",
    "employees",
    "groups",
    "guests",
    "images",
    "image_types",
    "languages",
    "manufacturers",
    "order_carriers",
    "order_details",
    "order_discounts",
    "order_histories",
    "order_invoices",
    "orders",
    "order_payments",
    "order_slip",
    "order_states",
    "price_ranges",
    "product_customization_fields",
    "product_suppliers",
    "room_types",
    "room_type_features",
    "room_type_feature_values",
    "room_type_options",
    "room_type_option_values",
    "search",
    "services",
    "shops",
    "shop_groups",
    "shop_urls",
    "specific_prices",
    "specific_price_rules",
    "states",
    "stock_availables",
    "stock_movement_reasons",
    "stock_movements",
    "stocks",
    "stores",
    "suppliers",
    "supply_order_details",
    "supply_order_histories",
    "supply_order_receipt_histories",
    "supply_order_states",
    "supply_orders",
    "tags",
    "taxes",
    "tax_rules",
    "tax_rule_groups",
    "translated_configurations",
    "warehouses",
    "warehouse_product_locations",
    "weight_ranges",
    "zones",
]
HOTEL_RESOURCES = [
    "hotels",
    "hotel_room_types",
    "hotel_rooms",
    "hotel_features",
    "hotel_refund_rules",
    "feature_prices",
    "advance_payments",
    "cart_bookings",
    "room_bookings",
    "booking_extra_demands",
    "extra_demands",
    "demand_advance_options",
    "hotel_ari",
]
SCHEMA_ERROR = (
    "Please select a schema of type 'synopsis' to get the whole schema informations (which fields are required, "
    "which kind of content...) or 'blank' to get an empty schema to fill before using POST request"
)
SPECIFIC = {"bookings", "hotel_ari", "images", "search"}


def resource_names(cfg: SimConfig) -> list[str]:
    names = set(CORE_RESOURCES) | set(HOTEL_RESOURCES) | {"bookings"}
    if cfg.v161:
        names |= {"extra_services", "qlo"}  # both removed in 1.7.0
    return sorted(names)


def api_key(req: Request) -> str | None:
    """Basic-auth username, else `ws_key`; None when neither is present (webservice/dispatcher.php:35-57)."""
    auth = req.headers.get("authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            user = base64.b64decode(auth[6:].strip(), validate=False).decode("utf-8", errors="replace")
        except (ValueError, TypeError):
            user = ""
        return user.split(":", 1)[0]
    return req.query.get("ws_key")


class WebService:
    """Answers `/api/...` requests against one Backend."""

    def __init__(self, backend: Backend, config: SimConfig) -> None:
        self.backend = backend
        self.config = config
        self.ari = HotelAri(backend, config)
        self.bookings = BookingsApi(backend, config)

    # ---- entry point --------------------------------------------------------------------------------------

    def handle(self, req: Request) -> Reply:
        started = time.perf_counter()
        as_json = wants_json(req)
        method = req.method.upper()
        override = req.query.get("ps_method")
        if method in ("GET", "POST") and override in ("PUT", "DELETE"):
            method = override
        ctx = Ctx(as_json, f"http://{req.host}/api/", method, req.query, req.body, req.headers)
        resource = req.path.split("/", 1)[0]
        try:
            reply = self._dispatch(ctx, req)
        except NotFoundEmpty:
            reply = Reply(404)
        except WsError as exc:
            reply = Reply(exc.status, error_body(exc.errors, as_json), headers=exc.headers)
            failed = True
        else:
            failed = reply.has_errors
        if reply.content_type is None and (reply.body or reply.status != 401):
            reply.content_type = JSON_TYPE if as_json else XML_TYPE
        reply.resource = reply.resource or resource
        if reply.status == 401 and reply.content_type and reply.content_type.startswith("text/html"):
            return reply  # dispatcher.php answers before the webservice runs: no webservice headers
        elapsed = time.perf_counter() - started
        reply.headers.setdefault("Access-Time", str(int(time.time())))
        reply.headers["X-Powered-By"] = "PrestaShop Webservice"
        reply.headers["PSWS-Version"] = PSWS_VERSION
        reply.headers["Execution-Time"] = f"{elapsed:.3f}"
        # An error list replaces the content and is sent without its hash (WebserviceRequest.php:1745-1755).
        if reply.body and not failed:
            reply.headers["Content-Sha1"] = hashlib.sha1(reply.body).hexdigest()
        if method == "HEAD":
            reply.body = b""
        return reply

    def _dispatch(self, ctx: Ctx, req: Request) -> Reply:
        key = api_key(req)
        if key is None:  # webservice/dispatcher.php:53-56, before the webservice runs
            return Reply(401, b"401 Unauthorized", "text/html; charset=utf-8",
                         {"WWW-Authenticate": f'Basic realm="{DISPATCHER_REALM}"'})  # fmt: skip
        if not self.config.webservice_enabled:  # WebserviceRequest.php:781 (isActivated)
            raise WsError(503, 22, "The QloApps webservice is disabled. Please activate it in the QloApps Back Office")
        k = self._authenticate(key)
        if ctx.method not in METHODS:
            raise WsError(405, 23, f"Method {ctx.method} is not valid")
        segments = [s for s in req.path.split("/") if s != ""]
        if not segments:
            return self._root(ctx, k)
        resource = segments[0]
        names = resource_names(self.config)
        if resource not in names:
            raise did_you_mean(400, f'Resource of type "{resource}" does not exists', resource, names, 27)
        if not k.grants(resource):
            raise WsError(401, 26, f'Resource of type "{resource}" is not allowed with this authentication key')
        if not k.allows(resource, ctx.method):
            msg = f'Method {ctx.method} is not allowed for the resource "{resource}" with this authentication key'
            raise WsError(405, 25, msg)
        ident = segments[1] if len(segments) > 1 else None
        if resource == "hotel_ari":
            return self.ari.handle(ctx)
        if resource == "bookings":
            return self.bookings.handle(ctx, ident)
        if resource == "search" and ctx.method in ("POST", "PUT", "DELETE"):
            raise WsError(405, 101, f"Method {ctx.method} is not allowed for the resource search")
        rdef = GENERIC.get(resource)
        if rdef is None:
            return self._unmodelled(ctx, resource, ident)
        return self._generic(ctx, rdef, ident)

    def _authenticate(self, key: str) -> Any:
        """WebserviceRequest::authenticate (:741-773): codes 17, 18, 20 then 21, each with the QloApps realm."""
        errors: list[tuple[int, str]] = []
        k = None
        if key == "":
            errors.append((17, "Authentication key is empty"))
        elif len(key) != 32:
            errors.append((18, "Invalid authentication key format"))
        else:
            k = self.config.key(key)
            if k is None or not k.active:
                errors.append((20, "Authentification key is not active"))
            if k is None or not k.active or not k.has_any():  # no permissions were loaded for an inactive key
                errors.append((21, "No permission for this authentication key"))
        if errors:
            exc = WsError(401, *errors[0])
            exc.errors = errors
            exc.headers = {"WWW-Authenticate": f'Basic realm="{AUTH_REALM}"'}
            raise exc
        return k

    # ---- GET /api/ ----------------------------------------------------------------------------------------

    def _root(self, ctx: Ctx, k: Any) -> Reply:
        granted = [r for r in resource_names(self.config) if k.grants(r)]
        if ctx.as_json:  # the resource names only (WebserviceOutputJSON.php:121-122)
            return Reply(200, dumps(granted))
        parts = [XML_HEAD, '<api shopName="QloApps">\n']
        for r in granted:
            flags = " ".join(f'{m.lower()}="{"true" if k.allows(r, m) else "false"}"' for m in METHODS)
            href = f'xlink:href="{ctx.api_url}{r}"'
            parts.append(f"<{r} {href} {flags}>\n<description {href} {flags}>{_describe(r)}</description>\n")
            parts.append(f'<schema xlink:href="{ctx.api_url}{r}?schema=blank" type="blank"/>\n')
            parts.append(f'<schema xlink:href="{ctx.api_url}{r}?schema=synopsis" type="synopsis"/>\n</{r}>\n')
        parts.append("</api>\n")
        parts.append(XML_TAIL)
        return Reply(200, "".join(parts).encode())

    # ---- resources the simulator does not model -------------------------------------------------------------

    def _unmodelled(self, ctx: Ctx, resource: str, ident: str | None) -> Reply:
        if ctx.method in ("GET", "HEAD"):
            if ident is not None:
                raise NotFoundEmpty()
            if ctx.as_json:
                return Reply(200, b"[]")
            return Reply(200, f"{XML_HEAD}<{resource}>\n</{resource}>\n{XML_TAIL}".encode())
        msg = (
            f"Method {ctx.method} is not allowed for the resource {resource} in the simulator (it holds no {resource})"
        )
        raise WsError(405, 101, msg)

    # ---- generic resources ---------------------------------------------------------------------------------

    def _generic(self, ctx: Ctx, rdef: ResourceDef, ident: str | None) -> Reply:
        if ctx.method in ("GET", "HEAD"):
            if "schema" in ctx.query:
                return self._schema(ctx, rdef)
            return self._get(ctx, rdef, ident)
        if ctx.method not in rdef.methods:
            raise WsError(405, 101, f"Method {ctx.method} is not allowed for the resource {rdef.name} in the simulator")
        if ctx.method == "POST":
            return self._post(ctx, rdef)
        if ctx.method == "PUT":
            return self._put(ctx, rdef, ident)
        return self._delete(ctx, rdef, ident)

    def _get(self, ctx: Ctx, rdef: ResourceDef, ident: str | None) -> Reply:
        b = self.backend
        single = ident is not None
        q = parse_list_query(ctx.query, rdef, single=single)
        if single:
            if not ident.isdigit():
                raise NotFoundEmpty()
            entity = rdef.table(b).get(int(ident))
            if entity is None:
                raise NotFoundEmpty()
            rendered = [rdef.render(b, entity)]
            if not q.display_given:
                return Reply(200, self._single(ctx, rdef, rendered[0]))
            # `full` is forced only when display is absent (WebserviceRequest.php:1229-1233); otherwise the id alone
            # is output (WebserviceOutputBuilder.php:412-421), whatever fields were asked for.
            q.display = "full" if q.display == "full" else "minimum"
            return Reply(200, self._list(ctx, rdef, rendered, q))
        table = rdef.table(b)
        candidates: Any = table.values()
        for f in q.filters:
            if f.op == "eq" and f.field in rdef.indexes and len(f.values) == 1:
                ids = rdef.indexes[f.field](b, f.values[0].lower())
                candidates = [table[i] for i in ids if i in table]
                break
        rows = [r for r in (rdef.render(b, e) for e in candidates) if matches(r.values, q.filters)]
        for fname, desc in reversed(q.sort):
            rows.sort(key=lambda r, f=fname: sort_key(f)(r.values), reverse=desc)
        if not q.sort:
            rows.sort(key=lambda r: int(r.values["id"]))
        if q.limit:
            off, n = q.limit
            rows = rows[off : off + n]
        return Reply(200, self._list(ctx, rdef, rows, q))

    def _single(self, ctx: Ctx, rdef: ResourceDef, r: Rendered) -> bytes:
        if ctx.as_json:
            return dumps({rdef.node: json_entity(r, fields=None, with_assocs=True)})
        langs = sorted(self.backend.languages)
        return (
            XML_HEAD + xml_entity(rdef.node, r, ctx.api_url, langs, fields=None, with_assocs=True) + XML_TAIL
        ).encode()

    def _list(self, ctx: Ctx, rdef: ResourceDef, rows: list[Rendered], q: ListQuery) -> bytes:
        display = q.display
        if ctx.as_json:
            if not rows:
                return b"[]"  # WebserviceOutputJSON prints an empty list as []
            if display == "minimum":
                items = [{"id": int(r.values["id"])} for r in rows]
            elif display == "full":
                items = [json_entity(r, fields=None, with_assocs=True) for r in rows]
            else:
                items = [json_entity(r, fields=list(display), with_assocs=False) for r in rows]
            return dumps({rdef.plural: items})
        langs = sorted(self.backend.languages)
        parts = [XML_HEAD, f"<{rdef.plural}>\n"]
        for r in rows:
            rid = r.values["id"]
            if display == "minimum":
                base = rdef.href_base or rdef.name
                parts.append(f'\t<{rdef.node} id="{rid}" xlink:href="{ctx.api_url}{base}/{rid}"/>\n')
            elif display == "full":
                parts.append(xml_entity(rdef.node, r, ctx.api_url, langs, fields=None, with_assocs=True))
            else:
                parts.append(xml_entity(rdef.node, r, ctx.api_url, langs, fields=list(display), with_assocs=False))
        parts.append(f"</{rdef.plural}>\n")
        parts.append(XML_TAIL)
        return "".join(parts).encode()

    def _schema(self, ctx: Ctx, rdef: ResourceDef) -> Reply:
        kind = ctx.query.get("schema")
        if kind not in ("blank", "synopsis"):
            raise WsError(400, 28, SCHEMA_ERROR)
        assocs = [SchemaAssoc(a.name, a.node_type) for a in rdef.schema_assocs]
        return Reply(200, schema_body(ctx, rdef.node, rdef.fields, kind, assocs))

    def _entity_element(self, ctx: Ctx) -> Element:
        root = parse_xml(ctx.body)
        children = list(root)
        return children[0] if children else root

    def _post(self, ctx: Ctx, rdef: ResourceDef) -> Reply:
        el = self._entity_element(ctx)
        if el.find("id") is not None and (el.findtext("id") or "").strip():
            raise WsError(400, 91, "id is forbidden when adding a new resource")
        values = xml_fields(el, rdef)
        check_fields(rdef, values, self.config)
        assert rdef.create is not None
        entity = rdef.create(self.backend, values, el)
        return Reply(201, self._single(ctx, rdef, rdef.render(self.backend, entity)))

    def _put(self, ctx: Ctx, rdef: ResourceDef, ident: str | None) -> Reply:
        el = self._entity_element(ctx)
        # The id comes from the body; the URL's id is never compared with it (WebserviceRequest.php:1405-1436).
        body_id = (el.findtext("id") or "").strip()
        if el.find("id") is None:
            raise WsError(400, 90, "id is required when modifying a resource")
        entity = rdef.table(self.backend).get(int(body_id)) if body_id.isdigit() else None
        if entity is None:
            raise WsError(404, 92, "Invalid ID")
        # A PUT replaces the record: absent optional fields become empty, absent required ones are refused (:1441-1467).
        values = xml_fields(el, rdef)
        check_fields(rdef, values, self.config)
        assert rdef.update is not None
        entity = rdef.update(self.backend, entity, values, el)
        return Reply(200, self._single(ctx, rdef, rdef.render(self.backend, entity)))

    def _delete(self, ctx: Ctx, rdef: ResourceDef, ident: str | None) -> Reply:
        raw = ident if ident is not None else ctx.query.get("id", "")
        ids = [x for x in raw.strip("[]").split(",") if x]
        table = rdef.table(self.backend)
        missing = [x for x in ids if not x.isdigit() or int(x) not in table]
        if not ids or missing:
            raise WsError(404, 87, f"Id(s) not exists: {', '.join(missing or [raw])}")
        assert rdef.delete is not None
        for x in ids:
            rdef.delete(self.backend, int(x))
        return Reply(200)


def _describe(resource: str) -> str:
    return {
        "bookings": "Hotel bookings (create, read, cancel or refund)",
        "hotel_ari": "Availability and rates search",
        "hotels": "Hotels",
        "room_types": "Room types",
        "customers": "The e-shop's customers",
        "orders": "The Customers orders",
        "order_histories": "The Order histories",
    }.get(resource, f"The {resource.replace('_', ' ')}")


__all__ = ["Reply", "Request", "WebService", "wants_json"]
