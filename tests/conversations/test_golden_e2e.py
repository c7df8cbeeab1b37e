"""The golden conversations against the real agent (receptionist), both simulators, real Postgres and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.stacks import receptionist_stack
from validation.conversations_runner import run_conversations, summarize
from validation.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def golden_stack(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str) -> Iterator[Stack]:
    out = Path(tmp_path_factory.mktemp("golden"))
    with receptionist_stack(out, postgres_url, redis_url) as stack:
        yield stack


@pytest.mark.timeout(400)
def test_every_golden_conversation_passes_turn_by_turn(golden_stack: Stack):
    s = golden_stack
    results = run_conversations(
        None, s.whatsapp_url, s.qloapps_url, s.credentials.qloapps_key, s.agent_url, s.credentials.admin_token
    )
    assert len(results) >= 40
    failed = [r for r in results if not r.passed]
    assert not failed, "\n" + summarize(failed)
    # The circuit breaker's state is exported, and after the PMS-down conversations QloApps is trusted again.
    metrics = httpx.get(f"{s.agent_url}/metrics", timeout=10).text
    assert 'hotelero_pms_circuit_state{state="closed"} 1.0' in metrics
