"""The dialogue state machine: (state, guest message or fact, context) → (new state, replies, one effect).

Pure: no I/O, no clock. The receptionist performs the effect, feeds the resulting fact back through `decide`, and
repeats until no effect is left.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from agent.brain.dialogue import slots as sl
from agent.brain.dialogue.effects import (
    CancelBooking,
    CheckNight,
    CreateBooking,
    Effect,
    FindBooking,
    LoadHotel,
    SearchAlternatives,
    SearchStay,
)
from agent.brain.dialogue.facts import (
    Alternatives,
    BookingFailed,
    BookingMade,
    BookingsFound,
    BookingView,
    CancelFailed,
    Cancelled,
    Fact,
    HotelFacts,
    HotelView,
    NightChecked,
    Offer,
    PmsDown,
    StayOffers,
)
from agent.brain.dialogue.inputs import Context, GuestMessage
from agent.brain.dialogue.refunds import refund_terms
from agent.brain.dialogue.replies import Button, Reply, Row, Say, SendLocation
from agent.brain.dialogue.state import ConversationState

TASK_INTENTS = {"availability", "pricing", "book", "cancel", "modify", "booking_status", "late_checkout"}
INFO_TOPICS = {"check_in_out_times": "times", "amenities": "amenities", "location": "location"}
MAX_NIGHTS = 30
BTN_HANDOFF = Button("handoff", title_key="btn.handoff")
MENU = (Button("menu:availability", title_key="btn.availability"), Button("menu:booking", title_key="btn.my_booking"))


@dataclass
class Decision:
    """What one step decided: the state to keep, what to say, at most one effect to perform, a handoff flag."""

    state: ConversationState
    replies: list[Reply] = field(default_factory=list)
    effect: Effect | None = None
    handoff: str | None = None


def decide(state: ConversationState, event: GuestMessage | Fact, ctx: Context) -> Decision:
    """Advance the conversation by one guest message or one fact."""
    st = copy.deepcopy(state)
    if isinstance(event, GuestMessage):
        st.turn += 1
        if event.kind == "text" or st.turn == 1:
            # A tapped title ("Delux Rooms") says nothing about the guest's language.
            st.language = event.nlu.language
        if st.handoff:
            # Staff own the conversation until they resolve it: no automatic replies.
            return Decision(st)
        return _on_message(st, event, ctx)
    return _on_fact(st, event, ctx)


# ---- guest messages -------------------------------------------------------------------------------------------


def _on_message(st: ConversationState, msg: GuestMessage, ctx: Context) -> Decision:
    if msg.kind == "media":
        return Decision(st, [Say("media.text_only", buttons=(BTN_HANDOFF,))])
    if msg.reply_id:
        tapped = _on_reply_id(st, msg, ctx)
        if tapped is not None:
            st.misunderstandings = 0
            return tapped
    intent = msg.nlu.intent
    ents = msg.nlu.entities

    if st.pending is not None and intent not in ("human_handoff", "complaint"):
        if sl.is_yes(msg.text):
            return _confirm(st, str(st.pending.get("nonce")), ctx)
        if sl.is_no(msg.text) and intent not in TASK_INTENTS - {"cancel"}:
            return _abort(st)

    if st.step in ("guests", "rooms") and intent == "human_handoff" and sl.bare_count(msg.text) is not None:
        # "una persona" answers "how many guests?"; it is not a request for a person.
        return _continue_flow(st, msg, ctx)
    if intent == "human_handoff":
        return _handoff(st, "guest_request", "handoff.requested")
    if intent == "complaint":
        return _handoff(st, "complaint", "handoff.complaint")

    if st.flow == "modify" and intent in ("availability", "book") and not ents.get("booking_reference"):
        intent = "modify"  # new dates mid-change are the change, not a new stay
    if st.flow == "stay" and not ents.get("booking_reference"):
        if intent == "modify":
            intent = "book" if st.slots.wants_booking else "availability"  # a mind change, not a booking change
        elif intent == "cancel" and st.pending is not None:
            return _abort(st)
    if intent in TASK_INTENTS:
        st.misunderstandings = 0
        return _start_or_merge_task(st, intent, msg, ctx)
    if intent in INFO_TOPICS:
        st.misunderstandings = 0
        st.question = {"topic": INFO_TOPICS[intent], "amenity": ents.get("amenity")}
        return Decision(st, effect=LoadHotel(INFO_TOPICS[intent]))  # type: ignore[arg-type]

    # The message may answer what we just asked, whatever the NLU called it ("2", "Ana López", an email).
    if st.flow and _answers_step(st, msg):
        st.misunderstandings = 0
        return _continue_flow(st, msg, ctx)

    if intent == "greeting":
        st.misunderstandings = 0
        if ents.get("guest_name"):
            st.slots.guest_name = str(ents["guest_name"])
        return Decision(st, [Say("greeting", buttons=(*MENU, BTN_HANDOFF))])
    if intent == "thanks":
        st.misunderstandings = 0
        return Decision(st, [Say("thanks")])
    if intent == "goodbye":
        st.misunderstandings = 0
        st.reset_flow()
        return Decision(st, [Say("goodbye")])

    st.misunderstandings += 1
    if st.misunderstandings >= 2:
        return _handoff(st, "misunderstood", "handoff.misunderstood")
    if st.flow:
        # Mid-flow, repeat the question we are waiting on rather than the generic menu.
        return Decision(st, [Say("unknown.in_flow"), *_prompt_for_step(st)])
    return Decision(st, [Say("unknown", buttons=(*MENU, BTN_HANDOFF))])


def _prompt_for_step(st: ConversationState) -> list[Reply]:
    """The question the conversation is waiting on, asked again (same confirmation buttons, same nonce)."""
    s = st.slots
    if st.pending is not None and st.pending.get("nonce"):
        nonce = st.pending["nonce"]
        yes = "btn.confirm_cancel" if st.pending.get("kind") == "cancel" else "btn.confirm"
        no = "btn.keep" if st.pending.get("kind") == "cancel" else "btn.abort"
        return [Say("confirm.reminder", buttons=(Button(f"confirm:{nonce}", yes), Button(f"abort:{nonce}", no)))]
    if st.step == "room" and st.offers:
        return list(_present_offers(st, []).replies)
    prompts = {
        "guests": Say("ask.guests"),
        "name": Say("ask.name", {"room": s.room_type or ""}),
        "email": Say("ask.email"),
        "lookup": _lookup_prompt(st),
        "new_dates": Say("modify.ask_dates", {"reference": (st.target or {}).get("reference", "")}),
    }
    if st.step in prompts:
        return [prompts[str(st.step)]]
    if st.flow == "stay" and not s.check_in:
        return [Say("ask.dates")]
    return [Say("unknown", buttons=(*MENU, BTN_HANDOFF))]


def _on_reply_id(st: ConversationState, msg: GuestMessage, ctx: Context) -> Decision | None:
    rid = msg.reply_id or ""
    if rid == "handoff":
        return _handoff(st, "guest_request", "handoff.requested")
    if rid == "menu:availability":
        st.reset_flow()
        st.flow = "stay"
        return _advance_stay(st, ctx)
    if rid == "menu:booking":
        st.reset_flow()
        st.flow = "status"
        return _advance_lookup(st)
    if rid.startswith("confirm:"):
        return _confirm(st, rid.split(":", 1)[1], ctx)
    if rid.startswith("abort:"):
        if st.pending is not None and st.pending.get("nonce") == rid.split(":", 1)[1]:
            return _abort(st)
        return Decision(st, [Say("nothing_pending", buttons=MENU)])
    if rid.startswith("room:") and st.flow == "stay" and st.offers:
        offer = next((o for o in st.offers if str(o["id_room_type"]) == rid.split(":", 1)[1]), None)
        if offer is None:
            return None
        st.slots.id_room_type = offer["id_room_type"]
        st.slots.room_type = offer["name"]
        st.slots.wants_booking = True
        return _advance_stay(st, ctx)
    if rid.startswith("alt:") and st.flow == "stay":
        _, ci, co = rid.split(":")
        st.slots.check_in, st.slots.check_out = ci, co
        _invalidate_offers(st)
        return _advance_stay(st, ctx)
    if rid.startswith("bk:") and st.flow in ("cancel", "modify", "status", "late"):
        st.slots.booking_reference = rid.split(":", 1)[1]
        st.target = None
        return Decision(st, effect=FindBooking(st.slots.booking_reference, None, _known_references(st)))
    return None


def _start_or_merge_task(st: ConversationState, intent: str, msg: GuestMessage, ctx: Context) -> Decision:
    flow = {
        "availability": "stay",
        "pricing": "stay",
        "book": "stay",
        "cancel": "cancel",
        "modify": "modify",
        "booking_status": "status",
        "late_checkout": "late",
    }[intent]
    if st.flow != flow and not (flow == "stay" and st.flow == "stay"):
        keep_name, keep_email = st.slots.guest_name, st.slots.email
        st.reset_flow()
        st.slots.guest_name, st.slots.email = keep_name, keep_email
        st.flow = flow
    ents = msg.nlu.entities
    if intent == "book" or (intent in ("pricing", "availability") and ents.get("guest_name") and ents.get("email")):
        # Giving a name and an email along with the stay means the guest wants to book it, not just a price.
        st.slots.wants_booking = True
    return _continue_flow(st, msg, ctx)


def _continue_flow(st: ConversationState, msg: GuestMessage, ctx: Context) -> Decision:
    problem = _absorb(st, msg, ctx)
    if problem is not None:
        return Decision(st, [problem])
    if st.flow == "stay":
        return _advance_stay(st, ctx)
    if st.flow == "modify" and st.target is not None:
        return _advance_modify(st)
    return _advance_lookup(st)


def _answers_step(st: ConversationState, msg: GuestMessage) -> bool:
    ents = msg.nlu.entities
    if any(k in ents for k in ("check_in", "check_out", "nights", "adults", "children", "rooms", "email")):
        return True
    if st.flow == "stay" and "room_type" in ents:
        return True
    if st.step in ("guests", "rooms"):
        return sl.bare_count(msg.text) is not None
    if st.step == "name":
        return "guest_name" in ents or (not ents and sl.bare_name(msg.text) is not None)
    if st.step == "email":
        return sl.find_email(msg.text) is not None
    if st.step == "room":
        return "room_type" in ents or sl.pick_offer(msg.text, st.offers) is not None
    if st.step == "lookup":
        return "booking_reference" in ents or sl.find_reference(msg.text) is not None
    return False


def _absorb(st: ConversationState, msg: GuestMessage, ctx: Context) -> Say | None:
    """Fill slots from the message; a Say if the dates make no sense (nothing is changed then)."""
    ents = dict(msg.nlu.entities)
    s = st.slots
    before = (s.check_in, s.check_out, s.adults, s.children, s.rooms)
    ci = _as_date(ents.get("check_in"))
    co = _as_date(ents.get("check_out"))
    nights = int(ents["nights"]) if ents.get("nights") else None
    cur_ci = date.fromisoformat(s.check_in) if s.check_in else None
    cur_co = date.fromisoformat(s.check_out) if s.check_out else None
    if (ci or co or nights) and st.flow in ("stay", "modify"):
        new_ci, new_co = cur_ci, cur_co
        if ci is not None:
            new_ci = ci
            if co is not None:
                new_co = co
            elif nights:
                new_co = ci + timedelta(days=nights)
            elif s.nights:
                new_co = ci + timedelta(days=s.nights)
            elif cur_ci is not None and cur_co is not None:
                new_co = ci + (cur_co - cur_ci)  # a new arrival keeps the length of stay asked before
            else:
                new_co = None
        elif co is not None:
            new_co = co
        elif nights:
            new_co = cur_ci + timedelta(days=nights) if cur_ci else None
        if new_ci is not None and new_ci < ctx.today:
            return Say("dates.past")
        if new_ci is not None and new_co is not None:
            if new_co <= new_ci:
                return Say("dates.invalid")
            if (new_co - new_ci).days > MAX_NIGHTS:
                return Say("dates.too_long", {"max": MAX_NIGHTS})
        if nights:
            s.nights = nights
        s.check_in = new_ci.isoformat() if new_ci else None
        s.check_out = new_co.isoformat() if new_co else None
    for key in ("adults", "children", "rooms"):
        if key in ents:
            value = int(ents[key])
            if (key == "adults" and not 1 <= value <= 12) or (key != "adults" and not 0 <= value <= 10):
                return Say("guests.invalid")
            setattr(s, key, value)
    if st.step == "guests" and "adults" not in ents:
        count = sl.bare_count(msg.text)
        if count is not None:
            s.adults = count
    if st.step == "rooms" and "rooms" not in ents:
        count = sl.bare_count(msg.text)
        if count is not None:
            s.rooms = count
    if s.rooms < 1:
        s.rooms = 1
    if ents.get("room_type"):
        s.room_type = str(ents["room_type"])
        if st.flow == "stay":
            s.id_room_type = None
            offer = sl.offer_by_room_type(s.room_type, st.offers)
            if offer is not None:
                s.id_room_type = offer["id_room_type"]
    elif st.step == "room" and st.offers:
        offer = sl.pick_offer(msg.text, st.offers)
        if offer is not None:
            s.id_room_type, s.room_type = offer["id_room_type"], offer["name"]
            s.wants_booking = True
    if ents.get("guest_name"):
        s.guest_name = str(ents["guest_name"])
    elif st.step == "name" and not ents and msg.nlu.intent in ("unknown", "greeting"):
        # Only a plain answer is a name: "mejor la general" is a mind change, not a guest called General.
        s.guest_name = sl.bare_name(msg.text) or s.guest_name
    email = ents.get("email") or (sl.find_email(msg.text) if st.step in ("email", "lookup") else None)
    if email:
        s.email = str(email).lower()
    ref = ents.get("booking_reference") or (sl.find_reference(msg.text) if st.step == "lookup" else None)
    if ref:
        s.booking_reference = str(ref).upper()
        if st.target and st.target.get("reference") != s.booking_reference:
            st.target = None
    if (s.check_in, s.check_out, s.adults, s.children, s.rooms) != before:
        _invalidate_offers(st)
    return None


def _invalidate_offers(st: ConversationState) -> None:
    st.offers = []
    st.offers_for = None
    st.alternatives = []
    st.pending = None
    if st.flow == "stay":
        # A room picked for other dates must be picked again from the new offers (by name if the guest named it).
        st.slots.id_room_type = None


# ---- the stay flow (availability, pricing, booking) -------------------------------------------------------------


def _search_key(st: ConversationState) -> str:
    s = st.slots
    return f"{s.check_in}|{s.check_out}|{s.adults}|{s.children}|{s.rooms}"


def _advance_stay(st: ConversationState, ctx: Context) -> Decision:
    s = st.slots
    st.flow = "stay"
    if not s.check_in and s.adults is None:
        st.step = "dates"
        return Decision(st, [Say("ask.dates_and_guests")])
    if not s.check_in:
        st.step = "dates"
        return Decision(st, [Say("ask.dates")])
    if not s.check_out:
        st.step = "dates"
        return Decision(st, [Say("ask.checkout", {"check_in": date.fromisoformat(s.check_in)})])
    if s.adults is None:
        st.step = "guests"
        return Decision(st, [Say("ask.guests")])
    dates = s.dates()
    assert dates is not None
    # Every room needs an adult in it.
    s.rooms = max(1, min(s.rooms, s.adults))
    if st.offers_for != _search_key(st):
        st.step = "searching"
        return Decision(st, effect=SearchStay(dates[0], dates[1], s.adults, s.children, s.rooms))
    if s.id_room_type is None:
        return _present_offers(st, [])
    if not s.wants_booking:
        return _present_offers(st, [])
    if not s.guest_name:
        st.step = "name"
        return Decision(st, [Say("ask.name", {"room": s.room_type})])
    if not s.email:
        st.step = "email"
        return Decision(st, [Say("ask.email")])
    return _summary(st, ctx)


def _offer_list(st: ConversationState) -> list[Offer]:
    return [
        Offer(o["id_room_type"], o["name"], o["available"], Decimal(o["nightly"]), Decimal(o["total"]), o["currency"])
        for o in st.offers
    ]


def _present_offers(st: ConversationState, lead: list[Reply]) -> Decision:
    s = st.slots
    dates = s.dates()
    assert dates is not None
    offers = _offer_list(st)
    st.step = "room"
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
        _invalidate_offers(st)
        return _advance_stay(st, ctx)
    nonce = f"b{st.turn}"
    st.pending = {"kind": "book", "nonce": nonce}
    st.step = "confirm"
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


def _confirm(st: ConversationState, nonce: str, ctx: Context) -> Decision:
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
        st.step = "booking"
        effect = CreateBooking(
            s.id_room_type, dates[0], dates[1], s.adults or 1, s.children, s.rooms, first, last, s.email, nonce
        )
        return Decision(st, [], effect)
    if kind == "cancel" and st.target:
        st.step = "cancelling"
        t = st.target
        return Decision(st, effect=CancelBooking(int(t["id_order"]), int(t["hotel_id"]), str(t["reference"])))
    if kind == "modify" and st.target:
        t = st.target
        dates = st.slots.dates()
        assert dates is not None
        st.step = "modify_booking"
        adults, children, rooms = _modify_party(st)
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


def _abort(st: ConversationState) -> Decision:
    kind = (st.pending or {}).get("kind")
    st.reset_flow()
    key = {"book": "book.aborted", "cancel": "cancel.kept", "modify": "modify.aborted"}.get(str(kind), "ok")
    return Decision(st, [Say(key, buttons=MENU)])


# ---- lookup-based flows (cancel, modify, status, late checkout) ---------------------------------------------------


def _known_references(st: ConversationState) -> tuple[str, ...]:
    """Bookings this guest may see without the email on them: made in this conversation or found by their phone."""
    return tuple(dict.fromkeys([*st.own_references, *st.phone_references]))


def _advance_lookup(st: ConversationState) -> Decision:
    s = st.slots
    known = _known_references(st)
    if s.booking_reference and s.email:
        st.step = "finding"
        return Decision(st, effect=FindBooking(s.booking_reference, s.email, known))
    if s.booking_reference and s.booking_reference in known:
        st.step = "finding"
        return Decision(st, effect=FindBooking(s.booking_reference, None, known))
    if not s.booking_reference and not st.phone_lookup_done:
        # No reference: first look for the guest's own bookings (this conversation's and QloApps' by phone).
        st.step = "finding_own"
        st.phone_lookup_done = True
        return Decision(st, effect=FindBooking(None, None, known, by_phone=True))
    st.step = "lookup"
    return Decision(st, [_lookup_prompt(st)])


def _lookup_prompt(st: ConversationState) -> Say:
    """Ask for what is missing to find a booking; a guest without their reference may ask a person."""
    s = st.slots
    if s.booking_reference:
        return Say("ask.lookup_email", {"reference": s.booking_reference})
    if s.email:
        return Say("ask.lookup_reference", buttons=(BTN_HANDOFF,))
    return Say("ask.lookup", buttons=(BTN_HANDOFF,))


def _advance_modify(st: ConversationState) -> Decision:
    t = st.target
    assert t is not None
    dates = st.slots.dates()
    if dates is None or st.slots.check_in == t["check_in"] and st.slots.check_out == t["check_out"]:
        st.step = "new_dates"
        return Decision(st, [Say("modify.ask_dates", {"reference": t["reference"]})])
    st.step = "searching"
    adults, children, rooms = _modify_party(st)
    return Decision(st, effect=SearchStay(dates[0], dates[1], adults, children, rooms))


def _modify_party(st: ConversationState) -> tuple[int, int, int]:
    """The party for the new dates: the original booking's, unless the guest gave a new one in this flow."""
    t = st.target or {}
    rooms = int(t.get("rooms") or 1)
    if st.slots.adults is not None:
        return st.slots.adults, st.slots.children, rooms
    # A booking QloApps returned without occupancy falls back to two adults per room.
    return int(t.get("adults") or 2 * rooms), int(t.get("children") or 0), rooms


