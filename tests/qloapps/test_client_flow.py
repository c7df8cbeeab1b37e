"""A client written like real QloApps integrations: Basic auth, output_format=JSON reads, XML writes."""

from __future__ import annotations

import pytest

from tests.qloapps.conftest import Ws, ari_xml, rt_row

pytestmark = pytest.mark.e2e


def search(ws: Ws, ci: str, co: str) -> dict:
    r = ws.post("/api/hotel_ari", ari_xml(ci, co), json_out=True)
    assert r.status_code == 200
    return r.json()["hotel_ari"]


def test_search_customer_book_read_cancel_and_the_room_is_free_again(ws: Ws):
    ci, co = "2027-09-01", "2027-09-04"
    ari = search(ws, ci, co)
    luxury = next(rt for rt in ari["room_types"] if rt["name"] == "Luxury Rooms")
    rooms = luxury["rooms"]["available"]
    assert len(rooms) == 5 and luxury["total_price_with_tax"] == 8250  # 3 nights x 2500 x 1.10
    wanted_room = min(rooms.values(), key=lambda r: r["id_room"])

    found = ws.get_json("/api/customers", **{"filter[email]": "[maria@example.com]", "display": "full"})
    assert found.content == b"[]"
    customer = ws.post(
        "/api/customers",
        "<qloapps><customer><firstname>María</firstname><lastname>Pérez</lastname><email>maria@example.com</email><phone>+346</phone>"
        "<passwd>s3cret-pass</passwd><phone>+34 600 111 222</phone></customer></qloapps>",
        json_out=True,
    )
    assert customer.status_code == 201
    id_customer = customer.json()["customer"]["id"]

    booking_xml = (
        "<qloapps><booking><currency>EUR</currency><id_property>1</id_property><booking_status>1</booking_status>"
        "<payment_status>3</payment_status><source>integration</source><customer_detail>"
        f"<id_customer>{id_customer}</id_customer><firstname>María</firstname><lastname>Pérez</lastname>"
        "<email>maria@example.com</email><phone>+34600000002</phone></customer_detail><room_types><room_type>"
        f"<id_room_type>{luxury['id_room_type']}</id_room_type><checkin_date>{ci}</checkin_date>"
        f"<checkout_date>{co}</checkout_date><number_of_rooms>1</number_of_rooms><rooms><room>"
        f"<id_room>{wanted_room['id_room']}</id_room><adults>2</adults><child>0</child><total_tax>750</total_tax></room></rooms>"
        "</room_type></room_types></booking></qloapps>"
    )
    made = ws.post("/api/bookings", booking_xml, json_out=True)
    assert made.status_code == 200
    booking = made.json()["booking"]
    id_order = booking["id"]
    assert booking["associations"]["customer_detail"]["id_customer"] == id_customer
    assert booking["associations"]["room_types"][0]["rooms"][0]["id_room"] == wanted_room["id_room"]
    assert len(rt_row(search(ws, ci, co), luxury["id_room_type"])["rooms"]["available"]) == 4

    read = ws.get_json(f"/api/bookings/{id_order}").json()["booking"]
    order = ws.get_json(f"/api/orders/{id_order}").json()["order"]
    assert read == booking
    assert order["current_state"] == "1" and order["id_customer"] == str(id_customer)
    assert order["total_paid_tax_incl"] == "8250.000000"
    by_ref = ws.get_json("/api/orders", **{"filter[reference]": f"[{order['reference']}]", "display": "[id]"})
    assert by_ref.json() == {"orders": [{"id": id_order}]}
    mine = ws.get_json("/api/orders", **{"filter[id_customer]": f"[{id_customer}]", "display": "[id,current_state]"})
    assert mine.json() == {"orders": [{"id": id_order, "current_state": "1"}]}
    states = ws.get_json("/api/order_states", display="[id,name]").json()["order_states"]
    assert {"id": 4, "name": "Canceled"} in states

    cancel = ws.post(
        "/api/order_histories",
        f"<qloapps><order_history><id_order>{id_order}</id_order><id_order_state>4</id_order_state>"
        "</order_history></qloapps>",
        json_out=True,
    )
    assert cancel.status_code == 201
    assert ws.get_json(f"/api/orders/{id_order}").json()["order"]["current_state"] == "4"
    after = rt_row(search(ws, ci, co), luxury["id_room_type"])["rooms"]["available"]
    assert str(wanted_room["id_room"]) in after and len(after) == 5
    again = ws.post("/api/bookings", booking_xml, json_out=True)
    assert again.status_code == 200 and again.json()["booking"]["id"] == id_order + 1
