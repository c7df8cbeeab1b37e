"""Rule patterns answered by set lookups over the message's words, where the regex is a plain word alternation.

Most rules read `\\b(?:word|word|...)\\b`. Such a pattern matches exactly when one of its words is a whole run of
word characters in the text (`\\b` on both sides of word characters means the run can extend neither way), so one
`set(re.findall(r"\\w+", text))` per message answers all of them; only the alternatives that are not plain words
("hasta luego", "can'?t") are left to a (smaller) regex. A pattern that continues after the alternation
(`\\b(?:hay|queda)\\b.*\\b(?:sitio)\\b`) keeps its regex, gated by the same lookup: without one of its first words
it cannot match. `tests/nlu/test_nlu_scoring.py` checks the scores against one `regex.search` per rule on random texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

WORD_RUN = re.compile(r"\w+")


@lru_cache(maxsize=16)  # the rules, entities and dates of one message all ask, for the same text
def word_runs(text: str) -> frozenset[str]:
    """The text's maximal runs of word characters: what a plain word between two `\\b` can match."""
    return frozenset(WORD_RUN.findall(text))


_WORD = re.compile(r"[a-z0-9_]+")
_OPTIONAL_LAST = re.compile(r"([a-z0-9_]+)([a-z0-9_])\?")  # "prices?": price, prices
_PREFIX = re.compile(r"([a-z0-9_]+)\\w\*")  # "annul\w*": any word starting "annul"
_OPEN = "\\b(?:"


@dataclass(frozen=True)
class WordRule:
    """One rule pattern: its regex, and the words/prefixes that decide (or gate) it without running the regex."""

    regex: re.Pattern[str]
    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    rest: re.Pattern[str] | None = None  # the alternatives that are not plain words, when `exact`
    # A word one of `rest`'s alternatives starts with (as a whole word, or as the start of one): without one, `rest`
    # cannot match. None: some alternative starts with no literal word, so `rest` always runs.
    rest_words: frozenset[str] | None = None
    rest_prefixes: tuple[str, ...] = ()
    exact: bool = False  # the lookup decides the match; otherwise it is only a gate before `regex`
    gated: bool = False

    def search(self, text: str) -> re.Match[str] | None:
        """`regex.search(text)`, skipped when the text lacks every word a match starts with."""
        return self.regex.search(text) if self.possible(word_runs(text)) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """`regex.finditer(text)`, skipped when the text lacks every word a match starts with."""
        return self.regex.finditer(text) if self.possible(word_runs(text)) else iter(())

    def possible(self, runs: set[str] | frozenset[str]) -> bool:
        """False only when `regex` cannot match a text whose word runs are `runs` (then it need not run)."""
        if self.exact:
            if _hit(runs, self.words, self.prefixes):
                return True
            return self.rest is not None and (
                self.rest_words is None or _hit(runs, self.rest_words, self.rest_prefixes)
            )
        return not self.gated or _hit(runs, self.words, self.prefixes)