def _booking_dict(b: BookingView) -> dict[str, Any]:
    d = asdict(b)
    d["check_in"], d["check_out"], d["total"] = b.check_in.isoformat(), b.check_out.isoformat(), str(b.total)
    return d


def _booking_params(t: dict[str, Any]) -> dict[str, Any]:
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


def _on_bookings_found(st: ConversationState, fact: BookingsFound, ctx: Context) -> Decision:
    bookings = list(fact.bookings)
    own_lookup = st.step == "finding_own"
    if own_lookup:
        for b in bookings:
            if b.reference not in st.own_references and b.reference not in st.phone_references:
                st.phone_references.append(b.reference)
    if st.flow != "status":
        bookings = [b for b in bookings if not b.cancelled and b.check_out > ctx.today]
    if not bookings and own_lookup:
        # Nothing under the guest's number: ask for the reference and the email on the booking.
        st.step = "lookup"
        return Decision(st, [_lookup_prompt(st)])
    if not bookings:
        st.failed_lookups += 1
        st.slots.booking_reference = None
        st.step = "lookup"
        if fact.bookings and st.flow != "status":
            return Decision(st, [Say("lookup.not_active", buttons=MENU)])
        buttons = (BTN_HANDOFF,) if st.failed_lookups >= 2 else ()
        return Decision(st, [Say("lookup.not_found", buttons=buttons)])
    live = [b for b in bookings if not b.cancelled and b.check_out > ctx.today]
    if len(bookings) > 1 and len(live) == 1:
        bookings = live  # a status question about "my booking" means the one still standing
    if len(bookings) > 1:
        st.step = "lookup"
        rows = tuple(
            Row(f"bk:{b.reference}", b.reference, f"{b.room_type_name} {b.check_in.isoformat()}") for b in bookings
        )
        return Decision(st, [Say("lookup.choose", rows=rows[:10], list_button_key="list.bookings")])
    b = bookings[0]
    st.target = _booking_dict(b)
    st.failed_lookups = 0
    if st.flow == "status":
        key = "status.cancelled" if b.cancelled else "status.active"
        t = st.target
        st.reset_flow()
        return Decision(st, [Say(key, _booking_params(t))])
    if st.flow == "cancel":
        terms = refund_terms(b.total, b.check_in, ctx.today, fact.refund_rules)
        nonce = f"c{st.turn}"
        st.pending = {"kind": "cancel", "nonce": nonce}
        st.step = "confirm"
        params = _booking_params(st.target)
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
    if st.flow == "modify":
        return _advance_modify(st)
    if st.flow == "late":
        st.step = "checking"
        return Decision(st, effect=CheckNight(b.id_room_type, b.check_out))
    return Decision(st, [Say("unknown", buttons=MENU)])


