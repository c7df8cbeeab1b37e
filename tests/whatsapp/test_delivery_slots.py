"""Delivery slots: a notification with a free slot and an idle connection is written at once; the rest wait in order."""

from __future__ import annotations

import asyncio
from typing import Any

from simulators.whatsapp.simulator import Simulator
from tests.hotpath.rawserver import OK, RawServer
from tests.whatsapp.conftest import GUEST, make_settings


def simulator(url: str, **delivery: Any) -> Simulator:
    settings = make_settings(
        url,
        delivery={"verify": False, **delivery},
        statuses={"sent_after_ms": 3_600_000, "delivered_after_ms": 3_600_000, "read_after_ms": None},
    )
    return Simulator(settings)


async def until(predicate: Any) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in 5 s")


def test_a_guest_message_is_written_to_a_warm_connection_before_its_send_returns() -> None:
    async def go() -> tuple[int, int]:
        async with RawServer(lambda r, n: OK) as srv:
            sim = simulator(srv.url)
            await sim.start()
            guest = sim.state.add_guest(GUEST)
            number = sim.state.default_number
            first = sim.guest_send(guest, number, "text", {"body": "warm up"}, None)
            await until(lambda: first.acknowledged_at_ms is not None)
            sim.guest_send(guest, number, "text", {"body": "hola"}, None)
            in_flight_at_return = sim.delivery.in_flight  # no await in between: the POST left inside the call
            await until(lambda: len(srv.requests) == 2)
            await sim.stop()
            return in_flight_at_return, srv.connections

    assert asyncio.run(go()) == (1, 1)


def test_with_every_slot_busy_notifications_wait_and_go_out_oldest_first() -> None:
    async def go() -> tuple[list[int], list[bytes], list[bytes]]:
        async with RawServer(lambda r, n: None) as srv:  # answers only when the test says so
            sim = simulator(srv.url, concurrency=1)
            await sim.start()
            guest = sim.state.add_guest(GUEST)
            number = sim.state.default_number
            wamids = [sim.guest_send(guest, number, "text", {"body": f"m{i}"}, None).wamid for i in range(3)]
            await until(lambda: len(srv.requests) == 1)
            seen = [sim.delivery.in_flight]
            for expected in (2, 3):
                srv.writers[-1].write(OK)
                await until(lambda expected=expected: len(srv.requests) == expected)
                seen.append(sim.delivery.in_flight)
            srv.writers[-1].write(OK)
            await until(lambda: sim.delivery.pending == 0)
            await sim.stop()
            order = [next(w.encode() for w in wamids if w.encode() in r) for r in srv.requests]
            return seen, order, [w.encode() for w in wamids]

    seen, order, wamids = asyncio.run(go())
    assert seen == [1, 1, 1]  # one slot: never two POSTs at once
    assert order == wamids
