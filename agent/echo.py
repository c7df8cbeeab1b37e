"""The minimal bilingual brain: a menu and an echo, enough to prove the message path end to end."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from agent.outbound import Buttons, Location, ReplyButton, Text
from agent.responder import Turn, TurnResult

_ENGLISH = re.compile(r"\b(hi|hello|hey|good (morning|evening|afternoon)|thanks|thank you|please|room|book)\b", re.I)
_SPANISH = re.compile(r"\b(hola|buenas|buenos|gracias|por favor|habitaci[oó]n|reserva|quiero)\b|[ñ¿¡áéíóú]", re.I)
_GREETING = re.compile(r"^\s*(hi|hello|hey|hola|buenas|buenos d[ií]as|menu|men[uú])\b", re.I)
_HUMAN = re.compile(r"\b(human|person|agent|staff|humano|persona|recepcionista)\b", re.I)

TEXTS = {
    "es": {
        "menu": "¡Hola{name}! Soy el recepcionista virtual. ¿En qué puedo ayudarte?",
        "echo": "Has escrito: {text}",
        "where": "Aquí estamos.",
        "handoff": "Te paso con una persona del equipo. Te responderá enseguida.",
        "media": "He recibido tu {kind}, gracias. De momento solo entiendo texto.",
        "unsupported": "Lo siento, no puedo leer ese tipo de mensaje. ¿Puedes escribirlo?",
        "b.book": "Reservar",
        "b.where": "Ubicación",
        "b.human": "Hablar con alguien",
    },
    "en": {
        "menu": "Hello{name}! I am the virtual receptionist. How can I help?",
        "echo": "You wrote: {text}",
        "where": "Here we are.",
        "handoff": "I am passing you to a member of staff. They will answer shortly.",
        "media": "I received your {kind}, thanks. For now I only understand text.",
        "unsupported": "Sorry, I cannot read that kind of message. Could you type it?",
        "b.book": "Book a room",
        "b.where": "Location",
        "b.human": "Talk to a person",
    },
}
HOTEL_LOCATION = (40.4168, -3.7038, "Hotel", "Puerta del Sol, Madrid")


def detect_language(text: str, previous: str) -> str:
    """Spanish or English from a few cue words; keeps the previous language when unsure."""
    en, es = bool(_ENGLISH.search(text)), bool(_SPANISH.search(text))
    if en and not es:
        return "en"
    if es and not en:
        return "es"
    return previous if previous in TEXTS else "es"


class EchoResponder:
    """Answers a greeting with a three-button menu, echoes other text, answers the buttons, hands off on request."""

    def __init__(self, delay_ms: int = 0) -> None:
        # A diagnostic pause per turn, so tests can kill a worker mid-message.
        self._delay_s = delay_ms / 1000

    async def respond(self, turn: Turn) -> TurnResult:
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        msg = turn.message
        lang = detect_language(msg.text, turn.language) if msg.type == "text" else turn.language
        t = TEXTS[lang]
        state: dict[str, Any] = dict(turn.state)
        state["turns"] = int(state.get("turns", 0)) + 1
        name = f" {turn.guest.profile_name}" if turn.guest.profile_name else ""
        menu = Buttons(
            t["menu"].format(name=name),
            (
                ReplyButton("menu.book", t["b.book"]),
                ReplyButton("menu.where", t["b.where"]),
                ReplyButton("menu.human", t["b.human"]),
            ),
        )
        if msg.type in ("button_reply", "list_reply", "button"):
            if msg.reply_id == "menu.where":
                lat, lon, label, address = HOTEL_LOCATION
                return TurnResult([Text(t["where"]), Location(lat, lon, label, address)], state, lang)
            if msg.reply_id == "menu.human":
                return TurnResult([Text(t["handoff"])], state, lang, handoff=True, handoff_reason="guest asked")
            return TurnResult([Text(t["echo"].format(text=msg.reply_title or msg.reply_id))], state, lang)
        if msg.type == "text":
            if _HUMAN.search(msg.text):
                return TurnResult([Text(t["handoff"])], state, lang, handoff=True, handoff_reason="guest asked")
            if _GREETING.search(msg.text):
                return TurnResult([menu], state, lang)
            return TurnResult([Text(t["echo"].format(text=msg.text))], state, lang)
        if msg.type == "reaction":
            return TurnResult([], state, lang)
        if msg.media_kind:
            return TurnResult([Text(t["media"].format(kind=msg.media_kind))], state, lang)
        if msg.type == "location":
            return TurnResult([Text(t["echo"].format(text=msg.text or "📍"))], state, lang)
        return TurnResult([Text(t["unsupported"])], state, lang)