# ---- facts --------------------------------------------------------------------------------------------------------


def _on_fact(st: ConversationState, fact: Fact, ctx: Context) -> Decision:
    if isinstance(fact, PmsDown):
        return _on_pms_down(st)
    if isinstance(fact, StayOffers):
        return _on_offers(st, fact, ctx)
    if isinstance(fact, Alternatives):
        return _on_alternatives(st, fact)
    if isinstance(fact, BookingMade):
        return _on_booked(st, fact)
    if isinstance(fact, BookingFailed):
        return _on_booking_failed(st, fact)
    if isinstance(fact, BookingsFound):
        return _on_bookings_found(st, fact, ctx)
    if isinstance(fact, Cancelled):
        return _on_cancelled(st, fact)
    if isinstance(fact, CancelFailed):
        return _on_cancel_failed(st)
    if isinstance(fact, HotelFacts):
        return _on_hotel(st, fact.hotel)
    if isinstance(fact, NightChecked):
        return _on_night(st, fact)
    raise TypeError(f"unexpected fact {type(fact).__name__}")


def _on_pms_down(st: ConversationState) -> Decision:
    if st.step in ("booking", "cancelling", "modify_booking", "modify_cancel_old"):
        return _handoff(st, "pms_down", "pms.down_booking")
    st.step = None if st.flow is None else st.step
    st.question = None
    if st.flow == "stay":
        st.step = "dates" if not st.offers else st.step
    return Decision(st, [Say("pms.down", buttons=(BTN_HANDOFF,))])


