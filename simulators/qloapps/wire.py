"""Bytes on the wire: XML bodies in, `<qloapps>` XML or QloApps-shaped JSON out, error envelopes, headers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus
from xml.etree.ElementTree import Element

import orjson
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from simulators.qloapps.errors import WsError

PSWS_VERSION = "1.6.1.23"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<qloapps xmlns:xlink="http://www.w3.org/1999/xlink">\n'
XML_TAIL = "</qloapps>\n"


# ---- values -------------------------------------------------------------------------------------------------


def scalar(value: Any) -> str:
    """A field value as QloApps prints it: prices with 6 decimals, booleans 1/0, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return f"{value:.6f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_escape_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


# ---- entities as rendered ---------------------------------------------------------------------------------


@dataclass
class Assoc:
    """An association block: `<groups nodeType="group" api="groups"><group xlink:href=...><id>..`."""

    name: str
    node_type: str
    api: str | None
    items: list[dict[str, Any]]


@dataclass
class Rendered:
    """One entity ready for output: ordered field values, which are i18n or foreign keys, associations."""

    values: dict[str, Any]
    i18n: set[str] = field(default_factory=set)
    hrefs: dict[str, str] = field(default_factory=dict)  # field -> resource it points at
    assocs: list[Assoc] = field(default_factory=list)


def xml_entity(node: str, r: Rendered, api_url: str, lang_ids: Iterable[int], *, fields: list[str] | None,
               with_assocs: bool, attrs: str = "") -> str:  # fmt: skip
    """`<node>` with its fields as tab-indented CDATA lines, i18n `<language>` children and xlinks."""
    out = [f"<{node}{attrs}>\n"]
    names = fields if fields is not None else list(r.values)
    for name in names:
        value = r.values.get(name)
        if name in r.i18n:
            out.append(f"\t<{name}>\n")
            for lid in lang_ids:
                text = scalar(value)
                body = cdata(text) if text != "" else ""
                out.append(f'\t\t<language id="{lid}" xlink:href="{api_url}languages/{lid}">{body}</language>\n')
            out.append(f"\t</{name}>\n")
            continue
        text = scalar(value)
        href = r.hrefs.get(name)
        attr = f' xlink:href="{api_url}{href}/{text}"' if href and text not in ("", "0") else ""
        out.append(f"\t<{name}{attr}>{cdata(text) if text != '' else ''}</{name}>\n")
    if with_assocs and r.assocs:
        out.append("\t<associations>\n")
        for a in r.assocs:
            api = f' api="{a.api}"' if a.api else ""
            out.append(f'\t\t<{a.name} nodeType="{a.node_type}"{api}>\n')
            for item in a.items:
                href = f' xlink:href="{api_url}{a.api}/{item["id"]}"' if a.api and "id" in item else ""
                out.append(f"\t\t\t<{a.node_type}{href}>\n")
                for k, v in item.items():
                    out.append(f"\t\t\t\t<{k}>{cdata(scalar(v))}</{k}>\n")
                out.append(f"\t\t\t</{a.node_type}>\n")
            out.append(f"\t\t</{a.name}>\n")
        out.append("\t</associations>\n")
    out.append(f"</{node}>\n")
    return "".join(out)


def json_entity(r: Rendered, *, fields: list[str] | None, with_assocs: bool) -> dict[str, Any]:
    """WebserviceOutputJSON: `id` as a number, every other value a string; associations as lists of objects."""
    names = fields if fields is not None else list(r.values)
    out: dict[str, Any] = {}
    for name in names:
        value = r.values.get(name)
        out[name] = int(value) if name == "id" and value not in (None, "") else scalar(value)
    if with_assocs and r.assocs:
        out["associations"] = {a.name: [{k: scalar(v) for k, v in item.items()} for item in a.items] for a in r.assocs}
    return out


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


# ---- errors -------------------------------------------------------------------------------------------------


def error_body(errors: list[tuple[int, str]], as_json: bool) -> bytes:
    """The webservice error envelope in XML or JSON."""
    if as_json:
        return orjson.dumps({"errors": [{"code": c, "message": m} for c, m in errors]})
    parts = [XML_HEAD, "<errors>\n"]
    for code, message in errors:
        parts.append(f"<error>\n<code>{cdata(str(code))}</code>\n<message>{cdata(message)}</message>\n</error>\n")
    parts.append("</errors>\n")
    parts.append(XML_TAIL)
    return "".join(parts).encode()


# ---- request bodies -----------------------------------------------------------------------------------------

XML_PARSE_ERROR = "XML error : String could not be parsed as XML"


def strip_xml_prefix(body: bytes) -> bytes:
    """PSWebServiceLibrary posts `xml=<urlencoded>`: QloApps accepts it."""
    if body[:4] == b"xml=":
        return unquote_plus(body[4:].decode("utf-8", errors="replace")).encode()
    return body


def parse_xml(body: bytes) -> Element:
    """The root element of an XML body, or the 500 code 127 error QloApps gives for anything else (JSON too)."""
    body = strip_xml_prefix(body)
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException, ValueError, UnicodeDecodeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WsError(500, 127, f"{XML_PARSE_ERROR}\n{detail}") from None
    return root


def element_to_obj(el: Element) -> Any:
    """XML to nested dicts: leaves become text, repeated tags become lists (for the bookings resource)."""
    children = list(el)
    if not children:
        return (el.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        value = element_to_obj(child)
        if child.tag in out:
            prev = out[child.tag]
            if isinstance(prev, list) and getattr(prev, "_repeated", False):
                prev.append(value)
            else:
                lst = _RepeatedList([prev, value])
                out[child.tag] = lst
        else:
            out[child.tag] = value
    return out


class _RepeatedList(list):
    """A list built from repeated XML tags (so a later repeat appends instead of nesting)."""

    _repeated = True
