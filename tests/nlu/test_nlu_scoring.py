"""The optimised scorers equal the straightforward ones they replace, on random texts (so no decision changed).

- the intent rules' word-set lookups (`wordrules.RuleSet`) against one `re.search` per rule;
- the naive Bayes scores against a column-by-column sum in the same float order;
- the dialogue state's `copy` / `to_dict` against `copy.deepcopy` / `dataclasses.asdict`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, replace
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.brain.dialogue.flows import Flow, Step
from agent.brain.dialogue.state import ConversationState, Slots
from agent.brain.nlu.entities import _OUTSIDE, AMENITY_WORDS, find_amenities
from agent.brain.nlu.intents import GUEST_RULES, RULES, _scores
from agent.brain.nlu.normalize import normalize
from agent.brain.nlu.vocabulary import CORRECTABLE
from agent.brain.nlu.wordrules import RuleSet, WordRule, compile_rule
from agent.nlu_model import default_model

_PATTERNS = {
    intent: tuple((re.compile(p), w) for p, w in (*rules, *GUEST_RULES.get(intent, ())))
    for intent, rules in RULES.items()
}
# Words the rules look for, their prefixes and near misses, glue, punctuation and noise.
_WORDS = sorted(CORRECTABLE) + ["y", "and", "no", "a", "la", "el", "de", "the", "to", "i", "is", "there", "me"]
_PIECES = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_WORDS).map(lambda w: w[: max(1, len(w) - 2)]),
    st.sampled_from(_WORDS).map(lambda w: w + "s"),
    st.sampled_from([" ", "  ", "'", "-", "?", ",", ".", "/", "_", "3", "24", "\n", "ñ", "é", "Q"]),
    st.text(max_size=4),
)
# Every amenity alternative as written in its regex ("pick ?ups?", "lavar (?:la )?ropa" and all).
AMENITY_PHRASES = [alt for _, words in AMENITY_WORDS for alt in words.split("|")] + ["pick up", "lavar ropa", "pickup"]
TEXTS = st.lists(_PIECES, max_size=14).map(lambda parts: " ".join(parts))
GLUED = st.lists(_PIECES, max_size=14).map(lambda parts: "".join(parts))


def reference_scores(text: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for intent, rules in _PATTERNS.items():
        total = sum(weight for pattern, weight in rules if pattern.search(text))
        if total:
            scores[intent] = total
    return scores


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TEXTS, GLUED, TEXTS.map(lambda t: normalize(t).text)))
def test_the_rule_scores_equal_one_regex_search_per_rule(text: str) -> None:
    assert _scores(text) == reference_scores(text)


# Optional apostrophes and spaces inside the rules' phrases ("can'?t", "noche ?vieja", "24 ?h").
SPELLINGS = ["cant make it", "can't make it", "wont make it", "doesnt work", "isnt working", "dont work", "gday",
             "g'day", "lets do it", "theres 3 of us", "24h", "24 h", "open 24", "nochevieja", "noche vieja",
             "im sick"]  # fmt: skip


def test_the_rule_scores_equal_the_regexes_on_every_rule_word_alone_and_in_a_phrase() -> None:
    for text in SPELLINGS:
        assert _scores(text) == reference_scores(text), text
    for word in _WORDS:
        for text in (word, f"si {word} ya", f"{word}s", f"x{word}", f"{word}'t", f"{word}-{word}"):
            assert _scores(text) == reference_scores(text), text


def test_a_pattern_with_a_top_level_alternative_after_its_words_is_not_gated_by_them() -> None:
    rules = RuleSet({"x": ((r"\b(?:adios|bye)\b|\bhasta manana\s*$", 1.0),)})
    assert rules.scores("hasta manana") == {"x": 1.0}
    assert not compile_rule(r"\b(?:adios|bye)\b|\bhasta manana\s*$").gated
    assert not compile_rule(r"^(?:si\s|ok\s)?(?:dale|listo)\b").gated  # an optional first group gates nothing
    assert compile_rule(r"(?i)\b(?:hola|adios)\b").search("HOLA")  # words are looked up as written: no gate


_AMENITY_REGEXES = [(name, re.compile(rf"\b(?:{words})\b")) for name, words in AMENITY_WORDS]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TEXTS, GLUED, st.lists(st.sampled_from(AMENITY_PHRASES), max_size=4).map(" y ".join)))
def test_the_amenities_found_equal_one_regex_search_per_amenity(text: str) -> None:
    found = sorted((m.start(), name) for name, pattern in _AMENITY_REGEXES if (m := pattern.search(text)))
    expected = () if _OUTSIDE.regex.search(text) else tuple(name for _, name in found)
    assert find_amenities(text) == expected


def _gated_rules() -> list[WordRule]:
    from agent.brain.nlu import dates, entities, parser, room_types

    rules = [v for m in (dates, entities, parser) for v in vars(m).values() if isinstance(v, WordRule)]
    rules += [rule for _, rule in (*room_types._PATTERNS, *entities._AMENITY_RULES)]
    return rules


GATED = _gated_rules()
# Words of the gated patterns themselves (dates, party sizes, references, room types), so texts reach them.
_GATED_WORDS = sorted({w for r in GATED for w in (*r.words, *r.prefixes, *(r.rest_words or ()), *r.rest_prefixes)})
GATED_TEXTS = st.lists(st.one_of(_PIECES, st.sampled_from(_GATED_WORDS)), max_size=14).map(" ".join)


# Texts that contain a match of some rule (any spelling its regex allows: "tapado", "cucaracha", "can't"),
# with arbitrary text around it.
MATCHING = st.sampled_from([r.regex for r in GATED] + [p for rules in _PATTERNS.values() for p, _ in rules]).flatmap(
    st.from_regex
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.one_of(MATCHING, MATCHING.map(str.lower)))
def test_texts_made_from_the_rules_regexes_score_and_match_as_the_regexes_do(text: str) -> None:
    assert _scores(text) == reference_scores(text)
    for rule in GATED:
        found = rule.search(text)
        expected = rule.regex.search(text)
        assert (found and found.span()) == (expected and expected.span()), rule.regex.pattern


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(GATED_TEXTS, GLUED, GATED_TEXTS.map(lambda t: normalize(t).text)))
def test_every_gated_pattern_finds_what_its_regex_finds(text: str) -> None:
    assert len(GATED) >= 25
    for rule in GATED:
        found = rule.search(text)
        expected = rule.regex.search(text)
        assert (found and found.span()) == (expected and expected.span()), rule.regex.pattern
        assert [m.span() for m in rule.finditer(text)] == [m.span() for m in rule.regex.finditer(text)]


def reference_naive_bayes(features: list[str]) -> list[float]:
    model = default_model()
    rows = [model.priors, *(model.weights[f] for f in features if f in model.weights)]
    return [sum(column) for column in zip(*rows, strict=True)]


FEATURES = st.lists(
    st.one_of(st.sampled_from(sorted(default_model().weights)[:5000]), st.text(max_size=6)), max_size=200
)


@settings(max_examples=300, deadline=None)
@given(FEATURES)
def test_the_naive_bayes_scores_equal_the_column_sums_to_the_last_bit(features: list[str]) -> None:
    assert default_model().scores(features) == reference_naive_bayes(features)


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=12,
)
STATES = st.builds(
    ConversationState,
    flow=st.one_of(st.none(), st.sampled_from(Flow)),
    step=st.one_of(st.none(), st.sampled_from(Step)),
    slots=st.builds(Slots, adults=st.one_of(st.none(), st.integers(1, 9)), guest_name=st.one_of(st.none(), st.text())),
    offers=st.lists(st.dictionaries(st.text(max_size=4), JSONISH, max_size=3), max_size=3),
    pending=st.one_of(st.none(), st.dictionaries(st.text(max_size=4), JSONISH, max_size=3)),
    followups=st.lists(st.dictionaries(st.text(max_size=4), JSONISH, max_size=2), max_size=2),
    done_nonces=st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    own_references=st.lists(st.text(max_size=9), max_size=2),
)


def _shares_nothing_mutable(a: object, b: object) -> bool:
    if isinstance(a, list | dict) or hasattr(a, "__dataclass_fields__"):
        if a is b:
            return False
        if isinstance(a, dict) and isinstance(b, dict):
            return all(_shares_nothing_mutable(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return all(_shares_nothing_mutable(x, y) for x, y in zip(a, b, strict=True))
        if hasattr(a, "__dataclass_fields__"):
            return all(_shares_nothing_mutable(getattr(a, n), getattr(b, n)) for n in a.__dataclass_fields__)
    return True


@settings(max_examples=200, deadline=None)
@given(STATES)
def test_the_state_copy_and_dict_equal_deepcopy_and_asdict_and_share_nothing(state: ConversationState) -> None:
    copied = state.copy()
    assert copied == copy.deepcopy(state)
    assert copied.slots is not state.slots
    for name in ("offers", "alternatives", "pending", "target", "question", "followups", "done_nonces"):
        value = getattr(state, name)
        assert value is None or getattr(copied, name) is not value, name
    as_dict = state.to_dict()
    assert as_dict == asdict(state)
    assert _shares_nothing_mutable(as_dict, state.to_dict())


def test_a_repeated_message_is_understood_once_and_each_caller_gets_its_own_entities() -> None:
    from agent.brain.nlu.parser import _parse_recent, parse

    model = default_model()
    text = "quiero reservar del 3 al 5 de diciembre para 2 adultos (memo test)"
    first = parse(text, date(2026, 11, 25), model=model)
    hits = _parse_recent.cache_info().hits
    first.entities["adults"] = 99  # a caller scribbling on its result
    second = parse(text, date(2026, 11, 25), model=model)
    assert _parse_recent.cache_info().hits == hits + 1
    assert second.entities["adults"] == 2 and second == replace(first, entities={**first.entities, "adults": 2})
