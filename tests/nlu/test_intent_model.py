"""The learned intent model: the corpus it learns from, determinism, calibration, the cache, and the honest figure."""

from __future__ import annotations

import marshal
from datetime import date
from pathlib import Path

import pytest

from agent import nlu_model as im
from agent.brain.nlu.classifier import NaiveBayes
from agent.brain.nlu.corpus import CHECKED_KINDS, CorpusError, parse_corpus
from agent.nlu_model import CORPUS_DIR, corpus_files, load_corpus
from tests.nlu.shipped import parse
from validation.nlu_eval import leave_one_register_out, score

REF = date(2026, 11, 25)


def test_the_corpus_has_three_thousand_messages_in_eight_registers_each_saying_how_it_was_written() -> None:
    messages = load_corpus()
    assert len(messages) >= 3000
    registers = {m.register for m in messages}
    assert len(registers) >= 8
    assert {"es_spain", "es_mexico", "es_rioplatense", "es_colombia", "es_chile_peru", "es_caribbean", "en_native",
            "en_nonnative"} <= registers  # fmt: skip
    for path in corpus_files():
        header = [line for line in path.read_text("utf-8").splitlines() if line.startswith("#")]
        assert any(line.startswith("# how written:") for line in header), path.name
        assert any(line.startswith("# register:") for line in header), path.name
    # Every intent is represented in every register, so leaving one out still trains every intent.
    for register in registers:
        assert len({m.intent for m in messages if m.register == register}) == 16, register


def test_corpus_labels_are_consistent_stays() -> None:
    for m in load_corpus():
        ents = m.entities
        if "check_in" in ents and "check_out" in ents:
            assert ents["check_out"] > ents["check_in"] and "nights" in ents, m.text
        assert set(ents) <= set(CHECKED_KINDS), m.text


def test_a_malformed_corpus_line_names_the_file_and_line() -> None:
    with pytest.raises(CorpusError, match=r"es_x.txt line 2: unknown intent 'hello'"):
        parse_corpus("# reference_date: 2026-11-25\nhello | - | hola\n", "es_x")
    with pytest.raises(CorpusError, match=r"line 2: out must be after in"):
        parse_corpus("# reference_date: 2026-11-25\nbook | in=2026-12-05 out=2026-12-03 | x\n", "es_x")
    with pytest.raises(CorpusError, match=r"expected `intent \| labels \| text`"):
        parse_corpus("# reference_date: 2026-11-25\nbook hola\n", "es_x")


def test_fitting_is_deterministic() -> None:
    samples = [(["w:hola", "c:hol"], "greeting"), (["w:cancelar"], "cancel"), (["w:hola", "w:cancelar"], "cancel")] * 30
    first, second = NaiveBayes.fit(samples), NaiveBayes.fit(list(samples))
    assert first.to_data() == second.to_data()


def test_probabilities_are_calibrated_on_held_out_messages() -> None:
    # Of the messages the shipped model is >= 90% sure about, at least 90% are right (the temperature is fitted
    # on a held-out fifth; this checks the whole set including in-sample messages, so it is a lower bar).
    confident = [(m, parse(m.text, m.reference_date)) for m in load_corpus()[::7]]
    sure = [(m, r) for m, r in confident if r.confidence >= 0.9]
    assert len(sure) > 100
    assert sum(r.intent == m.intent for m, r in sure) / len(sure) >= 0.9
    assert all(0.0 < r.confidence <= 1.0 for _, r in confident)


def test_gibberish_is_unknown_not_a_guess() -> None:
    assert parse("qwertyuiop", REF).intent == "unknown"
    assert parse("asdkjh zxmcn", REF).intent == "unknown"


def test_the_cache_is_keyed_by_corpus_and_code_and_a_torn_file_is_refitted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTELERO_CACHE_DIR", str(tmp_path))
    im.default_model.cache_clear()
    try:
        path = im.cached_model_path()
        assert path.parent == tmp_path and im.model_key() in path.name
        path.write_bytes(b"\x00torn")
        model = im.default_model()  # refits over the torn file
        assert NaiveBayes.from_data(marshal.loads(path.read_bytes())).to_data() == model.to_data()
    finally:
        im.default_model.cache_clear()


def test_every_shipped_file_is_part_of_the_model_key() -> None:
    names = {p.name for p in corpus_files()}
    assert names == {p.name for p in CORPUS_DIR.glob("*.txt")}


@pytest.mark.slow
def test_leave_one_register_out_meets_the_targets() -> None:
    # The honest estimate: each register scored by a model trained without it (issue 14 targets: 95% / 95%).
    held = leave_one_register_out(load_corpus())
    pooled = score("loro", [o for outs in held.values() for o in outs])
    assert pooled.intent_accuracy >= 0.95, pooled.intent_accuracy
    assert pooled.date_exact >= 0.95, pooled.date_exact
    assert min(score(name, outs).intent_accuracy for name, outs in held.items()) >= 0.85
