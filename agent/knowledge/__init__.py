"""The hotel knowledge file: what QloApps does not hold (breakfast hours, wifi, parking, pets...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).with_name("hotel.yaml")
LANGUAGES = ("es", "en")


class KnowledgeError(ValueError):
    """The knowledge file is malformed; the message names the entry to fix."""


def load_knowledge(path: Path = DEFAULT_PATH) -> dict[str, Any]:
    """Read and check the knowledge file: every text must exist in Spanish and English."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"cannot read the hotel knowledge file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path} must be a mapping at the top level")
    for name, texts in (data.get("amenities") or {}).items():
        if not isinstance(texts, dict) or any(not texts.get(lang) for lang in LANGUAGES):
            raise KnowledgeError(f"{path}: amenities.{name} needs both an 'es' and an 'en' text")
    loc = data.get("location") or {}
    if loc and not all(isinstance(loc.get(k), int | float) for k in ("latitude", "longitude")):
        raise KnowledgeError(f"{path}: location needs numeric latitude and longitude")
    return data
