"""`hotelero validate` and `hotelero up`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from validation.exitcodes import ExitCode
from validation.runner import RunOptions, run_validation
from validation.stack import Credentials, StackError, StackOptions, Terminated, run_stack, sigterm_unwinds

_AGENT_URL = typer.Option(None, "--agent-url", help="Validate an agent already running there (not started).")
_WA_URL = typer.Option(None, "--whatsapp-url", help="Use a WhatsApp simulator already running there.")
_QLO_URL = typer.Option(None, "--qloapps-url", help="Use a QloApps simulator already running there.")
_DB_URL = typer.Option(None, "--database-url", help="Use this Postgres instead of provisioning one.")
_REDIS_URL = typer.Option(None, "--redis-url", help="Use this Redis instead of provisioning one.")
_SECRET = typer.Option(None, "--app-secret", envvar="AGENT_APP_SECRET", help="App secret (default: random per run).")
_VERIFY = typer.Option(None, "--verify-token", envvar="AGENT_VERIFY_TOKEN", help="Webhook verify token.")
_ACCESS = typer.Option(None, "--access-token", envvar="AGENT_ACCESS_TOKEN", help="Graph API access token.")
_ADMIN = typer.Option(None, "--admin-token", envvar="AGENT_ADMIN_TOKEN", help="Agent admin bearer token.")
_TIMEOUT = typer.Option(90.0, "--startup-timeout", help="Seconds each piece has to become healthy.")


def validate_command(
    profile: str = typer.Option("quick", "--profile", "-p", help="quick (CI, <= 3 min), standard (<= 15 min), soak."),
    gates: Path | None = typer.Option(None, "--gates", help="Gates file (default ./quality_gates.yaml)."),
    out: Path | None = typer.Option(None, "--out", help="Report folder (default reports/<timestamp>/)."),
    baseline: str | None = typer.Option(
        None, "--baseline", help="result.json to compare with, or last-pass (latest PASS in reports/history.jsonl)."
    ),
    duration: str | None = typer.Option(None, "--duration", help="Load duration, e.g. 2h (required by soak)."),
    inject: list[str] = typer.Option([], "--inject", help="Fault during the load stage, e.g. qloapps-latency=3000ms."),
    stages: str | None = typer.Option(None, "--stages", help="Comma-separated subset of the profile's stages."),
    agent_url: str | None = _AGENT_URL,
    whatsapp_url: str | None = _WA_URL,
    qloapps_url: str | None = _QLO_URL,
    database_url: str | None = _DB_URL,
    redis_url: str | None = _REDIS_URL,
    app_secret: str | None = _SECRET,
    verify_token: str | None = _VERIFY,
    access_token: str | None = _ACCESS,
    admin_token: str | None = _ADMIN,
    startup_timeout: float = _TIMEOUT,
    no_live: bool = typer.Option(False, "--no-live", help="Plain output instead of live progress bars."),
    load_driver: str = typer.Option("locust", "--load-driver", help="locust (hotelero load) or builtin sender."),
) -> None:
    """Run the release validation and judge it against quality_gates.yaml.

    Exit codes: 0 PASS, 1 FAIL (a blocking gate or check failed), 2 configuration/usage/harness error,
    3 INCONCLUSIVE (too few samples) or INVALID (run-validity guard tripped).
    """
    opts = RunOptions(
        profile=profile,
        gates_path=gates,
        out=out,
        baseline=baseline,
        agent_url=agent_url,
        whatsapp_url=whatsapp_url,
        qloapps_url=qloapps_url,
        database_url=database_url,
        redis_url=redis_url,
        credentials={
            "app_secret": app_secret,
            "verify_token": verify_token,
            "access_token": access_token,
            "admin_token": admin_token,
        },
        duration=duration,
        inject=list(inject),
        stages=[s.strip() for s in stages.split(",") if s.strip()] if stages else None,
        startup_timeout=startup_timeout,
        live=not no_live and sys.stdout.isatty(),
        command=["hotelero", *sys.argv[1:]],
        load_driver=load_driver,
    )
    raise typer.Exit(run_validation(opts))


def up_command(
    out: Path = typer.Option(Path("reports/up"), "--out", help="Folder for the logs."),
    agent_url: str | None = _AGENT_URL,
    whatsapp_url: str | None = _WA_URL,
    qloapps_url: str | None = _QLO_URL,
    database_url: str | None = _DB_URL,
    redis_url: str | None = _REDIS_URL,
    app_secret: str | None = _SECRET,
    verify_token: str | None = _VERIFY,
    access_token: str | None = _ACCESS,
    admin_token: str | None = _ADMIN,
    startup_timeout: float = _TIMEOUT,
) -> None:
    """Start the whole stack for a developer, print every URL, key and token, and stay up until Ctrl-C."""
    console = Console()
    opts = StackOptions(
        out_dir=out.resolve(),
        agent_url=agent_url,
        whatsapp_url=whatsapp_url,
        qloapps_url=qloapps_url,
        database_url=database_url,
        redis_url=redis_url,
        credentials=Credentials.generate(
            app_secret=app_secret, verify_token=verify_token, access_token=access_token, admin_token=admin_token
        ),
        startup_timeout=startup_timeout,
        # The ports README.md and docs/ point at; a taken one falls back to a free port and says so.
        agent_port=8080,
        qloapps_port=8081,
        whatsapp_port=8082,
        fallback_ports=True,
    )
    try:
        with sigterm_unwinds(), run_stack(opts, on_step=lambda msg: console.print(f"· {msg}")) as stack:
            table = Table(title="hotelero stack", title_justify="left", show_header=False)
            table.add_column("what", style="bold")
            table.add_column("where / value", overflow="fold")
            for what, value in stack.describe():
                table.add_row(what, value)
            console.print(table)
            console.print("Agent settings for running an agent yourself against these simulators:")
            for key, value in stack.agent_env().items():
                console.print(f"  export {key}='{value}'", highlight=False)
            console.print("[bold]Stack is up.[/] Press Ctrl-C to stop everything.")
            while True:
                dead = stack.dead()
                if dead:
                    proc = stack.processes[dead[0]]
                    console.print(f"[red]{dead[0]} exited[/] (code {proc.popen.returncode}):\n{proc.log_tail()}")
                    raise typer.Exit(ExitCode.ERROR)
                time.sleep(1.0)
    except StackError as exc:
        console.print(f"[red]the stack did not come up[/]: {exc}", highlight=False)
        raise typer.Exit(ExitCode.ERROR) from None
    except (KeyboardInterrupt, Terminated):
        console.print("stopping: every started process was stopped")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
