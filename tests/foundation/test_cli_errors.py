"""Bad input through the CLI: one clear line on stderr and a non-zero exit; doctor's verdicts."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from validation.cli import app

_CLEAN = {"HOTELERO_SERVICES": None, "HOTELERO_DATABASE_URL": None, "HOTELERO_REDIS_URL": None}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def invoke(args: list[str], **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env={**_CLEAN, **env})
    return result.exit_code, result.stdout, result.stderr


def test_unknown_tier_on_the_command_line_is_one_line_and_exit_2() -> None:
    code, _out, err = invoke(["--services", "kubernetes", "doctor"])
    assert code == 2
    choices = "docker, local, embedded, external, auto"
    assert err.strip() == f"error: unknown services tier 'kubernetes': choose one of {choices}"


def test_unknown_tier_in_hotelero_services_is_one_line_and_exit_2() -> None:
    code, _out, err = invoke(["doctor"], HOTELERO_SERVICES="lokal")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: unknown services tier 'lokal': choose one of docker, local, embedded, external, auto"
    ]


def test_malformed_database_url_is_one_line_and_exit_2() -> None:
    code, out, err = invoke(["doctor"], HOTELERO_DATABASE_URL="postgresql://db:port/hotel")
    assert code == 2
    assert out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("error: malformed HOTELERO_DATABASE_URL 'postgresql://db:port/hotel'")


def test_unreachable_external_urls_fail_doctor_with_exit_1_and_say_what_to_check() -> None:
    code, out, err = invoke(
        ["doctor", "--services", "external"],
        HOTELERO_DATABASE_URL=f"postgresql://app@127.0.0.1:{_closed_port()}/hotel",
        HOTELERO_REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0",
    )
    assert code == 1
    assert "tier external for postgres: cannot serve" in out
    [line] = err.strip().splitlines()
    assert line.startswith("error: postgres: cannot reach Postgres at postgresql://app@127.0.0.1:")
    assert line.endswith("check HOTELERO_DATABASE_URL and that the server is running")


def test_docker_tier_without_an_engine_fails_doctor_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from validation.services import selection

    selection._cached_docker_probe.cache_clear()
    try:
        code, out, err = invoke(["doctor", "--services", "docker"], DOCKER_HOST="unix:///nonexistent/docker.sock")
    finally:
        selection._cached_docker_probe.cache_clear()
    assert code == 1
    assert "tier docker for postgres: cannot serve" in out
    assert "start Docker or use --services embedded" in err


def test_doctor_passes_when_external_servers_answer(postgres_url: str, redis_url: str) -> None:
    code, out, err = invoke(["doctor"], HOTELERO_DATABASE_URL=postgres_url, HOTELERO_REDIS_URL=redis_url)
    assert code == 0, err
    assert "auto would pick for postgres: external" in out
    assert "auto would pick for redis: external" in out
    assert "reachable, PostgreSQL" in out
    assert "Python" in out or "python" in out


def test_the_installed_command_exits_non_zero_with_one_line_on_a_bad_tier() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "validation.cli", "--services", "nope", "doctor"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: unknown services tier 'nope': choose one of docker, local, embedded, external, auto"
    ]


def test_non_numeric_port_setting_is_one_line_naming_the_variable_and_exit_2() -> None:
    code, _out, err = invoke(["doctor"], HOTELERO_DOCKER_POSTGRES_PORT="fifty")
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("error: HOTELERO_DOCKER_POSTGRES_PORT:") and "'fifty'" in line
