"""Flows on an existing booking (cancel, modify, status, late checkout): find it, then act on it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from agent.brain.dialogue.decision import BTN_HANDOFF, MENU, Decision, hand_over
from agent.brain.dialogue.effects import (
    CheckNight,
    FindBooking,
    SearchStay,
)
from agent.brain.dialogue.facts import (
    BookingsFound,
    BookingView,
    Cancelled,
    NightChecked,
    StayOffers,
)
from agent.brain.dialogue.flows import Flow, Step
from agent.brain.dialogue.inputs import Context
from agent.brain.dialogue.refunds import refund_terms
from agent.brain.dialogue.replies import Button, Row, Say
from agent.brain.dialogue.state import ConversationState


def known_references(st: ConversationState) -> tuple[str, ...]:
    """Bookings this guest may see without the email on them: made in this conversation or found by their phone."""
    return tuple(dict.fromkeys([*st.own_references, *st.phone_references]))


def advance_lookup(st: ConversationState) -> Decision:
    s = st.slots
    known = known_references(st)
    if s.booking_reference and s.email:
        st.step = Step.FINDING
        return Decision(st, effect=FindBooking(s.booking_reference, s.email, known))
    if s.booking_reference and s.booking_reference in known:
        st.step = Step.FINDING
        return Decision(st, effect=FindBooking(s.booking_reference, None, known))
    if not s.booking_reference and not st.phone_lookup_done:
        # No reference: first look for the guest's own bookings (this conversation's and QloApps' by phone).
        st.step = Step.FINDING_OWN
        st.phone_lookup_done = True
        return Decision(st, effect=FindBooking(None, None, known, by_phone=True))
    st.step = Step.LOOKUP
    return Decision(st, [lookup_prompt(st)])


def lookup_prompt(st: ConversationState) -> Say:
    """Ask for what is missing to find a booking; a guest without their reference may ask a person."""
    s = st.slots
    if s.booking_reference:
        return Say("ask.lookup_email", {"reference": s.booking_reference})
    if s.email:
        return Say("ask.lookup_reference", buttons=(BTN_HANDOFF,))
    return Say("ask.lookup", buttons=(BTN_HANDOFF,))


def advance_modify(st: ConversationState) -> Decision:
    t = st.target
    assert t is not None
    dates = st.slots.dates()
    if dates is None or st.slots.check_in == t["check_in"] and st.slots.check_out == t["check_out"]:
        st.step = Step.NEW_DATES
        return Decision(st, [Say("modify.ask_dates", {"reference": t["reference"]})])
    st.step = Step.SEARCHING
    adults, children, rooms = modify_party(st)
    return Decision(st, effect=SearchStay(dates[0], dates[1], adults, children, rooms))


def modify_party(st: ConversationState) -> tuple[int, int, int]:
    """The party for the new dates: the original booking's, unless the guest gave a new one in this flow."""
    t = st.target or {}
    rooms = int(t.get("rooms") or 1)
    if st.slots.adults is not None:
        return st.slots.adults, st.slots.children, rooms
    # A booking QloApps returned without occupancy falls back to two adults per room.
    return int(t.get("adults") or 2 * rooms), int(t.get("children") or 0), rooms


def booking_dict(b: BookingView) -> dict[str, Any]:
    d = asdict(b)
    d["check_in"], d["check_out"], d["total"] = b.check_in.isoformat(), b.check_out.isoformat(), str(b.total)
    return d


def booking_params(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "reference": t["reference"],
        "room": t["room_type_name"],
        "check_in": date.fromisoformat(t["check_in"]),
        "check_out": date.fromisoformat(t["check_out"]),
        "nights": (date.fromisoformat(t["check_out"]) - date.fromisoformat(t["check_in"])).days,
        "total": Decimal(t["total"]),
        "currency": t["currency"],
        "name": f"{t['firstname']} {t['lastname']}".strip(),
    }


