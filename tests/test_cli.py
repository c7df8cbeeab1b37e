"""The `hotelero` entry point wires every area's commands."""

from typer.testing import CliRunner

from validation.cli import app


def test_help_lists_every_area_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("doctor", "validate", "up", "load", "sim", "agent", "nlu"):
        assert command in result.output
