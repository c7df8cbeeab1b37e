"""The project image (Dockerfile) runs every hotelero server command; compose.yaml starts them with valid commands."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import typer
import yaml

from simulators.qloapps.config import DEFAULT_API_KEY
from tests.waiting import wait_until
from validation.cli import app
from validation.container_reaper import reaper_labels
from validation.images import PROJECT_TAG
from validation.services.ports import free_port

from .docker_engine import require_engine, require_image

ROOT = Path(__file__).resolve().parents[2]
SERVER_COMMANDS = [["sim", "whatsapp"], ["sim", "qloapps"], ["agent"], ["agent", "worker"]]


@pytest.fixture(scope="module")
def docker_client() -> object:
    require_engine()
    require_image(PROJECT_TAG)
    import docker

    client = docker.from_env()
    yield client
    client.close()


def _answers(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, auth=(DEFAULT_API_KEY, ""), timeout=2)
    except httpx.HTTPError:
        return None


@pytest.mark.docker
def test_the_image_serves_the_qloapps_simulator_on_loopback_with_host_networking(docker_client: object) -> None:
    port = free_port()
    container = docker_client.containers.run(  # type: ignore[attr-defined]
        PROJECT_TAG,
        ["sim", "qloapps", "--host", "127.0.0.1", "--port", str(port)],
        network_mode="host",
        detach=True,
        labels=reaper_labels(),
    )
    try:
        url = f"http://127.0.0.1:{port}/api/hotels?output_format=JSON"
        response = wait_until(lambda: _answers(url), timeout=60, what=f"the containerised simulator on :{port}")
        assert response.status_code == 200, response.text
        assert response.json()["hotels"], response.text
        # The key is checked as QloApps does: a wrong one is 401.
        assert httpx.get(url, auth=("WRONGKEY", ""), timeout=5).status_code == 401
    finally:
        container.remove(force=True)


@pytest.mark.docker
@pytest.mark.parametrize("command", SERVER_COMMANDS, ids=" ".join)
def test_the_image_has_every_server_command(docker_client: object, command: list[str]) -> None:
    output = docker_client.containers.run(PROJECT_TAG, [*command, "--help"], remove=True)  # type: ignore[attr-defined]
    assert b"Usage: hotelero " + " ".join(command).encode() in output


def _parse(argv: list[str]) -> None:
    """Parse a hotelero command line as the CLI would, without running it (unknown options raise)."""
    # typer ships its own click: duck-typed here (TyperGroup is the group class it builds).
    command = typer.main.get_command(app)
    ctx = command.make_context("hotelero", list(argv))
    # A group keeps the subcommand and what follows (click >= 8.2 names it _protected_args).
    while isinstance(command, typer.core.TyperGroup) and (pending := getattr(ctx, "_protected_args", None)):
        name, *rest = [*pending, *ctx.args]
        sub = command.get_command(ctx, name)
        assert sub is not None, f"no hotelero command {name!r} in {argv}"
        command, ctx = sub, sub.make_context(name, rest, parent=ctx)
    assert not ctx.args, f"unexpected arguments {ctx.args} in {argv}"


def test_compose_runs_the_whole_stack_from_the_image_with_valid_commands() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "qloapps", "whatsapp", "agent", "worker"}
    for name in ("qloapps", "whatsapp", "agent", "worker"):
        assert "hotelero/hotelero" in services[name]["image"]
        _parse(services[name]["command"])
        for mapping in services[name].get("ports", []):
            assert mapping.startswith("127.0.0.1:"), f"{name} publishes {mapping} beyond loopback"
    assert services["agent"]["environment"]["AGENT_RUN_WORKER"] == "false"
    assert services["worker"]["command"] == ["agent", "worker"]


def test_compose_commands_are_checked_against_the_real_cli() -> None:
    with pytest.raises(Exception, match="No such option: --no-such-option"):
        _parse(["sim", "qloapps", "--no-such-option"])
    with pytest.raises(AssertionError, match="no hotelero command"):
        _parse(["sim", "fax"])
