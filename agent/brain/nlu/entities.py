"""Non-date entities: party size, rooms, room type, booking reference, email, guest name, amenity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agent.brain.nlu.dates import number_value
from agent.brain.nlu.folding import fold
from agent.brain.nlu.lexicon import ARTICLE_ONE, NUMBER_WORDS
from agent.brain.nlu.room_types import find_room_type
from agent.brain.nlu.wordrules import compile_rule, word_runs

_NUM = rf"(?:\d{{1,2}}|{'|'.join(sorted([*NUMBER_WORDS, *ARTICLE_ONE], key=len, reverse=True))})"
ADULT_WORDS = r"(?:adultos?|adults?|personas?|people|persons?|guests?|huespedes|mayores)"
CHILD_WORDS = (
    r"(?:ninos?|ninas?|nenes?|nenas?|bebes?|babies|baby|kids?|children|childs?|child|menores|hijos?|hijas?|infants?|"
    r"crios|gurises|muchachitos|cabros chicos|chamacos|pibes|guaguas)"
)
_COUNT = rf"(?:\d{{1,2}}|{'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))})"
# "una persona" is who the guest wants to talk to, not a party size: articles do not count as one here.
_ADULTS = re.compile(rf"\b(?P<n>{_COUNT})\s(?:{ADULT_WORDS})\b")
_ADULTS_PHRASE = compile_rule(
    rf"\b(?:somos|somo|seremos|seriamos|vamos|vamo|vamos a ser|we are|we're|we will be|we'll be|we are in|"
    rf"party of|table for|grupo de|group of|para|pa|for)\s(?P<n>\d{{1,2}}|"
    rf"{'|'.join(NUMBER_WORDS)})\b(?!\s?(?:noches?|nights?|habitacion(?:es)?|rooms?|cuartos?|piezas?|dias?|days?|"
    r"semanas?|weeks?|de\s|of\s|/|-|:|h\b|am\b|pm\b|ninos?|ninas?|kids?|children|child|bebes?|\d|"
    r"(?:to|al|a|y|and|till|until)\s\d|(?:st|nd|rd|th)\b|"
    r"(?:ene|jan|feb|mar|abr|apr|may|jun|jul|ago|aug|sep|oct|nov|dic|dec)[a-z]*\b))"
)
_PARTNER = r"(?:esposa|esposo|mujer|marido|pareja|novio|novia|senora|jevo|jeva|pololo|polola)"
_COUPLE = compile_rule(
    rf"\b(?:pareja|couple(?! of)|mi {_PARTNER},? y yo|mi {_PARTNER},? yo|(?:yo|mi) y mi {_PARTNER}|"
    rf"con mi {_PARTNER}|(?:me and|with) my (?:wife|husband|partner|boyfriend|girlfriend)|"
    r"my (?:wife|husband|partner|boyfriend|girlfriend) and i)\b"
)
# "only me", "solo para mí", "voy sola": one adult ("una persona" alone stays ambiguous: talk to a person).
_ALONE = compile_rule(
    r"\b(?:only me|just me|single person|i am alone|for me alone|solo (?:para |pa )?(?:mi|yo)|(?:para|pa) mi solo|"
    r"(?:nomas|no mas) (?:para |pa )?mi|"
    r"(?:voy|ire|estoy|soy) (?:yo )?sol[oa]|yo sol[oa]|(?:para|pa|for) (?:una|one|1) (?:persona|person))\b"
)
# "our 5-year-old", "mi hija de 7 años", "con el bebé": one child without a count.
_ONE_CHILD = compile_rule(
    r"\b(?:(?:y|and|con|with|\+)\s(?:mi|my|el|la|un|una|a)|nuestr[oa]|our)\s(?:\d{1,2}[\s-]year[\s-]old|hij[oa]|"
    r"nen[ea]s?|beb[ea]s?|baby|guagua|son|daughter|kid|child|nino|nina)\b"
)
_THERE_ARE = re.compile(
    rf"\b(?:there'?s|there'?d be|there will be|there'?ll be)\s(?P<n>{_COUNT})\sof us\b|"
    rf"\b(?P<m>{_COUNT}) of us\b"
)
_CHILDREN = re.compile(rf"\b(?P<n>{_NUM})\s(?:{CHILD_WORDS})\b")
_ROOMS = re.compile(rf"\b(?P<n>\d{{1,2}}|{'|'.join(NUMBER_WORDS)})\s(?:habitacion(?:es)?|rooms?|cuartos?)\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_WORDLIKE_VOWELS = 4
_REFERENCE_UPPER = re.compile(r"(?<![A-Za-z0-9])[A-Z]{9}(?![A-Za-z0-9])")
_REFERENCE_AFTER_KEYWORD = compile_rule(
    r"\b(?:ref|reference|referencia|localizador|codigo|code|booking|reservation|reserva|order|pedido|number|numero|"
    r"cancel|cancelar|cancela|anular|anula|change|cambiar)"
    r"\.?:?\s(?:is\s|es\s|no\.?\s|n\s|#)?(?P<ref>[a-z]{9})\b"
)

_NAME_WORD = r"[A-Za-zÀ-ÖØ-öø-ÿ'][A-Za-zÀ-ÖØ-öø-ÿ'\-]*"
_NAME_OR_STOP = re.compile(rf"{_NAME_WORD}|[,.;:!?¿¡()]")
_NAME_WORD_RE = re.compile(_NAME_WORD)
_NAME_STOP = {
    "y",
    "and",
    "mi",
    "my",
    "con",
    "with",
    "email",
    "correo",
    "e-mail",
    "mail",
    "por",
    "para",
    "from",
    "de",
    "del",
    "la",
    "el",
    "the",
    "for",
    "quiero",
    "i",
    "we",
    "please",
    "porfavor",
    "gracias",
    "thanks",
    "here",
    "aqui",
    "tengo",
    "have",
    "necesito",
    "room",
}
_NAME_CUES_ANY_CASE = re.compile(
    r"(?:\bme llamo|\bmi nombre es|\bnombre:|\ba nombre de|\bmy name is|\bname is|\bname:|\bunder the name(?: of)?"
    r"|\bin the name of|\bnombre es)\s+",
    re.IGNORECASE,
)
_NAME_CUES_CAPITALISED = re.compile(r"(?i:\bsoy|\bI'm|\bI am|\bIm|\bthis is|\baqui|\baquí)\s+(?=[A-ZÀ-Ö])")
_NOT_NAMES = {
    "empresa",
    "company",
    "mi",
    "my",
    "sick",
    "interested",
    "looking",
    "here",
    "going",
    "not",
    "so",
    "very",
    "alergico",
    "alérgica",
    "alérgico",
    "vegetariano",
    "cliente",
    "huesped",
    "huésped",
    "the",
    "a",
    "un",
    "una",
    "from",
    "de",
    "staying",
    "checking",
    "coming",
    "arriving",
    "traveling",
    "travelling",
    "sorry",
    "happy",
    "trying",
    "writing",
}

AMENITY_WORDS: tuple[tuple[str, str], ...] = (
    (
        "airport_shuttle",
        r"shuttle|transfer|traslado|lanzadera|pick ?ups?|recogida|airport transfer|transporte al aeropuerto",
    ),
    ("wifi", r"wifi|internet|wlan|wireless"),
    ("breakfast", r"desayunos?|desayunar|breakfast|buffet"),
    # Regional words: cochera (AR/UY/PE), parqueadero (CO), parqueo/parquin (Caribbean), estacionamiento (MX/CL).
    (
        "parking",
        r"parking|aparcamiento|aparcar|garaje|garage|park the car|parkin|parquin|estacionamiento|car park|"
        r"cochera|parqueadero|parqueo|valet",
    ),
    # alberca (MX), pileta (AR/UY), pisci (ES).
    ("pool", r"piscinas?|pool|swimming|swim|nadar|alberca|pileta|pisci"),
    ("gym", r"gimnasio|gym|fitness|gimnasia"),
    ("spa", r"spa|sauna|jacuzzi|masajes?|massages?|wellness|hammam|turco|hot tub|hidromasaje"),
    ("pets", r"mascotas?|perros?|perrito|gatos?|pets?|dogs?|cats?|animales|animals|pet friendly"),
    ("restaurant", r"restaurantes?|restaurant|cenar|cena|dinner|almorzar|lunch|comer"),
    ("laundry", r"lavanderia|lavadero|laundry|lavar (?:la )?ropa|tintoreria|planchar|ironing|dry cleaning|lavadora"),
)
_AMENITY_RULES = tuple((name, compile_rule(rf"\b(?:{words})\b")) for name, words in AMENITY_WORDS)
# Restaurants nearby are a recommendation, not a hotel amenity.
_OUTSIDE = compile_rule(
    r"\b(?:recomiendas?|recomendais|recomienda|recommend|por la zona|nearby|cerca de aqui|around here)\b"
)


def _count(match: re.Match[str] | None) -> int | None:
    if match is None:
        return None
    value = number_value(match.group("n"))
    return value if value is not None and 0 < value <= 50 else None


@lru_cache(maxsize=64)  # the entities and the parser's second-question check both ask, for the same message
def find_amenities(normalized_text: str) -> tuple[str, ...]:
    """Every amenity the message names, in order of appearance."""
    if _OUTSIDE.search(normalized_text):
        return ()
    runs = word_runs(normalized_text)
    found = [
        (m.start(), name)
        for name, rule in _AMENITY_RULES
        if rule.possible(runs) and (m := rule.regex.search(normalized_text))
    ]
    return tuple(name for _, name in sorted(found))


def find_amenity(normalized_text: str) -> str | None:
    """The first amenity the message names, in order of appearance."""
    named = find_amenities(normalized_text)
    return named[0] if named else None


# Lowercase or capitalised particles inside a compound name ("María Del Carmen", "José de la Fuente").
_PARTICLES = {"de", "del", "la", "las", "los"}


def _is_stop(word: str) -> bool:
    return fold(word) in _NAME_STOP or word.lower() in _NAME_STOP or "@" in word or any(ch.isdigit() for ch in word)


def _name_length(words: list[str]) -> int:
    """How many of `words` make the name: up to three name words, with particles only between name words."""
    taken = names = 0
    for index, word in enumerate(words):
        # The first word after a run of particles ("de la Fuente") decides whether they belong to the name.
        after = next((w for w in words[index + 1 :] if fold(w) not in _PARTICLES), "")
        if names and fold(word) in _PARTICLES and after[:1].isupper() and not _is_stop(after):
            taken += 1
            continue
        if _is_stop(word):
            break
        taken += 1
        names += 1
        if names == 3:
            break
    while taken and fold(words[taken - 1]) in _PARTICLES:
        taken -= 1
    if not taken or fold(words[0]) in _NOT_NAMES or words[0].lower() in _NOT_NAMES:
        return 0
    return taken


def _written_name(words: list[str]) -> str:
    return " ".join(w if fold(w) in _PARTICLES else w[:1].upper() + w[1:] for w in words)


@dataclass(frozen=True)
class StatedName:
    """A name the guest stated, where it sits in the raw text, and whether a cue said plainly it is a name."""

    name: str
    start: int
    end: int
    explicit: bool


@lru_cache(maxsize=64)  # masking and extraction both ask, for the same message
def find_stated_name(raw_text: str) -> StatedName | None:
    """The guest's name when they state it ("me llamo…", "a nombre de…", "my name is…", "soy Marta…")."""
    for cue_pattern, need_capital in ((_NAME_CUES_ANY_CASE, False), (_NAME_CUES_CAPITALISED, True)):
        for cue in cue_pattern.finditer(raw_text):
            found: list[re.Match[str]] = []
            for word in _NAME_OR_STOP.finditer(raw_text, cue.end()):
                if not _NAME_WORD_RE.fullmatch(word.group()):
                    break
                if need_capital and not word.group()[:1].isupper():
                    break
                found.append(word)
            taken = _name_length([w.group() for w in found])
            if taken:
                words = found[:taken]
                return StatedName(
                    _written_name([w.group() for w in words]), words[0].start(), words[-1].end(), not need_capital
                )
    return None


