"""The dialogue's decisions: slot filling, confirmation, mind changes, handoff rules, PMS failures."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from agent.brain.dialogue import ConversationState
from agent.brain.dialogue.effects import (
    CancelBooking,
    CheckNight,
    CreateBooking,
    FindBooking,
    LoadHotel,
    SearchAlternatives,
    SearchStay,
)
from agent.brain.dialogue.facts import (
    Alternatives,
    AltOption,
    BookingFailed,
    BookingMade,
    BookingsFound,
    BookingView,
    CancelFailed,
    Cancelled,
    HotelFacts,
    HotelView,
    NightChecked,
    Offer,
    PmsDown,
    RefundRuleView,
    StayOffers,
)
from agent.brain.dialogue.replies import SendLocation
from tests.dialogue.helpers import OFFERS, booking_view, button_ids, keys, msg, step, tap

D3, D5, D10, D12 = date(2026, 12, 3), date(2026, 12, 5), date(2026, 12, 10), date(2026, 12, 12)


def _offered(lang: str = "es"):
    """A conversation that asked for 3-5 Dec, 2 adults, and was shown three room types."""
    d = step(ConversationState(), msg("availability", lang=lang, check_in=D3, check_out=D5, nights=2, adults=2))
    assert d.effect == SearchStay(D3, D5, 2, 0, 1)
    return step(d.state, StayOffers(OFFERS))


def _to_summary():
    d = _offered()
    d = step(d.state, tap("room:2", "Delux Rooms"))
    d = step(d.state, msg("unknown", "Ana López"))
    d = step(d.state, msg("unknown", "ana@example.com", email="ana@example.com"))
    assert keys(d) == ["book.summary"]
    return d


def test_availability_without_details_asks_for_dates_and_guests_only():
    d = step(ConversationState(), msg("availability", "hay habitaciones?"))
    assert keys(d) == ["ask.dates_and_guests"] and d.effect is None


def test_availability_with_dates_asks_only_for_guests_then_searches():
    d = step(ConversationState(), msg("availability", check_in=D3, check_out=D5, nights=2))
    assert keys(d) == ["ask.guests"] and d.effect is None
    d = step(d.state, msg("unknown", "2"))
    assert d.effect == SearchStay(D3, D5, 2, 0, 1) and d.replies == []


def test_check_in_without_departure_asks_for_departure_and_nights_complete_it():
    d = step(ConversationState(), msg("availability", check_in=D3, adults=2))
    assert keys(d) == ["ask.checkout"]
    d = step(d.state, msg("unknown", "3 noches", nights=3))
    assert d.effect == SearchStay(D3, date(2026, 12, 6), 2, 0, 1)


def test_three_offers_are_buttons_and_four_are_a_list_with_prices():
    d = _offered()
    assert button_ids(d) == ["room:1", "room:2", "room:3"]
    say = d.replies[0]
    assert say.params["offers"][1]["total"] == Decimal("3300.00")
    four = (*OFFERS, Offer(4, "Luxury Rooms", 2, Decimal("2750"), Decimal("5500"), "EUR"))
    d = step(step(ConversationState(), msg("pricing", check_in=D3, check_out=D5, adults=2)).state, StayOffers(four))
    assert keys(d) == ["offers.list"] and len(d.replies[0].rows) == 4


def test_booking_flow_asks_name_then_email_then_confirms_by_button_and_books():
    d = _to_summary()
    confirm = button_ids(d)[0]
    assert confirm.startswith("confirm:")
    d = step(d.state, tap(confirm, "Confirmar"))
    assert d.effect == CreateBooking(2, D3, D5, 2, 0, 1, "Ana", "López", "ana@example.com", confirm.split(":")[1])
    d = step(d.state, BookingMade(booking_view("QWERTYUIO"), "12:00"))
    assert keys(d) == ["book.done"]
    assert d.replies[0].params["reference"] == "QWERTYUIO" and d.replies[0].params["check_in_time"] == "12:00"
    assert d.state.flow is None and d.state.own_references == ["QWERTYUIO"]


def test_double_tapped_confirmation_never_books_twice():
    d = _to_summary()
    confirm = button_ids(d)[0]
    d = step(d.state, tap(confirm, "Confirmar"))
    d = step(d.state, BookingMade(booking_view("QWERTYUIO"), "12:00"))
    again = step(d.state, tap(confirm, "Confirmar"))
    assert again.effect is None and keys(again) == ["book.already"]
    assert again.replies[0].params["reference"] == "QWERTYUIO"


def test_typed_yes_confirms_the_pending_summary():
    d = _to_summary()
    d = step(d.state, msg("unknown", "sí, confirmo"))
    assert isinstance(d.effect, CreateBooking)


def test_not_now_at_summary_books_nothing():
    d = _to_summary()
    d = step(d.state, tap(button_ids(d)[1], "Ahora no"))
    assert d.effect is None and keys(d) == ["book.aborted"] and d.state.pending is None


def test_all_slots_in_one_message_go_straight_to_the_summary():
    d = step(
        ConversationState(),
        msg(
            "book",
            lang="en",
            check_in=D3,
            check_out=D5,
            nights=2,
            adults=2,
            room_type="Delux Rooms",
            guest_name="Marta Gil",
            email="marta@example.com",
        ),
    )
    assert d.effect == SearchStay(D3, D5, 2, 0, 1)
    d = step(d.state, StayOffers(OFFERS))
    assert keys(d) == ["book.summary"]
    assert d.replies[0].params["room"] == "Delux Rooms" and d.replies[0].params["total"] == Decimal("3300.00")


def test_mind_change_on_dates_at_summary_drops_confirmation_and_searches_again_keeping_the_room():
    d = _to_summary()
    old_confirm = button_ids(d)[0]
    d = step(d.state, msg("availability", "mejor del 10 al 12", check_in=D10, check_out=D12, nights=2))
    assert d.effect == SearchStay(D10, D12, 2, 0, 1) and d.state.pending is None
    d = step(d.state, StayOffers(OFFERS))
    assert keys(d) == ["book.summary"] and d.replies[0].params["check_in"] == D10
    stale = step(d.state, tap(old_confirm, "Confirmar"))
    assert stale.effect is None and keys(stale) == ["nothing_pending"]


def test_mind_change_of_room_type_picks_the_named_room():
    d = _offered()
    d = step(d.state, msg("book", "mejor la ejecutiva", room_type="Executive Rooms"))
    assert keys(d) == ["ask.name"] and d.state.slots.id_room_type == 3


def test_mind_change_of_only_arrival_keeps_the_length_of_stay():
    d = _offered()
    d = step(d.state, msg("availability", "y si llego el 10?", check_in=D10))
    assert d.effect == SearchStay(D10, D12, 2, 0, 1)


def test_past_dates_are_refused_and_nothing_changes():
    d = step(ConversationState(), msg("availability", check_in=date(2026, 11, 1), check_out=date(2026, 11, 3)))
    assert keys(d) == ["dates.past"] and d.state.slots.check_in is None and d.effect is None


def test_nothing_free_looks_for_alternatives_and_offers_them_as_buttons():
    d = step(ConversationState(), msg("availability", check_in=D3, check_out=D5, adults=2))
    d = step(d.state, StayOffers(()))
    assert keys(d) == ["offers.none"] and d.effect == SearchAlternatives(D3, D5, 2, 0, 1)
    alt = AltOption(date(2026, 12, 4), date(2026, 12, 6), OFFERS[0])
    d = step(d.state, Alternatives((alt,)))
    assert button_ids(d) == ["alt:2026-12-04:2026-12-06"]
    d = step(d.state, tap("alt:2026-12-04:2026-12-06", "04/12-06/12"))
    assert d.effect == SearchStay(date(2026, 12, 4), date(2026, 12, 6), 2, 0, 1)


def test_room_taken_meanwhile_searches_again_and_shows_what_is_left():
    d = _to_summary()
    d = step(d.state, tap(button_ids(d)[0], "Confirmar"))
    d = step(d.state, BookingFailed("unavailable"))
    assert keys(d) == ["book.room_gone"] and d.effect == SearchStay(D3, D5, 2, 0, 1)
    d = step(d.state, StayOffers(OFFERS[:1]))
    assert button_ids(d) == ["room:1"]


def test_pms_down_during_booking_flags_handoff_and_stops_auto_replies():
    d = _to_summary()
    d = step(d.state, tap(button_ids(d)[0], "Confirmar"))
    d = step(d.state, BookingFailed("pms_down"))
    assert d.handoff == "pms_down" and keys(d) == ["pms.down_booking"] and d.state.handoff
    silent = step(d.state, msg("greeting", "hola?"))
    assert silent.replies == [] and silent.effect is None


def test_pms_down_during_a_search_apologises_and_offers_a_person_without_flagging():
    d = step(ConversationState(), msg("availability", check_in=D3, check_out=D5, adults=2))
    d = step(d.state, PmsDown("circuit open"))
    assert keys(d) == ["pms.down"] and button_ids(d) == ["handoff"] and d.handoff is None


def test_handoff_on_request_and_on_complaint():
    d = step(ConversationState(), msg("human_handoff", "quiero hablar con una persona"))
    assert d.handoff == "guest_request" and d.state.handoff
    d = step(ConversationState(), msg("complaint", "la habitación está sucia"))
    assert d.handoff == "complaint" and keys(d) == ["handoff.complaint"]


def test_two_misunderstandings_in_a_row_hand_over_but_one_does_not():
    d = step(ConversationState(), msg("unknown", "asdfgh"))
    assert keys(d) == ["unknown"] and d.handoff is None
    assert button_ids(d) == ["menu:availability", "menu:booking", "handoff"]
    d = step(d.state, msg("unknown", "qwerty"))
    assert d.handoff == "misunderstood"


def test_an_understood_message_between_misunderstandings_resets_the_count():
    d = step(ConversationState(), msg("unknown", "asdfgh"))
    d = step(d.state, msg("thanks", "gracias"))
    d = step(d.state, msg("unknown", "qwerty"))
    assert d.handoff is None and keys(d) == ["unknown"]


def test_media_gets_text_only_reply_with_handoff_option():
    d = step(ConversationState(), msg("unknown", "", kind="media"))
    assert keys(d) == ["media.text_only"] and button_ids(d) == ["handoff"] and d.handoff is None


def test_cancel_shows_refund_terms_of_the_matching_rule_then_cancels_on_confirmation():
    d = step(ConversationState(), msg("cancel", booking_reference="ABCDEFGHI", email="ana@example.com"))
    assert d.effect == FindBooking("ABCDEFGHI", "ana@example.com", ())
    rules = (RefundRuleView(30, 2, Decimal(0)), RefundRuleView(7, 2, Decimal(50)), RefundRuleView(0, 2, Decimal(100)))
    d = step(d.state, BookingsFound((booking_view(),), rules))  # 8 days before 3 Dec → the 7-day rule
    assert keys(d) == ["cancel.terms"]
    p = d.replies[0].params
    assert (p["days"], p["percent"], p["fee"], p["refund"]) == (8, Decimal(50), Decimal("1650.00"), Decimal("1650.00"))
    d = step(d.state, tap(button_ids(d)[0], "Sí, cancelar"))
    assert d.effect == CancelBooking(7, 1, "ABCDEFGHI")
    d = step(d.state, Cancelled(booking_view()))
    assert keys(d) == ["cancel.done"] and d.state.flow is None


def test_cancel_asks_for_reference_and_email_when_nothing_is_booked_under_the_phone():
    d = step(ConversationState(), msg("cancel", "quiero cancelar mi reserva"))
    assert keys(d) == [] and d.effect == FindBooking(None, None, (), by_phone=True)
    d = step(d.state, BookingsFound(()))
    assert keys(d) == ["ask.lookup"] and d.effect is None and d.state.failed_lookups == 0
    d = step(d.state, msg("unknown", "ABCDEFGHI", booking_reference="ABCDEFGHI"))
    assert keys(d) == ["ask.lookup_email"]
    d = step(d.state, msg("unknown", "ana@example.com", email="ana@example.com"))
    assert d.effect == FindBooking("ABCDEFGHI", "ana@example.com", ())


def test_cancel_of_own_booking_needs_no_reference():
    state = ConversationState(own_references=["QWERTYUIO"])
    d = step(state, msg("cancel", "cancela mi reserva"))
    assert d.effect == FindBooking(None, None, ("QWERTYUIO",), by_phone=True)


def test_unknown_booking_asks_again_and_offers_a_person_after_the_second_miss():
    d = step(ConversationState(), msg("cancel", booking_reference="ZZZZZZZZZ", email="x@example.com"))
    d = step(d.state, BookingsFound(()))
    assert keys(d) == ["lookup.not_found"] and button_ids(d) == []
    d = step(d.state, msg("unknown", "YYYYYYYYY x@example.com", booking_reference="YYYYYYYYY", email="x@example.com"))
    d = step(d.state, BookingsFound(()))
    assert button_ids(d) == ["handoff"]


def test_cancel_failure_hands_over_and_booking_stands():
    d = step(ConversationState(), msg("cancel", booking_reference="ABCDEFGHI", email="ana@example.com"))
    d = step(d.state, BookingsFound((booking_view(),), ()))
    d = step(d.state, tap(button_ids(d)[0]))
    d = step(d.state, CancelFailed("500"))
    assert d.handoff == "cancel_failed"


def test_modify_books_new_dates_first_and_only_then_cancels_the_old_booking():
    d = step(
        ConversationState(),
        msg("modify", booking_reference="ABCDEFGHI", email="ana@example.com", check_in=D10, check_out=D12),
    )
    d = step(d.state, BookingsFound((booking_view(),), ()))
    assert d.effect == SearchStay(D10, D12, 2, 0, 1)
    d = step(d.state, StayOffers(OFFERS))
    assert keys(d) == ["modify.summary"]
    d = step(d.state, tap(button_ids(d)[0]))
    assert isinstance(d.effect, CreateBooking) and (d.effect.check_in, d.effect.id_room_type) == (D10, 2)
    d = step(d.state, BookingMade(booking_view("NEWREFAAA", D10, D12), "12:00"))
    assert d.effect == CancelBooking(7, 1, "ABCDEFGHI")
    d = step(d.state, Cancelled(booking_view()))
    assert keys(d) == ["modify.done"]
    assert d.replies[0].params["reference"] == "NEWREFAAA" and d.replies[0].params["old_reference"] == "ABCDEFGHI"


def test_modify_whose_new_booking_fails_leaves_the_old_booking_alone():
    d = step(
        ConversationState(),
        msg("modify", booking_reference="ABCDEFGHI", email="ana@example.com", check_in=D10, check_out=D12),
    )
    d = step(d.state, BookingsFound((booking_view(),), ()))
    d = step(d.state, StayOffers(OFFERS))
    d = step(d.state, tap(button_ids(d)[0]))
    d = step(d.state, BookingFailed("unavailable"))
    assert d.effect is None and keys(d) == ["modify.failed"]


def test_modify_to_dates_without_that_room_type_keeps_the_booking():
    d = step(ConversationState(), msg("modify", booking_reference="ABCDEFGHI", email="ana@example.com"))
    d = step(d.state, BookingsFound((booking_view(),), ()))
    assert keys(d) == ["modify.ask_dates"]
    d = step(d.state, msg("unknown", "del 10 al 12", check_in=D10, check_out=D12, nights=2))
    assert d.effect == SearchStay(D10, D12, 2, 0, 1)
    d = step(d.state, StayOffers(OFFERS[:1]))
    assert keys(d) == ["modify.unavailable"] and d.effect is None


def _hotel(**knowledge) -> HotelView:
    return HotelView(
        "The Hotel Prime", "Calle Mayor 1", "Madrid", "28013", "+34910000000", "12:00", "11:00", 40.41, -3.70,
        ("Wi-Fi", "Restaurant"), knowledge,
    )  # fmt: skip


def test_check_in_out_times_come_from_the_hotel():
    d = step(ConversationState(), msg("check_in_out_times", "a qué hora es el check-in?"))
    assert d.effect == LoadHotel("times")
    d = step(d.state, HotelFacts(_hotel()))
    assert keys(d) == ["info.times"] and d.replies[0].params == {"check_in": "12:00", "check_out": "11:00"}


def test_location_sends_address_and_a_location_message():
    d = step(ConversationState(), msg("location", "dónde estáis?"))
    d = step(d.state, HotelFacts(_hotel()))
    assert keys(d) == ["info.location"] and isinstance(d.replies[1], SendLocation)


def test_amenity_answer_comes_from_the_knowledge_file():
    d = step(ConversationState(), msg("amenities", "tenéis parking?", amenity="parking"))
    d = step(d.state, HotelFacts(_hotel(amenities={"parking": {"es": "Parking 20 EUR", "en": "Parking 20 EUR"}})))
    assert keys(d) == ["info.amenity"]


def test_late_checkout_offers_when_the_next_night_is_free_and_declines_when_full():
    d = step(ConversationState(), msg("late_checkout", booking_reference="ABCDEFGHI", email="ana@example.com"))
    d = step(d.state, BookingsFound((booking_view(),), ()))
    assert d.effect == CheckNight(2, D5)
    assert keys(step(d.state, NightChecked(True, _hotel()))) == ["late.offer"]
    assert keys(step(d.state, NightChecked(False, _hotel()))) == ["late.declined"]


def test_greeting_offers_the_menu_buttons():
    d = step(ConversationState(), msg("greeting", "hola", lang="en"))
    assert keys(d) == ["greeting"] and button_ids(d) == ["menu:availability", "menu:booking", "handoff"]
    assert d.state.language == "en"


def test_state_survives_a_json_round_trip_mid_booking():
    d = _to_summary()
    again = ConversationState.from_dict(d.state.to_dict())
    assert again == d.state


def test_unknown_state_version_starts_afresh():
    assert ConversationState.from_dict({"version": 999, "flow": "stay"}) == ConversationState()


def test_a_misunderstood_answer_mid_flow_repeats_the_question_not_the_menu():
    d = _offered()
    d = step(d.state, tap("room:2", "Delux Rooms"))
    d = step(d.state, msg("unknown", "Ana López"))
    d = step(d.state, msg("unknown", "ana arroba gmail"))
    assert keys(d) == ["unknown.in_flow", "ask.email"] and d.handoff is None


def test_a_misunderstood_answer_at_the_summary_repeats_the_same_confirmation_buttons():
    d = _to_summary()
    confirm = button_ids(d)[0]
    d = step(d.state, msg("unknown", "hmm"))
    assert keys(d) == ["unknown.in_flow", "confirm.reminder"] and button_ids(d)[0] == confirm
    d = step(d.state, tap(confirm, "Confirmar"))
    assert isinstance(d.effect, CreateBooking)


def test_a_party_too_big_for_one_room_is_asked_how_many_rooms_then_searched_again():
    d = step(ConversationState(), msg("availability", check_in=D3, check_out=D5, adults=5))
    d = step(d.state, StayOffers((), party_too_big=True, max_guests_per_room=4))
    assert keys(d) == ["ask.rooms_for_party"] and d.replies[0].params == {"guests": 5, "max": 4}
    d = step(d.state, msg("unknown", "3"))
    assert d.effect == SearchStay(D3, D5, 5, 0, 3)


def test_one_person_answering_how_many_guests_is_a_count_not_a_request_for_a_person():
    d = step(ConversationState(), msg("availability", check_in=D3, check_out=D5))
    d = step(d.state, msg("human_handoff", "1 persona"))
    assert d.handoff is None and d.effect == SearchStay(D3, D5, 1, 0, 1)


def test_a_room_mind_change_at_the_name_step_is_not_taken_as_the_name():
    d = _offered()
    d = step(d.state, tap("room:2", "Delux Rooms"))
    d = step(d.state, msg("unknown", "mejor la general", room_type="General Rooms"))
    assert keys(d) == ["ask.name"] and d.state.slots.guest_name is None and d.state.slots.id_room_type == 1


def test_email_without_reference_asks_for_the_reference_and_offers_a_person():
    d = step(ConversationState(), msg("cancel", "quiero cancelar", email="ana@example.com"))
    assert d.effect == FindBooking(None, None, (), by_phone=True)
    d = step(d.state, BookingsFound(()))
    assert keys(d) == ["ask.lookup_reference"] and button_ids(d) == ["handoff"]


def test_just_me_answers_how_many_guests():
    d = step(ConversationState(), msg("availability", lang="en", check_in=D3, check_out=D5))
    d = step(d.state, msg("unknown", "just me", lang="en"))
    assert d.effect == SearchStay(D3, D5, 1, 0, 1)


def test_after_a_booking_a_second_one_does_not_ask_the_name_and_email_again():
    d = _to_summary()
    d = step(d.state, tap(button_ids(d)[0], "Confirmar"))
    d = step(d.state, BookingMade(booking_view("QWERTYUIO"), "12:00"))
    d = step(d.state, msg("book", "otra para el 10 al 12", check_in=D10, check_out=D12, adults=2))
    d = step(d.state, StayOffers(OFFERS))
    d = step(d.state, tap("room:1", "General Rooms"))
    assert keys(d) == ["book.summary"] and d.replies[0].params["email"] == "ana@example.com"


def test_status_of_my_booking_after_a_change_shows_the_one_still_standing():
    old = booking_view("OLDREFAAA")
    old = type(old)(**{**old.__dict__, "cancelled": True})
    d = step(ConversationState(own_references=["OLDREFAAA", "NEWREFAAA"]), msg("booking_status", "mi reserva?"))
    d = step(d.state, BookingsFound((booking_view("NEWREFAAA"), old)))
    assert keys(d) == ["status.active"] and d.replies[0].params["reference"] == "NEWREFAAA"


# ---- the guest's own bookings, found by their WhatsApp number ---------------------------------------------------


def test_cancel_without_reference_offers_the_bookings_found_by_phone_as_a_list():
    d = step(ConversationState(), msg("cancel", "quiero cancelar mi reserva"))
    assert d.effect == FindBooking(None, None, (), by_phone=True)
    two = (booking_view("AAAAAAAAA"), booking_view("BBBBBBBBB", date(2026, 12, 10), date(2026, 12, 12)))
    d = step(d.state, BookingsFound(two))
    assert keys(d) == ["lookup.choose"]
    assert [r.id for r in d.replies[0].rows] == ["bk:AAAAAAAAA", "bk:BBBBBBBBB"]
    # Tapping one finds it without asking for the email: it was found under the guest's own number.
    d = step(d.state, tap("bk:BBBBBBBBB", "BBBBBBBBB"))
    assert d.effect == FindBooking("BBBBBBBBB", None, ("AAAAAAAAA", "BBBBBBBBB"))
    d = step(d.state, BookingsFound((two[1],)))
    assert keys(d) == ["cancel.terms"] and d.state.target["reference"] == "BBBBBBBBB"


def test_single_booking_found_by_phone_goes_straight_to_the_refund_terms():
    d = step(ConversationState(), msg("cancel", "cancel my booking", lang="en"))
    d = step(d.state, BookingsFound((booking_view(),)))
    assert keys(d) == ["cancel.terms"] and button_ids(d)[0].startswith("confirm:")


def test_phone_lookup_runs_once_per_flow_then_reference_and_email_are_needed():
    d = step(ConversationState(), msg("booking_status", "como va mi reserva"))
    d = step(d.state, BookingsFound(()))
    assert keys(d) == ["ask.lookup"]
    d = step(d.state, msg("unknown", "ana@example.com", email="ana@example.com"))
    assert d.effect is None and keys(d) == ["ask.lookup_reference"]


def test_only_past_or_cancelled_bookings_under_the_phone_ask_for_the_reference():
    old = booking_view(check_in=date(2026, 11, 1), check_out=date(2026, 11, 3))
    d = step(ConversationState(), msg("cancel", "quiero cancelar mi reserva"))
    d = step(d.state, BookingsFound((old,)))
    assert keys(d) == ["ask.lookup"] and d.state.step == "lookup"


# ---- modify keeps the original booking's party ------------------------------------------------------------------


def _party_booking(adults: int, children: int, rooms: int = 1) -> BookingView:
    return dataclasses.replace(booking_view(), adults=adults, children=children, rooms=rooms)


def test_modify_searches_and_books_the_new_dates_with_the_original_party_not_two_adults():
    d = step(
        ConversationState(),
        msg("modify", booking_reference="ABCDEFGHI", email="ana@example.com", check_in=D10, check_out=D12),
    )
    d = step(d.state, BookingsFound((_party_booking(3, 1, rooms=2),), ()))
    assert d.effect == SearchStay(D10, D12, 3, 1, 2)
    d = step(d.state, StayOffers(OFFERS))
    d = step(d.state, tap(button_ids(d)[0]))
    assert isinstance(d.effect, CreateBooking)
    assert (d.effect.adults, d.effect.children, d.effect.rooms, d.effect.id_room_type) == (3, 1, 2, 2)


def test_modify_uses_the_party_the_guest_gives_instead_of_the_original():
    d = step(ConversationState(), msg("modify", booking_reference="ABCDEFGHI", email="ana@example.com"))
    d = step(d.state, BookingsFound((_party_booking(1, 0),), ()))
    assert keys(d) == ["modify.ask_dates"]
    d = step(d.state, msg("unknown", "del 10 al 12, ahora somos 2 adultos", check_in=D10, check_out=D12, adults=2))
    assert d.effect == SearchStay(D10, D12, 2, 0, 1)


def test_modify_of_a_booking_without_occupancy_falls_back_to_two_adults_a_room():
    d = step(
        ConversationState(),
        msg("modify", booking_reference="ABCDEFGHI", email="ana@example.com", check_in=D10, check_out=D12),
    )
    d = step(d.state, BookingsFound((_party_booking(0, 0, rooms=2),), ()))
    assert d.effect == SearchStay(D10, D12, 4, 0, 2)


# ---- a name and an email with a price or availability question mean "book it" -----------------------------------

_STAY = {"check_in": D3, "check_out": D5, "nights": 2, "adults": 2}


def test_pricing_with_name_and_email_goes_to_the_booking_summary_for_the_named_room():
    who = {"guest_name": "Ana López", "email": "ana@example.com"}
    d = step(ConversationState(), msg("pricing", room_type="Delux Rooms", **_STAY, **who))
    assert d.state.slots.wants_booking and d.effect == SearchStay(D3, D5, 2, 0, 1)
    d = step(d.state, StayOffers(OFFERS))
    assert keys(d) == ["book.summary"] and button_ids(d)[0].startswith("confirm:")
    d = step(d.state, tap(button_ids(d)[0], "Confirmar"))
    assert isinstance(d.effect, CreateBooking) and (d.effect.id_room_type, d.effect.email) == (2, "ana@example.com")


def test_availability_with_name_and_email_books_the_room_the_guest_then_picks():
    who = {"guest_name": "Grace Hopper", "email": "grace@example.com"}
    d = step(ConversationState(), msg("availability", lang="en", **_STAY, **who))
    d = step(d.state, StayOffers(OFFERS))
    assert d.state.slots.wants_booking and d.state.step == "room"
    d = step(d.state, tap("room:2", "Delux Rooms"))
    assert keys(d) == ["book.summary"]  # no need to ask for the name or email again


def test_pricing_with_only_a_name_or_only_an_email_stays_a_price_question():
    for who in ({"guest_name": "Ana López"}, {"email": "ana@example.com"}):
        d = step(ConversationState(), msg("pricing", room_type="Delux Rooms", **_STAY, **who))
        d = step(d.state, StayOffers(OFFERS))
        assert not d.state.slots.wants_booking and "book.summary" not in keys(d)
