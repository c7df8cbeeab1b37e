"""Case and accent folding shared by the normaliser and the entity extractors."""

from __future__ import annotations

import unicodedata


def strip_accents(text: str) -> str:
    """Strip accents (é→e, ñ→n, ü→u) keeping case; keeps everything else."""
    if text.isascii():
        return text  # nothing to decompose
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lowercase and strip accents (é→e, ñ→n, ü→u); keeps everything else."""
    return strip_accents(text.lower())
