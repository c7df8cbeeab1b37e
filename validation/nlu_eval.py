"""`hotelero nlu eval`: the NLU's figures on the labelled evaluation set."""

from __future__ import annotations

import typer

app = typer.Typer(help="NLU tools (placeholder until the brain lands).")


@app.command("eval")
def eval_command() -> None:
    """Evaluate the NLU."""
    typer.echo("hotelero nlu eval is not built yet.", err=True)
    raise typer.Exit(2)
