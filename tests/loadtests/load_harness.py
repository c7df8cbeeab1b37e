"""Helpers of the load tests: start/stop servers by PID, run `hotelero load` in a subprocess, read its files.

Locust never runs in the pytest process (gevent vs asyncio/pytest): every run is a subprocess.
"""

from __future__ import annotations

import contextlib
import csv
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started, by its PID."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_verified(sim_url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    """Until the simulator answers and its webhook handshake with the business succeeded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the WhatsApp simulator exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{sim_url}/_sim/health", timeout=2).json().get("webhook_verified"):
                return
        time.sleep(0.2)
    raise RuntimeError(f"the WhatsApp simulator did not verify its webhook in {timeout} s: {log.read_text()[-2000:]}")


@dataclass
class SimStack:
    """The WhatsApp simulator wired to a business (the fake one, or the agent)."""

    sim_url: str
    out: Path

    def faults(self, **faults: Any) -> None:
        httpx.post(f"{self.sim_url}/_sim/faults", json=faults, timeout=5).raise_for_status()


@dataclass
class LoadRun:
    """What one `hotelero load` run left behind."""

    code: int
    out: Path
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    output: str

    def locust_counts(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(type, name) -> (requests, failures) from Locust's own stats CSV."""
        with (self.out / "locust_stats.csv").open(encoding="utf-8") as handle:
            return {
                (r["Type"], r["Name"]): (int(r["Request Count"]), int(r["Failure Count"]))
                for r in csv.DictReader(handle)
                if r["Name"] != "Aggregated"
            }

    def sample_counts(self) -> dict[tuple[str, str], tuple[int, int]]:
        counts: dict[tuple[str, str], list[int]] = {}
        for r in self.rows:
            c = counts.setdefault((r["type"], r["name"]), [0, 0])
            c[0] += 1
            c[1] += 0 if r["ok"] else 1
        return {k: (v[0], v[1]) for k, v in counts.items()}


def run_load(sim_url: str, out: Path, *args: str, timeout: float = 150) -> LoadRun:
    """`hotelero load` headless in a subprocess, built-in scripts unless `--conversations-dir` is given."""
    cmd = [sys.executable, "-c", "from validation.cli import app; app()", "load", "--host", sim_url, "--out", str(out)]
    if "--conversations-dir" not in args:
        cmd += ["--conversations-dir", str(out / "no-golden")]
    done = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO)
    output = done.stdout + done.stderr
    summary_path = out / "summary.json"
    if not summary_path.exists():
        log = (out / "locust.log").read_text() if (out / "locust.log").exists() else ""
        raise AssertionError(f"no summary (exit {done.returncode}):\n{output}\n{log[-3000:]}")
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return LoadRun(done.returncode, out, json.loads(summary_path.read_text()), rows, output)
