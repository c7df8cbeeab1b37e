"""Guest conversation scripts for load: the flow mix, built-in scripts and golden-conversation reuse.

Pure (no I/O except reading YAML files given to `load_golden`), so it is imported by the Locust process,
the CLI and the tests alike.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml

FLOWS: tuple[str, ...] = ("faq", "availability", "booking", "cancellation")
DEFAULT_MIX: dict[str, float] = {"faq": 40.0, "availability": 30.0, "booking": 20.0, "cancellation": 10.0}
LANGUAGES: tuple[str, ...] = ("es", "en")
DEFAULT_LANGUAGE_MIX: dict[str, float] = {"es": 60.0, "en": 40.0}


class MixError(ValueError):
    """A flow or language mix that cannot be used."""


def parse_mix(text: str | dict[str, Any], allowed: tuple[str, ...] = FLOWS) -> dict[str, float]:
    """Parse `faq=40,availability=30,...` (or a mapping) into weights; unknown names or no weight are errors."""
    if isinstance(text, dict):
        pairs = [(str(k), v) for k, v in text.items()]
    else:
        pairs = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if "=" not in part and ":" not in part:
                raise MixError(f"mix entry {part!r} has no weight: write it as name=weight, e.g. faq=40")
            name, _, value = part.replace(":", "=").partition("=")
            pairs.append((name.strip(), value.strip()))
    mix: dict[str, float] = {}
    for name, value in pairs:
        if name not in allowed:
            raise MixError(f"unknown name {name!r} in mix: use any of {', '.join(allowed)}")
        try:
            weight = float(value)
        except (TypeError, ValueError):
            raise MixError(f"weight of {name!r} is not a number: {value!r}") from None
        if weight < 0 or weight != weight:
            raise MixError(f"weight of {name!r} must be zero or more, got {value!r}")
        mix[name] = weight
    if not mix or sum(mix.values()) <= 0:
        raise MixError("the mix gives no weight to anything: give at least one name a positive weight")
    return mix


# Reply checks. A reply is "plainly wrong" when it matches none of the turn's expected patterns, or when the
# turn accepts anything and the reply is an error or does-not-understand apology.
APOLOGY = re.compile(
    r"(algo (ha ido|sali[oó]) mal|something went wrong|an error|un error|no (te )?he entendido|"
    r"did ?n[o']t understand|do ?n[o']t understand|could ?n[o']t understand|try again later|"
    r"int[eé]ntalo (de nuevo )?m[aá]s tarde|temporarily unavailable|no disponible temporalmente)",
    re.IGNORECASE,
)
PRICE = r"(\d+(?:[.,]\d{1,2})?\s?(?:€|eur\b|euros?)|€\s?\d+)"
NO_ROOMS = r"(no (?:hay|tenemos|quedan) (?:habitaci|disponib)|completo|no availability|fully booked|sold out|no rooms)"
CONFIRMATION = (
    r"(confirmad|confirmed|reserva (?:n[ºo.]*|c[oó]digo)|booking (?:ref|number|code|id)|#\s?\w+|\b[A-Z]{2,}-?\d{3,}\b)"
)


@dataclass(frozen=True)
class Expectation:
    """What a right reply to a turn looks like: any pattern matching (case-insensitive), or any non-error reply."""

    kind: str = "any"
    patterns: tuple[str, ...] = ()
    allow_apology: bool = False
    # Right answers that end the conversation (no rooms left for a booking: there is nothing to confirm).
    ending: tuple[str, ...] = ()

    def judge(self, reply_text: str) -> str | None:
        """None when the reply fits the turn, else the failure reason ("wrong answer: ...")."""
        text = reply_text.strip()
        if not text:
            return "wrong answer: empty reply"
        if any(re.search(p, text, re.IGNORECASE) for p in (*self.patterns, *self.ending)):
            return None
        if self.patterns:
            return f"wrong answer: expected {self.kind}"
        if not self.allow_apology and APOLOGY.search(text):
            return f"wrong answer: apology where {self.kind} was expected"
        return None

    def ends(self, reply_text: str) -> bool:
        """True when the reply is right but closes the conversation (an `ending` answer, not a `patterns` one)."""
        if any(re.search(p, reply_text, re.IGNORECASE) for p in self.patterns):
            return False
        return any(re.search(p, reply_text, re.IGNORECASE) for p in self.ending)


@dataclass(frozen=True)
class GuestTurn:
    """One guest message: a text (with {d1} {d2} {name} {email} {ref} placeholders) or a tap on a button/row."""

    text: str
    expect: Expectation = field(default_factory=Expectation)
    action: Literal["text", "button", "list"] = "text"
    # For button/list: `text` is the title of the option to tap; typed as text when no such option was offered.
    # Built-in turns are str.format templates; golden turns are literal apart from {{run}}.
    template: bool = True


@dataclass(frozen=True)
class Script:
    """A conversation a virtual guest plays: its flow, its language and its turns."""

    flow: str
    language: str
    name: str
    turns: tuple[GuestTurn, ...]
    source: str = "builtin"


def _t(
    text: str,
    kind: str = "any",
    *patterns: str,
    action: str = "text",
    allow_apology: bool = False,
    ending: tuple[str, ...] = (),
) -> GuestTurn:
    expect = Expectation(kind, tuple(patterns), allow_apology, ending)
    return GuestTurn(text=text, expect=expect, action=action)  # type: ignore[arg-type]


_AVAIL = (PRICE, NO_ROOMS, r"\d+[.,]\d{2} [A-Z]{3}", r"cu[aá]ntas personas|how many (?:guests|people|adults)")
_TIME = r"(\d{1,2}[:.h]\d{2}|\d{1,2}\s?(?:am|pm|h\b))"
_REVIEW = (r"revise su reserva|please check your booking",)
_NO_ROOM = (NO_ROOMS, r"no (?:est[aá]|is not) disponible|not available")
_BOOKED = (r"reserva confirmada|booking confirmed", CONFIRMATION)
# Another guest took the last room between the summary and the confirmation: right, and the end of it.
_GONE = (r"just been taken|acaba de reservar", *_NO_ROOM)
_CANCEL_ASK = (r"quiere cancelarla|want to cancel it", r"localizador|reference|email")
_CANCELLED = (r"cancelad|cancelled|canceled",)

BUILTIN: tuple[Script, ...] = (
    Script("faq", "es", "faq-checkin-es", (_t("¿A qué hora es el check-in?", "a time", _TIME),)),
    Script("faq", "es", "faq-parking-es", (_t("¿Tenéis parking?", "parking info", r"parking|aparcamiento|garaje"),)),
    Script("faq", "es", "faq-breakfast-es", (_t("¿El desayuno está incluido?", "breakfast info", r"desayuno"),)),
    Script("faq", "en", "faq-checkout-en", (_t("What time is check-out?", "a time", _TIME),)),
    Script("faq", "en", "faq-parking-en", (_t("Do you have parking?", "parking info", r"parking|garage|car park"),)),
    Script("faq", "en", "faq-wifi-en", (_t("Is there wifi in the rooms?", "wifi info", r"wi-?fi|internet"),)),
    Script(
        "availability",
        "es",
        "availability-es",
        (_t("¿Tenéis habitación {dates} para 2 adultos?", "a price or no-availability", *_AVAIL),),
    ),
    Script(
        "availability",
        "en",
        "availability-en",
        (_t("Do you have a room {dates} for 2 adults?", "a price or no-availability", *_AVAIL),),
    ),
    Script(
        "booking",
        "es",
        "booking-es",
        (
            _t(
                "Quiero reservar la habitación deluxe {dates} para 2 adultos, a nombre de {name}, {email}",
                "the booking summary",
                *_REVIEW,
                ending=_NO_ROOM,
            ),
            _t("sí", "a confirmation", *_BOOKED, ending=_GONE),
        ),
    ),
    Script(
        "booking",
        "en",
        "booking-en",
        (
            _t(
                "Please book the deluxe room {dates} for 2 adults, my name is {name}, email {email}",
                "the booking summary",
                *_REVIEW,
                ending=_NO_ROOM,
            ),
            _t("Confirm", "a confirmation", *_BOOKED, action="button", ending=_GONE),
        ),
    ),
    Script(
        "cancellation",
        "es",
        "cancellation-es",
        (
            _t(
                "Quiero reservar la habitación general {dates} para 2 adultos, a nombre de {name}, {email}",
                "the booking summary",
                *_REVIEW,
                ending=_NO_ROOM,
            ),
            _t("Confirmar", "a confirmation", *_BOOKED, action="button", ending=_GONE),
            _t("perdona, quiero cancelar mi reserva", "the booking to cancel", *_CANCEL_ASK),
            _t("Sí, cancelar", "a cancellation", *_CANCELLED, action="button"),
        ),
    ),
    Script(
        "cancellation",
        "en",
        "cancellation-en",
        (
            _t(
                "Please book the deluxe room {dates} for 2 adults, my name is {name}, email {email}",
                "the booking summary",
                *_REVIEW,
                ending=_NO_ROOM,
            ),
            _t("Confirm", "a confirmation", *_BOOKED, action="button", ending=_GONE),
            _t("I want to cancel my booking", "the booking to cancel", *_CANCEL_ASK),
            _t("Yes, cancel it", "a cancellation", *_CANCELLED, action="button"),
        ),
    ),
)

MONTHS = {
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def stay_phrase(start: date, end: date, language: str) -> str:
    """ "del 9 al 11 de diciembre" / "from Dec 9 to Dec 11", the way guests write stays."""
    if language == "es":
        es = MONTHS["es"]
        if start.month == end.month:
            return f"del {start.day} al {end.day} de {es[end.month - 1]}"
        return f"del {start.day} de {es[start.month - 1]} al {end.day} de {es[end.month - 1]}"
    en = MONTHS["en"]
    return f"from {en[start.month - 1]} {start.day} to {en[end.month - 1]} {end.day}"


def render(turn: GuestTurn, rng: random.Random, today: date, name: str, language: str, run: str = "0") -> str:
    """Fill a turn's placeholders; stays are spread over the coming year so bookings do not sell out one night."""
    start = today + timedelta(days=rng.randint(7, 300))
    end = start + timedelta(days=rng.randint(1, 3))
    text = turn.text.replace("{{run}}", run)
    if not turn.template:
        return text
    email = re.sub(r"[^a-z]", "", name.lower())[:12] + f".{run}@example.com"
    return text.format(dates=stay_phrase(start, end, language), name=name, email=email)


