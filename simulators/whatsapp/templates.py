"""Business-management reads and writes: the phone-number node and the message-template registry (no HTTP).

Sources: the phone-number node fields from Meta's "WhatsApp Business Account Phone Number API" reference
(GET /{Version}/{Phone-Number-ID}: verified_name, code_verification_status, display_phone_number,
quality_rating, platform_type, throughput, id) and the `?fields=status` example on Meta's phone-numbers
page; the template node (name, components, language, status, category, id) from Meta's
graph-api/reference/whats-app-business-hsm page; create answers `{id, status, category}` as Meta's
template-management guide shows.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from simulators.whatsapp.config import BusinessNumber, SimSettings, Template, TemplateButton
from simulators.whatsapp.errors import GraphError, invalid_param
from simulators.whatsapp.state import calling_code, country_of

_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_PARAM = re.compile(r"\{\{\s*(\d+|[a-z_][a-z0-9_]*)\s*\}\}")
# Fields Meta's node has that the simulator leaves unset: Graph omits a field without a value.
UNSET_PHONE_FIELDS = {
    "conversational_automation",
    "quality_score",
    "webhook_configuration",
    "new_name_status",
    "search_visibility",
    "eligibility_for_api_business_global_search",
    "health_status",
    "certificate",
    "new_certificate",
    "last_onboarded_time",
    "whatsapp_business_manager_messaging_limit",
}
PHONE_FIELDS = (
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "id",
)


def display_number(digits: str) -> str:
    """Graph's display form of a number: `+1 555-078-3881` for NANP, `+CC rest` otherwise."""
    if digits.startswith("1") and len(digits) == 11:
        return f"+1 {digits[1:4]}-{digits[4:7]}-{digits[7:]}"
    for n in (3, 2):
        if digits[:n] in ("34", "44", "33", "49", "39", "351", "52", "51"):
            return f"+{digits[:n]} {digits[n:]}"
    return f"+{digits}"


def phone_number_node(number: BusinessNumber, fields: str | None) -> dict[str, Any]:
    """The phone-number node; `fields` (comma separated) narrows it as Graph does, `id` always included."""
    full: dict[str, Any] = {
        "verified_name": number.verified_name,
        "code_verification_status": number.code_verification_status,
        "display_phone_number": display_number(number.display_phone_number),
        "quality_rating": number.quality_rating,
        "platform_type": "CLOUD_API",
        "throughput": {"level": "HIGH" if number.throughput_mps >= 1000 else "STANDARD"},
        "status": "CONNECTED",
        "name_status": "APPROVED",
        "messaging_limit_tier": "TIER_1K",
        "account_mode": "LIVE",
        "is_official_business_account": False,
        "is_pin_enabled": False,
        "is_on_biz_app": False,
        "is_preverified_number": False,
        "country_dial_code": calling_code(number.display_phone_number) or "",
        "country_code": country_of(number.display_phone_number),
        "id": number.phone_number_id,
    }
    if not fields:
        return {k: full[k] for k in PHONE_FIELDS}
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in full and f not in UNSET_PHONE_FIELDS]
    if unknown:
        raise GraphError(
            100,
            message=f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type "
            "(WhatsAppBusinessPhoneNumber)",
        )
    node = {k: full[k] for k in wanted if k in full}
    node["id"] = number.phone_number_id
    return node


def template_id(tpl: Template) -> str:
    """A stable numeric Graph id for a template (name + language)."""
    return str(10**15 + zlib.crc32(f"{tpl.name}:{tpl.language}".encode()))


def template_node(tpl: Template) -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    if tpl.header:
        components.append({"type": "HEADER", "format": "TEXT", "text": tpl.header})
    body: dict[str, Any] = {"type": "BODY", "text": tpl.body}
    if tpl.body_params:
        # Meta keeps the sample values given at creation; registry templates get placeholders.
        samples = tpl.examples or [f"example {i + 1}" for i in range(tpl.body_params)]
        if tpl.parameter_format == "NAMED":
            names = list(dict.fromkeys(_PARAM.findall(tpl.body)))
            named = [{"param_name": n, "example": v} for n, v in zip(names, samples, strict=False)]
            body["example"] = {"body_text_named_params": named}
        else:
            body["example"] = {"body_text": [samples]}
    components.append(body)
    if tpl.footer:
        components.append({"type": "FOOTER", "text": tpl.footer})
    if tpl.buttons:
        components.append({"type": "BUTTONS", "buttons": [{"type": b.type, "text": b.text} for b in tpl.buttons]})
    return {
        "name": tpl.name,
        "components": components,
        "language": tpl.language,
        "status": tpl.status,
        "category": tpl.category.upper(),
        # POSITIONAL ({{1}}) or NAMED ({{name}}): Meta's template node field, read by pywa.
        "parameter_format": tpl.parameter_format,
        "id": tpl.id or template_id(tpl),
    }


