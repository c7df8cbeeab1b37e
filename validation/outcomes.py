"""What guests saw during a fault, counted from the WhatsApp simulator's conversations (the guest's side).

For each guest: the messages they sent (in their order) with when the agent first acknowledged each webhook
(the message is then held by the agent), and the agent's replies in the order they reached the guest. A reply
is tied to the message it answers through its `biz_opaque_callback_data` (the agent's outbound row id, which
Meta echoes) and the agent's outbound table (`inbound_wamid`).

- lost: a message the simulator accepted that got no reply by the end of observation, unless the agent handed
  it to staff (a conversation flagged for a human gets no automatic reply: counted as handed to staff);
- duplicated: a reply delivered more than once (same callback key twice);
- out of order: a reply to message i reaching the guest after a reply to a later message j > i had, although
  message i was already held by the agent when that later reply went out. A message the agent could not hold
  (its webhook was refused) and that arrived after its successor was answered is a late redelivery: answered
  in context, reported apart, not counted as out of order;
- webhooks refused: webhook attempts for the guests' messages that did not get a 2xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SentMessage:
    """A guest message as the simulator recorded it."""

    wamid: str
    index: int  # position in the guest's own order
    accepted_ms: float  # simulator monotonic ms
    held_ms: float | None  # first 2xx webhook answer: from then on the agent held it
    refused_attempts: int
    slowest_refusal_ms: float = 0.0  # the longest the agent took to answer one of them with a 5xx


@dataclass(frozen=True)
class Reply:
    """A business message as it reached the guest."""

    seq: int
    at_ms: float
    callback: str
    message: dict[str, Any]


@dataclass
class GuestLog:
    """One guest's conversation, split into what they sent and what they received."""

    wa_id: str
    sent: list[SentMessage] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)


@dataclass
class Outcome:
    """The counts of one fault run (every count should be zero, except sent and answered)."""

    sent: int = 0
    answered: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    late_redeliveries: int = 0
    handed_to_staff: int = 0
    webhooks_refused: int = 0
    slowest_refusal_ms: float = 0.0
    unmatched_replies: int = 0
    last_reply_ms: dict[str, float] = field(default_factory=dict)  # inbound wamid -> first reply at (sim ms)

    def row(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "out_of_order": self.out_of_order,
            "late_redeliveries": self.late_redeliveries,
            "handed_to_staff": self.handed_to_staff,
            "webhooks_refused": self.webhooks_refused,
            "slowest_refusal_ms": round(self.slowest_refusal_ms, 1),
        }


def guest_log(wa_id: str, conversation: dict[str, Any]) -> GuestLog:
    """Parse GET /_sim/guests/{wa_id}/conversation into what the guest sent and received."""
    log = GuestLog(wa_id)
    for item in conversation.get("messages") or []:
        if item.get("direction") == "in":
            timeline = item.get("timeline") or {}
            attempts = timeline.get("attempts") or []
            ok = [a for a in attempts if isinstance(a.get("status"), int) and 200 <= a["status"] < 300]
            answered_5xx = [a for a in attempts if isinstance(a.get("status"), int) and a["status"] >= 500]
            held = timeline.get("acknowledged_at_ms")
            if held is None and ok:
                held = ok[0].get("at_ms")
            log.sent.append(
                SentMessage(
                    wamid=str(item.get("wamid")),
                    index=len(log.sent),
                    accepted_ms=float(item.get("at_ms") or 0.0),
                    held_ms=None if held is None else float(held),
                    refused_attempts=len(attempts) - len(ok),
                    slowest_refusal_ms=max((float(a.get("latency_ms") or 0.0) for a in answered_5xx), default=0.0),
                )
            )
        elif item.get("direction") == "out":
            message = item.get("message") or {}
            log.replies.append(
                Reply(
                    seq=int(item.get("seq") or 0),
                    at_ms=float(item.get("at_ms") or 0.0),
                    callback=str(message.get("biz_opaque_callback_data") or ""),
                    message=message,
                )
            )
    log.replies.sort(key=lambda r: r.seq)
    return log


# Inbound outcomes (agent/worker.py) after which no automatic reply is due: a person answers a handed-over guest.
NO_REPLY_DUE = frozenset({"human"})


def count(logs: list[GuestLog], answers: dict[str, str], handled: dict[str, str] | None = None) -> Outcome:
    """Count outcomes. `answers`: a reply's callback key -> the inbound wamid it answers; `handled`: inbound wamid
    -> the agent's outcome for it (both from the agent's database)."""
    handled = handled or {}
    out = Outcome()
    for log in logs:
        by_wamid = {m.wamid: m for m in log.sent}
        out.sent += len(log.sent)
        out.webhooks_refused += sum(m.refused_attempts for m in log.sent)
        out.slowest_refusal_ms = max([out.slowest_refusal_ms, *(m.slowest_refusal_ms for m in log.sent)])
        seen_callbacks: set[str] = set()
        answered: set[str] = set()
        latest: SentMessage | None = None  # the latest message (guest order) answered so far
        latest_reply_ms = 0.0
        for reply in log.replies:
            if reply.callback in seen_callbacks:
                out.duplicated += 1
                continue
            seen_callbacks.add(reply.callback)
            inbound = by_wamid.get(answers.get(reply.callback, ""))
            if inbound is None:
                out.unmatched_replies += 1
                continue
            if inbound.wamid not in answered:
                answered.add(inbound.wamid)
                out.last_reply_ms[inbound.wamid] = reply.at_ms
            if latest is not None and inbound.index < latest.index:
                if inbound.held_ms is not None and inbound.held_ms <= latest_reply_ms:
                    out.out_of_order += 1
                else:
                    out.late_redeliveries += 1
            if latest is None or inbound.index >= latest.index:
                latest, latest_reply_ms = inbound, reply.at_ms
        out.answered += len(answered)
        unanswered = [m for m in log.sent if m.wamid not in answered]
        staff = sum(1 for m in unanswered if handled.get(m.wamid) in NO_REPLY_DUE)
        out.handed_to_staff += staff
        out.lost += len(unanswered) - staff
    return out
