"""What a provisioned service looks like to its user: a URL, the tier that served it, a description."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Tier(StrEnum):
    """Where Postgres and Redis come from."""

    DOCKER = "docker"
    LOCAL = "local"
    EMBEDDED = "embedded"
    EXTERNAL = "external"
    AUTO = "auto"


class ServiceError(RuntimeError):
    """A service cannot be provisioned; the message is one line saying what to do next."""


@dataclass(frozen=True)
class ServiceHandle:
    """A running (or given) service: connect with `url`; `tier` and `description` are for reports."""

    name: str
    url: str
    tier: Tier
    description: str
    # Local and embedded tiers: the server's process id and its temp dir, so callers (and tests) can check teardown.
    pid: int | None = None
    data_dir: Path | None = None


def parse_tier(value: str | Tier | None) -> Tier:
    """Parse a tier name from the CLI or HOTELERO_SERVICES, with a one-line error on a bad name."""
    if value is None or value == "":
        return Tier.AUTO
    if isinstance(value, Tier):
        return value
    try:
        return Tier(value.strip().lower())
    except ValueError:
        choices = ", ".join(t.value for t in Tier)
        raise ServiceError(f"unknown services tier {value!r}: choose one of {choices}") from None
