"""The local tier starts real servers from this machine's binaries and leaves nothing behind."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import psutil
import psycopg
import pytest
import redis

from validation.services import ServiceError, Tier, postgres_service, redis_service
from validation.services import local as local_tier
from validation.services.binaries import find_postgres, find_redis_server
from validation.services.settings import ServicesSettings

from .processes import server_gone

pytestmark = pytest.mark.skipif(
    find_postgres() is None or find_redis_server() is None,
    reason="local tier needs initdb/postgres and redis-server (apt-get install postgresql redis-server)",
)


def test_local_postgres_serves_writes_then_its_process_and_temp_dir_vanish() -> None:
    with postgres_service("local") as pg:
        assert pg.tier is Tier.LOCAL
        assert pg.url.startswith("postgresql://postgres@127.0.0.1:")
        assert pg.pid is not None and pg.data_dir is not None
        assert pg.data_dir.is_dir()
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE guests (name text)")
            conn.execute("INSERT INTO guests VALUES ('Lucía')")
        with psycopg.connect(pg.url) as conn:
            assert conn.execute("SELECT name FROM guests").fetchall() == [("Lucía",)]
        pid, data_dir = pg.pid, pg.data_dir
    assert server_gone(pid, data_dir)
    assert not data_dir.exists()


def test_local_redis_serves_writes_then_its_process_and_temp_dir_vanish() -> None:
    with redis_service("local") as rd:
        assert rd.tier is Tier.LOCAL
        assert rd.url.startswith("redis://127.0.0.1:")
        client = redis.Redis.from_url(rd.url)
        client.set("room:101", "free")
        assert client.get("room:101") == b"free"
        # Persistence off: nothing would survive a restart, and nothing is written to disk.
        assert client.config_get("save")["save"] == ""
        assert client.config_get("appendonly")["appendonly"] == "no"
        client.close()
        pid, data_dir = rd.pid, rd.data_dir
        assert pid is not None and data_dir is not None
    assert server_gone(pid, data_dir)
    assert not data_dir.exists()


def test_exception_inside_the_block_still_stops_both_servers() -> None:
    seen = {}
    with pytest.raises(RuntimeError, match="boom"), postgres_service("local") as pg, redis_service("local") as rd:
        seen = {"pg": (pg.pid, pg.data_dir), "redis": (rd.pid, rd.data_dir)}
        raise RuntimeError("boom")
    for pid, data_dir in seen.values():
        assert server_gone(pid, data_dir)
        assert not data_dir.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop only happens when the tests run as root")
def test_as_root_postgres_runs_as_an_unprivileged_user() -> None:
    settings = ServicesSettings()
    with postgres_service("local", settings=settings) as pg:
        assert pg.pid is not None
        assert psutil.Process(pg.pid).username() == settings.local_postgres_user
        assert psutil.Process(pg.pid).uids().real != 0


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _first_taken_then_free(taken: int) -> object:
    calls = iter([taken])
    real = local_tier.free_port

    def fake() -> int:
        return next(calls, None) or real()

    return fake


def test_postgres_retries_on_another_port_when_the_probed_one_is_taken(
    taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_tier, "free_port", _first_taken_then_free(taken_port))
    with postgres_service("local") as pg:
        assert f":{taken_port}/" not in pg.url
        with psycopg.connect(pg.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_redis_retries_on_another_port_when_the_probed_one_is_taken(
    taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_tier, "free_port", _first_taken_then_free(taken_port))
    with redis_service("local") as rd:
        assert f":{taken_port}/" not in rd.url
        assert redis.Redis.from_url(rd.url).ping()


def test_local_tier_without_binaries_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_tier, "find_postgres", lambda: None)
    with (
        pytest.raises(ServiceError, match=r"apt-get install postgresql"),
        local_tier.local_postgres(ServicesSettings()),
    ):
        pass
