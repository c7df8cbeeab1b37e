"""JSON logs: one object per line, with nothing in them that identifies a guest or repeats what they wrote.

- Phone numbers are masked (last four digits kept) wherever they appear.
- wamids are replaced by a short hash: a wamid is base64 of a string holding the guest's number, so masking
  digits is not enough. The same wamid always hashes the same, so lines still correlate.
- Message text never reaches a log: text-bearing fields are replaced by their length, and database errors are
  logged by their primary message only (Postgres' DETAIL/CONTEXT lines quote the data).
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import re
import sys
from datetime import UTC, datetime

import orjson

_wamid: contextvars.ContextVar[str] = contextvars.ContextVar("wamid", default="")
_PHONE = re.compile(r"\+?\d{8,15}")
_WAMID = re.compile(r"wamid\.[A-Za-z0-9+/=_-]+")
# Postgres' DETAIL/CONTEXT lines quote the row or JSON being written (a guest's message) inside tracebacks.
_DB_QUOTES = re.compile(r"^(DETAIL|CONTEXT|LINE \d+):.*$", re.MULTILINE)
# Extras that would carry what a guest wrote; logged as their length only.
_TEXT_FIELDS = frozenset({"text", "body", "caption", "message_text", "reply_text", "payload"})
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def mask_phone(value: str) -> str:
    """Keep the last four digits: 34600111222 -> *******1222."""
    if not value:
        return value
    return "*" * max(0, len(value) - 4) + value[-4:]


def wamid_ref(wamid: str) -> str:
    """A stable, non-reversible stand-in for a wamid in logs: `wamid#` and 12 hex digits of its SHA-256."""
    return "wamid#" + hashlib.sha256(wamid.encode()).hexdigest()[:12]


def scrub(text: str) -> str:
    """`text` with wamids hashed and phone numbers masked."""
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), _WAMID.sub(lambda m: wamid_ref(m.group(0)), text))


def describe_error(exc: BaseException) -> str:
    """An exception for a log line: its type and message, without the data a database error quotes."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if primary:
        sqlstate = getattr(exc, "sqlstate", None)
        return f"{type(exc).__name__} ({sqlstate}): {primary}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def bind_wamid(wamid: str) -> None:
    """Set the correlation id for log lines of the current task (logged as its hash)."""
    _wamid.set(wamid)


def _field(key: str, value: object) -> object:
    if key in _TEXT_FIELDS and isinstance(value, str | bytes | dict | list):
        return f"[{len(value)} {'chars' if isinstance(value, str) else 'items'} withheld]"
    if key == "wamid" and isinstance(value, str):
        return wamid_ref(value) if value else value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return [scrub(v) if isinstance(v, str) else v for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """Render a record as compact JSON with extras, scrubbed of phone numbers, wamids and message text."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        wamid = _wamid.get()
        if wamid:
            data["wamid"] = wamid_ref(wamid)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = _field(key, value)
        if record.exc_info:
            data["exc"] = scrub(_DB_QUOTES.sub(r"\1: [withheld]", self.formatException(record.exc_info)))
        return orjson.dumps(data, default=lambda o: scrub(str(o))).decode()


def configure(level: str = "INFO") -> None:
    """Route the root logger to stderr as JSON lines (idempotent: server processes call it again)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.setLevel(level.upper())
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