# Golden flows that map onto the load mix. Bookings and cancellations are not replayed from golden files:
# their fixed dates would sell out after a few hundred replays (and cancellations need a PMS setup step).
GOLDEN_FLOWS = {
    "availability": "availability",
    "pricing": "availability",
    "amenities": "faq",
    "check_in_out_times": "faq",
    "location": "faq",
    "late_checkout": "faq",
    "faq": "faq",
}


def _golden_expectation(expect: Any) -> Expectation:
    """Lenient: any expected snippet, pattern, button or row present; snippets needing captures are dropped."""
    patterns: list[str] = []
    if isinstance(expect, dict):
        for key in ("contains", "buttons", "rows"):
            value = expect.get(key)
            values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            patterns.extend(re.escape(str(v)) for v in values if "{{" not in str(v))
        if isinstance(expect.get("matches"), str) and "{{" not in expect["matches"]:
            patterns.append(expect["matches"])
    return Expectation("the golden reply", tuple(patterns))


def _golden_turn(raw: Any) -> GuestTurn | None:
    """One turn of a golden conversation file; None when it cannot be replayed without a setup step."""
    if not isinstance(raw, dict):
        return None
    for key, action in (("text", "text"), ("button", "button"), ("list", "list")):
        value = raw.get(key)
        if isinstance(value, str):
            if "{{" in value.replace("{{run}}", ""):
                return None
            return GuestTurn(value, _golden_expectation(raw.get("expect")), action, template=False)  # type: ignore[arg-type]
    return None


