"""Checking service URLs before anything connects to them."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from validation.services.handle import ServiceError

_SCHEMES = {"postgres": ("postgresql", "postgres"), "redis": ("redis", "rediss")}
_ENV = {"postgres": "HOTELERO_DATABASE_URL", "redis": "HOTELERO_REDIS_URL"}


def env_name(service: str) -> str:
    """The environment variable that gives an external URL for this service."""
    return _ENV[service]


def redact(url: str) -> str:
    """The URL with its password replaced by ***, for messages and reports."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def validate_url(service: str, url: str) -> str:
    """Return the URL if well formed for `service` ("postgres" or "redis"), else a one-line ServiceError."""
    schemes = _SCHEMES[service]
    example = "postgresql://user:pass@host:5432/db" if service == "postgres" else "redis://host:6379/0"
    bad = f"malformed {env_name(service)} {redact(url)!r}"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ServiceError(f"{bad}: {exc}; expected e.g. {example}") from None
    if parts.scheme not in schemes:
        raise ServiceError(f"{bad}: scheme must be {' or '.join(schemes)}://; expected e.g. {example}")
    if not parts.hostname:
        raise ServiceError(f"{bad}: no host; expected e.g. {example}")
    if port == 0:
        raise ServiceError(f"{bad}: port 0; expected e.g. {example}")
    path = parts.path.lstrip("/")
    if service == "redis" and path and not path.isdigit():
        raise ServiceError(f"{bad}: the path must be a db number (e.g. /0); expected e.g. {example}")
    if service == "postgres" and "/" in path:
        raise ServiceError(f"{bad}: the path must be one database name; expected e.g. {example}")
    return url.strip()
