"""The dialogue state machine: (state, guest message or fact, context) → (new state, replies, one effect).

Pure: no I/O, no clock. The receptionist performs the effect, feeds the resulting fact back through `decide`, and
repeats until no effect is left. This module routes; the flows live in `stay`, `existing` and `info`.
"""

from __future__ import annotations

from typing import Any

from agent.brain.dialogue import slots as sl
from agent.brain.dialogue.decision import BTN_HANDOFF, MENU, Decision, hand_over
from agent.brain.dialogue.effects import (
    FindBooking,
    LoadHotel,
)
from agent.brain.dialogue.existing import (
    advance_lookup,
    advance_modify,
    known_references,
    lookup_prompt,
    on_bookings_found,
    on_cancel_failed,
    on_cancelled,
    on_night,
)
from agent.brain.dialogue.facts import (
    Alternatives,
    BookingFailed,
    BookingMade,
    BookingsFound,
    CancelFailed,
    Cancelled,
    Fact,
    HotelFacts,
    NightChecked,
    PmsDown,
    StayOffers,
)
from agent.brain.dialogue.flows import Flow, Step
from agent.brain.dialogue.guest_input import absorb, answers_step
from agent.brain.dialogue.info import on_hotel
from agent.brain.dialogue.inputs import Context, GuestMessage
from agent.brain.dialogue.replies import Button, Reply, Say
from agent.brain.dialogue.state import ConversationState
from agent.brain.dialogue.stay import (
    abort,
    advance_stay,
    confirm,
    invalidate_offers,
    on_alternatives,
    on_booked,
    on_booking_failed,
    on_offers,
    present_offers,
)

TASK_INTENTS = {"availability", "pricing", "book", "cancel", "modify", "booking_status", "late_checkout"}


INFO_TOPICS = {"check_in_out_times": "times", "amenities": "amenities", "location": "location"}


def decide(state: ConversationState, event: GuestMessage | Fact, ctx: Context) -> Decision:
    """Advance the conversation by one guest message or one fact."""
    st = state.copy()
    if isinstance(event, GuestMessage):
        st.turn += 1
        if event.kind == "text" or (event.kind == "media" and event.text.strip()) or st.turn == 1:
            # A photo's caption is the guest writing; a tapped title ("Delux Rooms") says nothing of the language.
            st.language = event.nlu.language
        if st.handoff:
            # Staff own the conversation until they resolve it: no automatic replies.
            return Decision(st)
        return _next_question(_on_message(st, event, ctx))
    return _next_question(_on_fact(st, event, ctx))


def _next_question(decision: Decision) -> Decision:
    """Once a turn's work is done, answer the next question the same message asked (in a message of its own)."""
    st = decision.state
    if decision.effect is not None or decision.handoff is not None or st.handoff or not st.followups:
        return decision
    st.question = st.followups.pop(0)
    decision.effect = LoadHotel(st.question["topic"])
    return decision


def _followups(msg: GuestMessage) -> list[dict[str, Any]]:
    """The hotel questions a message asks besides its main request ("¿y tenéis parking?")."""
    asked = []
    for item in msg.nlu.also:
        topic, _, amenity = item.partition(":")
        if topic in INFO_TOPICS:
            asked.append({"topic": INFO_TOPICS[topic], "amenity": amenity or None})
    return asked


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

    if msg.nlu.keeps_booking and (st.flow == Flow.CANCEL or (st.pending or {}).get("kind") == "cancel"):
        return abort(st)  # "no, la dejo": the guest keeps the booking we were about to cancel
    if st.pending is not None and intent not in ("human_handoff", "complaint"):
        if sl.is_yes(msg.text):
            return confirm(st, str(st.pending.get("nonce")), ctx)
        if sl.is_no(msg.text) and intent not in TASK_INTENTS - {"cancel"}:
            return abort(st)

    if st.step in (Step.GUESTS, Step.ROOMS) and intent == "human_handoff" and sl.bare_count(msg.text) is not None:
        # "una persona" answers "how many guests?"; it is not a request for a person.
        return _continue_flow(st, msg, ctx)
    if intent == "human_handoff":
        return hand_over(st, "guest_request", "handoff.requested")
    if intent == "complaint":
        return hand_over(st, "complaint", "handoff.complaint")

    if st.flow == Flow.MODIFY and intent in ("availability", "book") and not ents.get("booking_reference"):
        intent = "modify"  # new dates mid-change are the change, not a new stay
    if st.flow == Flow.STAY and not ents.get("booking_reference"):
        if intent == "modify":
            intent = "book" if st.slots.wants_booking else "availability"  # a mind change, not a booking change
        elif intent == "cancel" and st.pending is not None:
            return abort(st)
    if intent in TASK_INTENTS:
        st.misunderstandings = 0
        decision = _start_or_merge_task(st, intent, msg, ctx)
        decision.state.followups = _followups(msg)
        return decision
    if intent in INFO_TOPICS:
        st.misunderstandings = 0
        st.question = {"topic": INFO_TOPICS[intent], "amenity": ents.get("amenity")}
        st.followups = _followups(msg)
        return Decision(st, effect=LoadHotel(INFO_TOPICS[intent]))  # type: ignore[arg-type]

    # The message may answer what we just asked, whatever the NLU called it ("2", "Ana López", an email).
    if st.flow and answers_step(st, msg):
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
        return hand_over(st, "misunderstood", "handoff.misunderstood")
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
    if st.step == Step.ROOM and st.offers:
        return list(present_offers(st, []).replies)
    prompts = {
        Step.GUESTS: Say("ask.guests"),
        Step.NAME: Say("ask.name", {"room": s.room_type or ""}),
        Step.EMAIL: Say("ask.email"),
        Step.LOOKUP: lookup_prompt(st),
        Step.NEW_DATES: Say("modify.ask_dates", {"reference": (st.target or {}).get("reference", "")}),
    }
    if st.step in prompts:
        return [prompts[str(st.step)]]
    if st.flow == Flow.STAY and not s.check_in:
        return [Say("ask.dates")]
    return [Say("unknown", buttons=(*MENU, BTN_HANDOFF))]


