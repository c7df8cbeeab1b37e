"""Intent rules, per intent, in both languages, with typos, missing accents, emojis and borderline cases."""

from __future__ import annotations

from datetime import date

import pytest

from agent.brain.nlu import INTENTS
from tests.nlu.shipped import parse

REF = date(2026, 11, 25)

CASES: dict[str, list[str]] = {
    "greeting": ["Hola!", "buenas tardes", "Good morning", "hey 👋"],
    "availability": [
        "¿Tenéis habitaciones libres el sábado?",
        "hay disponibilidad para mañana",
        "Do you have any rooms available next weekend?",
        "is there a room free on the 3rd",
    ],
    "pricing": ["¿Cuánto cuesta la noche?", "precio de la suite", "How much is a double room?", "what are your rates"],
    "book": ["Quiero reservar una habitación", "kiero reserbar pa mañana", "I'd like to book a room", "book it please"],
    "cancel": ["quiero cancelar mi reserva", "anulad la reserva", "Please cancel my booking", "cancel reservation"],
    "modify": [
        "quiero cambiar las fechas",
        "¿puedo añadir una noche más?",
        "Can I change my booking?",
        "extend my stay",
    ],
    "booking_status": [
        "¿Está confirmada mi reserva?",
        "estado de mi reserva",
        "Is my booking confirmed?",
        "what's the status of my reservation",
    ],
    "check_in_out_times": ["¿A qué hora es el check-in?", "hora de salida", "What time is check out?", "checkin time?"],
    "late_checkout": [
        "¿Puedo hacer late checkout?",
        "podemos salir más tarde?",
        "Can I check out later?",
        "could we keep the room until 2pm",
    ],
    "amenities": ["¿Tenéis wifi?", "hay parking", "Is breakfast included?", "do you allow pets"],
    "location": ["¿Dónde estáis?", "dirección del hotel", "What's the address?", "how do I get to the hotel"],
    "human_handoff": ["quiero hablar con una persona", "pásame con recepción", "Can I talk to a human?", "agent"],
    "complaint": ["La habitación está sucia 😡", "no funciona el aire", "The shower is broken", "very disappointed"],
    "thanks": ["gracias", "muchas gracias!!", "thanks a lot", "thx"],
    "goodbye": ["adiós", "hasta luego", "bye!", "see you soon"],
    "unknown": ["asdfgh", "ok", "3", "can you tell me a joke"],
}


def test_every_contract_intent_has_cases() -> None:
    assert set(CASES) == set(INTENTS)


@pytest.mark.parametrize(("intent", "text"), [(intent, text) for intent, texts in CASES.items() for text in texts])
def test_message_gets_its_intent(intent: str, text: str) -> None:
    assert parse(text, REF).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Hola, quiero cancelar", "cancel"),  # a greeting never hides the request
        ("gracias, adiós", "goodbye"),  # farewell wins over thanks
        ("tengo una queja y quiero hablar con el director", "complaint"),  # complaint over handoff
        ("el precio incluye el desayuno?", "amenities"),
        ("tenéis parking? y cuánto cuesta?", "amenities"),
        ("cuánto cuesta la noche con desayuno?", "pricing"),
        ("a qué hora es el desayuno", "amenities"),
        ("the wifi is not working", "complaint"),
        ("I booked for Friday but I need to change it to Saturday", "modify"),
        ("si cancelo me devolvéis el dinero? quiero cancelar", "cancel"),
        ("hay habitación y cuánto cuesta?", "pricing"),
        ("rooms for next friday?", "availability"),
        ("me recomiendas un restaurante por la zona?", "unknown"),
        ("Is there a kettle in the room?", "amenities"),  # an in-room feature, not a free room
        ("el aire acondicionado no enfría", "complaint"),
        ("My flight lands at 11pm, is the reception open 24h?", "check_in_out_times"),  # not a handoff
        ("pásame con recepción", "human_handoff"),
        ("confirmo la reserva", "book"),  # answering our summary
        ("can you confirm my reservation?", "booking_status"),
    ],
)
def test_borderline_messages_pick_the_intended_request(text: str, intent: str) -> None:
    assert parse(text, REF).intent == intent


def test_a_bare_stay_is_a_stay_request_either_way() -> None:
    # "habitación para el lunes, 2 noches" orders or asks; the dialogue searches the stay for both.
    assert parse("habitación para el lunes 2 noches", REF).intent in {"book", "availability"}


def test_confidence_is_a_probability_and_lower_for_ambiguous_messages() -> None:
    clear = parse("quiero cancelar mi reserva", REF)
    mixed = parse("hay habitación y cuánto cuesta?", REF)
    assert 0.0 <= mixed.confidence < clear.confidence <= 1.0


def test_shouting_and_missing_accents_do_not_change_the_intent() -> None:
    assert parse("HOLA QUIERO CANCELAR", REF).intent == "cancel"
    assert parse("donde estais", REF).intent == parse("¿Dónde estáis?", REF).intent == "location"
