"""Graph API request parsing and validation for POST /{version}/{phone_number_id}/messages (no state, no HTTP)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from simulators.whatsapp.config import Template
from simulators.whatsapp.errors import GraphError, invalid_param, param_invalid

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
MESSAGE_TYPES = ("text", "interactive", "template", "location", "reaction", "contacts", *MEDIA_TYPES)
TOP_LEVEL = {
    "messaging_product",
    "recipient_type",
    "to",
    "recipient",
    "type",
    "context",
    "biz_opaque_callback_data",
    "status",
    "message_id",
    "typing_indicator",
    *MESSAGE_TYPES,
}
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_TO_CHARS = re.compile(r"^\+?[0-9()\-\s.]+$")


@dataclass
class SendRequest:
    """A validated send: what the simulator needs to route it and answer the business."""

    kind: str  # "message" | "read"
    type: str
    body: dict[str, Any]
    to_input: str | None = None
    to_digits: str | None = None
    recipient_user_id: str | None = None
    context_id: str | None = None
    message_id: str | None = None
    typing: bool = False
    template: Template | None = None


def _where(path: str) -> str:
    return path


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_param(f"Param {path} must be a JSON object", f"(#100) Param {path} must be a JSON object")
    return value


def _keys(value: dict[str, Any], allowed: set[str], path: str) -> None:
    for key in value:
        if key not in allowed:
            raise invalid_param(
                f'Unexpected key "{key}" on param "{path}".', f'(#100) Unexpected key "{key}" on param "{path}".'
            )


def _str(
    obj: dict[str, Any], key: str, path: str, *, required: bool = True, max_len: int | None = None, min_len: int = 0
) -> str | None:
    value = obj.get(key)
    full = f"{path}['{key}']"
    if value is None:
        if required:
            raise invalid_param(f"The parameter {full} is required.", f"(#100) The parameter {full} is required.")
        return None
    if not isinstance(value, str):
        raise invalid_param(f"Param {full} must be a string.", f"(#100) Param {full} must be a string.")
    if max_len is not None and len(value) > max_len:
        raise invalid_param(
            f"Param {full} must be at most {max_len} characters long.",
            f"(#100) Param {full} must be at most {max_len} characters long.",
        )
    if len(value) < min_len:
        raise invalid_param(
            f"Param {full} must be at least {min_len} characters long.",
            f"(#100) Param {full} must be at least {min_len} characters long.",
        )
    return value


def _list(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> list[Any]:
    value = obj.get(key)
    full = f"{path}['{key}']"
    if value is None:
        if required:
            raise invalid_param(f"The parameter {full} is required.", f"(#100) The parameter {full} is required.")
        return []
    if not isinstance(value, list):
        raise invalid_param(f"Param {full} must be an array.", f"(#100) Param {full} must be an array.")
    return value


def parse_send(body: Any, templates: list[Template]) -> SendRequest:
    """Validate a messages-endpoint body as Graph does; raises GraphError with Meta's codes and details."""
    if not isinstance(body, dict):
        raise invalid_param("The request body must be a JSON object.")
    if "messaging_product" not in body:
        raise invalid_param(
            "The parameter messaging_product is required.", "(#100) The parameter messaging_product is required."
        )
    if body["messaging_product"] != "whatsapp":
        raise invalid_param(
            "Param messaging_product must be one of {WHATSAPP}",
            f'(#100) Param messaging_product must be one of {{WHATSAPP}} - got "{body["messaging_product"]}".',
        )
    if "status" in body:
        return _parse_read(body)

    rtype = body.get("recipient_type", "individual")
    if rtype not in ("individual", "group"):
        raise invalid_param("Param recipient_type must be one of {INDIVIDUAL, GROUP}")
    mtype = body.get("type", "text")
    if not isinstance(mtype, str) or mtype not in MESSAGE_TYPES:
        raise invalid_param(
            f"Param type must be one of {{{', '.join(t.upper() for t in MESSAGE_TYPES)}}}",
            "(#100) Invalid parameter",
        )
    _keys(body, TOP_LEVEL, "message")
    req = SendRequest(kind="message", type=mtype, body=body)
    to = body.get("to")
    recipient = body.get("recipient")
    if to is None and recipient is None:
        raise invalid_param("The parameter to is required.", "(#100) The parameter to is required.")
    if to is not None:
        # When both `to` and `recipient` are present, `to` wins (BSUID page).
        if not isinstance(to, str) or not _TO_CHARS.match(to) or not re.sub(r"\D", "", to):
            raise invalid_param(f"Param to must be a phone number, got {to!r}.", "(#100) Invalid parameter")
        req.to_input = to
        req.to_digits = re.sub(r"\D", "", to)
        if len(req.to_digits) > 20:
            raise invalid_param("Param to must be at most 20 digits long.", "(#100) Invalid parameter")
    else:
        if not isinstance(recipient, str) or not recipient or len(recipient) > 64:
            raise invalid_param("Param recipient must be a business-scoped user id.", "(#100) Invalid parameter")
        req.to_input = recipient
        req.recipient_user_id = recipient
    bod = body.get("biz_opaque_callback_data")
    if bod is not None and (not isinstance(bod, str) or len(bod) > 512):
        raise invalid_param("Param biz_opaque_callback_data must be a string of at most 512 characters.")
    if "context" in body:
        ctx = _obj(body["context"], "context")
        _keys(ctx, {"message_id"}, "context")
        req.context_id = _str(ctx, "message_id", "context", max_len=256)
    if mtype not in body:
        raise invalid_param(f"The parameter {mtype} is required.", f"(#100) The parameter {mtype} is required.")
    payload = body[mtype] if mtype == "contacts" else _obj(body[mtype], mtype)
    if mtype == "text":
        _keys(payload, {"body", "preview_url"}, "text")
        _str(payload, "body", "text", max_len=4096, min_len=1)
        if "preview_url" in payload and not isinstance(payload["preview_url"], bool):
            raise invalid_param("Param text['preview_url'] must be a boolean.")
    elif mtype == "interactive":
        _check_interactive(payload)
    elif mtype == "template":
        req.template = _check_template(payload, templates)
    elif mtype in MEDIA_TYPES:
        _check_media(payload, mtype)
    elif mtype == "location":
        _check_location(payload)
    elif mtype == "reaction":
        _keys(payload, {"message_id", "emoji"}, "reaction")
        req.message_id = _str(payload, "message_id", "reaction", max_len=256, min_len=1)
        _str(payload, "emoji", "reaction", required=False, max_len=16)
    elif mtype == "contacts":
        _check_contacts(body["contacts"])
    return req


