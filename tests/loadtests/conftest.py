"""Servers for the load tests: the WhatsApp simulator with a fake business of known ceiling, or the real stack."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture
def real_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Factory: the real stack (agent, both simulators, Postgres, Redis) with extra AGENT_* settings."""
    try:
        from validation.stack import StackOptions, run_stack
    except ImportError as exc:  # pragma: no cover - depends on the validation area
        pytest.skip(f"validation.stack is missing ({exc}): it starts the agent and the simulators")
    try:
        database_url = request.getfixturevalue("fresh_postgres_url")
        redis_url = request.getfixturevalue("fresh_redis_url")
    except pytest.FixtureLookupError as exc:  # pragma: no cover - depends on the pytest plugin
        pytest.skip(f"the pytest plugin's Postgres/Redis fixtures are missing: {exc.argname}")
    with contextlib.ExitStack() as stack:

        def start(**agent_env: str) -> Any:
            opts = StackOptions(
                out_dir=tmp_path / "stack", database_url=database_url, redis_url=redis_url, agent_env=agent_env
            )
            return stack.enter_context(run_stack(opts))

        yield start
