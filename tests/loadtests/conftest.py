"""Servers for the load tests: the WhatsApp simulator with a fake business of known ceiling, or the real stack."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from load_harness import HERE, REPO, SimStack, free_port, stop, wait_verified


@pytest.fixture
def sim_with_fake_business(tmp_path: Path) -> Iterator[Callable[..., SimStack]]:
    """Factory: start the simulator and a fake business (`--concurrency`, `--delay-ms`); all stopped afterwards."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*business_args: str) -> SimStack:
        sim_port, biz_port = free_port(), free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        biz_log = (tmp_path / "business.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "fake_business.py"),
                    "--port",
                    str(biz_port),
                    "--graph-url",
                    sim_url,
                    *business_args,
                ],
                stdout=biz_log,
                stderr=subprocess.STDOUT,
            )
        )
        sim_log_path = tmp_path / "sim.log"
        sim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulators.whatsapp",
                "--webhook-url",
                f"http://127.0.0.1:{biz_port}/webhooks/whatsapp",
                "--port",
                str(sim_port),
                "--no-rate-limits",
            ],
            stdout=sim_log_path.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        procs.append(sim)
        wait_verified(sim_url, sim, sim_log_path)
        return SimStack(sim_url, tmp_path)

    yield start
    for proc in reversed(procs):
        stop(proc)


AGENT_BASE_ENV = {
    "AGENT_GRAPH_API_VERSION": "v21.0",
    "AGENT_ACCESS_TOKEN": "sim-access-token",
    "AGENT_PHONE_NUMBER_ID": "106540352242922",
    "AGENT_APP_SECRET": "sim-app-secret",
    "AGENT_VERIFY_TOKEN": "sim-verify-token",
    "AGENT_ADMIN_TOKEN": "load-test-admin",
    "AGENT_ENV": "dev",
    "AGENT_LOG_LEVEL": "WARNING",
}


def _hotelero(*args: str) -> list[str]:
    return [sys.executable, "-c", "from validation.cli import app; app()", *args]


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the agent exited: {log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the agent was not ready in {timeout} s: {log.read_text()[-3000:]}")


@pytest.fixture
def agent_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., SimStack]]:
    """Factory: the real agent on real Postgres and Redis behind the WhatsApp simulator (no PMS), extra AGENT_*."""
    database_url = request.getfixturevalue("fresh_postgres_url")
    redis_url = request.getfixturevalue("fresh_redis_url")
    procs: list[subprocess.Popen[bytes]] = []

    def start(**agent_env: str) -> SimStack:
        sim_port, agent_port = free_port(), free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        env = {
            **os.environ,
            **AGENT_BASE_ENV,
            "AGENT_GRAPH_API_BASE_URL": sim_url,
            "AGENT_DATABASE_URL": database_url,
            "AGENT_REDIS_URL": redis_url,
            "AGENT_QLOAPPS_URL": "",
            **agent_env,
        }
        log = tmp_path / "agent.log"
        migrate = subprocess.run(_hotelero("agent", "migrate"), env=env, capture_output=True, text=True, timeout=60)
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        agent = subprocess.Popen(
            _hotelero("agent", "--host", "127.0.0.1", "--port", str(agent_port)),
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        procs.append(agent)
        sim_log = tmp_path / "sim.log"
        sim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulators.whatsapp",
                "--webhook-url",
                f"http://127.0.0.1:{agent_port}/webhooks/whatsapp",
                "--port",
                str(sim_port),
                "--no-rate-limits",
            ],
            stdout=sim_log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        procs.append(sim)
        _wait_ready(f"http://127.0.0.1:{agent_port}/health/ready", agent, log)
        wait_verified(sim_url, sim, sim_log)
        return SimStack(sim_url, tmp_path)

    yield start
    for proc in reversed(procs):
        stop(proc)


@pytest.fixture
def real_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Factory: the whole stack (agent, both simulators, Postgres, Redis) through the validation runner's stack."""
    from validation.stack import StackOptions, run_stack

    database_url = request.getfixturevalue("fresh_postgres_url")
    redis_url = request.getfixturevalue("fresh_redis_url")
    with contextlib.ExitStack() as stack:

        def start(**agent_env: str) -> Any:
            opts = StackOptions(
                out_dir=tmp_path / "stack", database_url=database_url, redis_url=redis_url, agent_env=agent_env
            )
            return stack.enter_context(run_stack(opts))

        yield start
