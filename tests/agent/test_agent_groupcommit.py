"""Group commit: concurrent webhook stores share statements, and one bad envelope fails alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from agent.envelope import Envelope, InboundMessage
from agent.groupcommit import EnvelopeWriter
from agent.inbox import Stored


def _env(wamid: str) -> Envelope:
    msg = InboundMessage(
        wamid=wamid,
        guest="346",
        wa_id="346",
        user_id=None,
        profile_name="",
        phone_number_id="1",
        timestamp="1",
        type="text",
        text=wamid,
    )
    return Envelope(messages=[msg])


def test_concurrent_envelopes_share_statements_and_each_gets_its_own_result() -> None:
    statements: list[list[str]] = []

    async def fake_store(pool, env: Envelope, now: datetime) -> Stored:  # noqa: ANN001
        statements.append([m.wamid for m in env.messages])
        await asyncio.sleep(0.01)  # a commit takes time: arrivals meanwhile queue up
        return Stored([m.wamid for m in env.messages if m.wamid != "w3"], 0)  # w3 was already stored

    async def scenario() -> list[Stored]:
        writer = EnvelopeWriter(None, lambda: datetime.now(UTC), store=fake_store)  # type: ignore[arg-type]
        first = asyncio.create_task(writer.store(_env("w0")))
        await asyncio.sleep(0.002)  # w0's statement is running
        return await asyncio.gather(first, *(writer.store(_env(f"w{i}")) for i in range(1, 10)))

    results = asyncio.run(scenario())
    assert [r.new_wamids for r in results] == [[f"w{i}"] if i != 3 else [] for i in range(10)]
    assert sorted(w for s in statements for w in s) == sorted(f"w{i}" for i in range(10))
    assert statements == [["w0"], [f"w{i}" for i in range(1, 10)]]  # idle: at once; busy: one shared statement


def test_a_failing_envelope_fails_alone_and_its_neighbours_are_stored() -> None:
    async def fake_store(pool, env: Envelope, now: datetime) -> Stored:  # noqa: ANN001
        await asyncio.sleep(0.005)
        if any(m.wamid == "bad" for m in env.messages):
            raise RuntimeError("constraint violated")
        return Stored([m.wamid for m in env.messages], 0)

    async def scenario() -> list[object]:
        writer = EnvelopeWriter(None, lambda: datetime.now(UTC), store=fake_store)  # type: ignore[arg-type]
        first = asyncio.create_task(writer.store(_env("first")))
        await asyncio.sleep(0)
        rest = [writer.store(_env(w)) for w in ("a", "bad", "b")]
        return await asyncio.gather(first, *rest, return_exceptions=True)

    first, a, bad, b = asyncio.run(scenario())
    assert first.new_wamids == ["first"] and a.new_wamids == ["a"] and b.new_wamids == ["b"]
    assert isinstance(bad, RuntimeError)
    with pytest.raises(RuntimeError):
        raise bad


def test_a_store_past_its_timeout_raises_and_its_neighbours_still_get_their_commit() -> None:
    async def slow_store(pool, env: Envelope, now: datetime) -> Stored:  # noqa: ANN001
        await asyncio.sleep(0.2)  # a stalled database
        return Stored([m.wamid for m in env.messages], 0)

    async def scenario() -> tuple[object, Stored]:
        writer = EnvelopeWriter(None, lambda: datetime.now(UTC), store=slow_store)  # type: ignore[arg-type]
        hasty = asyncio.create_task(writer.store(_env("hasty"), timeout_s=0.02))
        patient = asyncio.create_task(writer.store(_env("patient")))
        results = await asyncio.gather(hasty, patient, return_exceptions=True)
        return results[0], results[1]  # type: ignore[return-value]

    hasty, patient = asyncio.run(scenario())
    assert isinstance(hasty, TimeoutError)  # the webhook answers 503 and Meta redelivers
    assert patient.new_wamids == ["patient"]
