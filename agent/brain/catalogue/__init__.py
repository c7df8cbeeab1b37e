"""One reply catalogue per language, rendered into WhatsApp message objects within WhatsApp's limits."""

from __future__ import annotations

from agent.brain.catalogue.render import LIMITS, render, text_of

__all__ = ["LIMITS", "render", "text_of"]