def on_bookings_found(st: ConversationState, fact: BookingsFound, ctx: Context) -> Decision:
    bookings = list(fact.bookings)
    own_lookup = st.step == Step.FINDING_OWN
    if own_lookup:
        for b in bookings:
            if b.reference not in st.own_references and b.reference not in st.phone_references:
                st.phone_references.append(b.reference)
    if st.flow != Flow.STATUS:
        bookings = [b for b in bookings if not b.cancelled and b.check_out > ctx.today]
    if not bookings and own_lookup:
        # Nothing under the guest's number: ask for the reference and the email on the booking.
        st.step = Step.LOOKUP
        return Decision(st, [lookup_prompt(st)])
    if not bookings:
        st.failed_lookups += 1
        st.slots.booking_reference = None
        st.step = Step.LOOKUP
        if fact.bookings and st.flow != Flow.STATUS:
            return Decision(st, [Say("lookup.not_active", buttons=MENU)])
        buttons = (BTN_HANDOFF,) if st.failed_lookups >= 2 else ()
        return Decision(st, [Say("lookup.not_found", buttons=buttons)])
    live = [b for b in bookings if not b.cancelled and b.check_out > ctx.today]
    if len(bookings) > 1 and len(live) == 1:
        bookings = live  # a status question about "my booking" means the one still standing
    if len(bookings) > 1:
        st.step = Step.LOOKUP
        rows = tuple(
            Row(f"bk:{b.reference}", b.reference, f"{b.room_type_name} {b.check_in.isoformat()}") for b in bookings
        )
        return Decision(st, [Say("lookup.choose", rows=rows[:10], list_button_key="list.bookings")])
    b = bookings[0]
    st.target = booking_dict(b)
    st.failed_lookups = 0
    if st.flow == Flow.STATUS:
        key = "status.cancelled" if b.cancelled else "status.active"
        t = st.target
        st.reset_flow()
        return Decision(st, [Say(key, booking_params(t))])
    if st.flow == Flow.CANCEL:
        terms = refund_terms(b.total, b.check_in, ctx.today, fact.refund_rules)
        nonce = f"c{st.turn}"
        st.pending = {"kind": "cancel", "nonce": nonce}
        st.step = Step.CONFIRM
        params = booking_params(st.target)
        params.update(
            days=terms.days_before,
            fee=terms.fee,
            refund=terms.refund,
            percent=terms.percent,
            rule=terms.rule_name,
            free=terms.fee == 0,
            rules=bool(fact.refund_rules),
        )
        buttons = (
            Button(f"confirm:{nonce}", title_key="btn.confirm_cancel"),
            Button(f"abort:{nonce}", title_key="btn.keep"),
        )
        return Decision(st, [Say("cancel.terms", params, buttons=buttons)])
    if st.flow == Flow.MODIFY:
        return advance_modify(st)
    if st.flow == Flow.LATE:
        st.step = Step.CHECKING
        return Decision(st, effect=CheckNight(b.id_room_type, b.check_out))
    return Decision(st, [Say("unknown", buttons=MENU)])


def on_modify_offers(st: ConversationState, fact: StayOffers, ctx: Context) -> Decision:
    t = st.target
    assert t is not None
    dates = st.slots.dates()
    assert dates is not None
    offer = next((o for o in fact.offers if o.id_room_type == int(t["id_room_type"])), None)
    if offer is None:
        ref = t["reference"]
        st.reset_flow()
        return Decision(
            st, [Say("modify.unavailable", {"reference": ref, "check_in": dates[0], "check_out": dates[1]})]
        )
    nonce = ctx.nonce("m", st.turn)
    st.pending = {"kind": "modify", "nonce": nonce}
    st.step = Step.CONFIRM
    params = booking_params(t)
    params.update(new_check_in=dates[0], new_check_out=dates[1], new_total=offer.total, new_currency=offer.currency)
    buttons = (Button(f"confirm:{nonce}", title_key="btn.confirm"), Button(f"abort:{nonce}", title_key="btn.abort"))
    return Decision(st, [Say("modify.summary", params, buttons=buttons)])


def on_cancelled(st: ConversationState, fact: Cancelled) -> Decision:
    if st.flow == Flow.MODIFY and st.pending and st.pending.get("kind") == "modify_done":
        new = st.pending["new"]
        params = booking_params(new)
        params["old_reference"] = fact.booking.reference
        st.reset_flow()
        return Decision(st, [Say("modify.done", params)])
    params = {"reference": fact.booking.reference}
    st.reset_flow()
    return Decision(st, [Say("cancel.done", params, buttons=MENU)])


def on_cancel_failed(st: ConversationState) -> Decision:
    if st.flow == Flow.MODIFY:
        return hand_over(st, "modify_partial", "modify.partial")
    return hand_over(st, "cancel_failed", "cancel.failed")


def on_night(st: ConversationState, fact: NightChecked) -> Decision:
    t = st.target or {}
    late = fact.hotel.knowledge.get("late_checkout") or {}
    params = {
        "reference": t.get("reference", ""),
        "check_out": fact.hotel.check_out,
        "until": late.get("until", "14:00"),
        "fee": late.get("fee", ""),
    }
    st.reset_flow()
    return Decision(st, [Say("late.offer" if fact.free else "late.declined", params)])
