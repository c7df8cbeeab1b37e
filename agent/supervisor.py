"""The process layout of `hotelero agent --workers M`: web processes and separate worker processes, supervised.

One supervisor (this module, the process you started) runs the migrations once, then keeps its children alive:

- `web`: the HTTP server (webhook, admin, health, metrics), `--web N` uvicorn processes sharing the port, with no
  in-process worker (AGENT_RUN_WORKER=false). It only stores and acknowledges, so it answers while workers die.
- `worker-1..M`: `hotelero agent worker` processes claiming from the same database (per-guest leases).

A child that exits is started again (after 1 s, backing off to 30 s while it keeps dying young); a killed
worker's leases expire and its messages are claimed again. SIGTERM/SIGINT stop every child (SIGTERM, then
SIGKILL after the grace period). All children share one PROMETHEUS_MULTIPROC_DIR (created empty here unless
given), so a scrape of any web process sums the web and worker processes (agent/metrics.py aggregates).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from agent.metrics import MULTIPROC_ENV, prepare_multiprocess_dir

log = logging.getLogger(__name__)

RESTART_MIN_S = 1.0
RESTART_MAX_S = 30.0
# A child that lived this long is healthy again: its next restart waits the minimum.
HEALTHY_AFTER_S = 10.0
# Exits a restart cannot mend: bad settings (2), the port is taken (69). The supervisor stops with that code.
FATAL_EXIT_CODES = frozenset({2, 69})


@dataclass
class Child:
    """A supervised process: what to run, and its current incarnation."""

    name: str
    argv: list[str]
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff_s: float = RESTART_MIN_S
    restart_at: float | None = None

    def start(self) -> None:
        self.popen = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL)  # noqa: S603 - our argv
        self.started_at = time.monotonic()
        self.restart_at = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class Layout:
    """How many HTTP server processes and separate worker processes to run."""

    web: int = 1
    workers: int = 1
    host: str = "127.0.0.1"
    port: int = 8080
    extra_env: dict[str, str] = field(default_factory=dict)

    def children(self, base_env: dict[str, str]) -> list[Child]:
        agent = [sys.executable, "-m", "agent"]
        # Children must not migrate (the supervisor did) nor start supervisors of their own.
        common = {**base_env, **self.extra_env, "AGENT_MIGRATE_ON_START": "false", "AGENT_WORKER_PROCESSES": "0"}
        web_argv = [*agent, "--host", self.host, "--port", str(self.port), "--web", str(self.web), "--workers", "0"]
        kids = [Child("web", web_argv, {**common, "AGENT_RUN_WORKER": "false"})]
        kids += [Child(f"worker-{i + 1}", [*agent, "worker"], dict(common)) for i in range(self.workers)]
        return kids


class Supervisor:
    """Start the children, restart those that exit, stop them all on a signal."""

    def __init__(self, children: list[Child], grace_s: float = 15.0, poll_s: float = 0.2) -> None:
        self.children = children
        self.grace_s = grace_s
        self.poll_s = poll_s
        self._stopping = False
        self.exit_code = 0

    def request_stop(self, *_: object) -> None:
        self._stopping = True

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT; returns the exit code."""
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        for child in self.children:
            child.start()
            log.info("started", extra={"child": child.name, "pid": child.pid})
        try:
            while not self._stopping:
                self.tick(time.monotonic())
                time.sleep(self.poll_s)
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self.exit_code

    def tick(self, now: float) -> None:
        """One supervision step: notice exits, schedule and perform restarts."""
        for child in self.children:
            if child.alive():
                continue
            if child.restart_at is None:
                code = child.popen.returncode if child.popen is not None else None
                if code in FATAL_EXIT_CODES:
                    log.error("child cannot run; stopping", extra={"child": child.name, "code": code})
                    self.exit_code = code
                    self._stopping = True
                    return
                lived = now - child.started_at
                child.backoff_s = RESTART_MIN_S if lived >= HEALTHY_AFTER_S else min(RESTART_MAX_S, child.backoff_s * 2)
                child.restart_at = now + child.backoff_s
                log.warning(
                    "child exited; restarting",
                    extra={"child": child.name, "code": code, "lived_s": round(lived, 1), "in_s": child.backoff_s},
                )
            elif now >= child.restart_at:
                child.restarts += 1
                child.start()
                log.info("restarted", extra={"child": child.name, "pid": child.pid, "restarts": child.restarts})

    def stop_all(self) -> None:
        """SIGTERM every child, wait the grace period, SIGKILL what is left (each by its own PID)."""
        live = [c for c in self.children if c.alive()]
        for child in live:
            with contextlib.suppress(ProcessLookupError):
                child.popen.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + self.grace_s
        for child in live:
            try:
                child.popen.wait(max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                child.popen.kill()  # type: ignore[union-attr]
                child.popen.wait(5)  # type: ignore[union-attr]


def run_layout(layout: Layout) -> int:
    """Run the supervised layout with one shared metrics directory; returns the exit code."""
    env = dict(os.environ)
    created: Path | None = None
    if not env.get(MULTIPROC_ENV):
        created = Path(tempfile.mkdtemp(prefix="hotelero-metrics-"))
        env[MULTIPROC_ENV] = str(created)
    prepare_multiprocess_dir(Path(env[MULTIPROC_ENV]))
    try:
        return Supervisor(layout.children(env)).run()
    finally:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
