"""The external tier: servers someone else runs, given by URL; nothing is started or stopped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import redis

from validation.services.handle import ServiceError, ServiceHandle, Tier
from validation.services.settings import ServicesSettings
from validation.services.urls import env_name, redact, validate_url


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_postgres(url: str, timeout: float) -> str:
    """Connect and return the server version; a one-line ServiceError when unreachable."""
    try:
        with psycopg.connect(url, connect_timeout=max(1, int(timeout))) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error as exc:
        raise ServiceError(
            f"cannot reach Postgres at {redact(url)} ({_first_line(exc)}); "
            f"check {env_name('postgres')} and that the server is running"
        ) from None
    return f"PostgreSQL {row[0] if row else '?'}"


def check_redis(url: str, timeout: float) -> str:
    """PING and return the server version; a one-line ServiceError when unreachable."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
        version = client.info("server").get("redis_version", "?")
    except (redis.RedisError, OSError) as exc:
        raise ServiceError(
            f"cannot reach Redis at {redact(url)} ({_first_line(exc)}); "
            f"check {env_name('redis')} and that the server is running"
        ) from None
    finally:
        client.close()
    return f"Redis {version}"


def _given(service: str, settings: ServicesSettings) -> str:
    url = settings.database_url if service == "postgres" else settings.redis_url
    if not url:
        raise ServiceError(f"external tier: {env_name(service)} is not set; set it to the {service} server's URL")
    return validate_url(service, url)


@contextlib.contextmanager
def external_postgres(settings: ServicesSettings) -> Iterator[ServiceHandle]:
    """Postgres at HOTELERO_DATABASE_URL, checked reachable; left running on exit."""
    url = _given("postgres", settings)
    version = check_postgres(url, settings.external_timeout)
    yield ServiceHandle("postgres", url, Tier.EXTERNAL, f"external {version} at {redact(url)}")


@contextlib.contextmanager
def external_redis(settings: ServicesSettings) -> Iterator[ServiceHandle]:
    """Redis at HOTELERO_REDIS_URL, checked reachable; left running on exit."""
    url = _given("redis", settings)
    version = check_redis(url, settings.external_timeout)
    yield ServiceHandle("redis", url, Tier.EXTERNAL, f"external {version} at {redact(url)}")
