"""Fixtures for the resilience tests: the agent test harness, and Postgres/Redis servers of their own to stop."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The agent tests' harness (FakeGraph, real processes) and in-process helpers, shared rather than copied.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agent"))

from agent_harness import FakeGraph  # noqa: E402

from validation.services import postgres_service, redis_service  # noqa: E402
from validation.services.handle import ServiceHandle  # noqa: E402


@pytest.fixture(scope="module")
def module_database(postgres_url: str) -> Iterator[str]:
    """A database of the session's Postgres for one module (one agent serves many examples or tests)."""
    import time

    import psycopg

    name = f"resilience_{time.monotonic_ns() % 10**12}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def module_graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    yield fake
    fake.stop()


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    yield fake
    fake.stop()


@pytest.fixture
def own_postgres() -> Iterator[ServiceHandle]:
    """A Postgres server for this test alone: it will be stopped and started again."""
    with postgres_service() as handle:
        yield handle


@pytest.fixture
def own_redis() -> Iterator[ServiceHandle]:
    """A Redis server for this test alone: it will be stopped and started again."""
    with redis_service() as handle:
        yield handle
