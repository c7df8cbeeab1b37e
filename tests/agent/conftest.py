"""Fixtures for the agent tests; the machinery lives in agent_harness.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_harness import FakeGraph, Stack, start_stack


@pytest.fixture
def stack(tmp_path: Path, fresh_postgres_url: str, fresh_redis_url: str) -> Iterator[Stack]:
    """Simulator + agent (in-process worker) on a fresh database and Redis."""
    s = start_stack(tmp_path, fresh_postgres_url, fresh_redis_url, sim_args=["--no-rate-limits"])
    yield s
    s.close()


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    graph = FakeGraph().start()
    yield graph
    graph.stop()
