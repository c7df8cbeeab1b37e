"""Two guests confirm the last room at the same moment: exactly one booking, the other is offered alternatives.

Real QloApps simulator, real Redis (locks, idempotency keys), the real receptionist; no WhatsApp needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from agent.clock import FrozenClock
from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.cache import PmsCache
from agent.pms.guard import BookingGuard
from agent.pms.models import BookingRequest, GuestDetails
from agent.receptionist import Receptionist
from tests.conversations.receptionist_driver import Guest, texts
from tests.pms.simserver import qloapps_simulator

pytestmark = pytest.mark.e2e

CI, CO = date(2027, 6, 10), date(2027, 6, 12)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with qloapps_simulator(Path(tmp_path_factory.mktemp("qloapps-race"))) as s:
        yield s


async def _leave_one_delux(client: QloAppsClient) -> int:
    avail = await client.search_availability(1, CI, CO, use_cache=False)
    delux = next(o for o in avail.offers if o.name == "Delux Rooms")
    if delux.available > 1:
        filler = GuestDetails("Filler", "Guest", "filler.race@example.com", "+34600000000")
        req = BookingRequest(1, delux.id_room_type, CI, CO, 2, 0, delux.available - 1, avail.currency, filler)
        await client.create_booking(req)
    return delux.id_room_type


def test_two_guests_confirming_the_last_room_get_one_booking_and_alternatives(sim, fresh_redis_url: str):
    async def main():
        redis = Redis.from_url(fresh_redis_url)
        clock = FrozenClock(datetime(2026, 11, 25, 10, tzinfo=UTC))
        clients = []

        def receptionist() -> Receptionist:
            # One receptionist per guest, as two workers would have: only Redis and QloApps are shared.
            client = QloAppsClient(QloAppsConfig(base_url=sim[0], api_key=sim[1]), PmsCache(redis), clock)
            clients.append(client)
            return Receptionist(client, BookingGuard(redis), hotel_id=1)

        try:
            delux_id = await _leave_one_delux(receptionist().pms)
            a = Guest("34611000001", receptionist(), clock)
            b = Guest("34611000002", receptionist(), clock)
            for guest, name in ((a, "Ana Uno"), (b, "Bea Dos")):
                first = name.split()[0].lower()
                await guest.say(
                    f"Quiero reservar la habitación deluxe del 10 al 12 de junio de 2027 para 2 adultos, "
                    f"a nombre de {name}, {first}.race@example.com"
                )
                assert "Revise su reserva" in texts(guest.last), texts(guest.last)
            results = await asyncio.gather(a.tap("Confirmar"), b.tap("Confirmar"))
            by_email = {
                e: await clients[0].bookings_for_email(e) for e in ("ana.race@example.com", "bea.race@example.com")
            }
            return delux_id, results, by_email
        finally:
            for c in clients:
                await c.close()
            await redis.aclose()

    delux_id, (ra, rb), by_email = asyncio.run(main())
    said = [texts(ra), texts(rb)]
    winners = [s for s in said if "Reserva confirmada" in s]
    losers = [s for s in said if "alguien acaba de reservar" in s]
    assert len(winners) == 1 and len(losers) == 1, said
    # The loser is shown what is still free for those dates (other room types), never the taken room.
    assert "Disponible del" in losers[0] and "Delux Rooms" not in losers[0].split("Miro qué queda libre")[1]
    active = [b for bs in by_email.values() for b in bs if not b.cancelled]
    assert len(active) == 1 and active[0].lines[0].id_room_type == delux_id
