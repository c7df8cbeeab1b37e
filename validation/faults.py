"""Faults on the real servers under a running stack: stop and start Postgres or Redis, SIGKILL and restart a process.

A server is found by the port it listens on (psutil), so this works for any tier that runs a local process
(local binaries, embedded wheels). It is started again with the same command line, working directory, user and
environment, so it comes back where clients expect it; servers started here stop when this process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from validation.services.local import postgres_answers, redis_answers
from validation.services.processes import RunAs, start_server, stop_server


class FaultError(RuntimeError):
    """A fault cannot be injected here (e.g. a server given by URL on another host); the message says why."""


def _port_of(url: str) -> int:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise FaultError(f"{parts.hostname} is not this machine: only a local server can be stopped and started")
    if parts.port is None:
        raise FaultError(f"{url} names no port")
    return parts.port


def listening_pid(port: int) -> int:
    """The process listening on 127.0.0.1:`port` (FaultError when none, or when it cannot be seen)."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied as exc:
        raise FaultError(f"cannot list sockets to find the server on port {port}: {exc}") from exc
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            return conn.pid
    raise FaultError(f"no process of ours listens on port {port}")


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@dataclass
class ServerControl:
    """Stop and start one server process, keeping how it was started."""

    name: str
    argv: list[str]
    cwd: Path
    uid: int
    gid: int
    pid: int
    stop_signal: signal.Signals
    ready: Callable[[], bool]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def for_url(cls, name: str, url: str, stop_signal: signal.Signals, ready: Callable[[], bool]) -> ServerControl:
        """Capture the server listening on the port of `url` (for Postgres, the postmaster)."""
        pid = listening_pid(_port_of(url))
        proc = psutil.Process(pid)
        try:
            uids, gids = proc.uids(), proc.gids()
            return cls(
                name=name,
                argv=proc.cmdline(),
                cwd=Path(proc.cwd()),
                uid=uids.real,
                gid=gids.real,
                pid=pid,
                stop_signal=stop_signal,
                ready=ready,
            )
        except psutil.AccessDenied as exc:
            raise FaultError(f"cannot read how {name} (pid {pid}) was started: {exc}") from exc

    def stop(self, timeout: float = 30.0) -> None:
        """Send the server's clean-shutdown signal and wait until it has exited."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, self.stop_signal)
        deadline = time.monotonic() + timeout
        while not _gone(self.pid):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                break
            time.sleep(0.05)

    def spawn(self) -> None:
        """Start the server again as before. Call it from the thread that owns the stack (the parent-death
        signal is tied to the forking thread), then wait with `wait_ready`."""
        run_as = None
        if self.uid != os.getuid():
            import pwd

            run_as = RunAs(pwd.getpwuid(self.uid).pw_name, self.uid, self.gid)
        log_path = self.cwd / f"{self.name}-restarted.log"
        proc = start_server(self.argv, log_path, run_as, cwd=self.cwd, death_signal=signal.SIGKILL)
        self.started.append(proc)
        self.pid = proc.pid
        # Stopped when this process exits normally (and by the parent-death signal when it does not).
        atexit.register(stop_server, proc, self.stop_signal)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the restarted server answers (FaultError when it exits or takes longer than `timeout`)."""
        proc = self.started[-1]
        deadline = time.monotonic() + timeout
        while not self.ready():
            if proc.poll() is not None:
                raise FaultError(f"{self.name} exited with code {proc.returncode} when started again")
            if time.monotonic() > deadline:
                raise FaultError(f"{self.name} not ready {timeout:.0f} s after it was started again")
            time.sleep(0.05)


def postgres_control(database_url: str) -> ServerControl:
    """Postgres behind `database_url`: SIGINT is its fast shutdown (clients are disconnected at once)."""
    return ServerControl.for_url(
        "postgres", database_url, signal.SIGINT, lambda: postgres_answers(database_url, timeout_s=1)
    )


def redis_control(redis_url: str) -> ServerControl:
    """Redis behind `redis_url`: SIGTERM stops it at once (the stack runs it without persistence)."""
    import redis

    control = ServerControl.for_url("redis", redis_url, signal.SIGTERM, lambda: redis_answers(redis_url))
    # redis-server rewrites its process title ("redis-server 127.0.0.1:6379"): ask the server how it runs.
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        config = {k: client.config_get(k).get(k, "") for k in ("port", "bind", "dir", "save", "appendonly")}
    finally:
        client.close()
    # The title's first word is the program as started (redis-server is a multi-call binary: argv[0] decides).
    program = control.argv[0].split()[0] if control.argv else "redis-server"
    exe = program if os.path.isabs(program) else shutil.which(program) or psutil.Process(control.pid).exe()
    control.argv = [exe, "--daemonize", "no", *(a for k, v in config.items() for a in (f"--{k}", v))]
    return control


def capture_environment(pid: int) -> dict[str, str]:
    """The environment a running process was started with (to start it again the same way)."""
    try:
        return psutil.Process(pid).environ()
    except psutil.Error as exc:
        raise FaultError(f"cannot read the environment of pid {pid}: {exc}") from exc
