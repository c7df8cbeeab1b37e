"""The /_sim/ control plane: guests, guest messages, long-poll replies with timelines, journal, clock, reset."""

from __future__ import annotations

import re
import threading
import time

import httpx
import orjson
import pytest

from tests.waiting import wait_until
from tests.whatsapp.conftest import GUEST, PNID, Harness, assert_envelope

WA = {"messaging_product": "whatsapp", "to": GUEST}
BUTTONS = {
    **WA,
    "type": "interactive",
    "interactive": {
        "type": "button",
        "body": {"text": "¿Confirmas?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "confirm", "title": "Sí"}},
                {"type": "reply", "reply": {"id": "cancel", "title": "No"}},
            ]
        },
    },
}
LIST = {
    **WA,
    "type": "interactive",
    "interactive": {
        "type": "list",
        "body": {"text": "Habitación"},
        "action": {
            "button": "Ver",
            "sections": [
                {
                    "title": "Tipos",
                    "rows": [
                        {"id": "dbl", "title": "Doble", "description": "Cama grande"},
                        {"id": "sgl", "title": "Individual"},
                    ],
                }
            ],
        },
    },
}


def delivered_message(h: Harness, wamid: str, timeout: float = 5) -> dict:
    h.rx.wait_for(lambda p: any(wamid.encode() in x.body for x in p), timeout)
    for post in h.rx.posts:
        for e in orjson.loads(post.body)["entry"]:
            for c in e["changes"]:
                for m in c["value"].get("messages", []):
                    if m["id"] == wamid:
                        return m
    raise AssertionError(wamid)


def test_create_guest_then_update_it(fresh: Harness) -> None:
    r = fresh.http.post("/_sim/guests", json={"wa_id": GUEST, "profile_name": "Ana", "language": "en"})
    assert r.status_code == 201
    assert r.json()["profile_name"] == "Ana" and r.json()["language"] == "en" and r.json()["reachable"] is True
    r = fresh.http.post("/_sim/guests", json={"wa_id": GUEST, "reachable": False})
    assert r.status_code == 200 and r.json()["reachable"] is False and r.json()["profile_name"] == "Ana"
    assert [g["wa_id"] for g in fresh.http.get("/_sim/guests").json()["guests"]] == [GUEST]
    assert fresh.http.get(f"/_sim/guests/{GUEST}").json()["user_id"] == r.json()["user_id"]


def test_guest_message_creates_guest_implicitly_and_returns_wamid_and_accepted_at(fresh: Harness) -> None:
    before = fresh.http.get("/_sim/health").json()["now_ms"]
    r = fresh.http.post("/_sim/guests/34611222333/messages", json={"text": "hola", "profile_name": "Luis"})
    assert r.status_code == 201
    body = r.json()
    assert body["wamid"].startswith("wamid.") and body["accepted_at_ms"] >= before
    assert fresh.state.guests["34611222333"].profile_name == "Luis"
    assert delivered_message(fresh, body["wamid"])["text"] == {"body": "hola"}


def test_implicit_creation_can_be_switched_off(fresh: Harness) -> None:
    fresh.http.post("/_sim/settings", json={"auto_create_guests": False})
    r = fresh.http.post("/_sim/guests/34611222333/messages", json={"text": "hola"})
    assert_envelope(r, 404, 100, etype="SimulatorError", details="POST /_sim/guests")


def test_replies_long_poll_returns_business_messages_and_timeline(fresh: Harness) -> None:
    sent = fresh.guest_says("¿Tenéis habitación?")
    result: dict = {}

    def poll() -> None:
        result["r"] = httpx.get(
            f"{fresh.sim.base_url}/_sim/guests/{GUEST}/replies",
            params={"after": sent["wamid"], "timeout": 5, "settle_ms": 1000},
            timeout=10,
        ).json()

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.1)
    first = fresh.text(body="Sí, tenemos.").json()["messages"][0]["id"]
    second = fresh.send(BUTTONS).json()["messages"][0]["id"]
    t.join(10)
    r = result["r"]
    assert r["timed_out"] is False
    assert [x["wamid"] for x in r["replies"]] == [first, second]
    assert r["replies"][0]["message"] == {**WA, "type": "text", "text": {"body": "Sí, tenemos."}}
    assert r["replies"][1]["message"] == BUTTONS
    tl = r["timeline"]
    assert tl["wamid"] == sent["wamid"] and tl["accepted_at_ms"] == sent["accepted_at_ms"]
    assert tl["attempts"][0]["status"] == 200 and tl["attempts"][0]["at_ms"] >= tl["accepted_at_ms"]
    assert tl["acknowledged_at_ms"] >= tl["attempts"][0]["at_ms"]
    assert r["replies"][0]["arrived_at_ms"] > tl["accepted_at_ms"]