def load_golden(directory: Path) -> list[Script]:
    """Golden conversations (validation/conversations/*.yaml) replayable under load; others are skipped."""
    scripts: list[Script] = []
    if not directory.is_dir():
        return scripts
    for path in sorted(directory.glob("*.y*ml")):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(doc, dict) or doc.get("setup"):
            continue
        flow = GOLDEN_FLOWS.get(str(doc.get("flow", "")))
        language = str(doc.get("language", ""))
        raw_turns = doc.get("turns") if isinstance(doc.get("turns"), list) else []
        turns = [_golden_turn(r) for r in raw_turns]
        if flow and language in LANGUAGES and turns and all(t is not None for t in turns):
            scripts.append(Script(flow, language, path.stem, tuple(t for t in turns if t), str(path)))
    return scripts


class ScriptBook:
    """Picks a script for a new conversation: flow by weight, then a script of that flow in the guest's language.

    Golden conversations are preferred for a (flow, language) when any exist; built-in scripts fill the gaps.
    """

    def __init__(self, mix: dict[str, float], golden: list[Script] | None = None) -> None:
        self.mix = {k: v for k, v in mix.items() if v > 0}
        if not self.mix:
            raise MixError("the flow mix gives no weight to any flow")
        self.by_key: dict[tuple[str, str], list[Script]] = {}
        for script in golden or []:
            self.by_key.setdefault((script.flow, script.language), []).append(script)
        for script in BUILTIN:
            self.by_key.setdefault((script.flow, script.language), [])
            if not any(s.source != "builtin" for s in self.by_key[(script.flow, script.language)]):
                self.by_key[(script.flow, script.language)].append(script)

    def choose(self, rng: random.Random, language: str) -> Script:
        """A script for a guest speaking `language`."""
        flows = list(self.mix)
        flow = rng.choices(flows, weights=[self.mix[f] for f in flows])[0]
        options = self.by_key.get((flow, language)) or self.by_key[(flow, "es")]
        return rng.choice(options)

    def sources(self) -> dict[str, str]:
        """Where each (flow, language) script comes from, for the run summary."""
        return {
            f"{flow}/{lang}": ",".join(sorted({s.source for s in scripts}))
            for (flow, lang), scripts in sorted(self.by_key.items())
        }


