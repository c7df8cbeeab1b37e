"""Policies and statuses: 24 h window (131047 async/sync), 131026, 130429, 131056, reactions, pricing, shapes."""

from __future__ import annotations

import re

import orjson

from tests.whatsapp.conftest import GUEST, PNID, Harness, assert_envelope

WA = {"messaging_product": "whatsapp", "to": GUEST}
TEMPLATE = {**WA, "type": "template", "template": {"name": "promo", "language": {"code": "es"}}}


def statuses_of(h: Harness, wamid: str) -> list[dict]:
    return [s for s in h.webhook_items("statuses") if s["id"] == wamid]


def status_posts(h: Harness, wamid: str) -> list[dict]:
    """The `value` objects of the POSTs that carried a status of `wamid`."""
    out = []
    for post in list(h.rx.posts):
        for entry in orjson.loads(post.body)["entry"]:
            for change in entry["changes"]:
                if any(s["id"] == wamid for s in change["value"].get("statuses", [])):
                    out.append(change["value"])
    return out


def test_free_form_outside_window_is_accepted_then_fails_131047(fresh: Harness) -> None:
    fresh.guest()
    r = fresh.text(body="¿Sigues ahí?")
    assert r.status_code == 200
    wamid = r.json()["messages"][0]["id"]
    items = fresh.wait_statuses(wamid, lambda s: "failed" in s)
    failed = items[-1]
    assert [s["status"] for s in items] == ["failed"]
    err = failed["errors"][0]
    assert err["code"] == 131047 and err["title"] == "Re-engagement message" and err["message"] == err["title"]
    assert "more than 24 hours have passed" in err["error_data"]["details"]
    assert "pricing" not in failed
    # D1: failed statuses carry contacts:[{wa_id}] only (david-lev/pywa#227 capture).
    assert [v["contacts"] for v in status_posts(fresh, wamid)] == [[{"wa_id": GUEST}]]


def test_window_closes_24_hours_after_the_last_guest_message(fresh: Harness) -> None:
    fresh.guest_says("hola")
    fresh.http.post("/_sim/clock/advance", json={"seconds": 23 * 3600})
    ok = fresh.text(body="dentro").json()["messages"][0]["id"]
    fresh.http.post("/_sim/clock/advance", json={"seconds": 3600 + 1})
    late = fresh.text(body="fuera").json()["messages"][0]["id"]
    assert [s["status"] for s in fresh.wait_statuses(ok, lambda s: "read" in s)] == ["sent", "delivered", "read"]
    assert fresh.wait_statuses(late, lambda s: "failed" in s)[0]["errors"][0]["code"] == 131047
    # A new guest message reopens it.
    fresh.guest_says("vuelvo")
    again = fresh.text(body="de nuevo").json()["messages"][0]["id"]
    assert "sent" in [s["status"] for s in fresh.wait_statuses(again, lambda s: "sent" in s)]


def test_sync_window_mode_refuses_with_131047(fresh: Harness) -> None:
    fresh.guest()
    fresh.http.post("/_sim/settings", json={"policies": {"window_mode": "sync"}})
    assert_envelope(fresh.text(body="x"), 400, 131047, details="more than 24 hours")
    assert [m for m in fresh.state.conversations[GUEST] if m.direction == "out"] == []


def test_template_outside_window_is_accepted_and_does_not_reopen_it(fresh: Harness) -> None:
    fresh.guest()
    r = fresh.send(TEMPLATE)
    assert r.status_code == 200
    wamid = r.json()["messages"][0]["id"]
    items = fresh.wait_statuses(wamid, lambda s: "read" in s)
    assert items[0]["pricing"] == {"billable": True, "pricing_model": "PMP", "category": "marketing", "type": "regular"}
    after = fresh.text(body="libre").json()["messages"][0]["id"]
    assert fresh.wait_statuses(after, lambda s: "failed" in s)[0]["errors"][0]["code"] == 131047


def test_unreachable_guest_gets_131026(fresh: Harness) -> None:
    fresh.guest_says("hola")
    fresh.guest(reachable=False)
    wamid = fresh.text(body="x").json()["messages"][0]["id"]
    err = fresh.wait_statuses(wamid, lambda s: "failed" in s)[0]["errors"][0]
    # The capture in david-lev/pywa#227: lower-case "undeliverable", no href.
    assert err == {
        "code": 131026,
        "title": "Message undeliverable",
        "message": "Message undeliverable",
        "error_data": {"details": "Message Undeliverable."},
    }


