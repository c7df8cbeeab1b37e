"""The stack under test: Postgres + Redis (foundation tiers), both simulators and the agent as subprocesses.

Every process listens on 127.0.0.1 on a free port, logs into `<out>/logs/`, and is stopped by PID (its own
process group) on success, failure, Ctrl-C and SIGTERM. Pieces given by URL are not started.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from agent.metrics import MULTIPROC_ENV, prepare_multiprocess_dir
from validation.services.ports import free_port, port_is_free

# Default QloApps webservice key of the simulator's seeded shop (docs/qloapps-simulator.md).
DEFAULT_QLOAPPS_KEY = "HOTELEROSIMULATORKEY000000000000"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
GRAPH_API_VERSION = "v21.0"


class StackError(Exception):
    """A piece of the stack did not come up; the message names it and carries the tail of its log."""

    def __init__(self, piece: str, message: str, log_tail: str = "") -> None:
        text = f"{piece}: {message}"
        if log_tail:
            text += f"\n--- last lines of the {piece} log ---\n{log_tail}"
        super().__init__(text)
        self.piece = piece


@dataclass(frozen=True)
class Credentials:
    """Secrets shared by the WhatsApp simulator and the agent, and the admin/QloApps keys."""

    app_secret: str
    verify_token: str
    access_token: str
    admin_token: str
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID
    qloapps_key: str = DEFAULT_QLOAPPS_KEY

    @classmethod
    def generate(cls, **given: str | None) -> Credentials:
        """Fresh random secrets for one run, except those given explicitly."""
        values = {
            "app_secret": secrets.token_hex(16),
            "verify_token": secrets.token_urlsafe(12),
            "access_token": "EAAG" + secrets.token_urlsafe(24),
            "admin_token": secrets.token_urlsafe(24),
        }
        values.update({k: v for k, v in given.items() if v})
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class ManagedProcess:
    """A subprocess we started: its name, command, log file and port."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.log_path, lines)


@dataclass
class StackOptions:
    """What to start and what is given (a URL given means that piece is not started)."""

    out_dir: Path
    agent_url: str | None = None
    whatsapp_url: str | None = None
    qloapps_url: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    credentials: Credentials | None = None
    startup_timeout: float = 60.0
    qloapps_args: list[str] = field(default_factory=list)
    agent_env: dict[str, str] = field(default_factory=dict)
    whatsapp_port: int | None = None
    qloapps_port: int | None = None
    agent_port: int | None = None
    # `hotelero up`: the ports above are preferences; a taken one falls back to a free port (and says so).
    fallback_ports: bool = False
    # The agent's process layout (`hotelero agent --web N --workers M`): one process with its in-process worker
    # benchmarked best on 2 cores (docs/agent.md, "Process layout"): 250 msg/s within 200 ms against 200 for 1 web +
    # 1 worker, at 2.8 against 3.2 ms of agent CPU per guest message.
    agent_web: int = 1
    agent_workers: int = 0
    # The business number's throughput tier in the WhatsApp simulator. Meta counts inbound and outbound messages:
    # 80/s by default, 1,000/s after the automatic upgrade
    # (developers.facebook.com/documentation/business-messaging/whatsapp/throughput); load above ~40 guest
    # messages/s (each answered) needs the upgraded tier.
    whatsapp_throughput_mps: float = 1000.0