def _parse_read(body: dict[str, Any]) -> SendRequest:
    if body["status"] != "read":
        raise invalid_param("Param status must be one of {READ}", "(#100) Invalid parameter")
    _keys(body, {"messaging_product", "status", "message_id", "typing_indicator", "recipient_type"}, "message")
    message_id = _str(body, "message_id", "message", max_len=256, min_len=1)
    req = SendRequest(kind="read", type="read", body=body, message_id=message_id)
    if "typing_indicator" in body:
        ti = _obj(body["typing_indicator"], "typing_indicator")
        _keys(ti, {"type"}, "typing_indicator")
        if ti.get("type") != "text":
            raise invalid_param("Param typing_indicator['type'] must be one of {TEXT}", "(#100) Invalid parameter")
        req.typing = True
    return req


def _check_header(header: Any, allowed: tuple[str, ...]) -> None:
    h = _obj(header, "interactive['header']")
    htype = h.get("type")
    if htype not in allowed:
        raise invalid_param(f"Param interactive['header']['type'] must be one of {{{', '.join(allowed)}}}")
    _keys(h, {"type", htype}, "interactive['header']")
    if htype == "text":
        _str(h, "text", "interactive['header']", max_len=60, min_len=1)
    else:
        _check_media(_obj(h.get(htype), f"interactive['header']['{htype}']"), htype)


