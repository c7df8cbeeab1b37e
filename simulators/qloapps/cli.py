"""`hotelero sim qloapps`: run the QloApps webservice simulator."""

from __future__ import annotations

import typer


def main() -> None:
    """Run the QloApps simulator."""
    typer.echo("The QloApps simulator is not built yet.", err=True)
    raise typer.Exit(2)
