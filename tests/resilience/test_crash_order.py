"""SIGKILL under load: guests are answered in their own order, nothing is lost or sent twice.

- A supervised web process and a separate worker (`--workers 1`): the worker is SIGKILLed while guests write;
  the web process keeps acknowledging, so no webhook is refused.
- A single all-in-one process (the layout `hotelero up` and `validate` start) is SIGKILLed and started again:
  webhooks are refused while it is down and Meta (the simulator, its retry schedule compressed) redelivers them;
  every one is answered, and among the messages the agent held nothing is answered out of order.
Counted from the simulator's conversations (validation/outcomes.py), as the resilience stage does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import psutil
import pytest
from agent_harness import ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, Proc, agent_env, free_port, start_process, wait_until

from validation import outcomes
from validation.stages.resilience import Traffic, agent_records, conversations, drive

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GUESTS = 8
INTERVAL_S = 1.0
TRAFFIC_S = 10.0
KILL_AT_S = 4.0


@dataclass
class Layout:
    """The WhatsApp simulator and the agent (started with `agent_args`) as real processes."""

    tmp: Path
    database_url: str
    redis_url: str
    agent_args: list[str]
    port: int = field(default_factory=free_port)
    sim_port: int = field(default_factory=free_port)
    agent: Proc | None = None
    sim: Proc | None = None

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    def start_agent(self) -> None:
        env = agent_env(
            self.database_url,
            self.redis_url,
            self.sim_url,
            AGENT_ECHO_DELAY_MS="150",  # turns are in flight when the kill comes
            AGENT_LEASE_SECONDS="3",
        )
        argv = [sys.executable, "-m", "agent", "--port", str(self.port), *self.agent_args]
        self.agent = start_process(argv, env, self.tmp / f"agent-{time.monotonic_ns()}.log")
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{self.port}/health/live").status_code == 200, 60, "agent up")

    def start_sim(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
        env.update(
            WHATSAPP_SIM_APP_SECRET=APP_SECRET,
            WHATSAPP_SIM_VERIFY_TOKEN=VERIFY_TOKEN,
            WHATSAPP_SIM_ACCESS_TOKEN=ACCESS_TOKEN,
        )
        argv = [
            sys.executable,
            "-m",
            "simulators.whatsapp",
            "--webhook-url",
            f"http://127.0.0.1:{self.port}/webhooks/whatsapp",
            "--port",
            str(self.sim_port),
            "--no-rate-limits",
            "--retry-time-scale",
            "0.05",  # Meta's schedule (15 s, doubling) twenty times faster
        ]
        self.sim = start_process(argv, env, self.tmp / "sim.log")
        wait_until(lambda: httpx.get(self.sim_url + "/_sim/health").json().get("webhook_verified"), 60, "webhook ok")

    def close(self) -> None:
        for proc in (self.sim, self.agent):
            if proc is not None:
                proc.stop()


@pytest.fixture
def layout(
    tmp_path: Path, fresh_postgres_url: str, fresh_redis_url: str, request: pytest.FixtureRequest
) -> Iterator[Layout]:
    lay = Layout(tmp_path, fresh_postgres_url, fresh_redis_url, request.param)
    try:
        lay.start_agent()
        lay.start_sim()
        yield lay
    finally:
        lay.close()


def worker_child(agent: Proc) -> int | None:
    for child in psutil.Process(agent.popen.pid).children():
        if child.cmdline()[-1:] == ["worker"]:
            return child.pid
    return None


async def run_with_kill(lay: Layout, kill) -> outcomes.Outcome:  # noqa: ANN001 - a callable run at KILL_AT_S
    guests = [f"3463{i:08d}" for i in range(GUESTS)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for wa_id in guests:
            async with session.post(f"{lay.sim_url}/_sim/guests", json={"wa_id": wa_id, "language": "es"}) as r:
                assert r.status < 300, await r.text()
        traffic = Traffic(guests, set())
        stop = asyncio.Event()
        driver = asyncio.create_task(drive(session, lay.sim_url, traffic, INTERVAL_S, TRAFFIC_S, 7, "c", stop))
        await asyncio.sleep(KILL_AT_S)
        await asyncio.to_thread(kill)
        await driver
        assert traffic.refused == 0, "the simulator itself refused guest messages"
        deadline = time.monotonic() + 90
        while True:
            logs = await conversations(session, lay.sim_url, guests)
            keys, handled = await agent_records(lay.database_url, guests)
            outcome = outcomes.count(logs, keys, handled)
            if outcome.lost == 0 or time.monotonic() > deadline:
                return outcome
            await asyncio.sleep(1.0)


@pytest.mark.parametrize("layout", [["--workers", "1"]], indirect=True, ids=["web+worker"])
def test_a_sigkilled_worker_leaves_no_guest_unanswered_out_of_order_or_refused(layout: Layout) -> None:
    assert layout.agent is not None
    killed: list[int] = []

    def kill() -> None:
        pid = worker_child(layout.agent)  # type: ignore[arg-type]
        assert pid is not None, "no worker process under the supervisor"
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    outcome = asyncio.run(run_with_kill(layout, kill))
    print("web+worker:", outcome.row())
    assert killed
    wait_until(lambda: worker_child(layout.agent) not in (None, killed[0]), 30, "the supervisor restarting the worker")
    assert outcome.sent >= GUESTS * TRAFFIC_S / INTERVAL_S * 0.9
    assert (outcome.lost, outcome.duplicated, outcome.out_of_order) == (0, 0, 0), outcome.row()
    assert outcome.webhooks_refused == 0, outcome.row()


@pytest.mark.parametrize("layout", [[]], indirect=True, ids=["all-in-one"])
def test_a_sigkilled_single_process_answers_every_refused_message_after_redelivery_in_order(layout: Layout) -> None:
    def kill_and_restart() -> None:
        assert layout.agent is not None
        layout.agent.popen.send_signal(signal.SIGKILL)
        layout.agent.popen.wait(10)
        layout.start_agent()  # as a process manager would

    outcome = asyncio.run(run_with_kill(layout, kill_and_restart))
    print("all-in-one:", outcome.row())
    assert outcome.webhooks_refused > 0, "the process was down, so some deliveries must have been refused"
    assert (outcome.lost, outcome.duplicated, outcome.out_of_order) == (0, 0, 0), outcome.row()