@dataclass
class Stack:
    """Where everything is, once up."""

    agent_url: str
    whatsapp_url: str
    qloapps_url: str
    credentials: Credentials
    database_url: str | None
    redis_url: str | None
    services: list[dict[str, str]] = field(default_factory=list)
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    agent_external: bool = False

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes.items() if p.alive()}

    def dead(self) -> list[str]:
        """Names of processes we started that have exited."""
        return [name for name, p in self.processes.items() if not p.alive()]

    def describe(self) -> list[tuple[str, str]]:
        """Every URL, key and token, for `hotelero up` and the run log."""
        c = self.credentials
        rows = [
            ("agent", self.agent_url + (" (external)" if self.agent_external else "")),
            ("agent webhook", f"{self.agent_url}/webhooks/whatsapp"),
            ("agent admin", f"{self.agent_url}/admin  (Authorization: Bearer {c.admin_token})"),
            ("WhatsApp simulator", self.whatsapp_url),
            ("WhatsApp chat control", f"{self.whatsapp_url}/_sim/health"),
            ("QloApps simulator", self.qloapps_url),
            ("QloApps webservice key", c.qloapps_key),
            ("app secret", c.app_secret),
            ("verify token", c.verify_token),
            ("access token", c.access_token),
            ("phone number id", c.phone_number_id),
        ]
        if self.database_url:
            rows.append(("Postgres", self.database_url))
        if self.redis_url:
            rows.append(("Redis", self.redis_url))
        for s in self.services:
            rows.append((f"{s['name']} tier", f"{s['tier']} {s.get('description', '')}".strip()))
        for name, proc in self.processes.items():
            rows.append((f"{name} log", str(proc.log_path)))
        return rows

    def agent_env(self) -> dict[str, str]:
        """The AGENT_* settings that point an agent at this stack (for running one outside the runner)."""
        c = self.credentials
        env = {
            "AGENT_GRAPH_API_BASE_URL": self.whatsapp_url,
            "AGENT_GRAPH_API_VERSION": GRAPH_API_VERSION,
            "AGENT_ACCESS_TOKEN": c.access_token,
            "AGENT_PHONE_NUMBER_ID": c.phone_number_id,
            "AGENT_APP_SECRET": c.app_secret,
            "AGENT_VERIFY_TOKEN": c.verify_token,
            "AGENT_QLOAPPS_URL": self.qloapps_url,
            "AGENT_QLOAPPS_KEY": c.qloapps_key,
            "AGENT_HOTEL_ID": "1",
            "AGENT_TIMEZONE": "Europe/Madrid",
            "AGENT_ADMIN_TOKEN": c.admin_token,
            "AGENT_ENV": "dev",
            # The real brain, not the echo stand-in the agent defaults to.
            "AGENT_RESPONDER": "receptionist",
        }
        if self.database_url:
            env["AGENT_DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["AGENT_REDIS_URL"] = self.redis_url
        return env


def tail(path: Path, lines: int = 30) -> str:
    """Last lines of a log file ('' when missing)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16_384))
            data = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def hotelero_command(*args: str) -> list[str]:
    """`hotelero ARGS` run with this interpreter (works without the console script on PATH)."""
    return [sys.executable, "-m", "validation.cli", *args]


def start_process(name: str, argv: list[str], log_dir: Path, env: dict[str, str] | None = None) -> ManagedProcess:
    """Start a subprocess in its own process group with stdout+stderr in `<log_dir>/<name>.log`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    handle = log_path.open("ab")
    handle.write(f"$ {' '.join(argv)}\n".encode())
    handle.flush()
    full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    popen = subprocess.Popen(  # noqa: S603 - argv built from our own options
        argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env, start_new_session=True
    )
    handle.close()
    return ManagedProcess(name=name, popen=popen, log_path=log_path)


def stop_process(proc: ManagedProcess, grace: float = 8.0) -> None:
    """SIGTERM the process group we created, then SIGKILL it if it lingers."""
    if proc.popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.popen.pid, signal.SIGTERM)
    try:
        proc.popen.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=5)


