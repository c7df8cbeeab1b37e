"""Starting and stopping a local server process, and waiting for it to answer."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from validation.services.handle import ServiceError
from validation.services.ports import PortTaken

# What Postgres and Redis write when the port was grabbed between our probe and their bind.
_BIND_FAILURES = ("address already in use", "could not bind", "could not create any tcp/ip sockets")


@dataclass(frozen=True)
class RunAs:
    """An unprivileged user to run a server as (Postgres refuses root)."""

    name: str
    uid: int
    gid: int


def clean_env() -> dict[str, str]:
    """The environment without PG* variables, which would redirect initdb/postgres elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


@functools.lru_cache(maxsize=1)
def _setpriv() -> str | None:
    """util-linux `setpriv` if it can set a parent-death signal (>= 2.33), else None."""
    path = shutil.which("setpriv")
    if path is None:
        return None
    try:
        usage = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if "--pdeathsig" in usage else None


def start_server(
    cmd: list[str],
    log_path: Path,
    run_as: RunAs | None,
    cwd: Path,
    death_signal: signal.Signals | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server in its own session (a terminal's Ctrl-C reaches us, and we stop it in order).

    With `death_signal` (and util-linux setpriv present) the kernel sends it to the server if this
    process dies without tearing down, even by SIGKILL. The kernel ties it to the forking thread:
    keep the `with` block that provisions in the thread that uses it.

    Call it inside `signals_deferred()` and store the result before leaving that block: a signal
    between fork and that assignment would otherwise leave a server nobody knows about.
    """
    setpriv = _setpriv() if death_signal is not None else None
    if setpriv is not None and death_signal is not None:
        # setpriv sets PR_SET_PDEATHSIG then execs the server in place (same pid).
        cmd = [setpriv, "--pdeathsig", death_signal.name.removeprefix("SIG"), "--", *cmd]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=clean_env(),
            start_new_session=True,
            user=run_as.uid if run_as else None,
            group=run_as.gid if run_as else None,
            extra_groups=[] if run_as else None,
        )


def log_tail(log_path: Path, lines: int = 5) -> str:
    """The last lines of a server log, joined on one line for an error message."""
    try:
        text = log_path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def wait_ready(
    proc: subprocess.Popen[bytes], ready: Callable[[], bool], log_path: Path, timeout: float, what: str
) -> None:
    """Poll `ready` until it is true; PortTaken when the server died failing to bind, ServiceError otherwise."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        if proc.poll() is not None:
            tail = log_tail(log_path)
            if any(marker in tail.lower() for marker in _BIND_FAILURES):
                raise PortTaken(tail)
            raise ServiceError(f"{what} exited with code {proc.returncode} while starting: {tail}")
        if ready():
            return
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} did not answer within {timeout:.0f} s: {log_tail(log_path)}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)


def stop_server(proc: subprocess.Popen[bytes], first: signal.Signals, grace: float = 15.0) -> None:
    """Stop a server: `first` (its fast clean shutdown), then SIGKILL to the whole session if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(first)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                # The server leads its own session (start_new_session): kill its helpers too.
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    else:
        proc.wait()
