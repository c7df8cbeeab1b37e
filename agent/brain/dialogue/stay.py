"""The stay flow: dates and party, search, offers, summary, the guest's confirmation, the booking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from agent.brain.dialogue import slots as sl
from agent.brain.dialogue.decision import BTN_HANDOFF, MENU, Decision, hand_over
from agent.brain.dialogue.effects import (
    CancelBooking,
    CreateBooking,
    SearchAlternatives,
    SearchStay,
)
from agent.brain.dialogue.existing import booking_dict, booking_params, modify_party, on_modify_offers
from agent.brain.dialogue.facts import (
    Alternatives,
    BookingFailed,
    BookingMade,
    Offer,
    StayOffers,
)
from agent.brain.dialogue.flows import Flow, Step
from agent.brain.dialogue.inputs import Context
from agent.brain.dialogue.replies import Button, Reply, Row, Say
from agent.brain.dialogue.state import ConversationState


def invalidate_offers(st: ConversationState) -> None:
    st.offers = []
    st.offers_for = None
    st.alternatives = []
    st.pending = None
    if st.flow == Flow.STAY:
        # A room picked for other dates must be picked again from the new offers (by name if the guest named it).
        st.slots.id_room_type = None


def _search_key(st: ConversationState) -> str:
    s = st.slots
    return f"{s.check_in}|{s.check_out}|{s.adults}|{s.children}|{s.rooms}"


def advance_stay(st: ConversationState, ctx: Context) -> Decision:
    s = st.slots
    st.flow = Flow.STAY
    if not s.check_in and s.adults is None:
        st.step = Step.DATES
        return Decision(st, [Say("ask.dates_and_guests")])
    if not s.check_in:
        st.step = Step.DATES
        return Decision(st, [Say("ask.dates")])
    if not s.check_out:
        st.step = Step.DATES
        return Decision(st, [Say("ask.checkout", {"check_in": date.fromisoformat(s.check_in)})])
    if s.adults is None:
        st.step = Step.GUESTS
        return Decision(st, [Say("ask.guests")])
    dates = s.dates()
    assert dates is not None
    # Every room needs an adult in it.
    s.rooms = max(1, min(s.rooms, s.adults))
    if st.offers_for != _search_key(st):
        st.step = Step.SEARCHING
        return Decision(st, effect=SearchStay(dates[0], dates[1], s.adults, s.children, s.rooms))
    if s.id_room_type is None:
        return present_offers(st, [])
    if not s.wants_booking:
        return present_offers(st, [])
    if not s.guest_name:
        st.step = Step.NAME
        return Decision(st, [Say("ask.name", {"room": s.room_type})])
    if not s.email:
        st.step = Step.EMAIL
        return Decision(st, [Say("ask.email")])
    return _summary(st, ctx)


def _offer_list(st: ConversationState) -> list[Offer]:
    return [
        Offer(o["id_room_type"], o["name"], o["available"], Decimal(o["nightly"]), Decimal(o["total"]), o["currency"])
        for o in st.offers
    ]


def present_offers(st: ConversationState, lead: list[Reply]) -> Decision:
    s = st.slots
    dates = s.dates()
    assert dates is not None
    offers = _offer_list(st)
    st.step = Step.ROOM
    lines = [
        {"name": o.name, "nightly": o.nightly, "total": o.total, "currency": o.currency, "available": o.available}
        for o in offers
    ]
    params = {"check_in": dates[0], "check_out": dates[1], "nights": (dates[1] - dates[0]).days, "offers": lines}
    params.update(adults=s.adults, children=s.children, rooms=s.rooms)
    if len(offers) <= 3:
        buttons = tuple(Button(f"room:{o.id_room_type}", title=o.name) for o in offers)
        return Decision(st, [*lead, Say("offers.buttons", params, buttons=buttons)])
    rows = tuple(Row(f"room:{o.id_room_type}", o.name, f"{o.nightly:.2f} {o.currency}") for o in offers[:10])
    return Decision(st, [*lead, Say("offers.list", params, rows=rows, list_button_key="list.rooms")])


def _summary(st: ConversationState, ctx: Context) -> Decision:
    s = st.slots
    dates = s.dates()
    assert dates is not None and s.guest_name and s.email
    offer = next((o for o in _offer_list(st) if o.id_room_type == s.id_room_type), None)
    if offer is None:
        invalidate_offers(st)
        return advance_stay(st, ctx)
    nonce = ctx.nonce("b", st.turn)
    st.pending = {"kind": "book", "nonce": nonce}
    st.step = Step.CONFIRM
    params = {
        "room": offer.name,
        "check_in": dates[0],
        "check_out": dates[1],
        "nights": (dates[1] - dates[0]).days,
        "adults": s.adults,
        "children": s.children,
        "rooms": s.rooms,
        "total": offer.total,
        "currency": offer.currency,
        "name": s.guest_name,
        "email": s.email,
    }
    buttons = (Button(f"confirm:{nonce}", title_key="btn.confirm"), Button(f"abort:{nonce}", title_key="btn.abort"))
    return Decision(st, [Say("book.summary", params, buttons=buttons)])


def confirm(st: ConversationState, nonce: str, ctx: Context) -> Decision:
    if nonce in st.done_nonces:
        # A double tap or a redelivered confirmation: the booking already exists.
        return Decision(st, [Say("book.already", {"reference": st.done_nonces[nonce]})])
    pending = st.pending
    if pending is None or pending.get("nonce") != nonce:
        return Decision(st, [Say("nothing_pending", buttons=MENU)])
    kind = pending["kind"]
    if kind == "book":
        s = st.slots
        dates = s.dates()
        assert dates is not None and s.guest_name and s.email and s.id_room_type is not None
        first, last = sl.split_name(s.guest_name)
        st.step = Step.BOOKING
        effect = CreateBooking(
            s.id_room_type, dates[0], dates[1], s.adults or 1, s.children, s.rooms, first, last, s.email, nonce
        )
        return Decision(st, [], effect)
    if kind == "cancel" and st.target:
        st.step = Step.CANCELLING
        t = st.target
        return Decision(st, effect=CancelBooking(int(t["id_order"]), int(t["hotel_id"]), str(t["reference"])))
    if kind == "modify" and st.target:
        t = st.target
        dates = st.slots.dates()
        assert dates is not None
        st.step = Step.MODIFY_BOOKING
        adults, children, rooms = modify_party(st)
        effect = CreateBooking(
            int(t["id_room_type"]),
            dates[0],
            dates[1],
            adults,
            children,
            rooms,
            str(t["firstname"]),
            str(t["lastname"]),
            str(t["email"]),
            nonce,
        )
        return Decision(st, effect=effect)
    return Decision(st, [Say("nothing_pending", buttons=MENU)])


def abort(st: ConversationState) -> Decision:
    kind = (st.pending or {}).get("kind") or ("cancel" if st.flow == Flow.CANCEL else None)
    st.reset_flow()
    key = {"book": "book.aborted", "cancel": "cancel.kept", "modify": "modify.aborted"}.get(str(kind), "ok")
    return Decision(st, [Say(key, buttons=MENU)])


def on_offers(st: ConversationState, fact: StayOffers, ctx: Context) -> Decision:
    if st.flow == Flow.MODIFY and st.target is not None:
        return on_modify_offers(st, fact, ctx)
    s = st.slots
    st.offers = [
        {
            "id_room_type": o.id_room_type,
            "name": o.name,
            "available": o.available,
            "nightly": str(o.nightly),
            "total": str(o.total),
            "currency": o.currency,
        }
        for o in fact.offers
    ]
    st.offers_for = _search_key(st)
    dates = s.dates()
    assert dates is not None
    if not fact.offers and fact.party_too_big:
        st.step = Step.ROOMS
        st.offers_for = None
        guests = (s.adults or 0) + s.children
        return Decision(st, [Say("ask.rooms_for_party", {"guests": guests, "max": fact.max_guests_per_room})])
    if not fact.offers:
        st.step = Step.ALTERNATIVES
        lead = Say("offers.none", {"check_in": dates[0], "check_out": dates[1]})
        effect = SearchAlternatives(dates[0], dates[1], s.adults or 1, s.children, s.rooms)
        return Decision(st, [lead], effect)
    lead: list[Reply] = []
    if s.room_type:
        offer = sl.offer_by_room_type(s.room_type, st.offers)
        if offer is None:
            lead.append(Say("offers.room_type_gone", {"room": s.room_type}))
            s.id_room_type = None
        else:
            s.id_room_type = offer["id_room_type"]
            s.room_type = offer["name"]
            if s.wants_booking:
                decision = advance_stay(st, ctx)
                return decision
    return present_offers(st, lead)


def on_alternatives(st: ConversationState, fact: Alternatives) -> Decision:
    st.alternatives = [
        {"check_in": a.check_in.isoformat(), "check_out": a.check_out.isoformat(), "name": a.offer.name}
        for a in fact.options
    ]
    if not fact.options:
        st.step = Step.DATES
        st.slots.check_in = st.slots.check_out = None
        st.offers_for = None
        return Decision(st, [Say("alternatives.none", buttons=(BTN_HANDOFF,))])
    st.step = Step.ALTERNATIVES
    options = [
        {
            "check_in": a.check_in,
            "check_out": a.check_out,
            "name": a.offer.name,
            "nightly": a.offer.nightly,
            "total": a.offer.total,
            "currency": a.offer.currency,
        }
        for a in fact.options[:3]
    ]
    buttons = tuple(
        Button(
            f"alt:{a.check_in.isoformat()}:{a.check_out.isoformat()}", title=f"{a.check_in:%d/%m}-{a.check_out:%d/%m}"
        )
        for a in fact.options[:3]
    )
    return Decision(st, [Say("alternatives.offer", {"options": options}, buttons=buttons)])


def on_booked(st: ConversationState, fact: BookingMade) -> Decision:
    b = fact.booking
    nonce = str((st.pending or {}).get("nonce", ""))
    if nonce:
        st.done_nonces[nonce] = b.reference
        # Keep the memory bounded: the last few confirmations are enough against double taps.
        while len(st.done_nonces) > 10:
            st.done_nonces.pop(next(iter(st.done_nonces)))
    if b.reference not in st.own_references:
        st.own_references.append(b.reference)
    if st.flow == Flow.MODIFY and st.target is not None:
        old = st.target
        st.pending = {"kind": "modify_done", "new": booking_dict(b)}
        st.step = Step.MODIFY_CANCEL_OLD
        return Decision(st, effect=CancelBooking(int(old["id_order"]), int(old["hotel_id"]), str(old["reference"])))
    params = booking_params(booking_dict(b))
    params["check_in_time"] = fact.check_in_time
    name, email = st.slots.guest_name, st.slots.email
    st.reset_flow()
    # The same guest booking again in this chat should not have to repeat who they are.
    st.slots.guest_name, st.slots.email = name, email
    return Decision(st, [Say("book.already" if fact.replayed else "book.done", params)])


def on_booking_failed(st: ConversationState, fact: BookingFailed) -> Decision:
    if st.flow == Flow.MODIFY:
        if fact.reason == "pms_down":
            return hand_over(st, "pms_down", "modify.failed_down")
        if fact.reason == "uncertain":
            return hand_over(st, "booking_uncertain", "book.uncertain")
        ref = (st.target or {}).get("reference", "")
        st.reset_flow()
        return Decision(st, [Say("modify.failed", {"reference": ref})])
    if fact.reason == "pms_down":
        return hand_over(st, "pms_down", "pms.down_booking")
    if fact.reason == "uncertain":  # never "not booked" when it may be: a person checks and confirms
        return hand_over(st, "booking_uncertain", "book.uncertain")
    if fact.reason == "rejected":
        st.pending = None
        st.step = Step.EMAIL
        st.slots.email = None
        return Decision(st, [Say("book.rejected", buttons=(BTN_HANDOFF,))])
    # The room went while the guest decided: search again and show what is left.
    s = st.slots
    gone = s.room_type
    s.room_type = None
    invalidate_offers(st)
    dates = s.dates()
    assert dates is not None
    st.step = Step.SEARCHING
    return Decision(
        st,
        [Say("book.room_gone", {"room": gone})],
        SearchStay(dates[0], dates[1], s.adults or 1, s.children, s.rooms),
    )
