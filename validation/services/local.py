"""The local tier: Postgres and Redis started from binaries on this machine, in a temp dir, on a free port."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import redis

from validation.services.binaries import PostgresBinaries, binary_version, find_postgres, find_redis_server
from validation.services.handle import ServiceError, ServiceHandle, Tier
from validation.services.ports import PortTaken, free_port
from validation.services.processes import RunAs, clean_env, start_server, stop_server, wait_ready
from validation.services.settings import ServicesSettings
from validation.services.signals import signals_deferred

# A port grabbed by someone else between probe and bind is retried this many times on new ports.
_PORT_ATTEMPTS = 5

INSTALL_POSTGRES = "apt-get install postgresql"
INSTALL_REDIS = "apt-get install redis-server"


def postgres_run_as(name: str) -> RunAs | None:
    """None when not root; else the unprivileged user Postgres runs as, created when missing."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        cmd = [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"]
        cmd += ["--shell", "/usr/sbin/nologin", name]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
            why = done.stderr.strip() or f"exit {done.returncode}"
        except OSError as exc:
            why = str(exc)
        try:
            # Another process may have created it concurrently (exit 9): look again either way.
            pw = pwd.getpwnam(name)
        except KeyError:
            raise ServiceError(
                f"local tier: running as root, Postgres needs an unprivileged user and creating {name!r} failed "
                f"({why}); create one (useradd --system {name}) or set HOTELERO_LOCAL_POSTGRES_USER"
            ) from None
    if pw.pw_uid == 0:
        raise ServiceError(f"local tier: HOTELERO_LOCAL_POSTGRES_USER={name!r} is root; name an unprivileged user")
    return RunAs(name=name, uid=pw.pw_uid, gid=pw.pw_gid)


# RAM-backed /dev/shm made CREATE DATABASE ... TEMPLATE ~6x faster than /tmp on ext4 (benchmarks/bench_services.py);
# used only when it has room (Docker gives containers a 64 MB /dev/shm by default).
_SHM = Path("/dev/shm")
_SHM_MIN_FREE = 1 << 30


def _default_base() -> str | None:
    try:
        stats = os.statvfs(_SHM)
    except OSError:
        return None
    sticky_world_writable = _SHM.is_dir() and (_SHM.stat().st_mode & 0o1777) == 0o1777
    if sticky_world_writable and stats.f_bavail * stats.f_frsize >= _SHM_MIN_FREE:
        return str(_SHM)
    return None


_OWNER, _SERVER = "hotelero-owner.pid", "hotelero-server.pid"
# A dir younger than this is never swept: its owner may still be writing the marker files.
_SWEEP_MIN_AGE = 60.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def sweep_stale(base: Path, prefix: str, min_age: float = _SWEEP_MIN_AGE) -> list[Path]:
    """Remove temp dirs whose provisioning process died without teardown (SIGKILL), stopping their server.

    Returns the dirs removed. A server is only killed if its command line names its own dir (no pid reuse).
    """
    removed: list[Path] = []
    now = time.time()
    for path in base.glob(f"{prefix}*"):
        owner = _read_pid(path / _OWNER)
        try:
            old = now - path.stat().st_mtime >= min_age
        except OSError:
            continue
        if owner is None or _pid_alive(owner) or not old:
            continue
        server = _read_pid(path / _SERVER)
        if server is not None:
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{server}/cmdline").read_bytes().decode(errors="replace")
                if str(path) in cmdline:
                    os.kill(server, signal.SIGKILL)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _record_server(tmp: Path, pid: int) -> None:
    (tmp / _SERVER).write_text(str(pid))


def _make_temp_dir(prefix: str, settings: ServicesSettings, run_as: RunAs | None) -> Path:
    base = settings.local_tmp_dir or _default_base()
    if run_as is not None and base is None:
        # The server user must traverse every parent: a root-only TMPDIR would lock it out.
        base = "/tmp"
    with contextlib.suppress(OSError):
        sweep_stale(Path(base or tempfile.gettempdir()), prefix)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    # Who owns this dir: a later run removes it (and stops its server) if that process is gone.
    (path / _OWNER).write_text(str(os.getpid()))
    if run_as is not None:
        try:
            os.chown(path, run_as.uid, run_as.gid)
        except OSError:
            shutil.rmtree(path, ignore_errors=True)
            raise
    return path


def _postgres_ready(data: Path, url: str) -> bool:
    # postmaster.pid's 8th line turns "ready" once connections are accepted (what pg_ctl -w watches);
    # only then connect, so a stranger holding our port is never mistaken for our server.
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    if len(lines) < 8 or lines[7].strip() != "ready":
        return False
    return postgres_answers(url)


def postgres_answers(url: str, timeout_s: int = 2) -> bool:
    """True when the Postgres behind `url` accepts a connection and runs a query."""
    try:
        with psycopg.connect(url, connect_timeout=timeout_s) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


