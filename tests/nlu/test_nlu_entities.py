"""Entities other than dates, per kind, in both languages."""

from __future__ import annotations

from datetime import date

import pytest

from agent.brain.nlu.room_types import ROOM_TYPES
from tests.nlu.shipped import parse

REF = date(2026, 11, 25)


def entities(text: str) -> dict:
    return parse(text, REF).entities


@pytest.mark.parametrize(
    ("text", "adults", "children"),
    [
        ("para 2 adultos y 1 niño", 2, 1),
        ("somos 4", 4, None),
        ("dos personas", 2, None),
        ("somos una pareja", 2, None),
        ("for 2 adults and 2 kids", 2, 2),
        ("we are 3", 3, None),
        ("3 people", 3, None),
        ("reserva para dos del 3 al 6", 2, None),
    ],
)
def test_party_size(text: str, adults: int | None, children: int | None) -> None:
    found = entities(text)
    assert found.get("adults") == adults
    assert found.get("children") == children


def test_counts_of_nights_rooms_and_talking_to_a_person_are_not_party_size() -> None:
    assert "adults" not in entities("para 2 noches")
    assert "adults" not in entities("quiero hablar con una persona")
    assert "adults" not in entities("2 habitaciones")


@pytest.mark.parametrize(
    ("text", "rooms"),
    [("2 habitaciones dobles", 2), ("three rooms", 3), ("dos habitaciones", 2), ("una habitación", None)],
)
def test_rooms_only_with_an_explicit_count(text: str, rooms: int | None) -> None:
    assert entities(text).get("rooms") == rooms


@pytest.mark.parametrize(
    ("text", "room_type"),
    [
        ("habitación doble", "General Rooms"),
        ("a standard room", "General Rooms"),
        ("individual", "General Rooms"),
        ("la deluxe", "Delux Rooms"),
        ("superior room", "Delux Rooms"),
        ("la ejecutiva", "Executive Rooms"),
        ("executive room", "Executive Rooms"),
        ("una suite", "Luxury Rooms"),
        ("habitación de lujo", "Luxury Rooms"),
        ("doble de lujo", "Luxury Rooms"),  # the more specific word wins
        ("luxury", "Luxury Rooms"),
    ],
)
def test_room_type_maps_guest_words_to_qloapps_names(text: str, room_type: str) -> None:
    assert entities(text)["room_type"] == room_type
    assert room_type in ROOM_TYPES


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("cancelar la reserva XKBKNABJK", "XKBKNABJK"),
        ("my booking ref is qwertyuio", "QWERTYUIO"),
        ("localizador: plmoknijb", "PLMOKNIJB"),
        ("booking ZXCVBNMAS please", "ZXCVBNMAS"),
    ],
)
def test_booking_reference_is_nine_letters_upper_cased(text: str, reference: str) -> None:
    assert entities(text)["booking_reference"] == reference


def test_shouted_words_and_other_lengths_are_not_references() -> None:
    assert "booking_reference" not in entities("HOLA QUIERO RESERVADO")
    assert "booking_reference" not in entities("ref ABCDEFGH")
    assert "booking_reference" not in entities("ref ABCDEFGHIJ")


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("mi correo es Ana.Lopez+hotel@Gmail.com", "ana.lopez+hotel@gmail.com"),
        ("email: tom@example.co.uk.", "tom@example.co.uk"),
    ],
)
def test_email(text: str, email: str) -> None:
    assert entities(text)["email"] == email


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("me llamo Lucía Fernández", "Lucía Fernández"),
        ("mi nombre es ana garcía y quiero reservar", "Ana García"),
        ("a nombre de Pedro Ruiz", "Pedro Ruiz"),
        ("Soy Marta Gil, marta@gil.es", "Marta Gil"),
        ("my name is John Smith", "John Smith"),
        ("under the name Oliver Brown please", "Oliver Brown"),
        ("Hi, I'm Sarah", "Sarah"),
    ],
)
def test_guest_name(text: str, name: str) -> None:
    assert entities(text)["guest_name"] == name


@pytest.mark.parametrize(
    "text",
    [
        "soy alérgico al gluten",
        "I'm looking for a room",
        "I'm sick",
        "mi hermano se llama Pablo",
        "factura a nombre de empresa",
    ],
)
def test_phrases_that_are_not_names(text: str) -> None:
    assert "guest_name" not in entities(text)


@pytest.mark.parametrize(
    ("text", "amenity"),
    [
        ("tenéis wifi?", "wifi"),
        ("wi-fi password", "wifi"),
        ("desayuno incluido?", "breakfast"),
        ("breakfast hours", "breakfast"),
        ("hay aparcamiento", "parking"),
        ("do you have parking", "parking"),
        ("piscina", "pool"),
        ("swimming pool", "pool"),
        ("gimnasio", "gym"),
        ("fitness center", "gym"),
        ("spa o sauna", "spa"),
        ("se admiten perros?", "pets"),
        ("can I bring my dog", "pets"),
        ("hay restaurante", "restaurant"),
        ("restaurant for dinner", "restaurant"),
        ("transfer desde el aeropuerto", "airport_shuttle"),
        ("airport shuttle", "airport_shuttle"),
        ("servicio de lavandería", "laundry"),
        ("laundry service", "laundry"),
    ],
)
def test_amenity(text: str, amenity: str) -> None:
    assert entities(text)["amenity"] == amenity


def test_typo_correction_leaves_names_alone() -> None:
    found = parse("Quiero la habitación ejecutiva, a nombre de Pedro Ruiz", REF).entities
    assert found.get("guest_name") == "Pedro Ruiz"
    assert "amenity" not in found  # "Pedro" is not "perro"


def test_only_found_entities_are_returned() -> None:
    assert parse("hola", REF).entities == {}
