"""What the receptionist says, before wording: catalogue keys with parameters, buttons, list rows, a location."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """A reply button: its title is a catalogue key (`title_key`) or a literal (`title`, e.g. a room name)."""

    id: str
    title_key: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Row:
    """A list row (title ≤ 24 characters, description ≤ 72)."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Say:
    """A text, or an interactive message if it carries buttons (≤ 3) or rows (≤ 10)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()
    rows: tuple[Row, ...] = ()
    list_button_key: str = "list.button"


@dataclass(frozen=True)
class SendLocation:
    """A WhatsApp location message."""

    latitude: float
    longitude: float
    name: str
    address: str


Reply = Say | SendLocation
