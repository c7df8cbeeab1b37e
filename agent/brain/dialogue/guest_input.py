"""Reading a guest message into the conversation: which step it answers, and the slots it fills."""

from __future__ import annotations

from datetime import date, timedelta

from agent.brain.dialogue import slots as sl
from agent.brain.dialogue.decision import MAX_NIGHTS, as_date
from agent.brain.dialogue.flows import Flow, Step
from agent.brain.dialogue.inputs import Context, GuestMessage
from agent.brain.dialogue.replies import Say
from agent.brain.dialogue.state import ConversationState
from agent.brain.dialogue.stay import invalidate_offers


def answers_step(st: ConversationState, msg: GuestMessage) -> bool:
    ents = msg.nlu.entities
    if any(k in ents for k in ("check_in", "check_out", "nights", "adults", "children", "rooms", "email")):
        return True
    if st.flow == Flow.STAY and "room_type" in ents:
        return True
    if st.step in (Step.GUESTS, Step.ROOMS):
        return sl.bare_count(msg.text) is not None
    if st.step == Step.NAME:
        return "guest_name" in ents or (not ents and sl.bare_name(msg.text) is not None)
    if st.step == Step.EMAIL:
        return sl.find_email(msg.text) is not None
    if st.step == Step.ROOM:
        return "room_type" in ents or sl.pick_offer(msg.text, st.offers) is not None
    if st.step == Step.LOOKUP:
        return "booking_reference" in ents or sl.find_reference(msg.text) is not None
    return False


def absorb(st: ConversationState, msg: GuestMessage, ctx: Context) -> Say | None:
    """Fill slots from the message; a Say if the dates make no sense (nothing is changed then)."""
    ents = dict(msg.nlu.entities)
    s = st.slots
    before = (s.check_in, s.check_out, s.adults, s.children, s.rooms)
    ci = as_date(ents.get("check_in"))
    co = as_date(ents.get("check_out"))
    nights = int(ents["nights"]) if ents.get("nights") else None
    cur_ci = date.fromisoformat(s.check_in) if s.check_in else None
    cur_co = date.fromisoformat(s.check_out) if s.check_out else None
    if (ci or co or nights) and st.flow in (Flow.STAY, Flow.MODIFY):
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
    if st.step == Step.GUESTS and "adults" not in ents:
        count = sl.bare_count(msg.text)
        if count is not None:
            s.adults = count
    if st.step == Step.ROOMS and "rooms" not in ents:
        count = sl.bare_count(msg.text)
        if count is not None:
            s.rooms = count
    if s.rooms < 1:
        s.rooms = 1
    if ents.get("room_type"):
        s.room_type = str(ents["room_type"])
        if st.flow == Flow.STAY:
            s.id_room_type = None
            offer = sl.offer_by_room_type(s.room_type, st.offers)
            if offer is not None:
                s.id_room_type = offer["id_room_type"]
    elif st.step == Step.ROOM and st.offers:
        offer = sl.pick_offer(msg.text, st.offers)
        if offer is not None:
            s.id_room_type, s.room_type = offer["id_room_type"], offer["name"]
            s.wants_booking = True
    if ents.get("guest_name"):
        s.guest_name = str(ents["guest_name"])
    elif st.step == Step.NAME and not ents and msg.nlu.intent in ("unknown", "greeting"):
        # Only a plain answer is a name: "mejor la general" is a mind change, not a guest called General.
        s.guest_name = sl.bare_name(msg.text) or s.guest_name
    email = ents.get("email") or (sl.find_email(msg.text) if st.step in (Step.EMAIL, Step.LOOKUP) else None)
    if email:
        s.email = str(email).lower()
    ref = ents.get("booking_reference") or (sl.find_reference(msg.text) if st.step == Step.LOOKUP else None)
    if ref:
        s.booking_reference = str(ref).upper()
        if st.target and st.target.get("reference") != s.booking_reference:
            st.target = None
    if (s.check_in, s.check_out, s.adults, s.children, s.rooms) != before:
        invalidate_offers(st)
    return None
