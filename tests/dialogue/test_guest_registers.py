"""Dialogue behaviours issue 14 asked for: every question answered, keeping a booking, captions, typed flows."""

from __future__ import annotations

from datetime import date

from agent.brain.dialogue import ConversationState, GuestMessage
from agent.brain.dialogue.effects import LoadHotel, SearchStay
from agent.brain.dialogue.facts import HotelFacts, HotelView, StayOffers
from agent.brain.dialogue.flows import Flow, Step
from agent.brain.nlu.model import ParseResult
from tests.dialogue.helpers import OFFERS, keys, msg, step


def _hotel() -> HotelView:
    return HotelView(
        "The Hotel Prime", "Calle Mayor 1", "Madrid", "28013", "+34910000000", "12:00", "11:00", 40.41, -3.70,
        ("Wi-Fi", "Restaurant"), {"amenities": {"pets": {"es": "Admitimos mascotas pequeñas.", "en": "Small pets."}}},
    )  # fmt: skip


def _asking(intent: str, text: str, also: tuple[str, ...], **ents) -> GuestMessage:
    base = msg(intent, text, **ents)
    return GuestMessage(base.kind, base.text, ParseResult("es", intent, 0.9, base.nlu.entities, also=also))


def test_a_second_question_is_answered_after_the_first_one_in_its_own_message():
    m = _asking("availability", "hay habitación del 3 al 5 para 2? y se admiten perros?", ("amenities:pets",),
                check_in=date(2026, 12, 3), check_out=date(2026, 12, 5), adults=2)  # fmt: skip
    d = step(ConversationState(), m)
    assert isinstance(d.effect, SearchStay)
    d = step(d.state, StayOffers(OFFERS[:2]))
    assert d.replies and d.effect == LoadHotel("amenities")  # the offers, then the pets question
    d = step(d.state, HotelFacts(_hotel()))
    assert keys(d) == ["info.amenity"] and d.effect is None and not d.state.followups
    assert d.state.flow == Flow.STAY and d.state.offers  # the stay flow waits for a room choice, untouched


def test_two_hotel_questions_get_two_answers():
    d = step(ConversationState(), _asking("check_in_out_times", "a qué hora es el check-in? y dónde estáis?",
                                          ("location",)))  # fmt: skip
    assert d.effect == LoadHotel("times")
    d = step(d.state, HotelFacts(_hotel()))
    assert keys(d) == ["info.times"] and d.effect == LoadHotel("location")
    d = step(d.state, HotelFacts(_hotel()))
    assert keys(d) == ["info.location"] and d.effect is None


def test_keeping_the_booking_in_words_ends_the_cancellation():
    st = ConversationState(flow=Flow.CANCEL, step=Step.CONFIRM, pending={"kind": "cancel", "nonce": "n1"})
    keep = msg("booking_status", "no, mejor no la cancelo, la dejo")
    keep = GuestMessage(keep.kind, keep.text, ParseResult("es", "booking_status", 0.9, {}, keeps_booking=True))
    d = step(st, keep)
    assert keys(d) == ["cancel.kept"] and d.effect is None and d.state.flow is None and d.state.pending is None


def test_a_caption_sets_the_reply_language_but_a_bare_photo_does_not():
    st = ConversationState(language="en", turn=3)
    captioned = GuestMessage("media", "foto del baño", ParseResult("es", "unknown", 0.0, {}))
    d = step(st, captioned)
    assert d.state.language == "es" and keys(d) == ["media.text_only"]
    bare = GuestMessage("media", "", ParseResult("es", "unknown", 0.0, {}))
    assert step(st, bare).state.language == "en"


def test_stored_states_load_with_typed_flow_and_step_and_store_the_same_strings():
    stored = {"version": 1, "language": "es", "flow": "stay", "step": "guests", "slots": {"adults": 2}}
    st = ConversationState.from_dict(stored)
    assert st.flow is Flow.STAY and st.step is Step.GUESTS and st.slots.adults == 2
    dumped = st.to_dict()
    assert dumped["flow"] == "stay" and dumped["step"] == "guests" and dumped["followups"] == []
    # A step this code no longer knows starts the conversation afresh instead of misreading it.
    assert ConversationState.from_dict({**stored, "step": "gone"}) == ConversationState()
