"""The docker tier: Postgres and Redis in containers through Testcontainers, images pinned by setting."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from validation.container_reaper import reaper_labels
from validation.services.external import check_postgres, check_redis
from validation.services.handle import ServiceError, ServiceHandle, Tier
from validation.services.ports import free_port
from validation.services.settings import ServicesSettings
from validation.services.signals import signals_deferred
from validation.services.urls import redact

_NETWORK_MODES = ("bridge", "host")
_WAITS = ("connect", "none")


@dataclass(frozen=True)
class DockerFinding:
    """Whether a Docker engine answers, and what it said."""

    ok: bool
    detail: str


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def probe_docker(timeout: float = 3.0) -> DockerFinding:
    """Ask the Docker engine (DOCKER_HOST or the default socket) for its version."""
    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        import docker

        client = docker.from_env(timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - docker-py raises many types when no engine answers
        reason = "no such socket" if "FileNotFoundError" in str(exc) else _first_line(exc)
        return DockerFinding(False, f"no Docker engine answers at {where} ({reason})")
    try:
        version = client.version().get("Version", "?")
        return DockerFinding(True, f"Docker engine {version} at {client.api.base_url}")
    except Exception as exc:  # noqa: BLE001
        return DockerFinding(False, f"Docker engine did not answer ({_first_line(exc)})")
    finally:
        client.close()


def image_status(image: str, timeout: float = 5.0) -> str:
    """'present' when the engine has the image locally, else what pulling it needs."""
    try:
        import docker

        client = docker.from_env(timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        return f"unknown ({_first_line(exc)})"
    try:
        client.images.get(image)
        return "present"
    except Exception:  # noqa: BLE001 - ImageNotFound or an engine error: either way, see if it can be pulled
        pass
    try:
        # Asks the registry through the engine for the manifest: pullable without downloading it.
        client.images.get_registry_data(image)
        return "not present, pullable: pulled on first use"
    except Exception as exc:  # noqa: BLE001
        return f"not present and not pullable ({_first_line(exc)}): docker pull {image} where a registry is reachable"
    finally:
        client.close()


def _check_settings(settings: ServicesSettings) -> None:
    if settings.docker_network_mode not in _NETWORK_MODES:
        raise ServiceError(
            f"HOTELERO_DOCKER_NETWORK_MODE={settings.docker_network_mode!r}: choose {' or '.join(_NETWORK_MODES)}"
        )
    if settings.docker_wait not in _WAITS:
        raise ServiceError(f"HOTELERO_DOCKER_WAIT={settings.docker_wait!r}: choose {' or '.join(_WAITS)}")


class _HostNetworkPorts:
    """Host networking publishes nothing: the server's own port is the host port, on this host's loopback."""

    def get_exposed_port(self, port: int) -> int:
        return int(port)

    def get_container_host_ip(self) -> str:
        # Testcontainers guesses a gateway or bridge address when it thinks it runs in a container; with
        # host networking the server is on our own loopback, where it was told to listen.
        return "127.0.0.1"


def build_postgres_container(settings: ServicesSettings) -> Any:
    """An unstarted PostgresContainer configured from settings (image, network mode, port)."""
    _check_settings(settings)
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.14 ships it at the top level
        from testcontainers.postgres import PostgresContainer

    password = secrets.token_hex(12)
    host_mode = settings.docker_network_mode == "host"
    port = (settings.docker_postgres_port or free_port()) if host_mode else 5432
    cls: type = (
        type("HostPostgresContainer", (_HostNetworkPorts, PostgresContainer), {}) if host_mode else (PostgresContainer)
    )
    container = cls(settings.postgres_image, port=port, username="postgres", password=password, dbname="postgres")
    container.driver = ""
    command = "postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    if host_mode:
        container.ports.clear()
        # PGPORT moves both the server and the image's psql readiness probe to our port.
        container.with_env("PGPORT", str(port))
        command += " -c listen_addresses=127.0.0.1"
        container.with_kwargs(network_mode="host")
    container.with_command(command)
    return container


def build_redis_container(settings: ServicesSettings) -> Any:
    """An unstarted RedisContainer configured from settings (image, network mode, port)."""
    _check_settings(settings)
    try:
        from testcontainers.community.redis import RedisContainer
    except ImportError:  # testcontainers < 4.14 ships it at the top level
        from testcontainers.redis import RedisContainer

    host_mode = settings.docker_network_mode == "host"
    port = (settings.docker_redis_port or free_port()) if host_mode else 6379
    cls: type = type("HostRedisContainer", (_HostNetworkPorts, RedisContainer), {}) if host_mode else RedisContainer
    container = cls(settings.redis_image, port=port)
    command = f"redis-server --port {port} --save '' --appendonly no"
    if host_mode:
        container.ports.clear()
        command += " --bind 127.0.0.1"
        container.with_kwargs(network_mode="host")
    container.with_command(command)
    return container


def _wait_connect(check: Callable[[str, float], str], url: str, timeout: float) -> str:
    """Connect from this host until it works: the container's own probe runs inside its network."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check(url, 2.0)
        except ServiceError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


@contextlib.contextmanager
def _running(container: Any, what: str) -> Iterator[Any]:
    started = False
    try:
        # Not deferred: an image pull can take minutes and Ctrl-C must work; the reaper removes a container
        # we lose (testcontainers has no public getter for the run kwargs, hence _kwargs).
        container.with_kwargs(**container._kwargs, labels=reaper_labels())
        try:
            container.start()
            started = True
        except Exception as exc:
            raise ServiceError(f"docker tier: could not start {what} ({_first_line(exc)})") from exc
        yield container
    finally:
        with signals_deferred():
            if started or getattr(container, "_container", None) is not None:
                with contextlib.suppress(Exception):
                    container.stop()


@contextlib.contextmanager
def docker_postgres(settings: ServicesSettings) -> Iterator[ServiceHandle]:
    """Postgres in a container (default postgres:16-alpine), removed on exit."""
    container = build_postgres_container(settings)
    with _running(container, f"{settings.postgres_image}") as running:
        url = running.get_connection_url(driver=None)
        version = settings.postgres_image
        if settings.docker_wait == "connect":
            version = _wait_connect(check_postgres, url, settings.docker_wait_timeout)
        yield ServiceHandle(
            "postgres",
            url,
            Tier.DOCKER,
            f"docker {settings.postgres_image} ({version}, {settings.docker_network_mode} network) at {redact(url)}",
        )


@contextlib.contextmanager
def docker_redis(settings: ServicesSettings) -> Iterator[ServiceHandle]:
    """Redis in a container (default redis:7-alpine), removed on exit."""
    container = build_redis_container(settings)
    with _running(container, f"{settings.redis_image}") as running:
        host = running.get_container_host_ip()
        url = f"redis://{host}:{running.get_exposed_port(running.port)}/0"
        version = settings.redis_image
        if settings.docker_wait == "connect":
            version = _wait_connect(check_redis, url, settings.docker_wait_timeout)
        mode = settings.docker_network_mode
        yield ServiceHandle("redis", url, Tier.DOCKER, f"docker {settings.redis_image} ({version}, {mode} network)")