def find_guest_name(raw_text: str) -> str | None:
    """The guest's name when they state it ("me llamo…", "a nombre de…", "my name is…", "soy Marta…")."""
    stated = find_stated_name(raw_text)
    return stated.name if stated else None


def without_personal_details(raw_text: str) -> str:
    """`raw_text` with the guest's email and plainly stated name blanked out, for the intent/date/language rules.

    A surname like "Price" or "Cuesta", or an address like price.cost@…, is data, not the guest asking about
    prices. Names after weak cues ("soy…", "this is…") stay: "This is Terrible" is a complaint, not a name.
    """
    spans = [(m.start(), m.end()) for m in _EMAIL.finditer(raw_text)]
    stated = find_stated_name(raw_text)
    if stated and stated.explicit:
        spans.append((stated.start, stated.end))
    masked = raw_text
    for start, end in spans:
        masked = masked[:start] + " " * (end - start) + masked[end:]
    return masked


def find_booking_reference(raw_text: str, normalized_text: str, known_words: frozenset[str]) -> str | None:
    """A QloApps order reference: nine letters, written in capitals or right after "ref"/"reserva"/"booking"."""
    for match in _REFERENCE_UPPER.finditer(raw_text):
        token = match.group()
        # Shouting ("HABITACION") is not a reference: skip words the NLU knows, and word-like capitals
        # ("BARCELONA": 4+ vowels, which fewer than 8% of random 9-letter references have) unless a keyword
        # ("reserva", "ref") announces them, as the keyword rule below does.
        if fold(token) not in known_words and sum(ch in "AEIOU" for ch in token) < _WORDLIKE_VOWELS:
            return token
    found = _REFERENCE_AFTER_KEYWORD.search(normalized_text)
    if found and found.group("ref") not in known_words:
        return found.group("ref").upper()
    return None