def _check_body_footer(payload: dict[str, Any], body_max: int, body_required: bool = True) -> None:
    if "body" in payload or body_required:
        body = _obj(payload.get("body"), "interactive['body']")
        _keys(body, {"text"}, "interactive['body']")
        _str(body, "text", "interactive['body']", max_len=body_max, min_len=1)
    if "footer" in payload:
        footer = _obj(payload["footer"], "interactive['footer']")
        _keys(footer, {"text"}, "interactive['footer']")
        _str(footer, "text", "interactive['footer']", max_len=60, min_len=1)


INTERACTIVE_TYPES = ("button", "list", "cta_url", "flow", "location_request_message", "product", "product_list")


def _check_interactive(payload: dict[str, Any]) -> None:
    itype = payload.get("type")
    _keys(payload, {"type", "header", "body", "footer", "action"}, "interactive")
    if itype not in INTERACTIVE_TYPES:
        raise invalid_param(
            f"Param interactive['type'] must be one of {{{', '.join(t.upper() for t in INTERACTIVE_TYPES)}}}",
            "(#100) Invalid parameter",
        )
    action = _obj(payload.get("action"), "interactive['action']")
    if itype == "flow":
        _check_flow(payload, action)
    elif itype == "location_request_message":
        _check_location_request(payload, action)
    elif itype in ("product", "product_list"):
        _check_product(payload, action, itype)
    elif itype == "button":
        if "header" in payload:
            _check_header(payload["header"], ("text", "image", "video", "document"))
        _check_body_footer(payload, 1024)
        _keys(action, {"buttons"}, "interactive['action']")
        buttons = _list(action, "buttons", "interactive['action']")
        if not 1 <= len(buttons) <= 3:
            raise param_invalid(f"Number of buttons invalid. Min: 1, Max: 3, got {len(buttons)}")
        titles: set[str] = set()
        ids: set[str] = set()
        for i, b in enumerate(buttons):
            path = f"interactive['action']['buttons'][{i}]"
            b = _obj(b, path)
            _keys(b, {"type", "reply"}, path)
            if b.get("type") != "reply":
                raise invalid_param(f"Param {path}['type'] must be one of {{REPLY}}")
            reply = _obj(b.get("reply"), f"{path}['reply']")
            _keys(reply, {"id", "title"}, f"{path}['reply']")
            title, bid = reply.get("title"), reply.get("id")
            if not isinstance(title, str) or not 1 <= len(title) <= 20:
                raise param_invalid("Button title length invalid. Min length: 1, Max length: 20")
            if not isinstance(bid, str) or not 1 <= len(bid) <= 256:
                raise param_invalid("Button id length invalid. Min length: 1, Max length: 256")
            if title in titles:
                raise param_invalid("Button title is not unique: buttons must have unique titles")
            if bid in ids:
                raise param_invalid("Button id is not unique: buttons must have unique ids")
            titles.add(title)
            ids.add(bid)
    elif itype == "list":
        if "header" in payload:
            _check_header(payload["header"], ("text",))
        _check_body_footer(payload, 4096)
        _keys(action, {"button", "sections"}, "interactive['action']")
        _str(action, "button", "interactive['action']", max_len=20, min_len=1)
        sections = _list(action, "sections", "interactive['action']")
        if not 1 <= len(sections) <= 10:
            raise param_invalid(f"Invalid number of sections. Min: 1, Max: 10, got {len(sections)}")
        rows_total = 0
        row_ids: set[str] = set()
        for i, s in enumerate(sections):
            path = f"interactive['action']['sections'][{i}]"
            s = _obj(s, path)
            _keys(s, {"title", "rows"}, path)
            _str(s, "title", path, required=len(sections) > 1, max_len=24, min_len=1)
            rows = _list(s, "rows", path)
            for j, r in enumerate(rows):
                rpath = f"{path}['rows'][{j}]"
                r = _obj(r, rpath)
                _keys(r, {"id", "title", "description"}, rpath)
                rid = _str(r, "id", rpath, max_len=200, min_len=1)
                _str(r, "title", rpath, max_len=24, min_len=1)
                _str(r, "description", rpath, required=False, max_len=72)
                if rid in row_ids:
                    raise param_invalid("Row id is not unique: rows must have unique ids")
                row_ids.add(rid or "")
            rows_total += len(rows)
        if not 1 <= rows_total <= 10:
            raise param_invalid(f"Invalid number of rows. Min: 1, Max: 10 in total, got {rows_total}")
    elif itype == "cta_url":
        if "header" in payload:
            _check_header(payload["header"], ("text", "image", "video", "document"))
        _check_body_footer(payload, 1024)
        _keys(action, {"name", "parameters"}, "interactive['action']")
        if action.get("name") != "cta_url":
            raise invalid_param("Param interactive['action']['name'] must be cta_url")
        params = _obj(action.get("parameters"), "interactive['action']['parameters']")
        _keys(params, {"display_text", "url"}, "interactive['action']['parameters']")
        _str(params, "display_text", "interactive['action']['parameters']", max_len=20, min_len=1)
        url = _str(params, "url", "interactive['action']['parameters']", max_len=2000)
        if not _URL.match(url or ""):
            raise param_invalid("Invalid URL in interactive['action']['parameters']['url']")


