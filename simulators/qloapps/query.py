"""GET list parameters as QloApps reads them: `display`, `filter[...]`, `sort`, `limit` (manageFilters & co)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.qloapps.errors import WsError, did_you_mean
from simulators.qloapps.resources import ResourceDef
from simulators.qloapps.wire import scalar

_BETWEEN = re.compile(r"^([\d.:\- ]+),([\d.:\- ]+)$")
_SORT_ITEM = re.compile(r"^([a-z0-9_]+)_(ASC|DESC)$", re.I)
_LIMIT = re.compile(r"^(?:(\d+),)?(\d+)$")
_DISPLAY = re.compile(r"^\[([a-zA-Z0-9_,\[\]]*)\]$")


@dataclass
class Filter:
    field: str
    op: str  # eq | ne | gt | lt | between | like
    values: list[str]


@dataclass
class ListQuery:
    """A parsed list request; `display` is "minimum", "full" or a list of field names."""

    display: str | list[str] = "minimum"
    display_given: bool = False
    filters: list[Filter] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: tuple[int, int] | None = None


def parse_display(raw: str | None, rdef: ResourceDef, default: str) -> str | list[str]:
    if raw is None:
        return default
    if raw in ("full", "minimum"):
        return raw
    m = _DISPLAY.match(raw)
    if not m or not m.group(1):
        raise WsError(
            400, 36, 'The "display" syntax is wrong. You can set "full" or "[field_1,field_2,field_3,...]". '
            "These are available: " + ", ".join(rdef.field_names)
        )  # fmt: skip
    names = [n for n in re.split(r",(?![^\[]*\])", m.group(1)) if n]
    out = []
    for name in names:
        base = name.split("[", 1)[0]
        if base == "associations":
            continue
        if base not in rdef.field_names:
            raise did_you_mean(400, "Unable to display this field", base, rdef.field_names, 35)
        out.append(base)
    return out


def parse_filter(name: str, raw: str, rdef: ResourceDef, allow_dates: bool) -> Filter:
    filterable = [n for n in rdef.field_names if (fd := rdef.fielddef(n)) and not fd.getter]
    if not allow_dates:
        filterable = [n for n in filterable if n not in ("date_add", "date_upd")]
    fd = rdef.fielddef(name)
    if fd is not None and fd.getter:
        raise WsError(
            400, 34, f'The field "{name}" is dynamic. It is not possible to filter GET query with this field.'
        )
    if name not in filterable:
        raise did_you_mean(400, "This filter does not exist", name, filterable, 32)
    if raw == "":
        raise WsError(400, 33, f'The "{name}" filter value is empty. Use filter[{name}]=[value].')
    for prefix, op in ((">[", "gt"), ("<[", "lt")):
        if raw.startswith(prefix) and raw.endswith("]"):
            return Filter(name, op, [raw[2:-1]])
    if raw.startswith("![") and raw.endswith("]"):
        return Filter(name, "ne", raw[2:-1].split("|"))
    if raw.startswith("%[") and raw.endswith("]%"):
        return Filter(name, "like", ["%" + raw[2:-2] + "%"])
    if raw.startswith("%[") and raw.endswith("]"):
        return Filter(name, "like", ["%" + raw[2:-1]])
    if raw.startswith("[") and raw.endswith("]%"):
        return Filter(name, "like", [raw[1:-2] + "%"])
    if raw.startswith("[") and raw.endswith("]"):
        inner = raw[1:-1]
        m = _BETWEEN.match(inner)
        if m:
            return Filter(name, "between", [m.group(1), m.group(2)])
        return Filter(name, "eq", inner.split("|"))
    return Filter(name, "like", [raw])


def parse_sort(raw: str, rdef: ResourceDef) -> list[tuple[str, bool]]:
    inner = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    out = []
    for item in inner.split(","):
        m = _SORT_ITEM.match(item.strip())
        if not m:
            raise WsError(
                400, 37, 'The "sort" value has to be formed as this example: "field_ASC" or '
                '"[field_1_DESC,field_2_ASC,field_3_ASC,...]" ("[]" are not necessary for one field)'
            )  # fmt: skip
        fname = m.group(1)
        fd = rdef.fielddef(fname)
        if fd is None or fd.getter:
            sortable = [n for n in rdef.field_names if (f := rdef.fielddef(n)) and not f.getter]
            raise did_you_mean(400, "Unable to sort by this field", fname, sortable, 38)
        out.append((fname, m.group(2).upper() == "DESC"))
    return out


def parse_limit(raw: str) -> tuple[int, int]:
    m = _LIMIT.match(raw.strip())
    if not m:
        raise WsError(400, 39, 'The "limit" value has to be formed as this example: "5,25" or "10"')
    return int(m.group(1) or 0), int(m.group(2))


def parse_list_query(params: Mapping[str, str], rdef: ResourceDef, *, single: bool) -> ListQuery:
    """Every list parameter, validated in the order QloApps checks them."""
    q = ListQuery()
    q.display_given = "display" in params
    q.display = parse_display(params.get("display"), rdef, "full" if single else "minimum")
    allow_dates = params.get("date") == "1"
    for key, value in params.items():
        if key.startswith("filter[") and key.endswith("]"):
            q.filters.append(parse_filter(key[7:-1], value, rdef, allow_dates))
    if "sort" in params:
        q.sort = parse_sort(params["sort"], rdef)
    if "limit" in params:
        q.limit = parse_limit(params["limit"])
    return q


# ---- applying a query to rendered values ----------------------------------------------------------------------


_NUMBER = re.compile(r"^\s*[+-]?\d+(\.\d+)?\s*$")


def _num(v: str) -> Decimal | None:
    """A plain decimal number (MySQL compares these numerically); "NaN" or "Infinity" stay text."""
    if not _NUMBER.match(v):
        return None
    try:
        return Decimal(v)
    except (InvalidOperation, ValueError):
        return None


def _like(pattern: str, text: str) -> bool:
    rx = "^" + ".*".join(re.escape(p) for p in pattern.lower().split("%")) + "$"
    return re.match(rx, text.lower(), re.S) is not None


def _cmp(a: str, b: str) -> int:
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    al, bl = a.lower(), b.lower()  # MySQL's default collation compares case-insensitively
    return (al > bl) - (al < bl)


def matches(values: dict[str, Any], filters: list[Filter]) -> bool:
    for f in filters:
        v = scalar(values.get(f.field))
        if f.op == "eq" and not any(_cmp(v, x) == 0 for x in f.values):
            return False
        if f.op == "ne" and any(_cmp(v, x) == 0 for x in f.values):
            return False
        if f.op == "gt" and not _cmp(v, f.values[0]) > 0:
            return False
        if f.op == "lt" and not _cmp(v, f.values[0]) < 0:
            return False
        if f.op == "between" and not (_cmp(v, f.values[0]) >= 0 and _cmp(v, f.values[1]) <= 0):
            return False
        if f.op == "like" and not _like(f.values[0], v):
            return False
    return True


def sort_key(fieldname: str):
    def key(values: dict[str, Any]) -> tuple[int, Any]:
        v = scalar(values.get(fieldname))
        n = _num(v)
        return (0, n, "") if n is not None else (1, Decimal(0), v.lower())

    return key