def _on_offers(st: ConversationState, fact: StayOffers, ctx: Context) -> Decision:
    if st.flow == "modify" and st.target is not None:
        return _on_modify_offers(st, fact)
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
        st.step = "rooms"
        st.offers_for = None
        guests = (s.adults or 0) + s.children
        return Decision(st, [Say("ask.rooms_for_party", {"guests": guests, "max": fact.max_guests_per_room})])
    if not fact.offers:
        st.step = "alternatives"
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
                decision = _advance_stay(st, ctx)
                return decision
    return _present_offers(st, lead)


def _on_alternatives(st: ConversationState, fact: Alternatives) -> Decision:
    st.alternatives = [
        {"check_in": a.check_in.isoformat(), "check_out": a.check_out.isoformat(), "name": a.offer.name}
        for a in fact.options
    ]
    if not fact.options:
        st.step = "dates"
        st.slots.check_in = st.slots.check_out = None
        st.offers_for = None
        return Decision(st, [Say("alternatives.none", buttons=(BTN_HANDOFF,))])
    st.step = "alternatives"
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


def _on_booked(st: ConversationState, fact: BookingMade) -> Decision:
    b = fact.booking
    nonce = str((st.pending or {}).get("nonce", ""))
    if nonce:
        st.done_nonces[nonce] = b.reference
        # Keep the memory bounded: the last few confirmations are enough against double taps.
        while len(st.done_nonces) > 10:
            st.done_nonces.pop(next(iter(st.done_nonces)))
    if b.reference not in st.own_references:
        st.own_references.append(b.reference)
    if st.flow == "modify" and st.target is not None:
        old = st.target
        st.pending = {"kind": "modify_done", "new": _booking_dict(b)}
        st.step = "modify_cancel_old"
        return Decision(st, effect=CancelBooking(int(old["id_order"]), int(old["hotel_id"]), str(old["reference"])))
    params = _booking_params(_booking_dict(b))
    params["check_in_time"] = fact.check_in_time
    name, email = st.slots.guest_name, st.slots.email
    st.reset_flow()
    # The same guest booking again in this chat should not have to repeat who they are.
    st.slots.guest_name, st.slots.email = name, email
    return Decision(st, [Say("book.already" if fact.replayed else "book.done", params)])