def _no_key(payload: dict[str, Any], key: str, itype: str) -> None:
    if key in payload:
        raise invalid_param(
            f"Param interactive['{key}'] is not allowed for interactive type {itype}.",
            f'(#100) Unexpected key "{key}" on param "interactive".',
        )


def _check_flow(payload: dict[str, Any], action: dict[str, Any]) -> None:
    """Flow messages (Meta: Flows > sending a Flow; limits as in whatsapp-api-js `ActionFlow`)."""
    if "header" in payload:
        _check_header(payload["header"], ("text",))
    _check_body_footer(payload, 1024)
    _keys(action, {"name", "parameters"}, "interactive['action']")
    if action.get("name") != "flow":
        raise invalid_param("Param interactive['action']['name'] must be flow")
    where = "interactive['action']['parameters']"
    params = _obj(action.get("parameters"), where)
    _keys(
        params,
        {
            "flow_message_version",
            "flow_token",
            "flow_id",
            "flow_name",
            "flow_cta",
            "flow_action",
            "flow_action_payload",
            "mode",
        },
        where,
    )
    if params.get("flow_message_version") != "3":
        raise invalid_param(f"Param {where}['flow_message_version'] must be one of {{3}}")
    if ("flow_id" in params) == ("flow_name" in params):
        raise invalid_param(f"Param {where} must have exactly one of flow_id or flow_name.")
    _str(params, "flow_id", where, required=False, max_len=64, min_len=1)
    _str(params, "flow_name", where, required=False, max_len=200, min_len=1)
    _str(params, "flow_token", where, required=False, max_len=200, min_len=1)
    _str(params, "flow_cta", where, max_len=30, min_len=1)
    flow_action = params.get("flow_action", "navigate")
    if flow_action not in ("navigate", "data_exchange"):
        raise invalid_param(f"Param {where}['flow_action'] must be one of {{NAVIGATE, DATA_EXCHANGE}}")
    if params.get("mode", "published") not in ("draft", "published"):
        raise invalid_param(f"Param {where}['mode'] must be one of {{DRAFT, PUBLISHED}}")
    if flow_action == "navigate" and "flow_action_payload" in params:
        fap = _obj(params["flow_action_payload"], f"{where}['flow_action_payload']")
        _keys(fap, {"screen", "data"}, f"{where}['flow_action_payload']")
        _str(fap, "screen", f"{where}['flow_action_payload']", min_len=1, max_len=200)
        if "data" in fap and (not isinstance(fap["data"], dict) or not fap["data"]):
            raise invalid_param(f"Param {where}['flow_action_payload']['data'] must be a non-empty JSON object.")
    elif flow_action == "data_exchange" and "flow_action_payload" in params:
        raise invalid_param(f"Param {where}['flow_action_payload'] is only allowed with flow_action navigate.")


