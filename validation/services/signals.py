"""SIGTERM unwinds like Ctrl-C so every `with postgres_service()` tears its server down."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Terminated(SystemExit):
    """SIGTERM arrived: raised in the main thread so context managers run their teardown, exit code 143."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(128 + signum)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


_depth = 0
_previous: signal.Handlers | object | None = None
_lock = threading.Lock()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises `Terminated` unless someone else already handles SIGTERM.

    Only the main thread can install handlers; elsewhere this is a no-op (the main thread's own
    handling decides). A handler installed by the application (e.g. the stack runner) is kept.
    """
    global _depth, _previous
    installed = False
    if threading.current_thread() is threading.main_thread():
        with _lock:
            if _depth == 0:
                current = signal.getsignal(signal.SIGTERM)
                if current in (signal.SIG_DFL, None):
                    _previous = current
                    signal.signal(signal.SIGTERM, _raise_terminated)
                    installed = True
            else:
                installed = True
            if installed:
                _depth += 1
    try:
        yield
    finally:
        if installed:
            with _lock:
                _depth -= 1
                if _depth == 0:
                    signal.signal(signal.SIGTERM, _previous if _previous is not None else signal.SIG_DFL)
                    _previous = None


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while starting or stopping a server, then deliver them.

    A second Ctrl-C during teardown must not leave a half-stopped server. Deferral is done with Python
    handlers, not the process signal mask: a blocked mask would be inherited by the server we start.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def _record(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    previous = {sig: signal.signal(sig, _record) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(pending):
            # Re-delivered now that the server is started or gone; the restored handler decides what happens.
            os.kill(os.getpid(), signum)