def _on_booking_failed(st: ConversationState, fact: BookingFailed) -> Decision:
    if st.flow == "modify":
        if fact.reason == "pms_down":
            return _handoff(st, "pms_down", "modify.failed_down")
        if fact.reason == "uncertain":
            return _handoff(st, "booking_uncertain", "book.uncertain")
        ref = (st.target or {}).get("reference", "")
        st.reset_flow()
        return Decision(st, [Say("modify.failed", {"reference": ref})])
    if fact.reason == "pms_down":
        return _handoff(st, "pms_down", "pms.down_booking")
    if fact.reason == "uncertain":  # never "not booked" when it may be: a person checks and confirms
        return _handoff(st, "booking_uncertain", "book.uncertain")
    if fact.reason == "rejected":
        st.pending = None
        st.step = "email"
        st.slots.email = None
        return Decision(st, [Say("book.rejected", buttons=(BTN_HANDOFF,))])
    # The room went while the guest decided: search again and show what is left.
    s = st.slots
    gone = s.room_type
    s.room_type = None
    _invalidate_offers(st)
    dates = s.dates()
    assert dates is not None
    st.step = "searching"
    return Decision(
        st,
        [Say("book.room_gone", {"room": gone})],
        SearchStay(dates[0], dates[1], s.adults or 1, s.children, s.rooms),
    )


