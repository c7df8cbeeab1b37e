"""Test harness for the agent tests: real processes (agent, worker, WhatsApp simulator) and a scripted Graph server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
ACCESS_TOKEN = "test-access-token"
PHONE_NUMBER_ID = "106540352242922"
ADMIN_TOKEN = "test-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail the test with `what` on timeout."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the server may not be up yet
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc})")


@dataclass
class Proc:
    """A child process we started; stopped by its own PID only."""

    popen: subprocess.Popen
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def agent_env(database_url: str, redis_url: str, graph_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env.update(
        AGENT_DATABASE_URL=database_url,
        AGENT_REDIS_URL=redis_url,
        AGENT_GRAPH_API_BASE_URL=graph_url,
        AGENT_GRAPH_API_VERSION="v21.0",
        AGENT_ACCESS_TOKEN=ACCESS_TOKEN,
        AGENT_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        AGENT_APP_SECRET=APP_SECRET,
        AGENT_VERIFY_TOKEN=VERIFY_TOKEN,
        AGENT_ADMIN_TOKEN=ADMIN_TOKEN,
        AGENT_POLL_INTERVAL_SECONDS="0.2",
        AGENT_RESPONDER="echo",  # the tests read the echo responder's replies
        AGENT_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def start_process(args: list[str], env: dict[str, str], log: Path) -> Proc:
    handle = log.open("wb")
    popen = subprocess.Popen(args, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
    return Proc(popen, log)


@dataclass
class Stack:
    """The WhatsApp simulator and the agent as real servers on 127.0.0.1."""

    sim_url: str
    agent_url: str
    database_url: str
    redis_url: str
    tmp: Path
    procs: list[Proc] = field(default_factory=list)
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def sim(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.client.request(method, self.sim_url + path, **kwargs)
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json()

    def send(self, wa_id: str, text: str, **extra: Any) -> dict[str, Any]:
        return self.sim("POST", f"/_sim/guests/{wa_id}/messages", json={"type": "text", "text": text, **extra})

    def replies(self, wa_id: str, after: str, timeout: float = 15, settle_ms: int = 1000) -> list[dict[str, Any]]:
        data = self.sim(
            "GET", f"/_sim/guests/{wa_id}/replies", params={"after": after, "timeout": timeout, "settle_ms": settle_ms}
        )
        return data["replies"]

    def outbound_texts(self, wa_id: str) -> list[str]:
        """Every business message the simulator recorded for a guest, as text, in order."""
        conv = self.sim("GET", f"/_sim/guests/{wa_id}/conversation")
        out = []
        for m in conv["messages"]:
            if m["direction"] == "out":
                body = m["message"]
                out.append(body.get("text", {}).get("body") or body.get("interactive", {}).get("body", {}).get("text"))
        return out

    def start_worker(self, name: str, **extra: str) -> Proc:
        env = agent_env(self.database_url, self.redis_url, self.sim_url, **extra)
        proc = start_process([sys.executable, "-m", "agent", "worker"], env, self.tmp / f"{name}.log")
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.client.close()


def start_stack(
    tmp: Path, database_url: str, redis_url: str, sim_args: list[str] | None = None, **agent_extra: str
) -> Stack:
    """Agent first (it only calls the simulator once a message arrives), then the simulator (it verifies the hook)."""
    agent_port, sim_port = free_port(), free_port()
    stack = Stack(f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{agent_port}", database_url, redis_url, tmp)
    env = agent_env(database_url, redis_url, stack.sim_url, **agent_extra)
    agent = start_process(
        [sys.executable, "-m", "agent", "--host", "127.0.0.1", "--port", str(agent_port)], env, tmp / "agent.log"
    )
    stack.procs.append(agent)
    sim_cmd = [
        sys.executable,
        "-m",
        "simulators.whatsapp",
        "--webhook-url",
        f"{stack.agent_url}/webhooks/whatsapp",
        "--phone-number-id",
        PHONE_NUMBER_ID,
        "--port",
        str(sim_port),
        *(sim_args or []),
    ]
    sim_env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    # Secrets by environment, never argv.
    sim_env["WHATSAPP_SIM_APP_SECRET"] = APP_SECRET
    sim_env["WHATSAPP_SIM_VERIFY_TOKEN"] = VERIFY_TOKEN
    sim_env["WHATSAPP_SIM_ACCESS_TOKEN"] = ACCESS_TOKEN
    sim = start_process(sim_cmd, sim_env, tmp / "sim.log")
    stack.procs.append(sim)
    try:
        wait_until(lambda: stack.client.get(stack.agent_url + "/health/ready").status_code == 200, 60, "agent ready")
        wait_until(
            lambda: stack.client.get(stack.sim_url + "/_sim/health").json().get("webhook_verified"),
            60,
            "simulator to verify the agent's webhook",
        )
    except AssertionError as exc:
        stack.close()
        raise AssertionError(f"{exc}\n--- agent log ---\n{agent.output()}\n--- sim log ---\n{sim.output()}") from exc
    return stack


@dataclass
class FakeGraph:
    """A scripted Graph API on a real port in its own thread: records bodies; `fail` decides per body."""

    fail: Callable[[dict[str, Any]], tuple[int, int] | None] = lambda body: None
    bodies: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    _count: int = 0

    def sends(self) -> list[dict[str, Any]]:
        return [b for b in list(self.bodies) if "status" not in b]

    def texts(self) -> list[str]:
        out = []
        for b in self.sends():
            out.append(
                b.get("text", {}).get("body") or b.get("interactive", {}).get("body", {}).get("text") or b.get("type")
            )
        return out

    async def _handler(self, request: web.Request) -> web.Response:
        body = await request.json()
        failure = self.fail(body)
        if failure is not None:
            code, status = failure
            return web.json_response(
                {
                    "error": {
                        "message": f"(#{code}) scripted",
                        "type": "OAuthException",
                        "code": code,
                        "fbtrace_id": "X",
                    }
                },
                status=status,
            )
        self.bodies.append(body)
        if "status" in body:
            return web.json_response({"success": True})
        self._count += 1
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                "messages": [{"id": f"wamid.fake{self._count}"}],
            }
        )

    def start(self) -> FakeGraph:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_post("/{version}/{phone}/messages", self._handler)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
