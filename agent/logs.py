"""JSON logs: one object per line, the wamid being processed as correlation id, phone numbers masked."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from datetime import UTC, datetime

import orjson

_wamid: contextvars.ContextVar[str] = contextvars.ContextVar("wamid", default="")
_PHONE = re.compile(r"\+?\d{8,15}")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def mask_phone(value: str) -> str:
    """Keep the last four digits: 34600111222 -> *******1222."""
    if not value:
        return value
    return "*" * max(0, len(value) - 4) + value[-4:]


def _mask_text(text: str) -> str:
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def bind_wamid(wamid: str) -> None:
    """Set the correlation id for log lines of the current task."""
    _wamid.set(wamid)


class JsonFormatter(logging.Formatter):
    """Render a record as compact JSON with extras, masking anything that looks like a phone number."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _mask_text(record.getMessage()),
        }
        wamid = _wamid.get()
        if wamid:
            data["wamid"] = wamid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = _mask_text(value) if isinstance(value, str) else value
        if record.exc_info:
            data["exc"] = _mask_text(self.formatException(record.exc_info))
        return orjson.dumps(data, default=str).decode()


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