def reply_text(message: dict[str, Any]) -> str:
    """The words of a business message as the guest sees them (text, interactive, template, location)."""
    kind = message.get("type")
    parts: list[str] = []
    if kind == "text":
        parts.append(str((message.get("text") or {}).get("body", "")))
    elif kind == "interactive":
        inter = message.get("interactive") or {}
        for key in ("header", "body", "footer"):
            block = inter.get(key) or {}
            if isinstance(block, dict) and block.get("text"):
                parts.append(str(block["text"]))
        action = inter.get("action") or {}
        parts.extend(str((b.get("reply") or {}).get("title", "")) for b in action.get("buttons") or [])
        for section in action.get("sections") or []:
            for row in section.get("rows") or []:
                parts.append(f"{row.get('title', '')} {row.get('description', '')}".strip())
    elif kind == "template":
        tpl = message.get("template") or {}
        parts.append(str(tpl.get("name", "")))
        for comp in tpl.get("components") or []:
            parts.extend(str(p.get("text", "")) for p in comp.get("parameters") or [] if isinstance(p, dict))
    elif kind == "location":
        loc = message.get("location") or {}
        parts.append(f"location {loc.get('name', '')} {loc.get('address', '')}")
    else:
        parts.append(str(kind or ""))
    return "\n".join(p for p in parts if p)


def reply_options(message: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The tappable options of a business message: (kind button|list, id, title)."""
    if message.get("type") != "interactive":
        return []
    action = (message.get("interactive") or {}).get("action") or {}
    options = [("button", str(b["reply"]["id"]), str(b["reply"].get("title", ""))) for b in action.get("buttons") or []]
    for section in action.get("sections") or []:
        options.extend(("list", str(r["id"]), str(r.get("title", ""))) for r in section.get("rows") or [])
    return options
