"""The typo-correction vocabulary: the lexicon plus every literal word the intent and entity rules look for.

Built from the rules themselves so a new keyword is automatically correctable ("canclear" → "cancelar").
"""

from __future__ import annotations

import re

from agent.brain.nlu import dates, entities, intents, room_types
from agent.brain.nlu.lexicon import MONTHS, NUMBER_WORDS, VOCABULARY, WEEKDAYS

_ESCAPES = re.compile(r"\\[A-Za-z]")
_WORD = re.compile(r"[a-z]{4,}")
# Spellings the phrase rules fold later ("chekin" → "checkin"), and words the rules spell as phrases.
_EXTRA = frozenset({"check", "chekin", "hasta", "later", "quedo", "queda", "reception", "weekend"})


def _words_in(pattern_source: str) -> set[str]:
    return set(_WORD.findall(_ESCAPES.sub(" ", pattern_source)))


def _rule_words() -> set[str]:
    found: set[str] = set()
    for rules in (*intents.RULES.values(), *intents.GUEST_RULES.values()):
        for source, _weight in rules:
            found |= _words_in(source)
    for _name, words in entities.AMENITY_WORDS:
        found |= _words_in(words)
    for _name, words in room_types.ROOM_TYPE_WORDS:
        found |= set(words)
    for source in (entities.ADULT_WORDS, entities.CHILD_WORDS, dates.RELATIVE_WORDS):
        found |= _words_in(source)
    return found


CORRECTABLE: frozenset[str] = frozenset(
    VOCABULARY | set(MONTHS) | set(WEEKDAYS) | set(NUMBER_WORDS) | _rule_words() | _EXTRA
)
