"""What every `/api/` handler shares: the request, the reply, the per-request context and schema rendering.

`api.py` (routing and generic resources), `ari.py` (`hotel_ari`) and `bookings_api.py` (`bookings`) each import
this module and never each other, as moto's `responses.py` modules share `BaseResponse`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from simulators.qloapps.wire import XML_HEAD, XML_TAIL, dumps

JSON_TYPE = "application/json"  # WebserviceOutputJSON::getContentType has no charset
XML_TYPE = "text/xml;charset=UTF-8"  # PHP appends default_charset to text/* types


@dataclass
class Request:
    """What the protocol layer needs from an HTTP request."""

    method: str
    path: str  # after /api/, without leading slash, e.g. "customers/3"
    query: dict[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    host: str = "127.0.0.1"


@dataclass
class Reply:
    """One webservice answer: status, body bytes, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    resource: str = ""
    has_errors: bool = False  # the body is an error list (no Content-Sha1), though the work may have been done


@dataclass
class Ctx:
    """Per-request facts every handler needs."""

    as_json: bool
    api_url: str
    method: str
    query: dict[str, str]
    body: bytes
    headers: Mapping[str, str]


def wants_json(req: Request) -> bool:
    """Io-Format > Output-Format > output_format > io_format; only the exact string `JSON` selects JSON.

    classes/webservice/WebserviceRequest.php:393-403 (getOutputObject).
    """
    for value in (
        req.headers.get("io-format"),
        req.headers.get("output-format"),
        req.query.get("output_format"),
        req.query.get("io_format"),
    ):
        if value is not None:
            return value == "JSON"
    return False


class SchemaField(Protocol):
    name: str
    validate: str
    required: bool
    i18n: bool
    read_only: bool
    max_size: int | None


@dataclass(frozen=True)
class SchemaAssoc:
    """An association in a blank or synopsis schema: `<groups><group><id/></group></groups>`."""

    name: str
    node_type: str
    fields: tuple[str, ...] = ("id",)


def schema_body(ctx: Ctx, node: str, fields: Sequence[SchemaField], kind: str,
                assocs: Sequence[SchemaAssoc] = ()) -> bytes:  # fmt: skip
    """`?schema=blank` (empty template) or `?schema=synopsis` (with required/maxSize/format/read_only).

    Both start with `<id/>` and end with the associations (WebserviceOutputBuilder.php:548-571, renderSchema).
    """
    if ctx.as_json:
        out: dict[str, object] = {"id": ""}
        out.update({f.name: "" for f in fields})
        if assocs:
            out["associations"] = {a.name: [{k: "" for k in a.fields}] for a in assocs}
        return dumps({node: out})
    lines = [XML_HEAD, f"<{node}>\n", "\t<id></id>\n"]
    for f in fields:
        attrs = ""
        if kind == "synopsis":
            if f.required:
                attrs += ' required="true"'
            if f.max_size:
                attrs += f' maxSize="{f.max_size}"'
            if f.validate and f.validate != "isString":
                attrs += f' format="{f.validate}"'
            if f.read_only:
                attrs += ' read_only="true"'
        if f.i18n:
            lang = f'<language id="1" xlink:href="{ctx.api_url}languages/1"></language>'
            lines.append(f"\t<{f.name}{attrs}>\n\t\t{lang}\n\t</{f.name}>\n")
        else:
            lines.append(f"\t<{f.name}{attrs}></{f.name}>\n")
    if assocs:
        lines.append("\t<associations>\n")
        for a in assocs:
            inner = "".join(f"<{k}></{k}>" for k in a.fields)
            lines.append(f'\t\t<{a.name} nodeType="{a.node_type}" api="{a.name}">\n')
            lines.append(f"\t\t\t<{a.node_type}>{inner}</{a.node_type}>\n\t\t</{a.name}>\n")
        lines.append("\t</associations>\n")
    lines.append(f"</{node}>\n")
    lines.append(XML_TAIL)
    return "".join(lines).encode()
