"""Meta's webhook bytes: compact JSON, ASCII-only with lowercase \\uXXXX escapes, `/` as `\\/`, `@` as `\\u0040`."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False)


def meta_bytes(payload: Any) -> bytes:
    """Serialise exactly as Meta does (observed captures): a client that re-serialises before hashing breaks."""
    # Python's ensure_ascii escapes use lowercase hex, as Meta's do; '/' and '@' only occur inside strings.
    # '@' escaped: re-serialising handlers fail on e-mail addresses (observed, tawn33y/whatsapp-cloud-api#60).
    return _ENCODER.encode(payload).replace("/", "\\/").replace("@", "\\u0040").encode("ascii")


def sign(app_secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` header value: `sha256=` + lowercase hex HMAC-SHA256 over the raw body."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(app_secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of exactly these bytes."""
    if not header:
        return False
    return hmac.compare_digest(sign(app_secret, body), header)
