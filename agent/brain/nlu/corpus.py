"""The guest-register corpus (`corpus/*.txt`): hand-written labelled messages the intent model learns from.

Line format (corpus/README.md): `intent | labels | text`, labels `in= out= n= a= c= ref= lang=` or `-`.
Pure: this parses a file's text; reading the shipped files is the adapter's job (`agent.nlu_model`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from agent.brain.nlu.model import INTENTS

# The entity kinds every corpus line asserts (present with the value, or absent).
CHECKED_KINDS: tuple[str, ...] = ("check_in", "check_out", "nights", "adults", "children", "booking_reference")
_LABEL_KEYS = {"in": "check_in", "out": "check_out", "n": "nights", "a": "adults", "c": "children",
               "ref": "booking_reference"}  # fmt: skip


class CorpusError(ValueError):
    """A corpus line is malformed; the message names the file, the line and what to fix."""


@dataclass(frozen=True)
class LabelledMessage:
    """One hand-written guest message with its labels."""

    text: str
    intent: str
    language: str
    reference_date: date
    entities: dict[str, Any]
    register: str
    checked: tuple[str, ...] = field(default=CHECKED_KINDS)


def _language_of(register: str) -> str:
    return "en" if register.startswith("en_") else "es"


def _labels(raw: str, where: str) -> tuple[dict[str, Any], str | None]:
    entities: dict[str, Any] = {}
    language = None
    if raw.strip() == "-":
        return entities, language
    for item in raw.split():
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise CorpusError(f"{where}: label {item!r} is not key=value")
        if key == "lang":
            language = value
        elif key in ("in", "out"):
            try:
                entities[_LABEL_KEYS[key]] = date.fromisoformat(value)
            except ValueError as exc:
                raise CorpusError(f"{where}: {key}={value} is not YYYY-MM-DD") from exc
        elif key in ("n", "a", "c"):
            if not value.isdigit():
                raise CorpusError(f"{where}: {key}={value} is not a whole number")
            entities[_LABEL_KEYS[key]] = int(value)
        elif key == "ref":
            entities["booking_reference"] = value
        else:
            raise CorpusError(f"{where}: unknown label {key!r}; use in, out, n, a, c, ref or lang")
    return entities, language


def _complete_stay(entities: dict[str, Any], where: str) -> dict[str, Any]:
    """Nights follow from both dates; a start plus nights gives the departure (the labelling convention)."""
    check_in, check_out, nights = entities.get("check_in"), entities.get("check_out"), entities.get("nights")
    if check_in and check_out:
        if check_out <= check_in:
            raise CorpusError(f"{where}: out must be after in")
        entities["nights"] = (check_out - check_in).days
    elif check_in and nights:
        entities["check_out"] = check_in + timedelta(days=nights)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in entities.items()}


def parse_corpus(text: str, register: str) -> list[LabelledMessage]:
    """The labelled messages of one corpus file's text; `register` is the file's stem."""
    reference: date | None = None
    messages: list[LabelledMessage] = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{register}.txt line {number}"
        if line.startswith("# reference_date:"):
            reference = date.fromisoformat(line.split(":", 1)[1].strip())
            continue
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("|", 2)
        if len(parts) != 3:
            raise CorpusError(f"{where}: expected `intent | labels | text`")
        intent, labels, message = (p.strip() for p in parts)
        if intent not in INTENTS:
            raise CorpusError(f"{where}: unknown intent {intent!r}; use one of {', '.join(INTENTS)}")
        if reference is None:
            raise CorpusError(f"{where}: no `# reference_date:` line before the first message")
        entities, language = _labels(labels, where)
        messages.append(
            LabelledMessage(
                text=message,
                intent=intent,
                language=language or _language_of(register),
                reference_date=reference,
                entities=_complete_stay(entities, where),
                register=register,
            )
        )
    if not messages:
        raise CorpusError(f"{register}.txt: no messages")
    return messages


def parse_team_set(data: dict[str, Any] | None, register: str) -> list[LabelledMessage]:
    """The messages of a team YAML set (already loaded as `data`) as training messages; `register` is its stem."""
    items = (data or {}).get("messages") or []
    return [
        LabelledMessage(
            text=str(item["text"]),
            intent=item["intent"],
            language=item["language"],
            reference_date=date.fromisoformat(str(item["reference_date"])),
            entities={},
            register=register,
            checked=(),
        )
        for item in items
    ]
