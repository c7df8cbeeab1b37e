"""Webhook delivery: handshake first, success only on 200, retries on a schedule, give-up, delivery faults."""

from __future__ import annotations

import time

import orjson
import pytest

from simulators.whatsapp.config import RetryPolicy
from tests.waiting import wait_until
from tests.whatsapp.conftest import GUEST, VERIFY, Harness


def message_ids(body: bytes) -> list[str]:
    return [m["id"] for e in orjson.loads(body)["entry"] for c in e["changes"] for m in c["value"].get("messages", [])]


def test_handshake_is_retried_until_it_succeeds_and_nothing_is_posted_before(make_harness, receiver) -> None:
    receiver.verify_token = "not-yet"
    h = make_harness()
    wamid = h.guest_says("hola")["wamid"]
    wait_until(lambda: len(receiver.handshakes) >= 3, what="three handshake attempts")
    assert receiver.posts == []
    assert h.http.get("/_sim/health").json()["webhook_verified"] is False
    for attempt in receiver.handshakes:
        assert attempt["hub.mode"] == "subscribe"
        assert attempt["hub.challenge"].isdigit()
    receiver.verify_token = VERIFY
    posts = receiver.wait_for(lambda p: len(p) >= 1)
    assert message_ids(posts[0].body) == [wamid]
    journal = h.http.get("/_sim/journal", params={"kind": "handshake"}).json()["entries"]
    assert [e["ok"] for e in journal][-1] is True and journal[0]["status"] == 403


def test_handshake_needs_the_exact_challenge_in_the_body(make_harness, receiver) -> None:
    receiver.challenge_override = "12345"
    h = make_harness()
    wait_until(lambda: len(receiver.handshakes) >= 2, what="handshake attempts")
    assert h.http.get("/_sim/health").json()["webhook_verified"] is False
    receiver.challenge_override = None
    wait_until(lambda: h.http.get("/_sim/health").json()["webhook_verified"], what="verification")


def test_500_500_200_gives_three_attempts_on_schedule_and_nothing_after(make_harness, receiver) -> None:
    receiver.statuses = [500, 500, 200]
    h = make_harness(delivery={"retry": {"schedule_s": [0.1, 0.2, 0.4]}}, statuses={"read_after_ms": None})
    wamid = h.guest_says("hola")["wamid"]
    wait_until(lambda: h.state.messages[wamid].acknowledged_at_ms, what="the acknowledgement")
    time.sleep(0.8)  # past the rest of the schedule: nothing else may arrive
    posts = [p for p in receiver.posts if wamid.encode() in p.body]
    assert [p.status for p in posts] == [500, 500, 200]
    assert posts[0].body == posts[1].body == posts[2].body
    assert posts[1].at - posts[0].at >= 0.09
    assert posts[2].at - posts[1].at >= 0.19
    timeline = h.http.get(f"/_sim/guests/{GUEST}/replies", params={"after": wamid, "timeout": 0}).json()["timeline"]
    assert [a["status"] for a in timeline["attempts"]] == [500, 500, 200]
    assert timeline["acknowledged_at_ms"] >= timeline["attempts"][2]["at_ms"]
    assert timeline["gave_up_at_ms"] is None


def test_receiver_that_never_answers_200_is_given_up_and_journaled(make_harness, receiver) -> None:
    receiver.default_status = 503
    h = make_harness(delivery={"retry": {"schedule_s": [0.02, 0.04, 0.08]}})
    wamid = h.guest_says("hola")["wamid"]
    give_ups = wait_until(
        lambda: h.http.get("/_sim/journal", params={"kind": "webhook_give_up"}).json()["entries"], what="give-up"
    )
    assert give_ups[0]["refs"] == [wamid] and give_ups[0]["attempts"] == 4 and give_ups[0]["last_status"] == 503
    time.sleep(0.3)
    assert len([p for p in receiver.posts if wamid.encode() in p.body]) == 4
    timeline = h.http.get(f"/_sim/guests/{GUEST}/replies", params={"after": wamid, "timeout": 0}).json()["timeline"]
    assert timeline["acknowledged_at_ms"] is None and timeline["gave_up_at_ms"] is not None


def test_slow_receiver_times_out_and_is_retried(make_harness, receiver) -> None:
    receiver.delay_s = 0.5
    h = make_harness(delivery={"timeout_s": 0.1, "retry": {"schedule_s": [0.05]}})
    wamid = h.guest_says("hola")["wamid"]
    entries = wait_until(
        lambda: h.http.get("/_sim/journal", params={"kind": "webhook_give_up"}).json()["entries"], what="give-up"
    )
    assert entries[0]["refs"] == [wamid]
    attempts = [
        e for e in h.http.get("/_sim/journal", params={"kind": "webhook"}).json()["entries"] if e["kind"] == "webhook"
    ]
    assert [a["status"] for a in attempts] == [None, None]
    assert all("timeout" in a["error"] for a in attempts)


def test_default_schedule_spans_seven_days_and_compresses() -> None:
    delays = RetryPolicy().delays()
    assert delays[0] == 0.0
    growing = delays[1:-1]
    assert all(b == 2 * a for a, b in zip(growing, growing[1:], strict=False))
    assert sum(delays) == 7 * 86400
    compressed = RetryPolicy(time_scale=1e-4).delays()
    assert sum(compressed) == pytest.approx(sum(delays) * 1e-4)


