"""The three booking-write faults through the whole stack: a guest on the WhatsApp simulator, the agent service
(webhook, Postgres inbox, worker, receptionist, Redis), the QloApps simulator; what the guest is told must match the
orders QloApps holds (the conversations in tests/pms/conversations/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stacks import receptionist_stack
from validation.conversations_runner import run_conversations, summarize
from validation.stack import Stack

pytestmark = pytest.mark.e2e

CONVERSATIONS = sorted((Path(__file__).parent / "conversations").glob("*.yaml"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str) -> Iterator[Stack]:
    out = Path(tmp_path_factory.mktemp("booking-faults"))
    with receptionist_stack(out, postgres_url, redis_url) as stack:
        yield stack


@pytest.mark.timeout(300)
def test_guests_are_told_what_qloapps_holds_when_the_booking_write_fails(stack: Stack):
    assert len(CONVERSATIONS) == 3
    results = run_conversations(
        CONVERSATIONS, stack.whatsapp_url, stack.qloapps_url, stack.credentials.qloapps_key, stack.agent_url,
        stack.credentials.admin_token, reset_qloapps=True,
    )  # fmt: skip
    failed = [r for r in results if not r.passed]
    assert not failed, "\n" + summarize(failed)
