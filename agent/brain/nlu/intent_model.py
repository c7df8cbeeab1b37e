"""The learned intent model beside the rules: trained from the guest-register corpus, it decides the intent.

The rules still extract every entity and vote through the features (`analysis.features`); the model weighs
that vote against the words. Below `UNKNOWN_BELOW` calibrated probability the answer is `unknown`, so the
dialogue asks again instead of acting on a guess.

Fitting reads and analyses the whole corpus (a few seconds), so the fitted model is cached on disk, keyed
by a hash of the corpus and of the NLU's source: any change to either trains a new one. `hotelero nlu train`
builds the cache ahead of time; otherwise the first parse in a process builds it. That read (or write) is the
NLU's only I/O; `parse` itself is a pure function of the message, the date and the model.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from agent.brain.nlu.analysis import Analysis, analyse, features
from agent.brain.nlu.classifier import NaiveBayes
from agent.brain.nlu.corpus import LabelledMessage, load_corpus, load_team_set, training_files

UNKNOWN_BELOW = 0.35
_SOURCE_DIR = Path(__file__).parent


def train(messages: Iterable[LabelledMessage]) -> NaiveBayes:
    """Fit the intent model on labelled messages (deterministic: same messages and code, same model)."""
    return NaiveBayes.fit([(features(analyse(m.text, m.reference_date)), m.intent) for m in messages])


def model_key() -> str:
    """Hash of what the fitted model depends on: corpus files, the NLU's source, and the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    for path in [*training_files(), *sorted(_SOURCE_DIR.glob("*.py"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def cache_dir() -> Path:
    """$HOTELERO_CACHE_DIR, else $XDG_CACHE_HOME/hotelero, else ~/.cache/hotelero."""
    if os.environ.get("HOTELERO_CACHE_DIR"):
        return Path(os.environ["HOTELERO_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hotelero"


def cached_model_path() -> Path:
    return cache_dir() / f"nlu-intent-{model_key()}.marshal"


@cache
def default_model() -> NaiveBayes:
    """The model fitted on the register corpus and the team's dev set: read from the cache, or fitted and cached."""
    path = cached_model_path()
    try:
        # marshal holds plain data only (no code runs on load); a stale or torn file is simply refitted.
        return NaiveBayes.from_data(marshal.loads(path.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        pass
    model = train([*load_corpus(), *load_team_set()])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(marshal.dumps(model.to_data()))
        os.replace(tmp.name, path)
    except OSError:
        pass  # a read-only home only costs a refit in the next process
    return model


def decide(analysis: Analysis, model: NaiveBayes | None = None) -> tuple[str, float]:
    """The intent and its calibrated confidence for one analysed message."""
    model = model or default_model()
    found = features(analysis)
    if not analysis.rules.scores and not any(f.startswith("w:") and f in model.weights for f in found):
        # No rule fired and not one word the corpus knows ("qwertyuiop"): n-grams alone are no evidence.
        return "unknown", 0.6
    prediction = model.predict(found)
    if prediction.probability < UNKNOWN_BELOW:
        return "unknown", round(1.0 - prediction.probability, 3)
    return prediction.intent, round(prediction.probability, 3)