def _on_reply_id(st: ConversationState, msg: GuestMessage, ctx: Context) -> Decision | None:
    rid = msg.reply_id or ""
    if rid == "handoff":
        return hand_over(st, "guest_request", "handoff.requested")
    if rid == "menu:availability":
        st.reset_flow()
        st.flow = Flow.STAY
        return advance_stay(st, ctx)
    if rid == "menu:booking":
        st.reset_flow()
        st.flow = Flow.STATUS
        return advance_lookup(st)
    if rid.startswith("confirm:"):
        return confirm(st, rid.split(":", 1)[1], ctx)
    if rid.startswith("abort:"):
        if st.pending is not None and st.pending.get("nonce") == rid.split(":", 1)[1]:
            return abort(st)
        return Decision(st, [Say("nothing_pending", buttons=MENU)])
    if rid.startswith("room:") and st.flow == Flow.STAY and st.offers:
        offer = next((o for o in st.offers if str(o["id_room_type"]) == rid.split(":", 1)[1]), None)
        if offer is None:
            return None
        st.slots.id_room_type = offer["id_room_type"]
        st.slots.room_type = offer["name"]
        st.slots.wants_booking = True
        return advance_stay(st, ctx)
    if rid.startswith("alt:") and st.flow == Flow.STAY:
        _, ci, co = rid.split(":")
        st.slots.check_in, st.slots.check_out = ci, co
        invalidate_offers(st)
        return advance_stay(st, ctx)
    if rid.startswith("bk:") and st.flow in (Flow.CANCEL, Flow.MODIFY, Flow.STATUS, Flow.LATE):
        st.slots.booking_reference = rid.split(":", 1)[1]
        st.target = None
        return Decision(st, effect=FindBooking(st.slots.booking_reference, None, known_references(st)))
    return None


def _start_or_merge_task(st: ConversationState, intent: str, msg: GuestMessage, ctx: Context) -> Decision:
    flow = {
        "availability": Flow.STAY,
        "pricing": Flow.STAY,
        "book": Flow.STAY,
        "cancel": Flow.CANCEL,
        "modify": Flow.MODIFY,
        "booking_status": Flow.STATUS,
        "late_checkout": Flow.LATE,
    }[intent]
    if st.flow != flow:
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
    problem = absorb(st, msg, ctx)
    if problem is not None:
        return Decision(st, [problem])
    if st.flow == Flow.STAY:
        return advance_stay(st, ctx)
    if st.flow == Flow.MODIFY and st.target is not None:
        return advance_modify(st)
    return advance_lookup(st)


def _on_fact(st: ConversationState, fact: Fact, ctx: Context) -> Decision:
    if isinstance(fact, PmsDown):
        return _on_pms_down(st)
    if isinstance(fact, StayOffers):
        return on_offers(st, fact, ctx)
    if isinstance(fact, Alternatives):
        return on_alternatives(st, fact)
    if isinstance(fact, BookingMade):
        return on_booked(st, fact)
    if isinstance(fact, BookingFailed):
        return on_booking_failed(st, fact)
    if isinstance(fact, BookingsFound):
        return on_bookings_found(st, fact, ctx)
    if isinstance(fact, Cancelled):
        return on_cancelled(st, fact)
    if isinstance(fact, CancelFailed):
        return on_cancel_failed(st)
    if isinstance(fact, HotelFacts):
        return on_hotel(st, fact.hotel)
    if isinstance(fact, NightChecked):
        return on_night(st, fact)
    raise TypeError(f"unexpected fact {type(fact).__name__}")


def _on_pms_down(st: ConversationState) -> Decision:
    if st.step in (Step.BOOKING, Step.CANCELLING, Step.MODIFY_BOOKING, Step.MODIFY_CANCEL_OLD):
        return hand_over(st, "pms_down", "pms.down_booking")
    st.step = None if st.flow is None else st.step
    st.question = None
    if st.flow == Flow.STAY:
        st.step = Step.DATES if not st.offers else st.step
    return Decision(st, [Say("pms.down", buttons=(BTN_HANDOFF,))])
