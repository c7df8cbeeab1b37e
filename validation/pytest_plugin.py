"""pytest plugin (registered through `pytest11`): real Postgres and Redis fixtures.

Fixtures (provisioned lazily, only when a test asks for one):
- `postgres_url` (session): a libpq URL to a real Postgres server's `postgres` database.
- `redis_url` (session): a redis:// URL to a real Redis, db 0.
- `postgres_template_url` (session): an empty database every fresh database is copied from; override it in a
  conftest (request the plugin's own `postgres_template_url`, migrate it, close your connections, return it)
  to copy a migrated schema into every test.
- `fresh_postgres_url` (function): a new database per test, created from the template, dropped afterwards.
- `fresh_redis_url` (function): a Redis db index flushed before the test.

The tier comes from `--hotelero-services`, else HOTELERO_SERVICES (auto); HOTELERO_DATABASE_URL and
HOTELERO_REDIS_URL select external servers.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from validation.services import ServiceHandle

_counter = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hotelero", "hotelero: real Postgres and Redis")
    group.addoption(
        "--hotelero-services",
        default=None,
        help=(
            "Tier for postgres_url/redis_url fixtures: auto, docker, local, embedded, external "
            "(default HOTELERO_SERVICES)."
        ),
    )


def _tier(config: pytest.Config) -> str | None:
    return config.getoption("--hotelero-services", default=None) or os.environ.get("HOTELERO_SERVICES") or None


def with_database(url: str, name: str) -> str:
    """The same Postgres URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def with_redis_db(url: str, db: int) -> str:
    """The same Redis URL pointing at another db index."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the session like Ctrl-C: pytest stops running tests and tears fixtures (servers) down."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) not in (
        signal.SIG_DFL,
        None,
    ):
        yield
        return

    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is _interrupt:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def hotelero_postgres(request: pytest.FixtureRequest) -> Iterator[ServiceHandle]:
    """The session's Postgres handle (url, tier, description)."""
    from validation.services import postgres_service

    with _sigterm_interrupts(), postgres_service(_tier(request.config)) as handle:
        yield handle


@pytest.fixture(scope="session")
def hotelero_redis(request: pytest.FixtureRequest) -> Iterator[ServiceHandle]:
    """The session's Redis handle (url, tier, description)."""
    from validation.services import redis_service

    with _sigterm_interrupts(), redis_service(_tier(request.config)) as handle:
        yield handle


@pytest.fixture(scope="session")
def postgres_url(hotelero_postgres: ServiceHandle) -> str:
    """URL of a real Postgres for the whole session."""
    return hotelero_postgres.url


@pytest.fixture(scope="session")
def redis_url(hotelero_redis: ServiceHandle) -> str:
    """URL of a real Redis (db 0) for the whole session."""
    return hotelero_redis.url


class _Admin:
    """One autocommit connection to the server's maintenance db, shared by the session's fresh databases."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        # DROP DATABASE ... WITH (FORCE) exists from Postgres 13.
        self.force = self.conn.info.server_version >= 130000

    def create(self, name: str, template: str | None = None) -> None:
        import psycopg
        from psycopg import sql

        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        try:
            self.conn.execute(query)
        except psycopg.errors.ObjectInUse:
            if not template:
                raise
            # A template override left a connection open: copying needs the template to itself, so close it.
            self.conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (template,),
            )
            self.conn.execute(query)

    def drop(self, name: str) -> None:
        from psycopg import sql

        force = sql.SQL(" WITH (FORCE)") if self.force else sql.SQL("")
        self.conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(name), force))


@pytest.fixture(scope="session")
def _hotelero_pg_admin(postgres_url: str) -> Iterator[_Admin]:
    admin = _Admin(postgres_url)
    try:
        yield admin
    finally:
        admin.conn.close()


@pytest.fixture(scope="session")
def postgres_template_url(_hotelero_pg_admin: _Admin, postgres_url: str) -> Iterator[str]:
    """An empty database, created once per session, that `fresh_postgres_url` copies for each test."""
    name = f"hotelero_template_{os.getpid()}"
    _hotelero_pg_admin.drop(name)
    _hotelero_pg_admin.create(name)
    try:
        yield with_database(postgres_url, name)
    finally:
        _hotelero_pg_admin.drop(name)


@pytest.fixture
def fresh_postgres_url(_hotelero_pg_admin: _Admin, postgres_template_url: str) -> Iterator[str]:
    """A brand-new database for this test (a copy of the template), dropped after it."""
    template = urlsplit(postgres_template_url).path.lstrip("/")
    name = f"hotelero_test_{os.getpid()}_{next(_counter)}"
    _hotelero_pg_admin.create(name, template=template)
    try:
        yield with_database(postgres_template_url, name)
    finally:
        _hotelero_pg_admin.drop(name)


@pytest.fixture
def fresh_redis_url(redis_url: str) -> str:
    """A Redis db (the session db index + 1) flushed before this test; db 0 stays the session's."""
    import redis

    session_db = urlsplit(redis_url).path.lstrip("/")
    db = (int(session_db) if session_db.isdigit() else 0) + 1
    url = with_redis_db(redis_url, db)
    client: Any = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url
