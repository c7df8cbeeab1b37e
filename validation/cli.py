"""The `hotelero` command line: one entry point, each area registers its own commands."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import typer

from agent.cli import app as agent_app
from loadtests.cli import load_command
from simulators.qloapps.cli import main as sim_qloapps
from simulators.whatsapp.cli import main as sim_whatsapp
from validation.doctor import doctor_command
from validation.exitcodes import ExitCode
from validation.images import images_app
from validation.nlu_eval import app as nlu_app
from validation.runner_cli import up_command, validate_command
from validation.services.ports import port_is_free

app = typer.Typer(
    name="hotelero",
    help="WhatsApp hotel receptionist and the harness that proves it fit for release.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hotelero {version('hotelero')}")
        raise typer.Exit(ExitCode.PASS)


def _listens(command: Callable[..., Any]) -> Callable[..., Any]:
    """A server command whose port is taken exits PORT_IN_USE with one line instead of a server error."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        port, host = kwargs.get("port"), kwargs.get("host") or "127.0.0.1"
        ctx = kwargs.get("ctx")
        serving = ctx is None or getattr(ctx, "invoked_subcommand", None) is None
        if serving and port and not port_is_free(int(port), host):
            typer.echo(f"port {port} is in use on {host}: stop what listens there, or pass --port N", err=True)
            raise typer.Exit(ExitCode.PORT_IN_USE)
        try:
            return command(*args, **kwargs)
        except SystemExit as exc:
            # uvicorn exits 3 when startup fails; 3 means INCONCLUSIVE here, so say what happened instead.
            if exc.code == 3:
                typer.echo(f"the server on {host}:{port} failed to start (see the lines above)", err=True)
                raise typer.Exit(ExitCode.ERROR) from None
            raise

    return wrapper


@app.callback()
def _root(
    _show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the hotelero version and exit."
    ),
    services: str | None = typer.Option(
        None,
        "--services",
        help=(
            "Where Postgres/Redis come from: auto (default), docker, local, embedded, external. "
            "Same as HOTELERO_SERVICES."
        ),
    ),
) -> None:
    """WhatsApp hotel receptionist and the harness that proves it fit for release."""
    if services is not None:
        from validation.services.handle import ServiceError, parse_tier

        try:
            # Exported so every command (and the processes they start) provisions from this tier.
            os.environ["HOTELERO_SERVICES"] = parse_tier(services).value
        except ServiceError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None


sim_app = typer.Typer(help="Run a simulator (WhatsApp Cloud API or QloApps webservice).", no_args_is_help=True)
sim_app.command("qloapps")(_listens(sim_qloapps))
sim_app.command("whatsapp")(_listens(sim_whatsapp))
agent_app.registered_callback.callback = _listens(agent_app.registered_callback.callback)  # type: ignore[union-attr]

app.command("doctor")(doctor_command)
app.command("validate")(validate_command)
app.command("up")(up_command)
app.command("load")(load_command)
app.add_typer(sim_app, name="sim")
app.add_typer(agent_app, name="agent")
app.add_typer(nlu_app, name="nlu")
app.add_typer(images_app, name="images")

if __name__ == "__main__":
    app()
