"""The `hotelero` command line: one entry point, each area registers its own commands."""

from __future__ import annotations

import os

import typer

from agent.cli import app as agent_app
from loadtests.cli import load_command
from simulators.qloapps.cli import main as sim_qloapps
from simulators.whatsapp.cli import main as sim_whatsapp
from validation.doctor import doctor_command
from validation.nlu_eval import app as nlu_app
from validation.runner_cli import up_command, validate_command

app = typer.Typer(
    name="hotelero",
    help="WhatsApp hotel receptionist and the harness that proves it fit for release.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root(
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
sim_app.command("qloapps")(sim_qloapps)
sim_app.command("whatsapp")(sim_whatsapp)

app.command("doctor")(doctor_command)
app.command("validate")(validate_command)
app.command("up")(up_command)
app.command("load")(load_command)
app.add_typer(sim_app, name="sim")
app.add_typer(agent_app, name="agent")
app.add_typer(nlu_app, name="nlu")

if __name__ == "__main__":
    app()