def test_replies_time_out_with_nothing(fresh: Harness) -> None:
    sent = fresh.guest_says("¿hola?")
    t0 = time.monotonic()
    r = fresh.http.get(f"/_sim/guests/{GUEST}/replies", params={"after": sent["wamid"], "timeout": 0.3}).json()
    assert r["replies"] == [] and r["timed_out"] is True and time.monotonic() - t0 >= 0.25


def test_replies_only_after_the_given_inbound_and_not_failed_ones(fresh: Harness) -> None:
    first = fresh.guest_says("uno")
    old = fresh.text(body="respuesta a uno").json()["messages"][0]["id"]
    second = fresh.guest_says("dos")
    new = fresh.text(body="respuesta a dos").json()["messages"][0]["id"]
    r1 = fresh.http.get(
        f"/_sim/guests/{GUEST}/replies", params={"after": first["wamid"], "timeout": 1, "settle_ms": 0}
    ).json()
    assert [x["wamid"] for x in r1["replies"]] == [old, new]
    r2 = fresh.http.get(f"/_sim/guests/{GUEST}/replies", params={"timeout": 1, "settle_ms": 0}).json()
    assert [x["wamid"] for x in r2["replies"]] == [new] and r2["timeline"]["wamid"] == second["wamid"]
    fresh.guest(reachable=False)
    third = fresh.guest_says("tres")
    fresh.text(body="no llega")
    r3 = fresh.http.get(f"/_sim/guests/{GUEST}/replies", params={"after": third["wamid"], "timeout": 0.2}).json()
    assert r3["replies"] == []


def test_button_reply_by_title_or_id_points_at_the_business_message(fresh: Harness) -> None:
    fresh.guest_says("quiero reservar")
    biz = fresh.send(BUTTONS).json()["messages"][0]["id"]
    by_title = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"type": "button", "title": "No"}).json()
    assert by_title["message"]["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "cancel", "title": "No"},
    }
    assert by_title["message"]["context"] == {"from": "15550783881", "id": biz}
    by_id = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"type": "button", "button_id": "confirm"})
    m = delivered_message(fresh, by_id.json()["wamid"])
    assert m["type"] == "interactive" and m["interactive"]["button_reply"] == {"id": "confirm", "title": "Sí"}


def test_button_reply_that_the_business_never_offered_is_refused(fresh: Harness) -> None:
    fresh.guest_says("hola")
    fresh.send(BUTTONS)
    before = len(fresh.state.messages)
    r = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"type": "button", "title": "Quizá"})
    err = assert_envelope(r, 400, 100, etype="SimulatorError", details="latest buttons offered")
    assert "confirm" in err["error_data"]["details"]
    assert len(fresh.state.messages) == before


def test_list_reply_carries_id_title_description(fresh: Harness) -> None:
    fresh.guest_says("hola")
    biz = fresh.send(LIST).json()["messages"][0]["id"]
    r = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"type": "list", "row_id": "dbl"}).json()
    assert r["message"]["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "dbl", "title": "Doble", "description": "Cama grande"},
    }
    assert r["message"]["context"]["id"] == biz
    r = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"type": "list", "title": "Individual"}).json()
    assert r["message"]["interactive"]["list_reply"] == {"id": "sgl", "title": "Individual"}


