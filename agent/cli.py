"""`hotelero agent`: run the receptionist, its worker alone, or its migrations."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run the receptionist service (placeholder until the service lands).")


@app.callback(invoke_without_command=True)
def main(ctx: typer.Context) -> None:
    """Run the agent."""
    typer.echo("hotelero agent is not built yet.", err=True)
    raise typer.Exit(2)
