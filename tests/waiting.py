"""Polling for something that happens in another thread or process, with a limit so a test never hangs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 5.0, what: str = "condition", step: float = 0.01) -> T:
    """Return the first truthy value of `predicate()`; TimeoutError naming `what` if it never comes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(step)