@contextlib.contextmanager
def local_postgres(
    settings: ServicesSettings,
    binaries: PostgresBinaries | None = None,
    *,
    tier: Tier = Tier.LOCAL,
    stage: Callable[[Path], PostgresBinaries] | None = None,
) -> Iterator[ServiceHandle]:
    """Postgres from local binaries: initdb into a temp dir, serve on 127.0.0.1:<free port>, remove on exit.

    `stage`, when given and the server runs as another user, copies the binaries into the temp dir (which
    that user can read) and returns the copies; the embedded tier uses it for a venv only root can read.
    """
    binaries = binaries or find_postgres(settings.local_bin_path)
    if binaries is None:
        raise ServiceError(
            "local tier: no initdb/postgres on PATH or under /usr/lib/postgresql/*/bin; "
            f"install them ({INSTALL_POSTGRES})"
        )
    run_as = postgres_run_as(settings.local_postgres_user)
    tmp: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    try:
        with signals_deferred():
            # Deferred, inside try: a signal before `tmp` is bound would leave a temp dir nobody removes.
            tmp = _make_temp_dir("hotelero-pg-", settings, run_as)
        if stage is not None and run_as is not None:
            binaries = stage(tmp)
        data, log_path = tmp / "data", tmp / "postgres.log"
        init = subprocess.run(
            [str(binaries.initdb), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]
            + ["--no-sync"],
            cwd=tmp,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=settings.local_startup_timeout * 4,
            check=False,
            user=run_as.uid if run_as else None,
            group=run_as.gid if run_as else None,
            extra_groups=[] if run_as else None,
        )
        if init.returncode != 0:
            tail = " | ".join((init.stderr or init.stdout).strip().splitlines()[-3:])
            raise ServiceError(f"local tier: initdb failed (exit {init.returncode}): {tail}")
        for _attempt in range(_PORT_ATTEMPTS):
            port = free_port()
            url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            cmd = [str(binaries.postgres), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(tmp)]
            # A throwaway server: durability off makes CREATE DATABASE and commits fast.
            for option in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                cmd += ["-c", option]
            cmd += ["-c", f"max_connections={settings.local_postgres_max_connections}"]
            with signals_deferred():
                # SIGQUIT: Postgres' immediate shutdown, also of its backends, if we die without teardown.
                proc = start_server(cmd, log_path, run_as, cwd=tmp, death_signal=signal.SIGQUIT)
                _record_server(tmp, proc.pid)
            try:
                wait_ready(
                    proc,
                    lambda url=url: _postgres_ready(data, url),
                    log_path,
                    settings.local_startup_timeout,
                    "postgres",
                )
                break
            except PortTaken:
                stop_server(proc, signal.SIGQUIT, grace=5)
                proc = None
        else:
            raise ServiceError(f"local tier: postgres could not bind a free port in {_PORT_ATTEMPTS} attempts")
        user_note = f" as {run_as.name}" if run_as else ""
        yield ServiceHandle(
            name="postgres",
            url=url,
            tier=tier,
            description=f"{tier.value} {binaries.version} on 127.0.0.1:{port}{user_note}, data in {tmp}",
            pid=proc.pid,
            data_dir=tmp,
        )
    finally:
        with signals_deferred():
            if proc is not None:
                # SIGINT is Postgres' "fast" shutdown: roll back clients, stop at once, cleanly.
                stop_server(proc, signal.SIGINT)
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)


def redis_version(server: Path) -> str:
    """'Redis 7.0.15' or 'Valkey 8.1.8' from the server's --version line."""
    line = binary_version(server)
    match = re.match(r"(\w+) server v=(\S+)", line)
    return f"{match[1]} {match[2]}" if match else f"{server.name} ({line})"


def _redis_ready(log_path: Path, url: str) -> bool:
    # Wait for redis-server's own "ready" line before connecting: a stranger on the port would accept too.
    try:
        if "Ready to accept connections" not in log_path.read_text(errors="replace"):
            return False
    except OSError:
        return False
    return redis_answers(url)


def redis_answers(url: str) -> bool:
    """True when the Redis behind `url` answers PING."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


@contextlib.contextmanager
def local_redis(
    settings: ServicesSettings,
    server: Path | None = None,
    *,
    tier: Tier = Tier.LOCAL,
    run_as: RunAs | None = None,
    stage: Callable[[Path], Path] | None = None,
) -> Iterator[ServiceHandle]:
    """redis-server on 127.0.0.1:<free port>, persistence off, its temp dir removed on exit.

    `run_as` and `stage` as for Postgres: the embedded tier runs its server unprivileged from a copy.
    """
    server = server or find_redis_server(settings.local_bin_path)
    if server is None:
        raise ServiceError(f"local tier: redis-server not found on PATH; install it ({INSTALL_REDIS})")
    tmp: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    try:
        with signals_deferred():
            # Deferred, inside try: a signal before `tmp` is bound would leave a temp dir nobody removes.
            tmp = _make_temp_dir("hotelero-redis-", settings, run_as)
        if stage is not None and run_as is not None:
            server = stage(tmp)
        log_path = tmp / "redis.log"
        for _attempt in range(_PORT_ATTEMPTS):
            port = free_port()
            url = f"redis://127.0.0.1:{port}/0"
            cmd = [str(server), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp)]
            cmd += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"]
            with signals_deferred():
                proc = start_server(cmd, log_path, run_as, cwd=tmp, death_signal=signal.SIGKILL)
                _record_server(tmp, proc.pid)
            try:
                wait_ready(
                    proc, lambda url=url: _redis_ready(log_path, url), log_path, settings.local_startup_timeout, "redis"
                )
                break
            except PortTaken:
                stop_server(proc, signal.SIGTERM, grace=5)
                proc = None
        else:
            raise ServiceError(f"local tier: redis-server could not bind a free port in {_PORT_ATTEMPTS} attempts")
        where = f"127.0.0.1:{port}" + (f" as {run_as.name}" if run_as else "")
        yield ServiceHandle(
            name="redis",
            url=url,
            tier=tier,
            description=f"{tier.value} {redis_version(server)} on {where}, no persistence, dir {tmp}",
            pid=proc.pid,
            data_dir=tmp,
        )
    finally:
        with signals_deferred():
            if proc is not None:
                # SIGTERM: redis-server exits at once (nothing to save with persistence off).
                stop_server(proc, signal.SIGTERM)
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