def _on_modify_offers(st: ConversationState, fact: StayOffers) -> Decision:
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
    nonce = f"m{st.turn}"
    st.pending = {"kind": "modify", "nonce": nonce}
    st.step = "confirm"
    params = _booking_params(t)
    params.update(new_check_in=dates[0], new_check_out=dates[1], new_total=offer.total, new_currency=offer.currency)
    buttons = (Button(f"confirm:{nonce}", title_key="btn.confirm"), Button(f"abort:{nonce}", title_key="btn.abort"))
    return Decision(st, [Say("modify.summary", params, buttons=buttons)])


def _on_cancelled(st: ConversationState, fact: Cancelled) -> Decision:
    if st.flow == "modify" and st.pending and st.pending.get("kind") == "modify_done":
        new = st.pending["new"]
        params = _booking_params(new)
        params["old_reference"] = fact.booking.reference
        st.reset_flow()
        return Decision(st, [Say("modify.done", params)])
    params = {"reference": fact.booking.reference}
    st.reset_flow()
    return Decision(st, [Say("cancel.done", params, buttons=MENU)])


def _on_cancel_failed(st: ConversationState) -> Decision:
    if st.flow == "modify":
        return _handoff(st, "modify_partial", "modify.partial")
    return _handoff(st, "cancel_failed", "cancel.failed")


