"""Which tier serves a service: the requested one if it can, or for `auto` the first that can."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from validation.services.binaries import PostgresBinaries, find_postgres, find_redis_server
from validation.services.docker_tier import DockerFinding, probe_docker
from validation.services.handle import ServiceError, Tier, parse_tier
from validation.services.local import INSTALL_POSTGRES, INSTALL_REDIS
from validation.services.settings import ServicesSettings
from validation.services.urls import env_name, validate_url

SERVICES = ("postgres", "redis")


@functools.lru_cache(maxsize=1)
def _cached_docker_probe() -> DockerFinding:
    # One engine round trip per process: postgres and redis selection both ask.
    return probe_docker()


@dataclass(frozen=True)
class Probes:
    """What the machine offers; tests replace these to fake an environment."""

    docker: Callable[[], DockerFinding] = _cached_docker_probe
    postgres_binaries: Callable[[], PostgresBinaries | None] = find_postgres
    redis_server: Callable[[], Path | None] = find_redis_server


@dataclass
class Choice:
    """The chosen tier and what was tried on the way (for the error text and doctor)."""

    tier: Tier
    tried: list[str] = field(default_factory=list)


def _url(service: str, settings: ServicesSettings) -> str | None:
    return settings.database_url if service == "postgres" else settings.redis_url


def _local_available(service: str, probes: Probes) -> tuple[bool, str]:
    if service == "postgres":
        found = probes.postgres_binaries()
        if found is None:
            return False, f"no initdb/postgres on PATH or in /usr/lib/postgresql/*/bin ({INSTALL_POSTGRES})"
        return True, f"{found.postgres} ({found.version})"
    server = probes.redis_server()
    if server is None:
        return False, f"no redis-server on PATH ({INSTALL_REDIS})"
    return True, str(server)


def choose_tier(
    service: str, requested: str | Tier | None, settings: ServicesSettings, probes: Probes | None = None
) -> Choice:
    """The tier to serve `service` ("postgres" or "redis"); a one-line ServiceError when none can."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    probes = probes or Probes()
    tier = parse_tier(requested if requested is not None else settings.services)
    url = _url(service, settings)
    if tier is Tier.EXTERNAL:
        if not url:
            raise ServiceError(f"services tier external needs {env_name(service)} set to the {service} server's URL")
        validate_url(service, url)
        return Choice(Tier.EXTERNAL, [f"external: {env_name(service)} set"])
    if tier is Tier.DOCKER:
        finding = probes.docker()
        if not finding.ok:
            raise ServiceError(f"services tier docker: {finding.detail}; start Docker or use --services local")
        return Choice(Tier.DOCKER, [f"docker: {finding.detail}"])
    if tier is Tier.LOCAL:
        ok, detail = _local_available(service, probes)
        if not ok:
            raise ServiceError(f"services tier local for {service}: {detail}")
        return Choice(Tier.LOCAL, [f"local: {detail}"])
    # auto: external if a URL is given, else docker if an engine answers, else local binaries.
    tried: list[str] = []
    if url:
        validate_url(service, url)
        return Choice(Tier.EXTERNAL, [f"external: {env_name(service)} set"])
    tried.append(f"external: {env_name(service)} not set")
    finding = probes.docker()
    if finding.ok:
        return Choice(Tier.DOCKER, [*tried, f"docker: {finding.detail}"])
    tried.append(f"docker: {finding.detail}")
    ok, detail = _local_available(service, probes)
    if ok:
        return Choice(Tier.LOCAL, [*tried, f"local: {detail}"])
    tried.append(f"local: {detail}")
    install = INSTALL_POSTGRES if service == "postgres" else INSTALL_REDIS
    raise ServiceError(
        f"no tier can provide {service}; tried {'; '.join(tried)}. "
        f"Install the server ({install}), start Docker, or set {env_name(service)}"
    )
