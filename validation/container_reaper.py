"""Removes this process's containers when it dies, however it dies: Ryuk's job, without Ryuk's image.

Testcontainers' Ryuk needs `testcontainers/ryuk` from a registry; offline engines (CI) run with
TESTCONTAINERS_RYUK_DISABLED=true. This reaper is a small helper process in its own session that reads a pipe
from its owner; the pipe closes when the owner exits, crashes or is SIGKILLed, and the helper then removes
every container labelled with the owner's token. It lives outside validation.services so that
`python -m validation.container_reaper` starts without importing the provisioning code.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import threading

LABEL = "hotelero.reaper"

_lock = threading.Lock()
_reaper: tuple[str, subprocess.Popen[bytes]] | None = None


def reaper_labels() -> dict[str, str]:
    """Labels that get a container removed when this process dies; starts the helper on first use."""
    global _reaper
    with _lock:
        if _reaper is None or _reaper[1].poll() is not None:
            token = f"{os.getpid()}-{secrets.token_hex(6)}"
            helper = subprocess.Popen(
                [sys.executable, "-m", "validation.container_reaper", token],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # Its own session: a terminal's Ctrl-C or a kill of our process group must not take it too.
                start_new_session=True,
            )
            _reaper = (token, helper)
        return {LABEL: _reaper[0]}


def reap(token: str) -> int:
    """Remove the containers labelled with `token`; how many were removed."""
    import docker

    removed = 0
    with contextlib.suppress(Exception):
        client = docker.from_env(timeout=30)
        for container in client.containers.list(all=True, filters={"label": f"{LABEL}={token}"}):
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
                removed += 1
    return removed


def _watch(token: str) -> None:
    # Blocks until every write end of the pipe is closed: the owner's exit, crash or SIGKILL.
    sys.stdin.buffer.read()
    reap(token)


if __name__ == "__main__":
    _watch(sys.argv[1])
