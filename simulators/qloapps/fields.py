"""Fields of generic resources as `$definition`/`$webserviceParameters` declare them, and how XML bodies fill them.

Validate::* subsets (classes/Validate.php) and the write rules of saveEntityFromXml
(classes/webservice/WebserviceRequest.php:1386-1545).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element

from simulators.qloapps.config import SimConfig
from simulators.qloapps.errors import WsError
from simulators.qloapps.protocol import SchemaAssoc
from simulators.qloapps.state import Backend
from simulators.qloapps.wire import Rendered

_NAME_BAD = re.compile(r"[0-9!<>,;?=+()@#\"°{}_$%:]")
_EMAIL = re.compile(
    r"^[a-zÀ-ÿ0-9!#$%&'*+/=?^`{}|~_-]+[.a-zÀ-ÿ0-9!#$%&'*+/=?^`{}|~_-]*@[a-zÀ-ÿ0-9]+(?:[.]?[_a-zÀ-ÿ0-9-])*\.[a-zÀ-ÿ0-9]+$",
    re.I,
)
_PHONE = re.compile(r"^\+?[\s\d.()-]*\d+$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})( (\d{2}):(\d{2}):(\d{2}))?$")


def is_date(value: str) -> bool:
    """Validate::isDate: YYYY-MM-DD with optional ` HH:MM:SS`, and a real calendar day (no 2026-02-30)."""
    m = _DATE.match(value)
    if not m:
        return False
    if value.startswith("0000-00-00"):
        return True
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def parse_date(value: str) -> date | None:
    """A stay date (`Y-m-d` or `Y-m-d H:i:s`) as a date, None if Validate::isDate refuses it."""
    if not is_date(value) or value.startswith("0000"):
        return None
    return date.fromisoformat(value[:10])


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "isUnsignedId": lambda v: v.isdigit(),
    "isUnsignedInt": lambda v: v.isdigit(),
    "isInt": lambda v: re.fullmatch(r"[+-]?\d+", v) is not None,
    "isBool": lambda v: v in ("0", "1", "true", "false", ""),
    "isPrice": lambda v: re.fullmatch(r"\d{1,10}(\.\d{1,9})?", v) is not None,
    "isNegativePrice": lambda v: re.fullmatch(r"-?\d{1,10}(\.\d{1,9})?", v) is not None,
    "isFloat": lambda v: re.fullmatch(r"[+-]?\d+(\.\d+)?", v) is not None,
    "isDate": is_date,
    "isBirthDate": lambda v: v in ("", "0000-00-00") or is_date(v),
    "isEmail": lambda v: _EMAIL.match(v) is not None,
    "isName": lambda v: _NAME_BAD.search(v) is None and v.strip() != "",
    "isPasswd": lambda v: len(v) >= 5,
    "isPhoneNumber": lambda v: _PHONE.match(v) is not None,
    "isGenericName": lambda v: re.search(r"[<>={}]", v) is None,
    "isCleanHtml": lambda v: re.search(r"<\s*script", v, re.I) is None,
    "isString": lambda v: True,
    "isAddress": lambda v: re.search(r"[!<>?=+@{}_$%]", v) is None,
    "isCityName": lambda v: re.search(r"[!<>;?=+@#\"°{}_$%]", v) is None,
    "isPostCode": lambda v: re.fullmatch(r"[a-zA-Z 0-9-]*", v) is not None,
    "isMessage": lambda v: re.search(r"[<>{}]", v) is None,
    "isHotelTime": lambda v: re.fullmatch(r"\d{1,2}:\d{2}", v) is not None,
}


@dataclass(frozen=True)
class FieldDef:
    """One field of a resource as `$definition` / `$webserviceParameters` declare it."""

    name: str
    validate: str = "isString"
    required: bool = False
    i18n: bool = False
    href: str | None = None  # resource the value points at (xlink)
    read_only: bool = False
    getter: bool = False  # computed by a getter: displayed, never filterable or sortable
    max_size: int | None = None
    writable: bool = True  # False for `'setter' => false` in $webserviceParameters: code 93 when sent


def F(name: str, validate: str = "isString", **kw: Any) -> FieldDef:  # noqa: N802 - table-like declarations
    return FieldDef(name, validate, **kw)


@dataclass
class ResourceDef:
    """A generic webservice resource over one Backend table."""

    name: str
    node: str  # item node; the list node is `plural`
    plural: str
    class_name: str
    fields: list[FieldDef]
    table: Callable[[Backend], dict[int, Any]]
    render: Callable[[Backend, Any], Rendered]
    methods: frozenset[str] = frozenset({"GET", "HEAD"})
    create: Callable[[Backend, dict[str, str], Element], Any] | None = None
    update: Callable[[Backend, Any, dict[str, str], Element], Any] | None = None
    delete: Callable[[Backend, int], None] | None = None
    # Exact-match fast paths: field -> (backend, lowered value) -> candidate ids (filters then run on those only).
    indexes: dict[str, Callable[[Backend, str], Iterable[int]]] = field(default_factory=dict)
    description: str = ""
    href_base: str | None = None  # resource name used in list xlinks (room_bookings: "bookings", a real quirk)
    schema_assocs: list[SchemaAssoc] = field(default_factory=list)  # associations a blank schema lists

    @property
    def field_names(self) -> list[str]:
        return ["id"] + [f.name for f in self.fields]

    def fielddef(self, name: str) -> FieldDef | None:
        if name == "id":
            return FieldDef("id", "isUnsignedId", read_only=True)
        return next((f for f in self.fields if f.name == name), None)


# ---- reading values out of an XML entity --------------------------------------------------------------------


def xml_fields(entity: Element, rdef: ResourceDef) -> dict[str, str]:
    """Field -> raw text of the fields present in the body (i18n: the language 1 value, else the first)."""
    out: dict[str, str] = {}
    for child in entity:
        if child.tag == "associations":
            continue
        fd = rdef.fielddef(child.tag)
        if fd is None:
            continue  # QloApps ignores nodes that are not fields of the resource
        if fd.i18n:
            langs = list(child)
            chosen = next((x for x in langs if x.get("id") == "1"), langs[0] if langs else None)
            out[child.tag] = (chosen.text or "").strip() if chosen is not None else (child.text or "").strip()
        else:
            out[child.tag] = (child.text or "").strip()
    return out


def check_fields(rdef: ResourceDef, values: dict[str, str], config: SimConfig) -> None:
    """saveEntityFromXml, for POST and PUT alike (a PUT replaces the record, it does not merge).

    A non-writable field in the body is refused with 93, an absent required one with 41
    (WebserviceRequest.php:1445-1464); then ObjectModel::validateFields gives 85, or 84 for a translated field
    (WebserviceRequest.php:1486-1491; classes/ObjectModel.php:1030, 1064, 1090).
    """
    for fd in rdef.fields:
        if fd.read_only or fd.i18n:
            continue
        if fd.name in values and not fd.writable:
            raise WsError(400, 93, f'parameter "{fd.name}" not writable. Please remove this attribute of this XML')
        if fd.name not in values and required(rdef, fd, config):
            raise WsError(400, 41, f'parameter "{fd.name}" required')
    if rdef.class_name == "Customer" and config.phone_required:
        # Customer::validateFields with PS_ONE_PHONE_AT_LEAST (classes/Customer.php:213-223).
        phone = values.get("phone", "").strip()
        if not phone:
            raise WsError(400, 85, 'Validation error: "Phone is required field."')
        if not VALIDATORS["isPhoneNumber"](phone):
            raise WsError(400, 85, 'Validation error: "Invalid phone."')
    for fd in rdef.fields:
        if fd.read_only:
            continue
        v = values.get(fd.name, "")
        code = 84 if fd.i18n else 85
        if v == "":
            if fd.required:
                raise WsError(400, code, f'Validation error: "Property {rdef.class_name}->{fd.name} is empty"')
            continue
        if not VALIDATORS.get(fd.validate, VALIDATORS["isString"])(v):
            raise WsError(400, code, f'Validation error: "Property {rdef.class_name}->{fd.name} is not valid"')
        if fd.max_size and len(v) > fd.max_size:
            raise WsError(400, code, f'Validation error: "Property {rdef.class_name}->{fd.name} length ({len(v)}) '
                                     f'must be between 0 and {fd.max_size}"')  # fmt: skip


def required(rdef: ResourceDef, fd: FieldDef, config: SimConfig) -> bool:
    """Required by `$definition`, or the customer phone on a default install (Customer::__construct, :205-210)."""
    return fd.required or (rdef.class_name == "Customer" and fd.name == "phone" and config.phone_required)