def test_template_quick_reply_arrives_as_button_type(fresh: Harness) -> None:
    body = {
        **WA,
        "type": "template",
        "template": {
            "name": "booking_reminder",
            "language": {"code": "es"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "lunes"}]},
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "CONF-1"}],
                },
            ],
        },
    }
    biz = fresh.send(body).json()["messages"][0]["id"]
    r = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"type": "button", "title": "Confirmar"})
    assert r.status_code == 201, r.text
    r = r.json()
    assert r["message"]["type"] == "button"
    assert r["message"]["button"] == {"payload": "CONF-1", "text": "Confirmar"}
    assert r["message"]["context"]["id"] == biz


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        (
            {"type": "location", "latitude": 40.41, "longitude": -3.7, "name": "Sol"},
            "location",
            {"latitude": 40.41, "longitude": -3.7, "name": "Sol"},
        ),
        ({"type": "contacts"}, "contacts", None),
        ({"type": "unsupported", "unsupported_type": "poll_update"}, "unsupported", {"type": "poll_update"}),
    ],
)
def test_other_guest_message_types(fresh: Harness, body: dict, key: str, expected) -> None:
    r = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json=body)
    assert r.status_code == 201, r.text
    m = delivered_message(fresh, r.json()["wamid"])
    assert m["type"] == key
    if expected is not None:
        assert m[key] == expected
    if key == "unsupported":
        assert m["errors"][0]["code"] == 131051


def test_guest_reaction_and_context_reply(fresh: Harness) -> None:
    fresh.guest_says("hola")
    biz = fresh.text(body="¿Algo más?").json()["messages"][0]["id"]
    r = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"type": "reaction", "emoji": "❤️"}).json()
    assert r["message"]["reaction"] == {"message_id": biz, "emoji": "❤️"}
    r = fresh.http.post(f"/_sim/guests/{GUEST}/messages", json={"text": "esto", "context_wamid": biz}).json()
    assert r["message"]["context"] == {"from": "15550783881", "id": biz}


def test_guest_image_is_downloadable_with_bearer(fresh: Harness) -> None:
    import base64

    data = b"\xff\xd8\xff\xe0fake-jpeg"
    r = fresh.http.post(
        f"/_sim/guests/{GUEST}/messages",
        json={"type": "image", "caption": "mi DNI", "data_b64": base64.b64encode(data).decode()},
    ).json()
    image = delivered_message(fresh, r["wamid"])["image"]
    assert list(image) == ["caption", "mime_type", "sha256", "id", "url"]
    assert image["mime_type"] == "image/jpeg"
    meta = fresh.http.get(f"/v21.0/{image['id']}", headers={"Authorization": "Bearer test-token"}).json()
    assert meta["file_size"] == len(data)
    got = fresh.http.get(meta["url"], headers={"Authorization": "Bearer test-token"})
    assert got.status_code == 200 and got.content == data and got.headers["content-type"] == "image/jpeg"


def test_conversation_lists_both_directions_with_statuses(fresh: Harness) -> None:
    sent = fresh.guest_says("hola")
    biz = fresh.text(body="¡Hola!").json()["messages"][0]["id"]
    fresh.send({"messaging_product": "whatsapp", "status": "read", "message_id": sent["wamid"]})
    fresh.wait_statuses(biz, lambda s: "read" in s)
    conv = fresh.http.get(f"/_sim/guests/{GUEST}/conversation").json()
    assert conv["guest"]["wa_id"] == GUEST
    msgs = conv["messages"]
    assert [(m["direction"], m["wamid"]) for m in msgs] == [("in", sent["wamid"]), ("out", biz)]
    assert [s["status"] for s in msgs[1]["statuses"]] == ["sent", "delivered", "read"]
    assert msgs[0]["statuses"][0]["status"] == "read" and "timeline" in msgs[0]


