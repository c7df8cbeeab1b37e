"""`hotelero sim whatsapp`: run the WhatsApp Cloud API simulator."""

from __future__ import annotations

import typer


def main() -> None:
    """Run the WhatsApp simulator."""
    typer.echo("The WhatsApp simulator is not built yet.", err=True)
    raise typer.Exit(2)
