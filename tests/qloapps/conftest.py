"""A real QloApps simulator (uvicorn in a thread on a free 127.0.0.1 port), reset before every test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from simulators.qloapps.clock import SimClock
from simulators.qloapps.config import DEFAULT_API_KEY, SimConfig
from simulators.qloapps.server import ThreadedSimulator

TODAY = date(2027, 1, 10)
KEY = DEFAULT_API_KEY


class Ws:
    """A thin client of the simulator: the key as Basic user, helpers for XML and JSON."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, auth=(KEY, ""), timeout=20)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def get_json(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params={"output_format": "JSON", **params})

    def post(self, path: str, body: str | bytes, json_out: bool = False, **params: Any) -> httpx.Response:
        if json_out:
            params["output_format"] = "JSON"
        return self.http.post(path, content=body, params=params)

    def put(self, path: str, body: str | bytes, json_out: bool = False, **params: Any) -> httpx.Response:
        if json_out:
            params["output_format"] = "JSON"
        return self.http.put(path, content=body, params=params)

    def state(self) -> dict[str, Any]:
        return self.http.get("/_sim/state", params={"full": "1"}).json()

    def close(self) -> None:
        self.http.close()


def ari_xml(date_from: str, date_to: str, *, hotel: int = 1, occupancies: tuple[tuple[int, int], ...] = ((2, 0),),
            flags: dict[str, int] | None = None, room_type: int | None = None) -> str:  # fmt: skip
    """A hotel_ari search body as integrations send it."""
    occ = "".join(
        f"<room_occupancy><adults>{a}</adults><children>{c}</children></room_occupancy>" for a, c in occupancies
    )
    fl = "".join(f"<{k}>{v}</{k}>" for k, v in (flags or {}).items())
    rt = f"<id_room_type>{room_type}</id_room_type>" if room_type else ""
    return (
        f"<qloapps><hotel_ari><id_hotel>{hotel}</id_hotel>{rt}<date_from>{date_from}</date_from>"
        f"<date_to>{date_to}</date_to>{fl}<associations><room_occupancies>{occ}</room_occupancies></associations>"
        "</hotel_ari></qloapps>"
    )


def booking_json(rt: int, ci: str, co: str, rooms: int = 1, email: str = "ana@example.com", **extra: Any) -> str:
    body: dict[str, Any] = {
        "currency": "EUR",
        "id_property": 1,
        "booking_status": 1,
        "payment_status": 3,
        "customer_detail": {"firstname": "Ana", "lastname": "Lopez", "email": email, "phone": "+34600000001"},
        "room_types": [{"id_room_type": rt, "checkin_date": ci, "checkout_date": co, "number_of_rooms": rooms}],
    }
    body.update(extra)
    return json.dumps({"booking": body})


def rt_row(ari: dict[str, Any], id_room_type: int) -> dict[str, Any]:
    """One room type of a hotel_ari JSON answer; `room_types` is a list (…HotelAri.php:431)."""
    return next(x for x in ari["room_types"] if int(x["id_room_type"]) == int(id_room_type))


def available(ws: Ws, ci: str, co: str, rt: int) -> int:
    """How many rooms of one type hotel_ari reports available."""
    data = ws.post("/api/hotel_ari", ari_xml(ci, co), json_out=True).json()
    row = next(x for x in data["hotel_ari"]["room_types"] if x["id_room_type"] == rt)
    return len(row["rooms"]["available"])


@pytest.fixture(scope="session")
def sim_server() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(SimConfig(), clock=SimClock(TODAY)) as server:
        yield server


@pytest.fixture
def ws(sim_server: ThreadedSimulator) -> Iterator[Ws]:
    client = Ws(sim_server.base_url)
    client.http.post("/_sim/reset")
    sim_server.app.clock.set_today(TODAY)
    yield client
    client.close()