def test_journal_records_graph_calls_and_webhook_attempts(fresh: Harness) -> None:
    fresh.guest_says("hola")
    fresh.text(body="x")
    fresh.send({"to": GUEST})
    fresh.rx.wait_for(lambda p: len(p) >= 2)
    entries = fresh.http.get("/_sim/journal").json()["entries"]
    graph = [e for e in entries if e["kind"] == "graph"]
    assert [e["status"] for e in graph] == [200, 400] and graph[1]["code"] == 100
    assert any(e["kind"] == "webhook" and e["status"] == 200 for e in entries)
    last = graph[-1]["seq"]
    assert fresh.http.get("/_sim/journal", params={"after": last, "kind": "graph"}).json()["entries"] == []
    assert fresh.http.get("/_sim/journal", params={"after": graph[0]["seq"], "kind": "graph"}).json()["entries"] == [
        graph[1]
    ]


def test_clock_advance_moves_virtual_time_only(fresh: Harness) -> None:
    before = fresh.http.get("/_sim/clock").json()
    r = fresh.http.post("/_sim/clock/advance", json={"seconds": 3600}).json()
    assert r["offset_s"] == 3600 and r["now"] - before["now"] >= 3600
    assert r["now_ms"] - before["now_ms"] < 60_000
    assert fresh.http.post("/_sim/clock/advance", json={"ms": 1000}).json()["offset_s"] == 3601


def test_reset_forgets_everything_but_config(fresh: Harness) -> None:
    fresh.guest_says("hola")
    fresh.http.post("/_sim/faults", json={"webhook_delay_ms": 5})
    fresh.http.post("/_sim/clock/advance", json={"seconds": 10})
    assert fresh.http.post("/_sim/reset").json() == {"reset": True}
    assert fresh.http.get("/_sim/guests").json()["guests"] == []
    assert fresh.http.get("/_sim/faults").json()["webhook_delay_ms"] == 0
    assert fresh.http.get("/_sim/clock").json()["offset_s"] == 0
    assert fresh.http.get("/_sim/health").json()["webhook_verified"] is True


def test_health_and_metrics(fresh: Harness) -> None:
    h = fresh.http.get("/_sim/health")
    assert h.status_code == 200 and h.json()["status"] == "ok" and h.json()["phone_number_ids"] == [PNID]
    assert fresh.sim.sim.monitor.lags_ms, "the loop-lag sampler runs"
    assert h.json()["loop_lag_max_ms"] >= h.json()["loop_lag_p50_ms"] >= 0
    fresh.guest_says("hola")
    fresh.text(body="x")
    fresh.rx.wait_for(lambda p: len(p) >= 1)
    time.sleep(0.05)
    text = fresh.http.get("/metrics").text
    assert 'wa_sim_graph_requests_total{endpoint="messages",status="200"}' in text
    # Counters are per simulator process and survive /_sim/reset.
    assert re.search(r"^wa_sim_guest_messages_total [1-9]", text, re.M)
    assert 'wa_sim_webhook_attempts_total{outcome="ok"}' in text


def test_faults_post_merges_and_delete_clears(fresh: Harness) -> None:
    r = fresh.http.post("/_sim/faults", json={"webhook_delay_ms": 1000})
    assert r.json()["webhook_delay_ms"] == 1000
    r = fresh.http.post("/_sim/faults", json={"duplicate_rate": 0.5})
    assert r.json()["webhook_delay_ms"] == 1000 and r.json()["duplicate_rate"] == 0.5
    assert fresh.http.delete("/_sim/faults").json()["webhook_delay_ms"] == 0


def test_webhook_endpoint_changes_url_and_reverifies(fresh: Harness) -> None:
    r = fresh.http.post("/_sim/webhook", json={"verify_token": "changed"})
    assert r.status_code == 200
    time.sleep(0.1)
    assert fresh.http.get("/_sim/health").json()["webhook_verified"] is False
    fresh.http.post("/_sim/webhook", json={"verify_token": "vt"})
    wait_until(lambda: fresh.http.get("/_sim/health").json()["webhook_verified"], what="re-verification", step=0.02)


def test_templates_can_be_added_at_runtime(fresh: Harness) -> None:
    fresh.guest()
    body = {**WA, "type": "template", "template": {"name": "welcome", "language": {"code": "en"}}}
    assert fresh.send(body).status_code == 404
    r = fresh.http.post("/_sim/templates", json={"templates": [{"name": "welcome", "language": "en"}]})
    assert r.status_code == 200
    assert fresh.send(body).status_code == 200
