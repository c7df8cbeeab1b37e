"""The learned intent model beside the rules: trained from the guest-register corpus, it decides the intent.

The rules still extract every entity and vote through the features (`analysis.features`); the model weighs
that vote against the words. Below `UNKNOWN_BELOW` calibrated probability the answer is `unknown`, so the
dialogue asks again instead of acting on a guess.

Pure: the caller passes the fitted model in. Reading the corpus and caching the fitted model on disk is the
adapter's job (`agent.nlu_model`), outside the brain.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.brain.nlu.analysis import Analysis, analyse, features
from agent.brain.nlu.classifier import NaiveBayes
from agent.brain.nlu.corpus import LabelledMessage

UNKNOWN_BELOW = 0.35


def train(messages: Iterable[LabelledMessage]) -> NaiveBayes:
    """Fit the intent model on labelled messages (deterministic: same messages and code, same model)."""
    return NaiveBayes.fit([(features(analyse(m.text, m.reference_date)), m.intent) for m in messages])


def decide(analysis: Analysis, model: NaiveBayes) -> tuple[str, float]:
    """The intent and its calibrated confidence for one analysed message."""
    found = features(analysis)
    if not analysis.rules.scores and not any(f.startswith("w:") and f in model.weights for f in found):
        # No rule fired and not one word the corpus knows ("qwertyuiop"): n-grams alone are no evidence.
        return "unknown", 0.6
    prediction = model.predict(found)
    if prediction.probability < UNKNOWN_BELOW:
        return "unknown", round(1.0 - prediction.probability, 3)
    return prediction.intent, round(prediction.probability, 3)
