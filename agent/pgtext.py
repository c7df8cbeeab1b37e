"""Text Postgres cannot store, made storable: U+0000 and lone surrogates become U+FFFD.

Postgres text and jsonb refuse U+0000 ("unsupported Unicode escape sequence"), and UTF-8 cannot encode a lone
surrogate (JSON allows `\\ud800` alone; orjson refuses it, Python's json accepts it). A webhook carrying either
would be refused on every redelivery, forever; replaced by U+FFFD (the Unicode replacement character), the
guest's message is stored and answered.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` with U+0000 and lone surrogates replaced by U+FFFD (unchanged when there are none)."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def clean_json(value: Any) -> Any:
    """A JSON value with every string (keys included) passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259 §6) and jsonb refuses them: bad input, not a 503 on every redelivery.
    raise ValueError(f"{name} is not a JSON number")


def loads_storable(body: bytes) -> Any:
    """Parse a JSON body into values Postgres can store. Raises ValueError when the body is not JSON.

    The fast path is orjson; only a body with an escaped U+0000, or one orjson refuses (lone surrogates),
    takes the slower route of Python's json and a cleaning pass.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            return clean_json(json.loads(body, parse_constant=_refuse_constant))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(str(exc)) from None
    return clean_json(data) if b"\\u0000" in body else data
