"""`python -m simulators.whatsapp ...`: the same command as `hotelero sim whatsapp`."""

import typer

from simulators.whatsapp.cli import main

if __name__ == "__main__":
    typer.run(main)