def _check_location_request(payload: dict[str, Any], action: dict[str, Any]) -> None:
    """Body text and a send-location button only (Meta: messages/location-request-messages, body <= 1024)."""
    _no_key(payload, "header", "location_request_message")
    _no_key(payload, "footer", "location_request_message")
    _check_body_footer(payload, 1024)
    _keys(action, {"name"}, "interactive['action']")
    if action.get("name") != "send_location":
        raise invalid_param("Param interactive['action']['name'] must be send_location")


def _check_product(payload: dict[str, Any], action: dict[str, Any], itype: str) -> None:
    """Single- and multi-product messages (Meta: catalogs/single-product-messages, share-products):
    product has an optional body and no header; product_list needs a text header and a body, 1-10
    sections and at most 30 products in all."""
    where = "interactive['action']"
    _str(action, "catalog_id", where, max_len=64, min_len=1)
    if itype == "product":
        _no_key(payload, "header", itype)
        _check_body_footer(payload, 1024, body_required=False)
        _keys(action, {"catalog_id", "product_retailer_id"}, where)
        _str(action, "product_retailer_id", where, max_len=100, min_len=1)
        return
    if "header" not in payload:
        raise invalid_param("The parameter interactive['header'] is required.")
    _check_header(payload["header"], ("text",))
    _check_body_footer(payload, 1024)
    _keys(action, {"catalog_id", "sections"}, where)
    sections = _list(action, "sections", where)
    if not 1 <= len(sections) <= 10:
        raise param_invalid(f"Invalid number of sections. Min: 1, Max: 10, got {len(sections)}")
    total = 0
    for i, sec in enumerate(sections):
        path = f"{where}['sections'][{i}]"
        sec = _obj(sec, path)
        _keys(sec, {"title", "product_items"}, path)
        _str(sec, "title", path, required=len(sections) > 1, max_len=24, min_len=1)
        items = _list(sec, "product_items", path)
        if not items:
            raise param_invalid(f"{path}['product_items'] must hold at least 1 product")
        for j, item in enumerate(items):
            ipath = f"{path}['product_items'][{j}]"
            item = _obj(item, ipath)
            _keys(item, {"product_retailer_id"}, ipath)
            _str(item, "product_retailer_id", ipath, max_len=100, min_len=1)
        total += len(items)
    if total > 30:
        raise param_invalid(f"Invalid number of products. Max: 30 in total, got {total}")


def _check_media(payload: dict[str, Any], mtype: str) -> None:
    allowed = {"id", "link", "caption", "filename"}
    if mtype == "audio":
        # `voice: true` sends an OGG/Opus file as a voice message (Meta: messages/audio-messages).
        allowed = {"id", "link", "voice"}
    elif mtype == "sticker":
        allowed = {"id", "link"}
    elif mtype != "document":
        allowed = {"id", "link", "caption"}
    _keys(payload, allowed, mtype)
    has_id, has_link = "id" in payload, "link" in payload
    if has_id == has_link:
        raise invalid_param(f"Param {mtype} must have exactly one of id or link.", "(#100) Invalid parameter")
    if has_id:
        _str(payload, "id", mtype, max_len=64, min_len=1)
    else:
        link = _str(payload, "link", mtype, max_len=2000)
        if not _URL.match(link or ""):
            raise param_invalid(f"Invalid URL in {mtype}['link']: it must be an http(s) URL")
    _str(payload, "caption", mtype, required=False, max_len=1024)
    _str(payload, "filename", mtype, required=False, max_len=240)
    if "voice" in payload and not isinstance(payload["voice"], bool):
        raise invalid_param(f"Param {mtype}['voice'] must be a boolean.")


