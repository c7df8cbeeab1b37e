"""Text normalisation: lowercase, no accents, emojis and punctuation out, shorthand and typos fixed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agent.brain.nlu.folding import strip_accents
from agent.brain.nlu.lexicon import KNOWN_WORDS, SHORTHAND
from agent.brain.nlu.vocabulary import CORRECTABLE

# Multi-word spellings folded into one token so the rules see one form. The third column is a piece of text
# every match contains: a message without it skips that substitution's regex.
_PHRASES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), replacement, required)
    for pattern, replacement, required in (
        (r"\bcheck[\s-]*ins?\b", "checkin", "check"),
        (r"\bcheck[\s-]*outs?\b", "checkout", "check"),
        (r"\bchek[\s-]*in\b", "checkin", "chek"),
        (r"\bchek[\s-]*out\b", "checkout", "chek"),
        (r"\bwi[\s-]*fi\b", "wifi", "fi"),
        (r"\bfin(?:es)? de semana\b", "finde", " de semana"),
        (r"\bfindes?\b", "finde", "finde"),
        (r"\bweek[\s-]*end\b", "weekend", "week"),
        (r"\bde luxe\b", "deluxe", "de luxe"),
        (r"\bpor favor\b", "porfavor", "por favor"),
        (r"\bpasado manana\b", "pasadomanana", "pasado manana"),
        (r"\bday after tomorrow\b", "pasadomanana", "day after tomorrow"),
        (r"\bnoche ?vieja\b", "nochevieja", "vieja"),
        (r"\bnoche ?buena\b", "nochebuena", "buena"),
        (r"\bnew year'?s eve\b", "nochevieja", "s eve"),
        (r"\bchristmas eve\b", "nochebuena", "christmas eve"),
        (r"\bxmas eve\b", "nochebuena", "xmas eve"),
        (r"\bano nuevo\b", "newyearsday", "ano nuevo"),
        (r"\bnew year'?s day\b", "newyearsday", "s day"),
        (r"\bfront desk\b", "reception", "front desk"),
    )
)

_TOKEN = re.compile(r"[A-Za-z0-9@._+\-/'ñ]+|[^\sA-Za-z0-9]")
_STRIP_EDGES = ".,;:!?¿¡()[]{}\"'-_/+*~"


@dataclass(frozen=True)
class Normalized:
    """A message in the form the rules read: `text` (tokens joined by spaces) and its `tokens`."""

    text: str
    tokens: tuple[str, ...]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _build_delete_index(words: frozenset[str]) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for word in words:
        for key in {word, *_deletes(word)}:
            index.setdefault(key, set()).add(word)
    return {key: frozenset(value) for key, value in index.items()}


_DELETE_INDEX = _build_delete_index(frozenset(w for w in CORRECTABLE if len(w) >= 5))
_NEVER_CORRECT = CORRECTABLE | KNOWN_WORDS


def _distance_at_most_one(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) <= 1:
            return True
        # An adjacent swap ("resevrar") counts as one slip of the thumb.
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@lru_cache(maxsize=8192)
def correct_token(token: str) -> str:
    """The vocabulary word a misspelt token most likely meant, or the token unchanged."""
    # Four-letter tokens are only completed to longer words ("nche" → "noche"), never swapped ("moto" ≠ "roto").
    if len(token) < 4 or not token.isalpha() or token in _NEVER_CORRECT:
        return token
    candidates: set[str] = set()
    for key in {token, *_deletes(token)}:
        candidates.update(_DELETE_INDEX.get(key, ()))
    matches = sorted(w for w in candidates if _distance_at_most_one(token, w) and len(w) >= 5)
    if len(matches) == 1:
        return matches[0]
    # Ties: prefer the candidate sharing the first letter, then the one of the same length (a swap or a slip
    # of one key: "nighst" → "nights", not "night"), if exactly one does.
    for narrowed in (
        [w for w in matches if w[0] == token[0]],
        [w for w in matches if w[0] == token[0] and len(w) == len(token)],
    ):
        if len(narrowed) == 1:
            return narrowed[0]
    return token


_REPEATS = re.compile(r"([a-z])\1{2,}")  # "holaaa", "roooms": three or more of a letter become two
_NUMERIC_TOKEN = re.compile(r"[\d/.\-]+")
# Emojis, symbols and control characters become spaces: all but ASCII letters, digits and these marks.
_NOT_KEPT = re.compile(r"[^A-Za-z0-9 @._+\-/':,;!?]")


def _clean_token(token: str) -> str:
    if token == "-":
        return token
    token = token.strip(_STRIP_EDGES) if not _NUMERIC_TOKEN.fullmatch(token) else token.strip(".-/")
    return _REPEATS.sub(r"\1\1", token) if token.isalpha() else token


@lru_cache(maxsize=16384)
def _tokens_of(raw: str, as_written: bool) -> tuple[str, ...]:
    """The normalised tokens of one raw token (none, one, or a shorthand's expansion); `as_written`: no typo fix."""
    token = _clean_token(raw.lower())
    if not token:
        return ()
    if token in SHORTHAND:
        return tuple(SHORTHAND[token].split())
    return (token if as_written else correct_token(token),)


def normalize(text: str) -> Normalized:
    """Normalise one guest message for the rules; total (never raises) on any string."""
    cased = strip_accents(text).replace("\u2013", "-").replace("\u2014", "-")
    cased = _NOT_KEPT.sub(" ", cased)
    tokens: list[str] = []
    for position, raw in enumerate(_TOKEN.findall(cased)):
        # A capitalised word mid-message is likely a name ("Lucía", "Pedro"): never "corrected".
        tokens.extend(_tokens_of(raw, position > 0 and raw[:1].isupper()))
    joined = " ".join(tokens)
    for pattern, replacement, required in _PHRASES:
        if required in joined:
            joined = pattern.sub(replacement, joined)
    return Normalized(text=joined, tokens=tuple(joined.split()))
