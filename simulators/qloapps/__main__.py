"""`python -m simulators.qloapps ...`: the same command as `hotelero sim qloapps`."""

import typer

from simulators.qloapps.cli import main

if __name__ == "__main__":
    typer.run(main)
