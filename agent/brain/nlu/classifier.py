"""A multinomial naive Bayes intent classifier over sparse string features, with temperature calibration.

Pure Python and deterministic: counting needs no random numbers and the calibration split is fixed by
position. Features seen only once in training are dropped (they are mostly character n-grams of typos).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALPHA = 0.3  # additive smoothing of feature counts
MIN_COUNT = 2  # a feature must occur this often in training to be kept
_TEMPERATURES = tuple(float(t) for t in (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 70))
_HOLDOUT_EVERY = 5  # every fifth training sample calibrates the temperature

Samples = Sequence[tuple[Sequence[str], str]]


@dataclass(frozen=True)
class Prediction:
    """The most likely intent, its calibrated probability, and every intent's probability."""

    intent: str
    probability: float
    probabilities: dict[str, float]


class NaiveBayes:
    """Multinomial naive Bayes: log P(intent) + Σ log P(feature | intent), softened by a fitted temperature."""

    def __init__(
        self,
        labels: tuple[str, ...],
        priors: list[float],
        weights: dict[str, list[float]],
        temperature: float = 1.0,
    ) -> None:
        self.labels = labels
        self.priors = priors
        self.weights = weights
        self.temperature = temperature

    @classmethod
    def fit(cls, samples: Samples) -> NaiveBayes:
        """Count features per label, then fit the temperature on a fixed held-out fifth of the samples."""
        model = cls._count(samples)
        if len(samples) >= 50:
            train = [s for i, s in enumerate(samples) if i % _HOLDOUT_EVERY]
            held = [s for i, s in enumerate(samples) if not i % _HOLDOUT_EVERY]
            model.temperature = _fit_temperature(cls._count(train), held)
        return model

    @classmethod
    def _count(cls, samples: Samples) -> NaiveBayes:
        labels = tuple(sorted({label for _, label in samples}))
        index = {label: i for i, label in enumerate(labels)}
        per_label = [0] * len(labels)
        counts: dict[str, list[float]] = {}
        for features, label in samples:
            i = index[label]
            per_label[i] += 1
            for feature in features:
                row = counts.get(feature)
                if row is None:
                    row = counts[feature] = [0.0] * len(labels)
                row[i] += 1.0
        kept = {f: row for f, row in counts.items() if sum(row) >= MIN_COUNT}
        totals = [sum(row[i] for row in kept.values()) for i in range(len(labels))]
        denominators = [math.log(totals[i] + ALPHA * len(kept)) for i in range(len(labels))]
        log = math.log
        weights = {f: [log(c + ALPHA) - d for c, d in zip(row, denominators, strict=True)] for f, row in kept.items()}
        priors = [math.log(n / len(samples)) for n in per_label]
        return cls(labels, priors, weights)

    def scores(self, features: Sequence[str]) -> list[float]:
        """Unnormalised log joint per label (features the model does not know are ignored).

        Each label's sum adds the prior, then the features' weights in the order given: one float order, so the
        same scores to the last bit whatever the caller (tests/nlu/test_nlu_scoring.py pins it).
        """
        rows = [w for w in map(self.weights.get, features) if w is not None]
        return [sum(column) for column in zip(self.priors, *rows, strict=True)]

    def predict(self, features: Sequence[str]) -> Prediction:
        probabilities = _softmax(self.scores(features), self.temperature)
        best = max(range(len(self.labels)), key=probabilities.__getitem__)
        return Prediction(self.labels[best], probabilities[best], dict(zip(self.labels, probabilities, strict=True)))

    def to_data(self) -> dict[str, Any]:
        """Plain data (str, float, list, dict) for a cache file."""
        return {"labels": list(self.labels), "priors": self.priors, "weights": self.weights,
                "temperature": self.temperature}  # fmt: skip

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> NaiveBayes:
        return cls(tuple(data["labels"]), list(data["priors"]), dict(data["weights"]), float(data["temperature"]))


def _softmax(scores: list[float], temperature: float) -> list[float]:
    top = max(scores)
    exps = [math.exp((s - top) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _fit_temperature(model: NaiveBayes, held: Samples) -> float:
    """The temperature minimising the log loss of the model's predictions on samples it was not fitted on."""
    scored = [(model.scores(f), model.labels.index(y)) for f, y in held if y in model.labels]

    def loss(temperature: float) -> float:
        return -sum(math.log(max(_softmax(s, temperature)[y], 1e-12)) for s, y in scored)

    return min(_TEMPERATURES, key=loss)