def _on_hotel(st: ConversationState, hotel: HotelView) -> Decision:
    q = st.question or {}
    st.question = None
    topic = q.get("topic")
    if topic == "times":
        return Decision(st, [Say("info.times", {"check_in": hotel.check_in, "check_out": hotel.check_out})])
    if topic == "location":
        address = ", ".join(p for p in (hotel.address, hotel.zipcode, hotel.city) if p)
        replies: list[Reply] = [Say("info.location", {"name": hotel.name, "address": address, "phone": hotel.phone})]
        if hotel.latitude is not None and hotel.longitude is not None:
            replies.append(SendLocation(hotel.latitude, hotel.longitude, hotel.name, address))
        return Decision(st, replies)
    amenity = q.get("amenity")
    info = (hotel.knowledge.get("amenities") or {}).get(amenity) if amenity else None
    if amenity and info:
        return Decision(st, [Say("info.amenity", {"amenity": amenity, "info": info})])
    feature = _matching_feature(amenity, hotel.features) if amenity else None
    if feature:
        return Decision(st, [Say("info.amenity_yes", {"amenity": amenity, "feature": feature})])
    if amenity:
        return Decision(st, [Say("info.amenity_unknown", {"amenity": amenity, "features": hotel.features})])
    return Decision(st, [Say("info.amenities", {"features": hotel.features})])


_FEATURE_WORDS = {
    "wifi": ("wi-fi", "wifi", "internet"),
    "breakfast": ("breakfast", "desayuno"),
    "parking": ("parking", "aparcamiento"),
    "pool": ("pool", "piscina"),
    "gym": ("gym", "fitness", "gimnasio"),
    "spa": ("spa", "massage"),
    "pets": ("pet", "mascota"),
    "restaurant": ("restaurant", "restaurante"),
    "airport_shuttle": ("shuttle", "airport", "aeropuerto"),
    "laundry": ("laundry", "lavander"),
}


def _matching_feature(amenity: str, features: tuple[str, ...]) -> str | None:
    """A QloApps hotel feature that answers the amenity asked about."""
    words = _FEATURE_WORDS.get(amenity, (amenity,))
    return next((f for f in features if any(w in f.lower() for w in words)), None)


def _on_night(st: ConversationState, fact: NightChecked) -> Decision:
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


# ---- handoff ------------------------------------------------------------------------------------------------------


def _handoff(st: ConversationState, reason: str, key: str) -> Decision:
    st.reset_flow()
    st.handoff = True
    st.handoff_reason = reason
    st.misunderstandings = 0
    return Decision(st, [Say(key)], handoff=reason)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
