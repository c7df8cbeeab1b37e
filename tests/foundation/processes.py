"""Helpers for tests that start processes and check a server is really gone."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psutil


def sigint_as_in_a_terminal() -> None:
    """`preexec_fn` for a child a test stops with Ctrl-C's SIGINT.

    A test run launched in the background (`cmd &` without job control, or under some CI runners) inherits SIGINT
    ignored, and Python then installs no KeyboardInterrupt handler; a terminal's Ctrl-C reaches a process that does.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def server_gone(pid: int, data_dir: Path, timeout: float = 10.0) -> bool:
    """True when the server pid is gone (or a zombie nobody waits for) and nothing runs from its temp dir."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid) and not _anything_using(data_dir):
            return True
        time.sleep(0.05)
    return False


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _anything_using(data_dir: Path) -> bool:
    marker = str(data_dir)
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(marker in arg for arg in proc.info["cmdline"] or []):
                return True
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return False
