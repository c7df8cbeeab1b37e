"""X-Hub-Signature-256: HMAC-SHA256 of the raw request bytes with the app secret, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta would send for `body`."""
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is `sha256=<hex>` of the exact bytes; never raises, never short-circuits on content."""
    if not header or not app_secret or not header.startswith(PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    # Meta sends lowercase hex; compare_digest on str needs ASCII, so compare bytes.
    return hmac.compare_digest(expected.encode(), header[len(PREFIX) :].strip().lower().encode("utf-8", "replace"))
