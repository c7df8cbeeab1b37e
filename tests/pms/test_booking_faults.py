"""Booking writes that fail or time out, through the simulator's faults: QloApps' orders equal the confirmations.

Real QloApps simulator (a subprocess), real Redis (stay locks, remembered outcomes), the real receptionist with its
QloApps adapter; guests are driven turn by turn. For each fault, every guest's words are compared with the orders
QloApps holds for them: a guest told "confirmed" has exactly one order, a guest not told so has none, and a guest
whose answer was lost is told the truth (not "not booked").
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from agent.clock import FrozenClock
from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.cache import PmsCache
from agent.pms.guard import BookingGuard
from agent.receptionist import Receptionist
from tests.conversations.receptionist_driver import Guest, texts
from tests.pms.simserver import qloapps_simulator

pytestmark = pytest.mark.e2e

CLOCK = FrozenClock(datetime(2026, 11, 25, 10, tzinfo=UTC))
GUESTS_PER_FAULT = 3
READ_TIMEOUT_S = 0.6  # the adapter gives up on QloApps after this; the hang faults outlast it
CONFIRMED = re.compile(r"localizador (?:es )?([A-Z]{9})")
# The answer is lost after QloApps saved the order, or before it did anything (the request is then dropped).
FAULTS: dict[str, dict[str, Any]] = {
    "500 after save": {"kind": "error", "status": 500, "phase": "after"},
    "timeout after save": {"kind": "hang", "hang_s": 1.5, "phase": "after"},
    "timeout before save": {"kind": "hang", "hang_s": 1.5, "phase": "before"},
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with qloapps_simulator(Path(tmp_path_factory.mktemp("qloapps-faults"))) as s:
        yield s


def receptionist(sim: tuple[str, str], redis: Redis) -> Receptionist:
    config = QloAppsConfig(base_url=sim[0], api_key=sim[1], read_timeout_s=READ_TIMEOUT_S)
    return Receptionist(QloAppsClient(config, PmsCache(redis), CLOCK), BookingGuard(redis), hotel_id=1)


def orders_by_email(sim: tuple[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Every live order QloApps holds, by customer email (read through the control plane)."""
    state = httpx.get(f"{sim[0]}/_sim/state", params={"full": "1"}, timeout=10).json()
    emails = {c["id"]: c["email"] for c in state["customers"]}
    out: dict[str, list[dict[str, Any]]] = {}
    for o in state["orders"]:
        if o["current_state"] not in (4, 5, 6):
            out.setdefault(emails[o["id_customer"]], []).append(o)
    return out


async def confirm_one(sim: tuple[str, str], redis: Redis, wa_id: str, email: str, day: int) -> tuple[Guest, str]:
    guest = Guest(wa_id, receptionist(sim, redis), CLOCK)
    try:
        await guest.say(
            f"Quiero reservar la habitación deluxe del {day} al {day + 2} de marzo de 2027 para 2 adultos, "
            f"a nombre de Ana Prueba, {email}"
        )
        assert "Revise su reserva" in texts(guest.last), texts(guest.last)
        return guest, texts(await guest.tap("Confirmar"))
    finally:
        await guest.receptionist.close()


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_every_guest_is_told_the_truth_and_orders_equal_confirmations(sim, fresh_redis_url: str, fault: str):
    httpx.post(f"{sim[0]}/_sim/reset", timeout=10)
    httpx.post(f"{sim[0]}/_sim/faults", json={**FAULTS[fault], "resource": "bookings", "method": "POST"}, timeout=10)

    async def main() -> list[tuple[str, str]]:
        redis = Redis.from_url(fresh_redis_url)
        try:
            said = []
            for n in range(GUESTS_PER_FAULT):
                email = f"guest{n}.{fault.replace(' ', '-')}@example.com"
                _, text = await confirm_one(sim, redis, f"3461200{n:04d}", email, 1 + 3 * n)
                said.append((email, text))
            return said
        finally:
            await redis.aclose()

    said = asyncio.run(main())
    httpx.delete(f"{sim[0]}/_sim/faults", timeout=10)
    orders = orders_by_email(sim)
    confirmations = {email: CONFIRMED.findall(text) for email, text in said}
    for email, text in said:
        refs = [o["reference"] for o in orders.get(email, [])]
        assert confirmations[email] == refs, (fault, email, text, refs)
        if not refs:  # the answer was lost before the save: never "not booked", a person checks
            assert "aún no sé si su reserva se completó" in text, text
    counts = (sum(len(v) for v in confirmations.values()), sum(len(orders.get(e, [])) for e, _ in said))
    print(f"\n{fault}: confirmations {counts[0]}, orders {counts[1]} ({GUESTS_PER_FAULT} guests)")
    expect = 0 if fault == "timeout before save" else GUESTS_PER_FAULT
    assert counts == (expect, expect)


def test_a_redelivered_confirmation_after_a_restart_with_redis_emptied_books_nothing_twice(sim, fresh_redis_url):
    httpx.post(f"{sim[0]}/_sim/reset", timeout=10)
    httpx.post(f"{sim[0]}/_sim/faults", json={"kind": "error", "status": 500, "phase": "after",
                                              "resource": "bookings", "method": "POST"}, timeout=10)  # fmt: skip

    async def main() -> tuple[str, str]:
        redis = Redis.from_url(fresh_redis_url)
        try:
            guest = Guest("34613000001", receptionist(sim, redis), CLOCK)
            await guest.say("Quiero reservar la habitación deluxe del 20 al 22 de marzo de 2027 para 2 adultos, "
                            "a nombre de Eva Prueba, eva.redelivery@example.com")  # fmt: skip
            before_confirm = dict(guest.state)
            first = texts(await guest.tap("Confirmar"))
            # The worker dies before saving the conversation; a new one starts with Redis emptied.
            await guest.receptionist.close()
            await redis.flushdb()
            guest.receptionist, guest.state = receptionist(sim, redis), before_confirm
            again = texts(await guest.tap("Confirmar"))
            await guest.receptionist.close()
            return first, again
        finally:
            await redis.aclose()

    first, again = asyncio.run(main())
    httpx.delete(f"{sim[0]}/_sim/faults", timeout=10)
    refs = [o["reference"] for o in orders_by_email(sim).get("eva.redelivery@example.com", [])]
    assert len(refs) == 1
    assert CONFIRMED.findall(first) == refs and CONFIRMED.findall(again) == refs, (first, again)
    assert "No se ha reservado dos veces" in again
