"""Real Postgres and Redis on demand: docker (Testcontainers), local binaries, or external URLs.

with postgres_service() as pg, redis_service() as rd:
    print(pg.url, pg.tier, pg.description)
"""

from validation.services.handle import ServiceError, ServiceHandle, Tier, parse_tier
from validation.services.provision import postgres_service, redis_service
from validation.services.settings import ServicesSettings
from validation.services.signals import Terminated

__all__ = [
    "ServiceError",
    "ServiceHandle",
    "ServicesSettings",
    "Terminated",
    "Tier",
    "parse_tier",
    "postgres_service",
    "redis_service",
]
