"""Small pure readers for answers the NLU leaves to context: "2", "yes", a bare name, a room picked by name."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_REFERENCE = re.compile(r"\b([A-Za-z]{9})\b")
_NUMBER_WORDS = {
    "un": 1, "una": 1, "uno": 1, "one": 1, "dos": 2, "two": 2, "tres": 3, "three": 3, "cuatro": 4, "four": 4,
    "cinco": 5, "five": 5, "seis": 6, "six": 6,
}  # fmt: skip
_YES = {
    "si", "sí", "yes", "yep", "yeah", "ok", "okay", "vale", "confirmo", "confirmar", "confirm", "claro", "sure",
    "adelante", "perfecto", "de acuerdo", "correcto", "go ahead", "please do", "dale",
}  # fmt: skip
_NO = {"no", "nope", "mejor no", "no gracias", "no thanks", "dejalo", "leave it", "nah"}
_ORDINALS = {
    "1": 0, "primera": 0, "primero": 0, "first": 0, "la 1": 0,
    "2": 1, "segunda": 1, "segundo": 1, "second": 1,
    "3": 2, "tercera": 2, "tercero": 2, "third": 2,
}  # fmt: skip
_NAME_LEADS = re.compile(
    r"^(me llamo|mi nombre es|soy|a nombre de|my name is|i am|i'm|name is|name:|nombre:|it's|es)\s+", re.I
)


def fold(text: str) -> str:
    """Lowercase without accents or surrounding punctuation, for matching short answers."""
    nfkd = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in nfkd if not unicodedata.combining(ch))
    return re.sub(r"[^\w@.\s-]", " ", plain).strip()


def is_yes(text: str) -> bool:
    t = re.sub(r"\s+", " ", fold(text)).strip(" .")
    return t in _YES or any(t.startswith(y + " ") for y in ("si", "yes", "ok", "vale", "confirmo", "confirm"))


def is_no(text: str) -> bool:
    t = re.sub(r"\s+", " ", fold(text)).strip(" .")
    return t in _NO or t.startswith("no ")


_PHRASE_COUNTS = {
    "solo yo": 1, "yo solo": 1, "yo sola": 1, "sola": 1, "solo": 1, "just me": 1, "only me": 1, "me alone": 1,
    "just myself": 1, "myself": 1, "mi pareja y yo": 2, "mi mujer y yo": 2, "mi marido y yo": 2, "mi novia y yo": 2,
    "mi novio y yo": 2, "nosotros dos": 2, "los dos": 2, "las dos": 2, "my wife and i": 2, "my husband and i": 2,
    "my partner and i": 2, "me and my wife": 2, "me and my husband": 2, "me and my partner": 2, "the two of us": 2,
    "two of us": 2, "a couple": 2, "una pareja": 2,
}  # fmt: skip


def bare_count(text: str) -> int | None:
    """A guest count typed alone ("2", "dos", "2 personas", "we are 3", "just me", "mi pareja y yo")."""
    t = fold(text)
    phrase = re.sub(r"\s+", " ", t).strip(" .!")
    if phrase in _PHRASE_COUNTS:
        return _PHRASE_COUNTS[phrase]
    m = re.fullmatch(
        r"(?:somos|we are|we re|para|for)?\s*(\d{1,2}|\w+)\s*"
        r"(?:personas?|people|persons?|adultos?|adults?|guests?|huespedes|huesped|habitacion(?:es)?|rooms?)?",
        t,
    )
    if not m:
        return None
    word = m.group(1)
    if word.isdigit():
        n = int(word)
        return n if 1 <= n <= 12 else None
    return _NUMBER_WORDS.get(word)


def find_email(text: str) -> str | None:
    m = _EMAIL.search(text)
    return m.group(0).lower() if m else None


def find_reference(text: str) -> str | None:
    """A QloApps order reference (nine letters) in an answer to "what is your reference?"."""
    m = _REFERENCE.search(text)
    return m.group(1).upper() if m else None


def bare_name(text: str) -> str | None:
    """A name typed as the answer to "what name?" ("Ana López", "me llamo Ana López")."""
    t = _NAME_LEADS.sub("", text.strip()).strip(" .,!")
    if _EMAIL.search(t) or any(ch.isdigit() for ch in t):
        return None
    words = [w for w in re.split(r"\s+", t) if w]
    if not 1 <= len(words) <= 5 or any(len(w) > 30 for w in words):
        return None
    if not all(re.fullmatch(r"[^\W\d_][\w'’.-]*", w) for w in words):
        return None
    return " ".join(w[:1].upper() + w[1:] for w in words)


def split_name(full: str) -> tuple[str, str]:
    """First name and last name for QloApps (both required; a single word serves as both)."""
    parts = full.split()
    if len(parts) == 1:
        return parts[0], parts[0]
    return parts[0], " ".join(parts[1:])


def pick_offer(text: str, offers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The offer the guest named or numbered ("la deluxe", "the second one", "2")."""
    t = fold(text)
    for offer in offers:
        name = fold(offer["name"])
        stem = name.split()[0] if name else ""
        if t == name or (stem and re.search(rf"\b{re.escape(stem)}", t)):
            return offer
    idx = _ORDINALS.get(t.replace("the ", "").replace("la ", "").replace(" one", "").strip())
    if idx is not None and idx < len(offers):
        return offers[idx]
    return None


def offer_by_room_type(room_type: str | None, offers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The offer whose name matches the NLU's canonical room type name."""
    if not room_type:
        return None
    return next((o for o in offers if fold(o["name"]) == fold(room_type)), None) or pick_offer(room_type, offers)