def test_unknown_recipient_is_accepted_then_fails_131026(fresh: Harness) -> None:
    r = fresh.text(to="+99911122233", body="x")
    assert r.status_code == 200
    assert r.json()["contacts"] == [{"input": "+99911122233", "wa_id": "99911122233"}]
    wamid = r.json()["messages"][0]["id"]
    failed = fresh.wait_statuses(wamid, lambda s: "failed" in s)[0]
    assert failed["errors"][0]["code"] == 131026 and failed["recipient_id"] == "99911122233"
    assert [v["contacts"] for v in status_posts(fresh, wamid)] == [[{"wa_id": "99911122233"}]]


def test_national_number_without_plus_gets_the_business_calling_code(fresh: Harness) -> None:
    # D7 and Meta's phone-number formats page: no "+" means the business number's code is prepended.
    r = fresh.text(to="600111222", body="x")
    assert r.json()["contacts"] == [{"input": "600111222", "wa_id": "1600111222"}]


def test_throughput_limit_gives_130429_and_can_be_switched_off(fresh: Harness) -> None:
    fresh.http.post("/_sim/settings", json={"throughput_mps": 2, "policies": {"pair_limit_enabled": False}})
    for i in range(12):
        fresh.guest_says(f"hola {i}", wa_id=f"3460000{i:04d}")
    responses = [fresh.text(to=f"3460000{i:04d}", body="x") for i in range(12)]
    codes = [r.status_code for r in responses]
    # A bucket of 2 refilled at 2/s: the first two pass, a quick burst then hits the limit.
    assert codes[:2] == [200, 200] and 400 in codes
    err = assert_envelope(
        responses[codes.index(400)],
        400,
        130429,
        subcode=2494055,
        details="too many messages sent from this phone number",
    )
    assert err["message"] == "(#130429) Rate limit hit"
    fresh.http.post("/_sim/clock/advance", json={"seconds": 1})
    assert fresh.text(to="34600000000", body="x").status_code == 200
    fresh.http.post("/_sim/settings", json={"policies": {"rate_limit_enabled": False}})
    assert all(fresh.text(to="34600000001", body="x").status_code == 200 for _ in range(20))


def test_pair_limit_gives_131056_after_the_burst_and_refills(fresh: Harness) -> None:
    fresh.http.post("/_sim/settings", json={"policies": {"pair_burst": 3}})
    fresh.guest_says("hola")
    assert [fresh.text(body=str(i)).status_code for i in range(3)] == [200, 200, 200]
    assert_envelope(fresh.text(body="4"), 400, 131056, details="to the same phone number")
    fresh.http.post("/_sim/clock/advance", json={"seconds": 6})
    assert fresh.text(body="5").status_code == 200
    fresh.http.post("/_sim/settings", json={"policies": {"pair_limit_enabled": False}})
    assert [fresh.text(body="x").status_code for _ in range(5)] == [200] * 5


def test_reactions_only_ever_get_sent(fresh: Harness) -> None:
    inbound = fresh.guest_says("gracias")["wamid"]
    r = fresh.send({**WA, "type": "reaction", "reaction": {"message_id": inbound, "emoji": "👍"}})
    wamid = r.json()["messages"][0]["id"]
    text = fresh.text(body="de nada").json()["messages"][0]["id"]
    fresh.wait_statuses(text, lambda s: "read" in s)  # read delay has passed for the reaction too
    assert [s["status"] for s in statuses_of(fresh, wamid)] == ["sent"]


def test_reaction_to_unknown_message_fails_131009(fresh: Harness) -> None:
    fresh.guest_says("hola")
    r = fresh.send({**WA, "type": "reaction", "reaction": {"message_id": "wamid.unknown", "emoji": "👍"}})
    assert r.status_code == 200
    wamid = r.json()["messages"][0]["id"]
    assert fresh.wait_statuses(wamid, lambda s: "failed" in s)[0]["errors"][0]["code"] == 131009


def test_service_reply_lifecycle_pricing_and_2026_contacts(fresh: Harness) -> None:
    fresh.guest(profile_name="Ana García")
    fresh.guest_says("hola")
    r = fresh.text(body="¡Bienvenida!", biz_opaque_callback_data="turn-1")
    wamid = r.json()["messages"][0]["id"]
    items = fresh.wait_statuses(wamid, lambda s: "read" in s)
    assert [s["status"] for s in items] == ["sent", "delivered", "read"]
    free = {"billable": False, "pricing_model": "PMP", "category": "service", "type": "free_customer_service"}
    assert items[0]["pricing"] == free and items[1]["pricing"] == free and "pricing" not in items[2]
    guest = fresh.state.guests[GUEST]
    for s in items:
        assert s["recipient_id"] == GUEST and s["recipient_user_id"] == guest.user_id
        assert s["biz_opaque_callback_data"] == "turn-1"
        assert s["timestamp"].isdigit()
        assert "conversation" not in s  # v24+ payloads omit it
    for value in status_posts(fresh, wamid):
        # D3: status contacts carry no profile (david-lev/pywa#188 capture).
        assert value["contacts"] == [{"wa_id": GUEST, "user_id": guest.user_id}]


