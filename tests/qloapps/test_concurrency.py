"""50 simultaneous bookings for the last free room: exactly one wins, the others get the real error."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.qloapps.conftest import KEY, Ws, available, booking_json

pytestmark = pytest.mark.e2e


def test_fifty_concurrent_bookings_for_the_last_room_yield_exactly_one(ws: Ws, sim_server):
    ci, co = "2027-08-10", "2027-08-13"
    assert ws.post("/api/bookings", booking_json(2, ci, co, rooms=4)).status_code == 200
    assert available(ws, ci, co, 2) == 1

    async def one(client: httpx.AsyncClient, n: int) -> httpx.Response:
        body = booking_json(2, ci, co, email=f"guest{n}@example.com")
        return await client.post("/api/bookings", content=body, params={"output_format": "JSON"})

    async def race() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=ws.base_url, auth=(KEY, ""), limits=limits, timeout=30) as client:
            return await asyncio.gather(*(one(client, n) for n in range(50)))

    replies = asyncio.run(race())
    ok = [r for r in replies if r.status_code == 200]
    refused = [r for r in replies if r.status_code == 400]
    assert len(ok) == 1 and len(refused) == 49
    assert {json.dumps(r.json()) for r in refused} == {
        json.dumps({"errors": [{"code": 404, "message": "Requested room(s) not available."}]})
    }
    assert available(ws, ci, co, 2) == 0
    state = ws.state()
    assert state["invariants"] == []
    assert state["counts"]["orders"] == 2 and state["counts"]["room_bookings_holding"] == 5