def _check_location(payload: dict[str, Any]) -> None:
    _keys(payload, {"latitude", "longitude", "name", "address"}, "location")
    for key, bound in (("latitude", 90), ("longitude", 180)):
        value = payload.get(key)
        if value is None:
            raise invalid_param(f"The parameter location['{key}'] is required.")
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                value = None
        if isinstance(value, bool) or not isinstance(value, int | float) or not -bound <= value <= bound:
            raise param_invalid(f"Param location['{key}'] must be a number between -{bound} and {bound}")
    _str(payload, "name", "location", required=False, max_len=1000)
    _str(payload, "address", "location", required=False, max_len=1000)


def _check_contacts(contacts: Any) -> None:
    if not isinstance(contacts, list) or not contacts:
        raise invalid_param("Param contacts must be a non-empty array.")
    for i, c in enumerate(contacts):
        c = _obj(c, f"contacts[{i}]")
        name = _obj(c.get("name"), f"contacts[{i}]['name']")
        _str(name, "formatted_name", f"contacts[{i}]['name']", max_len=1000, min_len=1)


def _check_template(payload: dict[str, Any], templates: list[Template]) -> Template:
    _keys(payload, {"name", "language", "components", "namespace"}, "template")
    name = _str(payload, "name", "template", max_len=512, min_len=1)
    lang = _obj(payload.get("language"), "template['language']")
    _keys(lang, {"code", "policy"}, "template['language']")
    code = _str(lang, "code", "template['language']", max_len=15, min_len=2)
    tpl = next((t for t in templates if t.name == name and t.language == code), None)
    if tpl is None:
        raise GraphError(
            132001,
            message="(#132001) Template name does not exist in the translation",
            details=f"template name ({name}) does not exist in {code}",
        )
    if tpl.status in ("PENDING", "REJECTED"):
        # Only approved templates can be sent; Meta answers as if the translation did not exist.
        raise GraphError(
            132001,
            message="(#132001) Template name does not exist in the translation",
            details=f"template name ({name}) does not exist in {code}",
        )
    if tpl.status == "PAUSED":
        raise GraphError(132015, details=f"Template {name} is paused due to low quality, so it cannot be sent.")
    if tpl.status == "DISABLED":
        raise GraphError(132016, details=f"Template {name} has been disabled due to low quality.")
    counts = {"header": 0, "body": 0}
    for i, comp in enumerate(_list(payload, "components", "template", required=False)):
        path = f"template['components'][{i}]"
        comp = _obj(comp, path)
        _keys(comp, {"type", "sub_type", "index", "parameters"}, path)
        ctype = comp.get("type")
        if ctype not in ("header", "body", "button"):
            raise invalid_param(f"Param {path}['type'] must be one of {{HEADER, BODY, BUTTON}}")
        params = _list(comp, "parameters", path, required=False)
        for j, p in enumerate(params):
            ppath = f"{path}['parameters'][{j}]"
            p = _obj(p, ppath)
            ptype = p.get("type")
            if ptype not in ("text", "currency", "date_time", "image", "document", "video", "payload", "location"):
                raise invalid_param(f"Param {ppath}['type'] is not a valid parameter type")
            if ptype == "text":
                _str(p, "text", ppath, max_len=32768)
        if ctype in counts:
            counts[ctype] += len(params)
    for ctype, expected in (("header", tpl.header_params), ("body", tpl.body_params)):
        if counts[ctype] != expected:
            raise GraphError(
                132000,
                details=f"{ctype}: number of localizable_params ({counts[ctype]}) does not match the expected "
                f"number of params ({expected})",
            )
    return tpl
