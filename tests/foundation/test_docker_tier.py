"""The docker tier's container settings and failure path, through Testcontainers with a recording Docker client.

No Docker engine runs here: these tests check what would be asked of the engine (image, network mode, ports,
command) and that an engine failure becomes a clear error. Nothing pretends a server started.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from validation.services.docker_tier import (
    build_postgres_container,
    build_redis_container,
    docker_postgres,
    probe_docker,
)
from validation.services.handle import ServiceError
from validation.services.settings import ServicesSettings


class RecordingDockerClient:
    """Stands in for testcontainers' DockerClient: records create() calls, refuses to run anything."""

    created: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def create(self, image: str, **kwargs: Any) -> Any:
        RecordingDockerClient.created.append({"image": image, **kwargs})
        raise ConnectionError("engine refused: no Docker engine in this test")


@pytest.fixture(autouse=True)
def recording_client(monkeypatch: pytest.MonkeyPatch) -> type[RecordingDockerClient]:
    import testcontainers.core.container as tc_container

    RecordingDockerClient.created = []
    monkeypatch.setattr(tc_container, "DockerClient", RecordingDockerClient)
    # Ryuk (the reaper container) would be created first: not what these tests look at.
    monkeypatch.setattr(tc_container.c, "ryuk_disabled", True)
    return RecordingDockerClient


def test_postgres_container_uses_pinned_image_and_maps_5432_by_default() -> None:
    container = build_postgres_container(ServicesSettings(docker_network_mode="bridge"))
    assert container.image.endswith("postgres:16-alpine")
    assert {str(port) for port in container.ports} == {"5432"}
    assert "fsync=off" in container._command
    assert "network_mode" not in container._kwargs


def test_images_are_overridable_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTELERO_POSTGRES_IMAGE", "postgres:17-alpine")
    monkeypatch.setenv("HOTELERO_REDIS_IMAGE", "redis:7.4-alpine")
    settings = ServicesSettings()
    assert build_postgres_container(settings).image.endswith("postgres:17-alpine")
    assert build_redis_container(settings).image.endswith("redis:7.4-alpine")


def test_host_network_postgres_listens_on_loopback_at_the_configured_port() -> None:
    settings = ServicesSettings(docker_network_mode="host", docker_postgres_port=55432)
    container = build_postgres_container(settings)
    assert container._kwargs == {"network_mode": "host"}
    assert container.ports == {}
    assert container.env["PGPORT"] == "55432"
    assert "listen_addresses=127.0.0.1" in container._command
    # Host networking publishes nothing: the server's port is the host port.
    assert container.get_exposed_port(55432) == 55432


def test_host_network_redis_binds_loopback_without_persistence() -> None:
    container = build_redis_container(ServicesSettings(docker_network_mode="host", docker_redis_port=56379))
    assert container._kwargs == {"network_mode": "host"}
    assert "--port 56379" in container._command and "--bind 127.0.0.1" in container._command
    assert "--save ''" in container._command and "--appendonly no" in container._command


def test_unknown_network_mode_is_refused_with_the_choices() -> None:
    with pytest.raises(ServiceError, match=r"HOTELERO_DOCKER_NETWORK_MODE='overlay': choose bridge or host"):
        build_postgres_container(ServicesSettings(docker_network_mode="overlay"))


def test_engine_failure_on_start_becomes_a_docker_tier_error(recording_client: type[RecordingDockerClient]) -> None:
    expected = r"docker tier: could not start postgres:16-alpine \(engine refused"
    with pytest.raises(ServiceError, match=expected), docker_postgres(ServicesSettings(docker_network_mode="bridge")):
        pytest.fail("no container ran, the block must not be entered")
    [created] = recording_client.created
    assert created["image"].endswith("postgres:16-alpine")
    assert created["environment"]["POSTGRES_USER"] == "postgres"


def test_probe_reports_no_engine_at_a_socket_that_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    finding = probe_docker(timeout=2)
    assert not finding.ok
    assert "unix:///nonexistent/docker.sock" in finding.detail


def test_probe_reports_no_engine_at_a_closed_tcp_port(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{port}")
    finding = probe_docker(timeout=2)
    assert not finding.ok
    assert f"tcp://127.0.0.1:{port}" in finding.detail
