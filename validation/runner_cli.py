"""`hotelero validate` and `hotelero up`."""

from __future__ import annotations

import typer


def validate_command() -> None:
    """Run the release validation."""
    typer.echo("hotelero validate is not built yet.", err=True)
    raise typer.Exit(2)


def up_command() -> None:
    """Start the whole stack for a developer."""
    typer.echo("hotelero up is not built yet.", err=True)
    raise typer.Exit(2)
