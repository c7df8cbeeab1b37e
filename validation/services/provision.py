"""`postgres_service()` and `redis_service()`: real servers from the chosen tier, torn down however the block exits."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from validation.services.docker_tier import docker_postgres, docker_redis
from validation.services.embedded import embedded_postgres, embedded_redis
from validation.services.external import external_postgres, external_redis
from validation.services.handle import ServiceHandle, Tier
from validation.services.local import local_postgres, local_redis
from validation.services.selection import Probes, choose_tier
from validation.services.settings import ServicesSettings, load_settings
from validation.services.signals import sigterm_raises

_Provider = Callable[[ServicesSettings], AbstractContextManager[ServiceHandle]]

_PROVIDERS: dict[str, dict[Tier, _Provider]] = {
    "postgres": {
        Tier.DOCKER: docker_postgres,
        Tier.LOCAL: local_postgres,
        Tier.EMBEDDED: embedded_postgres,
        Tier.EXTERNAL: external_postgres,
    },
    "redis": {
        Tier.DOCKER: docker_redis,
        Tier.LOCAL: local_redis,
        Tier.EMBEDDED: embedded_redis,
        Tier.EXTERNAL: external_redis,
    },
}


@contextlib.contextmanager
def _service(
    service: str, tier: str | Tier | None, settings: ServicesSettings | None, probes: Probes | None
) -> Iterator[ServiceHandle]:
    settings = settings or load_settings()
    choice = choose_tier(service, tier, settings, probes)
    # SIGTERM raises inside the block (unless the app handles it already) so teardown runs.
    with sigterm_raises(), _PROVIDERS[service][choice.tier](settings) as handle:
        yield handle


def postgres_service(
    tier: str | Tier | None = None, settings: ServicesSettings | None = None, probes: Probes | None = None
) -> AbstractContextManager[ServiceHandle]:
    """A real Postgres for the duration of the block.

    `tier` defaults to HOTELERO_SERVICES (auto). The handle's `url` is a libpq URL
    (postgresql://user@host:port/db). Servers started here are stopped and their temp dirs removed
    on normal exit, exceptions, Ctrl-C and SIGTERM.
    """
    return _service("postgres", tier, settings, probes)


def redis_service(
    tier: str | Tier | None = None, settings: ServicesSettings | None = None, probes: Probes | None = None
) -> AbstractContextManager[ServiceHandle]:
    """A real Redis for the duration of the block (redis://host:port/0); same tiers and teardown as Postgres."""
    return _service("redis", tier, settings, probes)