def test_deliveries_are_concurrent(make_harness, receiver) -> None:
    receiver.delay_s = 1.0
    h = make_harness(statuses={"sent_after_ms": 60_000})
    sent = [h.guest_says(f"m{i}")["wamid"] for i in range(5)]
    entries = wait_until(
        lambda: (e := h.http.get("/_sim/journal", params={"kind": "webhook"}).json()["entries"]) and len(e) >= 5 and e,
        timeout=10,
        what="five attempts",
    )
    spans = [(e["sent_at_ms"], e["sent_at_ms"] + e["latency_ms"]) for e in entries]
    # Each POST takes 1 s at the receiver; one-at-a-time delivery would never overlap two of them.
    overlap = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert overlap >= 3
    assert sorted(i for p in receiver.posts for i in message_ids(p.body)) == sorted(sent)


def test_duplicate_fault_resends_identical_bytes(fresh: Harness) -> None:
    fresh.http.post("/_sim/faults", json={"duplicate_rate": 1.0, "duplicate_delay_ms": 10})
    wamid = fresh.guest_says("hola")["wamid"]
    posts = fresh.rx.wait_for(lambda p: len([x for x in p if wamid.encode() in x.body]) >= 2)
    dup = [p for p in posts if wamid.encode() in p.body]
    wait_until(lambda: len(fresh.state.messages[wamid].attempts) >= 2, what="the duplicate attempt")
    assert dup[0].body == dup[1].body
    assert dup[0].headers["x-hub-signature-256"] == dup[1].headers["x-hub-signature-256"]
    entries = fresh.http.get("/_sim/journal", params={"kind": "webhook"}).json()["entries"]
    assert any(e["duplicate"] for e in entries if wamid in e["refs"])


def test_batch_fault_packs_messages_and_statuses_in_one_post(fresh: Harness) -> None:
    fresh.guest_says("hola")
    fresh.rx.wait_for(lambda p: len(p) >= 1)
    fresh.http.post("/_sim/faults", json={"batch_size": 4, "batch_window_ms": 500})
    fresh.rx.posts.clear()
    out = fresh.text(body="respuesta").json()["messages"][0]["id"]  # its `sent` status joins the batch
    a = fresh.guest_says("uno")["wamid"]
    b = fresh.guest_says("dos")["wamid"]
    posts = fresh.rx.wait_for(lambda p: len(p) >= 1)
    payload = orjson.loads(posts[0].body)
    values = [c["value"] for e in payload["entry"] for c in e["changes"]]
    got_messages = [m["id"] for v in values for m in v.get("messages", [])]
    got_statuses = [(s["id"], s["status"]) for v in values for s in v.get("statuses", [])]
    assert got_messages == [a, b]
    assert (out, "sent") in got_statuses


def test_reorder_fault_lets_a_later_event_overtake(fresh: Harness) -> None:
    fresh.http.post("/_sim/faults", json={"reorder_rate": 1.0, "reorder_delay_ms": 1000})
    first = fresh.guest_says("primero")["wamid"]
    fresh.http.post("/_sim/faults", json={"reorder_rate": 0.0})
    second = fresh.guest_says("segundo")["wamid"]
    posts = fresh.rx.wait_for(lambda p: len(p) >= 2)
    order = [i for p in posts for i in message_ids(p.body)]
    assert order[:2] == [second, first]


def test_webhook_delay_fault_shows_in_the_timeline(fresh: Harness) -> None:
    fresh.http.post("/_sim/faults", json={"webhook_delay_ms": 300})
    sent = fresh.guest_says("hola")
    timeline = wait_until(
        lambda: (
            (t := fresh.http.get(f"/_sim/guests/{GUEST}/replies", params={"timeout": 0}).json()["timeline"])["attempts"]
            and t
        ),
        what="the first attempt",
    )
    assert timeline["wamid"] == sent["wamid"]
    assert timeline["attempts"][0]["at_ms"] - sent["accepted_at_ms"] >= 300


def test_no_webhook_url_journals_instead_of_sending(make_harness) -> None:
    h = make_harness(webhook=False)
    wamid = h.guest_says("hola")["wamid"]
    skipped = h.http.get("/_sim/journal", params={"kind": "webhook_skipped"}).json()["entries"]
    assert skipped[0]["ref"] == wamid


def test_only_http_200_counts_as_delivered(make_harness, receiver) -> None:
    receiver.statuses = [204, 201, 200]
    h = make_harness(statuses={"sent_after_ms": 60_000})
    wamid = h.guest_says("hola")["wamid"]
    wait_until(lambda: h.state.messages[wamid].acknowledged_at_ms, what="the acknowledgement")
    assert [a.status for a in h.state.messages[wamid].attempts] == [204, 201, 200]


def test_status_backlog_does_not_hold_back_guest_messages(make_harness, receiver) -> None:
    receiver.delay_s = 0.15
    h = make_harness(
        delivery={"concurrency": 1}, statuses={"sent_after_ms": 1, "delivered_after_ms": 2, "read_after_ms": 3}
    )
    h.guest_says("a")
    for i in range(4):
        h.text(body=f"r{i}")  # 12 status webhooks, 3 s of work for the single status slot
    time.sleep(0.1)
    wamid = h.guest_says("b")["wamid"]
    first = wait_until(lambda: h.state.messages[wamid].attempts, what="b's webhook")[0]
    statuses_after = [
        e
        for e in h.http.get("/_sim/journal", params={"kind": "webhook"}).json()["entries"]
        if ":" in e["refs"][0] and e["sent_at_ms"] > first.at_ms
    ]
    wait_until(lambda: len(h.webhook_items("statuses")) >= 12, timeout=10, what="all statuses")
    later = [
        e
        for e in h.http.get("/_sim/journal", params={"kind": "webhook"}).json()["entries"]
        if ":" in e["refs"][0] and e["sent_at_ms"] > first.at_ms
    ]
    assert first.slot_wait_ms < 400
    assert len(later) >= 5, f"b waited behind the statuses ({len(statuses_after)} after it at the time)"