def wait_healthy(
    piece: str,
    url: str,
    timeout: float,
    proc: ManagedProcess | None = None,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> None:
    """Poll `url` until `ok`; raise StackError naming the piece (with its log tail) on exit or timeout."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    with httpx.Client(timeout=3.0) as client:
        while time.monotonic() < deadline:
            if proc is not None and not proc.alive():
                raise StackError(
                    piece, f"exited with code {proc.popen.returncode} before {url} answered", proc.log_tail()
                )
            try:
                response = client.get(url)
                if ok(response):
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.2)
    raise StackError(
        piece, f"not healthy after {timeout:.0f} s at {url} (last: {last})", proc.log_tail() if proc else ""
    )


def _service_handles(opts: StackOptions, stack: contextlib.ExitStack) -> tuple[str, str, list[dict[str, str]]]:
    """Postgres and Redis URLs: given ones, or provisioned through the foundation's tiers."""
    services: list[dict[str, str]] = []
    database_url, redis_url = opts.database_url, opts.redis_url
    if database_url:
        services.append({"name": "postgres", "tier": "given", "description": "URL given on the command line"})
    if redis_url:
        services.append({"name": "redis", "tier": "given", "description": "URL given on the command line"})
    if database_url and redis_url:
        return database_url, redis_url, services
    try:
        from validation.services import postgres_service, redis_service
    except ImportError as exc:
        raise StackError(
            "services", f"validation.services is not available ({exc}); pass --database-url and --redis-url"
        ) from None
    try:
        if not database_url:
            pg: Any = stack.enter_context(postgres_service())
            database_url = pg.url
            services.append({"name": "postgres", "tier": str(pg.tier), "description": str(pg.description)})
        if not redis_url:
            rd: Any = stack.enter_context(redis_service())
            redis_url = rd.url
            services.append({"name": "redis", "tier": str(rd.tier), "description": str(rd.description)})
    except StackError:
        raise
    except Exception as exc:  # noqa: BLE001 - any tier failure must name the piece and what to do
        raise StackError(
            "services", f"could not provision Postgres/Redis: {exc}. Run `hotelero doctor` to see which tiers work."
        ) from exc
    return database_url, redis_url, services


def _port(preferred: int | None, what: str, opts: StackOptions, on_step: Callable[[str], None]) -> int:
    if preferred is None:
        return free_port()
    if not opts.fallback_ports or port_is_free(preferred):
        return preferred
    chosen = free_port()
    on_step(f"port {preferred} is taken: the {what} uses :{chosen} instead")
    return chosen


@contextlib.contextmanager
def run_stack(opts: StackOptions, on_step: Callable[[str], None] = lambda _msg: None) -> Iterator[Stack]:
    """Bring the stack up, yield where it is, and tear every started piece down however the block exits."""
    log_dir = opts.out_dir / "logs"
    creds = opts.credentials or Credentials.generate()
    started: dict[str, ManagedProcess] = {}
    with contextlib.ExitStack() as exit_stack:

        def _stop_all() -> None:
            for proc in reversed(list(started.values())):
                stop_process(proc)

        exit_stack.callback(_stop_all)
        database_url: str | None = opts.database_url
        redis_url: str | None = opts.redis_url
        services: list[dict[str, str]] = []
        if not opts.agent_url:
            on_step("provisioning Postgres and Redis")
            database_url, redis_url, services = _service_handles(opts, exit_stack)

        qloapps_url = opts.qloapps_url
        if not qloapps_url:
            port = _port(opts.qloapps_port, "QloApps simulator", opts, on_step)
            on_step(f"starting the QloApps simulator on :{port}")
            proc = start_process(
                "qloapps-sim",
                hotelero_command("sim", "qloapps", "--host", "127.0.0.1", "--port", str(port), *opts.qloapps_args),
                log_dir,
            )
            proc.port = port
            started["qloapps-sim"] = proc
            qloapps_url = f"http://127.0.0.1:{port}"
        agent_port = _port(opts.agent_port, "agent", opts, on_step) if not opts.agent_url else 0
        agent_url = (opts.agent_url or f"http://127.0.0.1:{agent_port}").rstrip("/")
        whatsapp_url = opts.whatsapp_url
        if not whatsapp_url:
            port = _port(opts.whatsapp_port, "WhatsApp simulator", opts, on_step)
            on_step(f"starting the WhatsApp simulator on :{port}")
            proc = start_process(
                "whatsapp-sim",
                hotelero_command(
                    "sim",
                    "whatsapp",
                    "--webhook-url",
                    f"{agent_url}/webhooks/whatsapp",
                    "--phone-number-id",
                    creds.phone_number_id,
                    "--throughput-mps",
                    str(opts.whatsapp_throughput_mps),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ),
                log_dir,
                # Secrets by environment: argv is readable by every user (ps).
                {
                    "WHATSAPP_SIM_APP_SECRET": creds.app_secret,
                    "WHATSAPP_SIM_VERIFY_TOKEN": creds.verify_token,
                    "WHATSAPP_SIM_ACCESS_TOKEN": creds.access_token,
                },
            )
            proc.port = port
            started["whatsapp-sim"] = proc
            whatsapp_url = f"http://127.0.0.1:{port}"
        stack = Stack(
            agent_url=agent_url,
            whatsapp_url=whatsapp_url.rstrip("/"),
            qloapps_url=qloapps_url.rstrip("/"),
            credentials=creds,
            database_url=database_url,
            redis_url=redis_url,
            services=services,
            processes=started,
            agent_external=bool(opts.agent_url),
        )
        if "qloapps-sim" in started:
            wait_healthy(
                "QloApps simulator", f"{stack.qloapps_url}/_sim/health", opts.startup_timeout, started["qloapps-sim"]
            )
        else:
            wait_healthy("QloApps simulator", f"{stack.qloapps_url}/_sim/health", opts.startup_timeout)
        if not opts.agent_url:
            env = {**stack.agent_env(), **opts.agent_env}
            # Every agent process (web and worker) writes here; a scrape of any web process sums them all.
            metrics_dir = opts.out_dir / "metrics-multiproc"
            prepare_multiprocess_dir(metrics_dir)
            env.setdefault(MULTIPROC_ENV, str(metrics_dir))
            on_step("migrating the agent's database")
            migrate = start_process("agent-migrate", hotelero_command("agent", "migrate"), log_dir, env)
            try:
                code = migrate.popen.wait(timeout=opts.startup_timeout)
            except subprocess.TimeoutExpired:
                stop_process(migrate)
                raise StackError("agent migrate", "did not finish", migrate.log_tail()) from None
            if code != 0:
                raise StackError("agent migrate", f"exited with code {code}", migrate.log_tail())
            on_step(f"starting the agent on :{agent_port}")
            proc = start_process(
                "agent",
                hotelero_command(
                    "agent",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(agent_port),
                    "--web",
                    str(opts.agent_web),
                    "--workers",
                    str(opts.agent_workers),
                ),
                log_dir,
                env,
            )
            proc.port = agent_port
            started["agent"] = proc
        wait_healthy(
            "WhatsApp simulator", f"{stack.whatsapp_url}/_sim/health", opts.startup_timeout, started.get("whatsapp-sim")
        )
        wait_healthy("agent", f"{stack.agent_url}/health/ready", opts.startup_timeout, started.get("agent"))
        on_step("stack is up")
        yield stack


class Terminated(Exception):
    """SIGTERM arrived: unwind like Ctrl-C so every started process is stopped."""


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into an exception in the main thread so `with run_stack(...)` cleans up."""

    def _raise(signum: int, frame: object) -> None:
        raise Terminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