def test_skipped_delivered_sends_read_with_pricing(fresh: Harness) -> None:
    fresh.guest(skip_delivered=True)
    fresh.guest_says("hola")
    wamid = fresh.text(body="x").json()["messages"][0]["id"]
    items = fresh.wait_statuses(wamid, lambda s: "read" in s)
    assert [s["status"] for s in items] == ["sent", "read"]
    assert items[1]["pricing"]["type"] == "free_customer_service"


def test_guest_that_never_reads_stops_at_delivered(fresh: Harness) -> None:
    fresh.guest(reads=False, delivered_after_ms=10)
    fresh.guest_says("hola")
    wamid = fresh.text(body="x").json()["messages"][0]["id"]
    slow = fresh.text(body="y").json()["messages"][0]["id"]
    fresh.wait_statuses(slow, lambda s: "delivered" in s)
    import time

    time.sleep(0.1)
    assert [s["status"] for s in statuses_of(fresh, wamid)] == ["sent", "delivered"]


def test_inbound_2026_shape_has_user_ids(fresh: Harness) -> None:
    sent = fresh.guest_says("hola")
    fresh.rx.wait_for(lambda p: len(p) >= 1)
    value = orjson.loads(fresh.rx.posts[0].body)["entry"][0]["changes"][0]["value"]
    guest = fresh.state.guests[GUEST]
    assert value["metadata"] == {"display_phone_number": "15550783881", "phone_number_id": PNID}
    assert value["contacts"][0]["user_id"] == guest.user_id and value["contacts"][0]["wa_id"] == GUEST
    msg = value["messages"][0]
    assert list(msg) == ["from", "from_user_id", "id", "timestamp", "text", "type"]
    assert msg["from"] == GUEST and msg["from_user_id"] == guest.user_id and msg["id"] == sent["wamid"]
    assert guest.user_id.startswith("ES.")


def test_pre2026_shape_drops_bsuid_fields(fresh: Harness) -> None:
    fresh.http.post("/_sim/settings", json={"payload_shape": "pre2026", "payload_version": "v23.0"})
    fresh.guest_says("hola")
    wamid = fresh.text(body="x").json()["messages"][0]["id"]
    items = fresh.wait_statuses(wamid, lambda s: "delivered" in s)
    value = orjson.loads(fresh.rx.posts[0].body)["entry"][0]["changes"][0]["value"]
    assert value["contacts"] == [{"profile": {"name": "Guest 1222"}, "wa_id": GUEST}]
    assert "from_user_id" not in value["messages"][0]
    assert all("recipient_user_id" not in s for s in items)
    assert all("contacts" not in v for v in status_posts(fresh, wamid))
    # v23 payloads still carry the conversation object.
    assert items[0]["conversation"]["origin"] == {"type": "service"}
    # D8: ids are lowercase hex as in captures; only `sent` carries expiration_timestamp.
    assert all(re.fullmatch(r"[0-9a-f]{32}", s["conversation"]["id"]) for s in items)
    assert "expiration_timestamp" in items[0]["conversation"]
    assert all("expiration_timestamp" not in s["conversation"] for s in items[1:])


def test_username_mode_hides_the_phone_number_and_accepts_bsuid_sends(fresh: Harness) -> None:
    guest = fresh.guest(username_mode=True, username="ana.g", profile_name="Ana")
    fresh.guest_says("hola")
    fresh.rx.wait_for(lambda p: len(p) >= 1)
    value = orjson.loads(fresh.rx.posts[0].body)["entry"][0]["changes"][0]["value"]
    assert value["contacts"] == [{"profile": {"name": "Ana", "username": "ana.g"}, "user_id": guest["user_id"]}]
    assert "from" not in value["messages"][0] and value["messages"][0]["from_user_id"] == guest["user_id"]
    assert GUEST.encode() not in fresh.rx.posts[0].body
    r = fresh.send(
        {"messaging_product": "whatsapp", "recipient": guest["user_id"], "type": "text", "text": {"body": "hola"}}
    )
    assert r.json()["contacts"] == [{"input": guest["user_id"], "user_id": guest["user_id"]}]
    wamid = r.json()["messages"][0]["id"]
    items = fresh.wait_statuses(wamid, lambda s: "read" in s)
    assert all("recipient_id" not in s and s["recipient_user_id"] == guest["user_id"] for s in items)
