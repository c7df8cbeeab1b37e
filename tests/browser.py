"""A real headless browser for tests: Playwright driving Debian's chromium (no browser download).

`offline_context` refuses every request that would leave the machine and records it, so a page that needs
the internet fails the test instead of quietly loading from a CDN.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Route, sync_playwright

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
    "--mute-audio",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def chromium_path() -> str:
    path = os.environ.get("HOTELERO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium (apt-get install chromium)")
    return path


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Offline:
    """Requests the page tried to send off the machine (all refused)."""

    refused: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()


@contextlib.contextmanager
def offline_context(browser: Browser, **options: Any) -> Iterator[tuple[BrowserContext, Offline]]:
    context = browser.new_context(**options)
    guard = Offline()
    context.route("**/*", guard.route)
    try:
        yield context, guard
    finally:
        context.close()
