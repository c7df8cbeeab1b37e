"""The failure causes issue 14 lists, one case each (paraphrased; the independent sets stay independent)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.nlu.shipped import parse

REF = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("tenés pileta?", "amenities"),  # regional vocabulary
        ("hay cochera para la camioneta?", "amenities"),
        ("tienen parqueadero?", "amenities"),
        ("la alberca es techada?", "amenities"),
        ("quiero apartar un cuarto", "book"),
        ("che, anulame la reserva", "cancel"),
        ("is possible to have room this weekend?", "availability"),
        ("hola, quiero pasar mi reserva al 20", "modify"),  # a greeting wrapped around the request
        ("¿tienen doble del 15 al 19? Muchas gracias", "availability"),  # so is a thanks
        ("mejor no la cancelo, la dejo", "booking_status"),  # negation: the guest keeps the booking
        ("no, don't cancel it, I'll keep my booking", "booking_status"),
        ("the bathroom is flooding!!", "complaint"),  # complaints without a complaint word
        ("me han cobrado dos veces la reserva", "complaint"),
        ("los vecinos no nos dejan dormir", "complaint"),
        ("the wifi is down", "complaint"),
        ("¿nos podemos ir a las 13h?", "late_checkout"),  # late checkout asked as an hour
        ("can we stay longer?", "modify"),  # a stay extension
        ("qwertyuiop", "unknown"),
    ],
)
def test_guest_phrasings_get_their_intent(text: str, intent: str) -> None:
    assert parse(text, REF).intent == intent


@pytest.mark.parametrize(
    ("text", "party"),
    [
        ("hola, seríamos dos, tenéis algo?", {"adults": 2}),
        ("only me, single person", {"adults": 1}),
        ("two adults and our 5-year-old", {"adults": 2, "children": 1}),
        ("vamos mi esposa y yo", {"adults": 2}),
        ("con mi marido y mi nena de 3", {"adults": 2, "children": 1}),
        ("there's 5 of us", {"adults": 5}),
        ("can we push checkout back a couple of hours?", {}),  # "a couple of" is no couple
    ],
)
def test_party_sizes_in_words(text: str, party: dict[str, int]) -> None:
    ents = parse(text, REF).entities
    assert {k: ents[k] for k in ("adults", "children") if k in ents} == party


def test_capitalised_words_are_not_booking_references_but_announced_ones_are() -> None:
    assert "booking_reference" not in parse("Hola, soy de BARCELONA y quiero reservar", REF).entities
    assert parse("mi reserva es QWERTYUIO", REF).entities["booking_reference"] == "QWERTYUIO"
    assert parse("cancel PQOWIEURY", REF).entities["booking_reference"] == "PQOWIEURY"


@pytest.mark.parametrize(
    ("text", "stay"),
    [
        ("en vez del 15 al 17 sería del 16 al 18", ("2026-12-16", "2026-12-18")),  # corrections keep the newest
        ("perdón me equivoqué, del 5 al 7, no del 4 al 6", ("2026-12-05", "2026-12-07")),
        ("tengo reserva del 4 al 6 pero la quiero mover al 11-13", ("2026-12-11", "2026-12-13")),
        ("hay cuarto el sábado 5? una noche", ("2026-12-05", "2026-12-06")),  # the day number over the weekday
        ("anything monday 14th to wednesday 16th?", ("2026-12-14", "2026-12-16")),
        ("para el 18 y 19 de diciembre, nos iríamos el 20", ("2026-12-18", "2026-12-20")),  # departure after nights
        ("llegamos el lunes y nos vamos el miércoles", ("2026-11-30", "2026-12-02")),  # the departure after arrival
        ("Is possible double room 4.12 - 6.12?", ("2026-12-04", "2026-12-06")),  # dotted dates are day first
        ("yo any rooms 18-20?", ("2026-12-18", "2026-12-20")),
        ("room for the weekend of the 11th?", ("2026-12-11", "2026-12-13")),
    ],
)
def test_stay_dates_as_guests_write_them(text: str, stay: tuple[str, str]) -> None:
    ents = parse(text, REF).entities
    assert (ents.get("check_in"), ents.get("check_out")) == stay


def test_extra_nights_and_shifts_are_not_a_stay_length() -> None:
    assert "nights" not in parse("podemos añadir una noche más?", REF).entities
    assert "nights" not in parse("quiero retrasar mi reserva una semana", REF).entities
    assert "check_in" not in parse("se puede pasar la reserva a otro finde?", REF).entities


def test_a_farewell_or_a_complaint_carries_no_stay() -> None:
    assert "check_in" not in parse("nos vemos el viernes!", REF).entities
    assert "check_in" not in parse("el desayuno de hoy era una vergüenza, todo frío", REF).entities


def test_a_message_with_two_questions_reports_the_second() -> None:
    result = parse("tenéis habitación del 12 al 14? y otra cosa, se admiten perros?", REF)
    assert result.intent == "availability" and result.also == ("amenities:pets",)
    assert parse("what time is check in? and where are you?", REF).also == ("location",)
    assert parse("tenéis piscina? y gimnasio?", REF).also == ("amenities:gym",)
    assert parse("tenéis piscina?", REF).also == ()
    assert "also" not in parse("tenéis piscina? y gimnasio?", REF).as_dict()  # the HTTP contract is unchanged
