"""The guest-side counts of the resilience matrix (validation/outcomes.py) on hand-made conversations."""

from __future__ import annotations

from typing import Any

from validation import outcomes


def inbound(wamid: str, at: float, held: float | None, refused: int = 0) -> dict[str, Any]:
    attempts = [{"at_ms": at, "status": 503, "latency_ms": 40.0}] * refused
    if held is not None:
        attempts.append({"at_ms": held, "status": 200, "latency_ms": 2.0})
    return {"direction": "in", "wamid": wamid, "at_ms": at, "timeline": {"attempts": attempts}}


def reply(seq: int, at: float, key: str) -> dict[str, Any]:
    return {"direction": "out", "seq": seq, "at_ms": at, "message": {"biz_opaque_callback_data": key}}


def count(messages: list[dict[str, Any]], answers: dict[str, str], handled: dict[str, str] | None = None):  # noqa: ANN201
    log = outcomes.guest_log("34600000001", {"messages": messages})
    return outcomes.count([log], answers, handled)


def test_replies_in_the_guests_order_count_nothing_wrong() -> None:
    out = count(
        [inbound("m1", 0, 1), inbound("m2", 10, 11), reply(3, 20, "o:1"), reply(4, 30, "o:2")],
        {"o:1": "m1", "o:2": "m2"},
    )
    assert (out.sent, out.answered, out.lost, out.duplicated, out.out_of_order) == (2, 2, 0, 0, 0)


def test_a_reply_delivered_twice_is_a_duplicate() -> None:
    out = count([inbound("m1", 0, 1), reply(2, 20, "o:1"), reply(3, 25, "o:1")], {"o:1": "m1"})
    assert out.duplicated == 1 and out.answered == 1


def test_a_message_held_before_a_later_one_was_answered_but_answered_after_it_is_out_of_order() -> None:
    out = count(
        [inbound("m1", 0, 1), inbound("m2", 10, 11), reply(3, 20, "o:2"), reply(4, 30, "o:1")],
        {"o:1": "m1", "o:2": "m2"},
    )
    assert (out.out_of_order, out.late_redeliveries) == (1, 0)


def test_a_late_redelivery_answered_after_its_successor_is_reported_apart() -> None:
    # m1 was refused until after m2's reply went out: the agent could not have answered it first.
    out = count(
        [inbound("m1", 0, 25, refused=2), inbound("m2", 10, 11), reply(3, 20, "o:2"), reply(4, 30, "o:1")],
        {"o:1": "m1", "o:2": "m2"},
    )
    assert (out.out_of_order, out.late_redeliveries, out.webhooks_refused) == (0, 1, 2)
    assert out.slowest_refusal_ms == 40.0


def test_an_unanswered_message_is_lost_unless_it_was_handed_to_staff() -> None:
    messages = [inbound("m1", 0, 1), inbound("m2", 10, 11)]
    assert count(messages, {}).lost == 2
    out = count(messages, {}, {"m1": "human", "m2": "replied"})
    assert (out.lost, out.handed_to_staff) == (1, 1)
