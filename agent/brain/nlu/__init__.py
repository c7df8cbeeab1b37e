"""Bilingual (es/en) understanding of guest messages: intent, entities, dates. Pure: no I/O, no clock."""

from __future__ import annotations

from agent.brain.nlu.model import AMENITIES, INTENTS, Language, ParseResult
from agent.brain.nlu.parser import parse

__all__ = ["AMENITIES", "INTENTS", "Language", "ParseResult", "parse"]