def extract_entities(
    raw_text: str, normalized_text: str, known_words: frozenset[str], masked_text: str | None = None
) -> dict[str, Any]:
    """Every non-date entity found, keyed by its contract name.

    `normalized_text` is the normalised `masked_text` (`raw_text` without the guest's name and email, see
    `without_personal_details`); the name and email themselves are read from `raw_text`.
    """
    masked = raw_text if masked_text is None else masked_text
    found: dict[str, Any] = {}
    adults = _count(_ADULTS.search(normalized_text)) or _count(_ADULTS_PHRASE.search(normalized_text))
    there = _THERE_ARE.search(normalized_text)
    if adults is None and there:
        adults = number_value(there.group("n") or there.group("m"))
    if adults is None and _COUPLE.search(normalized_text):
        adults = 2
    if adults is None and _ALONE.search(normalized_text):
        adults = 1
    if adults is not None:
        found["adults"] = adults
    children = _count(_CHILDREN.search(normalized_text))
    if children is None and _ONE_CHILD.search(normalized_text):
        children = 1
    if children is not None:
        found["children"] = children
    rooms = _count(_ROOMS.search(normalized_text))
    if rooms is not None:
        found["rooms"] = rooms
    room_type = find_room_type(normalized_text)
    if room_type:
        found["room_type"] = room_type
    reference = find_booking_reference(masked, normalized_text, known_words)
    if reference:
        found["booking_reference"] = reference
    email = _EMAIL.search(raw_text)
    if email:
        found["email"] = email.group().lower()
    name = find_guest_name(raw_text)
    if name:
        found["guest_name"] = name
    amenity = find_amenity(normalized_text)
    if amenity:
        found["amenity"] = amenity
    return found
