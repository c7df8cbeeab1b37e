"""The `hotelero` CLI: each exit code means one thing; a server on a taken port says so in one line."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version

import pytest

from loadtests import cli as load_cli
from validation.exitcodes import ExitCode
from validation.gates import Verdict


def hotelero(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "validation.cli", *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_verdicts_map_to_0_1_2_3_and_nothing_else_shares_them() -> None:
    assert [Verdict(v).exit_code for v in ("PASS", "FAIL", "ERROR", "INCONCLUSIVE", "INVALID")] == [0, 1, 2, 3, 3]
    others = {ExitCode.PORT_IN_USE, ExitCode.INTERRUPTED}
    assert not others & {0, 1, 2, 3} and len({int(c) for c in ExitCode}) == len(ExitCode)
    assert (load_cli.EXIT_ERROR, load_cli.EXIT_INVALID) == (ExitCode.ERROR, ExitCode.INCONCLUSIVE)


@pytest.mark.parametrize("command", [("sim", "qloapps"), ("sim", "whatsapp"), ("agent",)])
def test_a_server_on_a_taken_port_exits_69_with_one_line(command: tuple[str, ...], taken_port: int) -> None:
    run = hotelero(*command, "--port", str(taken_port))
    assert run.returncode == ExitCode.PORT_IN_USE == 69
    assert run.stderr.strip() == f"port {taken_port} is in use on 127.0.0.1: stop what listens there, or pass --port N"
    assert "Traceback" not in run.stdout + run.stderr


def test_version_and_short_help() -> None:
    run = hotelero("--version")
    assert (run.returncode, run.stdout.strip()) == (0, f"hotelero {version('hotelero')}")
    for args in (("-h",), ("validate", "-h")):
        shown = hotelero(*args)
        assert shown.returncode == 0 and "Usage:" in shown.stdout and "--help" in shown.stdout, args


def test_load_with_a_bad_flag_is_a_usage_error() -> None:
    run = hotelero("load", "--shape", "wave")
    assert run.returncode == ExitCode.ERROR and "unknown shape" in run.stderr
