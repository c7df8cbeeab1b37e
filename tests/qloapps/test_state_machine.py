"""Hypothesis stateful test: searches, bookings, cancellations, refunds and room disabling through the protocol
layer, checked against a simple reference model of who holds which room on which nights."""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from simulators.qloapps.api import Request
from simulators.qloapps.app import QloAppsSimulator
from simulators.qloapps.clock import SimClock
from simulators.qloapps.config import DEFAULT_API_KEY, SimConfig
from tests.qloapps.conftest import TODAY, ari_xml, rt_row

BASE = date(2027, 3, 1)
TYPES = {1: [1, 2, 3, 4, 5], 2: [6, 7, 8, 9, 10]}  # demo room ids per room type
AUTH = {"authorization": "Basic " + __import__("base64").b64encode(f"{DEFAULT_API_KEY}:".encode()).decode()}


class InventoryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.sim = QloAppsSimulator(SimConfig(), clock=SimClock(TODAY))
        self.holds: dict[int, list[tuple[int, date, date]]] = {}  # order -> [(room, from, to)] while active
        self.disabled: set[int] = set()
        self.n_orders = 0

    # ---- plumbing --------------------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: str = "", json_out: bool = True):
        query = {"output_format": "JSON"} if json_out else {}
        reply = self.sim.ws.handle(Request(method, path, query, AUTH, body.encode()))
        data = json.loads(reply.body) if reply.body and json_out else None
        return reply.status, data

    def model_free(self, rt: int, f: date, t: date) -> list[int]:
        busy = {room for holds in self.holds.values() for room, hf, ht in holds if hf < t and ht > f}
        return [r for r in TYPES[rt] if r not in busy and r not in self.disabled]

    # ---- rules -----------------------------------------------------------------------------------------------

    @rule(rt=st.sampled_from(list(TYPES)), start=st.integers(0, 20), nights=st.integers(1, 5))
    def search(self, rt: int, start: int, nights: int) -> None:
        f, t = BASE + timedelta(days=start), BASE + timedelta(days=start + nights)
        flags = {"get_available_rooms": 1, "get_booked_rooms": 1, "get_unavailable_rooms": 1}
        status, data = self.call("POST", "hotel_ari", ari_xml(f.isoformat(), t.isoformat(), flags=flags))
        assert status == 200
        ari = data["hotel_ari"]
        rooms = rt_row(ari, rt)["rooms"]
        got = sorted(int(k) for k in rooms["available"]) if rooms["available"] else []
        assert got == sorted(self.model_free(rt, f, t))
        # Hotel-wide totals: disabled rooms are unavailable, held ones booked, the rest available.
        all_rooms = [r for rs in TYPES.values() for r in rs] + list(range(11, 21))
        busy = {room for holds in self.holds.values() for room, hf, ht in holds if hf < t and ht > f}
        unavailable = [r for r in all_rooms if r in self.disabled]
        booked = [r for r in all_rooms if r in busy and r not in self.disabled]
        assert ari["total_unavailable_rooms"] == len(unavailable)
        assert ari["total_booked_rooms"] == len(booked)
        assert ari["total_available_rooms"] == len(all_rooms) - len(unavailable) - len(booked)

    @rule(rt=st.sampled_from(list(TYPES)), start=st.integers(0, 20), nights=st.integers(1, 5), n=st.integers(1, 3))
    def book(self, rt: int, start: int, nights: int, n: int) -> None:
        f, t = BASE + timedelta(days=start), BASE + timedelta(days=start + nights)
        free = self.model_free(rt, f, t)
        body = {"booking": {"currency": "EUR", "id_property": 1, "customer_detail": {
            "firstname": "Ana", "lastname": "Lopez", "email": "ana@example.com", "phone": "+346"}, "room_types": [{
            "id_room_type": rt, "checkin_date": f.isoformat(), "checkout_date": t.isoformat(),
            "number_of_rooms": n}]}}  # fmt: skip
        status, data = self.call("POST", "bookings", json.dumps(body))
        if len(free) >= n:
            assert status == 200, data
            rooms = [r["id_room"] for r in data["booking"]["associations"]["room_types"][0]["rooms"]]
            assert len(rooms) == n and set(rooms) <= set(free)
            self.holds[data["booking"]["id"]] = [(r, f, t) for r in rooms]
            self.n_orders += 1
        else:
            assert status == 400
            assert data == {"errors": [{"code": 404, "message": "Requested room(s) not available."}]}

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), state=st.sampled_from([4, 5, 6]))
    def cancel_by_order_history(self, data, state: int) -> None:
        order = data.draw(st.sampled_from(sorted(self.holds)))
        body = (
            f"<qloapps><order_history><id_order>{order}</id_order><id_order_state>{state}</id_order_state>"
            "</order_history></qloapps>"
        )
        status, _ = self.call("POST", "order_histories", body)
        assert status == 201
        del self.holds[order]

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), booking_status=st.sampled_from([3, 4]))
    def cancel_or_refund_by_put(self, data, booking_status: int) -> None:
        order = data.draw(st.sampled_from(sorted(self.holds)))
        _, got = self.call("GET", f"bookings/{order}")
        put = {"booking": {"id": order, "id_property": 1, "booking_status": booking_status,
                           "customer_detail": {"email": "ana@example.com"},
                           "room_types": got["booking"]["associations"]["room_types"]}}  # fmt: skip
        status, _ = self.call("PUT", "bookings", json.dumps(put))
        assert status == 200
        del self.holds[order]
        _, order_data = self.call("GET", f"orders/{order}")
        assert order_data["order"]["current_state"] == str(4 if booking_status == 3 else 5)

    @rule(room=st.sampled_from([r for rooms in TYPES.values() for r in rooms]), disable=st.booleans())
    def toggle_room(self, room: int, disable: bool) -> None:
        status_value = 2 if disable else 1
        product = next(t for t, rooms in TYPES.items() if room in rooms)
        # A PUT replaces the whole room: id_product must be sent (HotelRoomInformation.php:314-325).
        body = (f"<qloapps><room><id>{room}</id><id_product>{product}</id_product><id_status>{status_value}</id_status>"
                "</room></qloapps>")  # fmt: skip
        status, _ = self.call("PUT", f"hotel_rooms/{room}", body)
        assert status == 200
        (self.disabled.add if disable else self.disabled.discard)(room)

    # ---- invariants ------------------------------------------------------------------------------------------

    @invariant()
    def no_room_is_held_twice(self) -> None:
        assert self.sim.backend.check_invariants() == []
        holds = [h for hs in self.holds.values() for h in hs]
        for i, (room, f, t) in enumerate(holds):
            for room2, f2, t2 in holds[i + 1 :]:
                assert not (room == room2 and f < t2 and t > f2), (room, f, t, f2, t2)

    @invariant()
    def orders_match(self) -> None:
        assert len(self.sim.backend.orders) == self.n_orders


InventoryMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestInventoryMachine = InventoryMachine.TestCase