def list_templates(templates: list[Template], query: Mapping[str, str]) -> dict[str, Any]:
    """GET message_templates with the `name`, `status`, `language`, `category` filters and `limit`."""
    out = []
    for tpl in templates:
        node = template_node(tpl)
        if "name" in query and query["name"] not in tpl.name:
            continue
        if "status" in query and query["status"].upper() != tpl.status:
            continue
        if "language" in query and query["language"] != tpl.language:
            continue
        if "category" in query and query["category"].upper() != node["category"]:
            continue
        out.append(node)
    try:
        limit = int(query.get("limit", "25"))
    except ValueError as exc:
        raise invalid_param("Param limit must be an integer.") from exc
    page: dict[str, Any] = {"data": out[: max(1, limit)], "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}}
    if query.get("summary"):
        # Graph adds the requested aggregates under `summary` (a WABA holds at most 250 templates).
        known = {
            "total_count": len(out),
            "message_template_count": len(templates),
            "message_template_limit": 250,
            "are_translations_complete": True,
        }
        page["summary"] = {k: known[k] for k in query["summary"].split(",") if k in known}
    return page


def _params_in(text: str) -> int:
    return len(set(_PARAM.findall(text)))


def _body_examples(example: Any, named: bool) -> list[str]:
    """Samples of the body variables: `body_text: [[...]]`, or `body_text_named_params: [{param_name, example}]`."""
    if not isinstance(example, dict):
        return []
    if named:
        items = example.get("body_text_named_params")
        return [str(i.get("example")) for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    rows = example.get("body_text")
    return [str(v) for v in rows[0]] if isinstance(rows, list) and rows and isinstance(rows[0], list) else []


def create_template(settings: SimSettings, body: Any) -> Template:
    """Validate a create request and add it as PENDING (the review later approves it)."""
    if not isinstance(body, dict):
        raise invalid_param("The request body must be a JSON object.")
    name, language, category = body.get("name"), body.get("language"), body.get("category")
    if not isinstance(name, str) or not _NAME.match(name):
        raise invalid_param(
            "Param name must be at most 512 lowercase letters, digits and underscores.",
            "(#100) Invalid parameter",
        )
    if not isinstance(language, str) or not 2 <= len(language) <= 15:
        raise invalid_param("The parameter language is required.", "(#100) The parameter language is required.")
    if not isinstance(category, str) or category.upper() not in ("AUTHENTICATION", "MARKETING", "UTILITY"):
        raise invalid_param("Param category must be one of {AUTHENTICATION, MARKETING, UTILITY}")
    components = body.get("components")
    if not isinstance(components, list) or not components:
        raise invalid_param("The parameter components is required.", "(#100) The parameter components is required.")
    fmt = body.get("parameter_format", "POSITIONAL")
    if fmt not in ("POSITIONAL", "NAMED"):
        raise invalid_param("Param parameter_format must be one of {POSITIONAL, NAMED}")
    named = fmt == "NAMED"
    fields: dict[str, Any] = {"body": None, "header": "", "footer": "", "buttons": [], "examples": []}
    for i, comp in enumerate(components):
        if not isinstance(comp, dict) or not isinstance(comp.get("type"), str):
            raise invalid_param(f"Param components[{i}] must be a JSON object with a type.")
        ctype = comp["type"].upper()
        if ctype in ("BODY", "HEADER", "FOOTER"):
            text = comp.get("text", "")
            if not isinstance(text, str):
                raise invalid_param(f"Param components[{i}]['text'] must be a string.")
            fields[ctype.lower()] = text
            if ctype == "BODY":
                fields["examples"] = _body_examples(comp.get("example"), named)
        elif ctype == "BUTTONS":
            for b in comp.get("buttons") or []:
                btype = str(b.get("type", "")).upper() if isinstance(b, dict) else ""
                if btype not in ("QUICK_REPLY", "URL", "PHONE_NUMBER") or not isinstance(b.get("text"), str):
                    raise invalid_param(f"Param components[{i}]['buttons'] holds an invalid button: {b!r}")
                fields["buttons"].append(TemplateButton(type=btype, text=b["text"]))  # type: ignore[arg-type]
        else:
            raise invalid_param(f"Param components[{i}]['type'] must be one of {{BODY, HEADER, FOOTER, BUTTONS}}")
    if not fields["body"]:
        raise invalid_param("A template needs a BODY component with text.")
    if len(fields["body"]) > 1024:
        raise invalid_param("Param components BODY text must be at most 1024 characters long.")
    if len(fields["examples"]) != _params_in(fields["body"]):
        # Review needs a sample for every variable (Meta's template guidelines).
        where = "example.body_text_named_params" if named else "example.body_text"
        raise invalid_param(f"The BODY has {_params_in(fields['body'])} variables: give that many samples in {where}.")
    if any(t.name == name and t.language == language for t in settings.templates):
        # Meta refuses a second translation in the same language (error_subcode 2388024).
        raise GraphError(
            100,
            subcode=2388024,
            message="(#100) Invalid parameter",
            details=f"Message template {name} already has content in {language}; delete it or pick another name.",
        )
    try:
        tpl = Template(
            name=name,
            language=language,
            category=category.lower(),  # type: ignore[arg-type]
            status="PENDING",
            body=fields["body"],
            header=fields["header"],
            footer=fields["footer"],
            buttons=fields["buttons"],
            body_params=_params_in(fields["body"]),
            examples=fields["examples"],
            parameter_format=fmt,
            header_params=_params_in(fields["header"]),
        )
    except ValidationError as exc:
        raise invalid_param(f"Invalid template: {exc.errors()[0]['msg']}") from exc
    tpl.id = template_id(tpl)
    settings.templates.append(tpl)
    return tpl


def delete_templates(settings: SimSettings, query: Mapping[str, str]) -> dict[str, Any]:
    """DELETE message_templates?name=X[&hsm_id=Y]: every language of X, or the one with that id."""
    name = query.get("name")
    if not name:
        raise invalid_param("The parameter name is required.", "(#100) The parameter name is required.")
    hsm_id = query.get("hsm_id")
    keep, gone = [], []
    for tpl in settings.templates:
        match = tpl.name == name and (hsm_id is None or (tpl.id or template_id(tpl)) == hsm_id)
        (gone if match else keep).append(tpl)
    if not gone:
        raise invalid_param(
            f"Message template {name} not found; list them with GET message_templates.",
            "(#100) Invalid parameter",
        )
    settings.templates[:] = keep
    return {"name": name, "deleted": len(gone)}
