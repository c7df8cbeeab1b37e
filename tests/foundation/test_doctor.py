"""`diagnose` over faked machines: the findings and the verdict doctor's exit code comes from."""

from __future__ import annotations

from pathlib import Path

from validation.doctor import diagnose
from validation.services.handle import Tier

from .test_selection import NO_DOCKER, probes, settings


def test_machine_with_nothing_cannot_serve_and_says_what_to_install() -> None:
    result = diagnose(settings(), Tier.AUTO, probes())
    assert not result.can_serve
    assert result.picks == {}
    assert "apt-get install postgresql" in result.errors["postgres"]
    assert "apt-get install redis-server" in result.errors["redis"]
    engine = next(f for f in result.findings if f.check == "engine")
    assert engine.ok is False and engine.detail == NO_DOCKER.detail


def test_machine_with_local_binaries_serves_both_through_local() -> None:
    fake = probes(pg=True, redis=True)
    # The faked redis-server path does not exist: doctor still reports it, version unknown.
    result = diagnose(settings(), Tier.AUTO, fake)
    assert result.can_serve
    assert result.picks == {"postgres": "local", "redis": "local"}
    binaries = next(f for f in result.findings if f.check == "postgres binaries")
    assert binaries.ok is True and str(Path("/usr/lib/postgresql/16/bin")) in binaries.detail


def test_machine_with_only_the_embedded_wheels_serves_both_through_embedded() -> None:
    result = diagnose(settings(), Tier.AUTO, probes(embedded=True))
    assert result.can_serve
    assert result.picks == {"postgres": "embedded", "redis": "embedded"}
    tiers = {f.tier for f in result.findings}
    assert {"docker", "local", "embedded", "external"} <= tiers
    wheel = next(f for f in result.findings if f.check == "postgres wheel")
    assert wheel.ok is True and "PostgreSQL 18.6" in wheel.detail


def test_postgres_only_machine_cannot_serve_redis() -> None:
    result = diagnose(settings(), Tier.AUTO, probes(pg=True))
    assert not result.can_serve
    assert result.picks == {"postgres": "local"}
    assert "redis-server" in result.errors["redis"]
