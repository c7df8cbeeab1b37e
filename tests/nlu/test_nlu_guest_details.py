"""A guest's own name and email are data, never words the intent, date or language rules read.

Load-test bookings ("Please book the deluxe room ... my name is Kate Price, email kateprice.1@example.com") were
classified as pricing because of the surname, and the guest got the availability list instead of the summary.
"""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.nlu.shipped import parse

REF = date(2026, 11, 25)

# Surnames and first names that are also words the intent rules weigh (pricing, availability, location...).
LOADED_NAMES = ("Kate Price", "Tom Rate", "Ann Free", "Lucy Street", "Mary Cost", "Jack Booking", "June Cheap")


@pytest.mark.parametrize("name", LOADED_NAMES)
def test_english_booking_with_a_surname_that_is_an_intent_word_is_still_a_booking(name: str) -> None:
    email = name.lower().replace(" ", "") + ".12@example.com"
    text = f"Please book the deluxe room from Jan 22 to Jan 24 for 2 adults, my name is {name}, email {email}"
    result = parse(text, REF)
    assert result.intent == "book"
    assert result.entities["guest_name"] == name
    assert result.entities["email"] == email
    assert (result.entities["check_in"], result.entities["check_out"]) == ("2027-01-22", "2027-01-24")
    assert result.language == "en"


@pytest.mark.parametrize("name", ("Luis Cuesta", "Ana Calle", "Pedro Precio", "Eva Libre"))
def test_spanish_booking_with_a_surname_that_is_an_intent_word_is_still_a_booking(name: str) -> None:
    text = (
        f"Quiero reservar la habitación deluxe del 9 al 11 de diciembre para 2 adultos, a nombre de {name}, "
        "cliente.7@example.com"
    )
    result = parse(text, REF)
    assert result.intent == "book"
    assert result.entities["guest_name"] == name


def test_an_email_whose_local_part_is_an_intent_word_does_not_change_the_intent() -> None:
    text = "Please book the deluxe room from Jan 22 to Jan 24 for 2 adults, email price.cost@example.com"
    result = parse(text, REF)
    assert result.intent == "book"
    assert result.entities["email"] == "price.cost@example.com"


def test_an_english_name_with_spanish_accents_keeps_the_message_english() -> None:
    text = "Please book the deluxe room from Jan 22 to Jan 24 for 2 adults, my name is José Núñez, email j@example.com"
    assert parse(text, REF).language == "en"


def test_the_intent_words_still_count_when_no_name_is_stated() -> None:
    # Masking names must not hide the guest's question itself.
    assert parse("What is the price of the deluxe room from Jan 22 to Jan 24?", REF).intent == "pricing"
    assert parse("This is Terrible, the room is dirty", REF).intent == "complaint"


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("María Del Carmen Blazquez", "María Del Carmen Blazquez"),
        ("José de la Fuente", "José de la Fuente"),
        ("María de los Ángeles Ruiz", "María de los Ángeles Ruiz"),
    ],
)
def test_compound_spanish_names_keep_their_particles(name: str, written: str) -> None:
    text = f"Quiero reservar la habitación general del 7 al 10 de febrero para 2 adultos, a nombre de {name}, a@b.com"
    assert parse(text, REF).entities["guest_name"] == written


def test_a_particle_before_a_date_ends_the_name() -> None:
    found = parse("Reserva a nombre de Ana López del 3 al 5 de mayo", REF).entities
    assert found["guest_name"] == "Ana López"
    assert (found["check_in"], found["check_out"]) == ("2027-05-03", "2027-05-05")


# Words the intent and date rules weigh, as a name might carry them, mixed with made-up names.
_RULE_WORDS = (
    "Price", "Rate", "Cost", "Cheap", "Free", "Street", "Cancel", "Change", "Status", "Agent", "Call", "Dirty",
    "Terrible", "Bye", "Hello", "Vacancy", "Available", "May", "June", "April", "Friday", "Tomorrow", "Cuesta",
)  # fmt: skip
_WORD = st.one_of(
    st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=9).map(str.capitalize), st.sampled_from(_RULE_WORDS)
)


@settings(max_examples=300, deadline=None)
@given(first=_WORD, last=_WORD)
def test_any_stated_name_leaves_the_booking_intent_and_dates_alone(first: str, last: str) -> None:
    name = f"{first} {last}"
    text = f"Please book the deluxe room from Mar 3 to Mar 5 for 2 adults, my name is {name}, email x.1@example.com"
    result = parse(text, REF)
    assert result.intent == "book"
    assert (result.entities.get("check_in"), result.entities.get("check_out")) == ("2027-03-03", "2027-03-05")
