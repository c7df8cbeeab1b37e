"""`hotelero doctor`: what each provisioning tier finds on this machine."""

from __future__ import annotations

import typer


def doctor_command() -> None:
    """Report which service tiers can serve."""
    typer.echo("hotelero doctor is not built yet.", err=True)
    raise typer.Exit(2)
