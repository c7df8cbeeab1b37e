"""The intent model's I/O, kept outside the pure brain: the shipped corpus files and the fitted model's disk cache.

The brain (`agent.brain.nlu`) parses with whatever fitted `NaiveBayes` it is given. This adapter reads the
guest-register corpus and the team's dev set, fits the model once, and caches it on disk keyed by a hash of the
corpus and of the NLU's source: any change to either trains a new one. `hotelero nlu train` builds the cache ahead
of time; the receptionist loads it when it starts, so no guest waits for the fit.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

import yaml

from agent.brain import nlu as _nlu_package
from agent.brain.nlu.classifier import NaiveBayes
from agent.brain.nlu.corpus import LabelledMessage, parse_corpus, parse_team_set
from agent.brain.nlu.intent_model import train

_NLU_SOURCE_DIR = Path(_nlu_package.__file__).parent
CORPUS_DIR = _NLU_SOURCE_DIR / "corpus"
# The team's own dev set also trains the model (its heldout.yaml stays out: it is only ever evaluated).
TEAM_TRAINING_SET = "dev.yaml"


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    """Every register file, in a stable order."""
    return sorted(directory.glob("*.txt"))


def load_corpus(directory: Path = CORPUS_DIR) -> list[LabelledMessage]:
    """Every labelled message of every register file."""
    return [m for path in corpus_files(directory) for m in parse_corpus(path.read_text("utf-8"), path.stem)]


def load_team_set(path: Path = CORPUS_DIR / TEAM_TRAINING_SET) -> list[LabelledMessage]:
    """The team's YAML set as training messages (text, intent, language, reference date)."""
    return parse_team_set(yaml.safe_load(path.read_text("utf-8")), path.stem)


def training_files(directory: Path = CORPUS_DIR) -> list[Path]:
    """Every file the shipped model is fitted on."""
    return [*corpus_files(directory), directory / TEAM_TRAINING_SET]


def model_key() -> str:
    """Hash of what the fitted model depends on: corpus files, the NLU's source and this loader, the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    for path in [*training_files(), *sorted(_NLU_SOURCE_DIR.glob("*.py")), Path(__file__)]:
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