def _hit(runs: set[str] | frozenset[str], words: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    return not words.isdisjoint(runs) or bool(prefixes and any(run.startswith(prefixes) for run in runs))


# After the leading word, a non-word character (not made optional by a quantifier): the word is a whole run.
_ENDS_RUN = (" ", "'", "-", "\\s")
_QUANTIFIERS = ("?", "*", "{")


def _rest_gate(alternatives: list[str]) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The whole words and word starts one of `alternatives` must begin with (after `\\b`), or None if unknown."""
    words: set[str] = set()
    prefixes: list[str] = []
    for alt in alternatives:
        lead = _WORD.match(alt)
        if lead is None:
            return None
        word, after = lead.group(), alt[lead.end() :]
        separator = next((sep for sep in _ENDS_RUN if after.startswith(sep)), None)
        if separator is not None and after[len(separator) :][:1] not in _QUANTIFIERS:
            words.add(word)
        elif after[:1] in _QUANTIFIERS:
            # The quantifier makes the word's last letter optional: only the letters before it are sure.
            if len(word) < 2:
                return None
            prefixes.append(word[:-1])
        else:
            prefixes.append(word)
    return frozenset(words), tuple(prefixes)


def _alternatives(source: str, opening: str = _OPEN) -> tuple[list[str], str] | None:
    """The top-level alternatives of a leading `\\b(?:...)` group and the pattern after it, if it starts so."""
    if not source.startswith(opening):
        return None
    depth, start, alternatives, i = 1, len(opening), [], len(opening)
    in_class = False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                alternatives.append(source[start:i])
                return alternatives, source[i + 1 :]
        elif ch == "|" and depth == 1:
            alternatives.append(source[start:i])
            start = i + 1
        i += 1
    return None


def compile_rule(source: str) -> WordRule:
    """The rule for one pattern source (no flags: the rules are lowercase, case-sensitive regexes)."""
    regex = re.compile(source)
    if regex.flags & (re.IGNORECASE | re.VERBOSE):
        return WordRule(regex)  # the word lookups assume case-sensitive, literal alternatives
    split = _alternatives(source)
    if split is None:
        return _gated(regex)
    alternatives, tail = split
    words: set[str] = set()
    prefixes: list[str] = []
    complex_: list[str] = []
    for alt in alternatives:
        if _WORD.fullmatch(alt):
            words.add(alt)
        elif m := _OPTIONAL_LAST.fullmatch(alt):
            words.update((m.group(1), m.group(1) + m.group(2)))
        elif m := _PREFIX.fullmatch(alt):
            prefixes.append(m.group(1))
        else:
            complex_.append(alt)
    if tail == "\\b":
        rest = re.compile(f"{_OPEN}{'|'.join(complex_)})\\b") if complex_ else None
        gate = _rest_gate(complex_) if complex_ else None
        rest_words, rest_prefixes = gate if gate is not None else (None, ())
        return WordRule(regex, frozenset(words), tuple(prefixes), rest, rest_words, rest_prefixes, exact=True)
    if tail.startswith("\\b") and not complex_ and _single(tail):
        return WordRule(regex, frozenset(words), tuple(prefixes), gated=True)
    return _gated(regex)


def _single(pattern: str) -> bool:
    """No top-level `|` in `pattern` (so what comes before it must match for the whole to match)."""
    return _alternatives(f"{_OPEN}{pattern})") == ([pattern], "")


def _gated(regex: re.Pattern[str]) -> WordRule:
    """The regex, gated by the words its match must start with when the pattern starts with literal alternatives."""
    source = regex.pattern
    leading: list[str] | None = None
    for opening in (_OPEN, "^(?:"):
        split = _alternatives(source, opening)
        if split is not None and split[1][:1] not in ("?", "*", "{", "+") and _single(split[1]):
            leading = split[0]
    for opening in ("\\b", "^"):
        if leading is None and _WORD.match(source, len(opening)) and source.startswith(opening):
            rest = source[len(opening) :]
            leading = [rest] if _single(rest) else None
    gate = _rest_gate(leading) if leading else None
    if gate is None:
        return WordRule(regex)
    return WordRule(regex, gate[0], gate[1], gated=True)


class RuleSet:
    """Weighted rules per intent, scored with one pass over the message's words and regexes only where needed."""

    def __init__(self, rules: dict[str, tuple[tuple[str, float], ...]]) -> None:
        self.rules = [(intent, [(compile_rule(p), weight) for p, weight in pairs]) for intent, pairs in rules.items()]
        self._flat = [rule for _, pairs in self.rules for rule, _ in pairs]
        # word or word start → the rules it decides (exact) / lets through to their regex (gated, rest)
        self._by_word: dict[str, list[int]] = {}
        self._by_prefix: dict[str, list[int]] = {}
        for i, rule in enumerate(self._flat):
            if rule.exact or rule.gated:
                self._index(i, rule.words, rule.prefixes)
            if rule.rest is not None and rule.rest_words is not None:
                self._index(-1 - i, rule.rest_words, rule.rest_prefixes)  # negative: the `rest` gate of rule i
        self._longest_prefix = max((len(p) for p in self._by_prefix), default=0)

    def _index(self, key: int, words: frozenset[str], prefixes: tuple[str, ...]) -> None:
        for word in words:
            self._by_word.setdefault(word, []).append(key)
        for prefix in prefixes:
            self._by_prefix.setdefault(prefix, []).append(key)

    def scores(self, text: str) -> dict[str, float]:
        """Every intent's summed weight of the rules whose regex finds a match (intents with none left out)."""
        hits: set[int] = set()
        by_word, by_prefix, longest = self._by_word, self._by_prefix, self._longest_prefix
        for run in word_runs(text):
            hits.update(by_word.get(run, ()))
            for end in range(1, min(len(run), longest) + 1):
                found = by_prefix.get(run[:end])
                if found:
                    hits.update(found)
        scores: dict[str, float] = {}
        i = 0
        for intent, pairs in self.rules:
            total = 0
            for rule, weight in pairs:
                if i in hits:
                    matched = rule.exact or rule.regex.search(text) is not None
                elif rule.exact:
                    matched = (
                        rule.rest is not None
                        and (rule.rest_words is None or -1 - i in hits)
                        and (rule.rest.search(text) is not None)
                    )
                else:
                    matched = not rule.gated and rule.regex.search(text) is not None
                if matched:
                    total += weight
                i += 1
            if total:
                scores[intent] = total
        return scores
