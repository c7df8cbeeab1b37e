"""The external tier uses servers someone else runs, checks they answer, and never stops them."""

from __future__ import annotations

import socket

import psycopg
import pytest
import redis

from validation.services import ServiceError, Tier, postgres_service, redis_service
from validation.services.settings import ServicesSettings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_external_urls_are_used_as_given_and_left_running(postgres_url: str, redis_url: str) -> None:
    settings = ServicesSettings(services="auto", database_url=postgres_url, redis_url=redis_url)
    with postgres_service(settings=settings) as pg, redis_service(settings=settings) as rd:
        assert (pg.tier, pg.url) == (Tier.EXTERNAL, postgres_url)
        assert (rd.tier, rd.url) == (Tier.EXTERNAL, redis_url)
        assert "PostgreSQL" in pg.description and "Redis" in rd.description
    # Nothing was stopped: both servers still answer.
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert redis.Redis.from_url(redis_url).ping()


def test_unreachable_external_postgres_is_one_line_naming_the_variable_without_the_password() -> None:
    url = f"postgresql://app:s3cretPW@127.0.0.1:{_closed_port()}/hotel"
    settings = ServicesSettings(services="external", database_url=url, external_timeout=2)
    with pytest.raises(ServiceError) as err, postgres_service(settings=settings):
        pytest.fail("an unreachable server must not be handed out")
    message = str(err.value)
    assert message.startswith("cannot reach Postgres at postgresql://app:***@127.0.0.1:")
    assert "check HOTELERO_DATABASE_URL" in message
    assert "s3cretPW" not in message and "\n" not in message


def test_unreachable_external_redis_is_one_line_naming_the_variable() -> None:
    settings = ServicesSettings(services="external", redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    with (
        pytest.raises(ServiceError, match=r"^cannot reach Redis at .*check HOTELERO_REDIS_URL"),
        redis_service(settings=settings),
    ):
        pytest.fail("an unreachable server must not be handed out")
