"""`hotelero load`: headless or distributed Locust runs of the guest scenarios."""

from __future__ import annotations

import typer


def load_command() -> None:
    """Run a load shape against a running stack."""
    typer.echo("hotelero load is not built yet.", err=True)
    raise typer.Exit(2)
