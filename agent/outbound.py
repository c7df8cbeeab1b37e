"""Typed outbound WhatsApp messages that stay inside Meta's limits by construction, and their Graph JSON bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TEXT_MAX = 4096
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
INTERACTIVE_BODY_MAX = 1024
LIST_ROWS_MAX = 10
LIST_BUTTON_MAX = 20
ROW_ID_MAX = 200
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
FOOTER_MAX = 60


def clip(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, ending with an ellipsis when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def split_text(text: str, limit: int = TEXT_MAX - 1) -> list[str]:
    """Split long text into chunks of at most `limit` characters, at sentence boundaries where possible.

    Falls back to word boundaries, then to a hard cut, for sentences longer than the limit.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    for sentence in (s for s in _SENTENCE_END.split(text) if s.strip()):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        pieces.append(sentence.strip())
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


@dataclass(frozen=True)
class Text:
    """A plain text message; longer bodies are split into several messages by `expand`."""

    body: str
    preview_url: bool = False

    kind = "text"

    def payload(self) -> dict[str, Any]:
        return {"type": "text", "text": {"body": self.body, "preview_url": self.preview_url}}


@dataclass(frozen=True)
class ReplyButton:
    """One reply button; the title is clipped to 20 characters."""

    id: str
    title: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", self.id[:BUTTON_ID_MAX])
        object.__setattr__(self, "title", clip(self.title, BUTTON_TITLE_MAX))


@dataclass(frozen=True)
class Buttons:
    """An interactive reply-buttons message: at most three buttons with unique titles."""

    body: str
    buttons: tuple[ReplyButton, ...]
    footer: str | None = None

    kind = "buttons"

    def __post_init__(self) -> None:
        seen: set[str] = set()
        unique: list[ReplyButton] = []
        for button in self.buttons:
            # Meta rejects duplicate titles; keep the first of each.
            if button.title not in seen:
                seen.add(button.title)
                unique.append(button)
        object.__setattr__(self, "buttons", tuple(unique[:BUTTONS_MAX]))
        object.__setattr__(self, "body", clip(self.body, INTERACTIVE_BODY_MAX))
        if self.footer is not None:
            object.__setattr__(self, "footer", clip(self.footer, FOOTER_MAX))
        if not self.buttons:
            raise ValueError("a buttons message needs at least one button")

    def payload(self) -> dict[str, Any]:
        interactive: dict[str, Any] = {
            "type": "button",
            "body": {"text": self.body},
            "action": {"buttons": [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in self.buttons]},
        }
        if self.footer:
            interactive["footer"] = {"text": self.footer}
        return {"type": "interactive", "interactive": interactive}


@dataclass(frozen=True)
class ListRow:
    """One list row: id 200, title 24 and description 72 characters at most."""

    id: str
    title: str
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", self.id[:ROW_ID_MAX])
        object.__setattr__(self, "title", clip(self.title, ROW_TITLE_MAX))
        object.__setattr__(self, "description", clip(self.description, ROW_DESCRIPTION_MAX))


@dataclass(frozen=True)
class ListMessage:
    """An interactive list: one section, at most ten rows."""

    body: str
    button: str
    rows: tuple[ListRow, ...]
    section_title: str = ""
    footer: str | None = None

    kind = "list"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(self.rows[:LIST_ROWS_MAX]))
        object.__setattr__(self, "button", clip(self.button, LIST_BUTTON_MAX))
        object.__setattr__(self, "body", clip(self.body, INTERACTIVE_BODY_MAX))
        object.__setattr__(self, "section_title", clip(self.section_title, ROW_TITLE_MAX))
        if self.footer is not None:
            object.__setattr__(self, "footer", clip(self.footer, FOOTER_MAX))
        if not self.rows:
            raise ValueError("a list message needs at least one row")

    def payload(self) -> dict[str, Any]:
        section: dict[str, Any] = {
            "rows": [
                {"id": r.id, "title": r.title, **({"description": r.description} if r.description else {})}
                for r in self.rows
            ]
        }
        if self.section_title:
            section["title"] = self.section_title
        interactive: dict[str, Any] = {
            "type": "list",
            "body": {"text": self.body},
            "action": {"button": self.button, "sections": [section]},
        }
        if self.footer:
            interactive["footer"] = {"text": self.footer}
        return {"type": "interactive", "interactive": interactive}


@dataclass(frozen=True)
class Location:
    """A location pin."""

    latitude: float
    longitude: float
    name: str = ""
    address: str = ""

    kind = "location"

    def payload(self) -> dict[str, Any]:
        loc: dict[str, Any] = {"latitude": self.latitude, "longitude": self.longitude}
        if self.name:
            loc["name"] = self.name
        if self.address:
            loc["address"] = self.address
        return {"type": "location", "location": loc}


@dataclass(frozen=True)
class Template:
    """An approved template (the only kind allowed outside the 24-hour window)."""

    name: str
    language: str
    body_params: tuple[str, ...] = field(default_factory=tuple)

    kind = "template"

    def payload(self) -> dict[str, Any]:
        template: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if self.body_params:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in self.body_params]}
            ]
        return {"type": "template", "template": template}


Outbound = Text | Buttons | ListMessage | Location | Template


def expand(messages: list[Outbound]) -> list[Outbound]:
    """Split long texts so every message fits Meta's 4096-character text limit."""
    out: list[Outbound] = []
    for message in messages:
        if isinstance(message, Text) and len(message.body) >= TEXT_MAX:
            out.extend(Text(chunk, message.preview_url) for chunk in split_text(message.body))
        else:
            out.append(message)
    return out


def graph_body(message: Outbound, *, to: str | None, recipient: str | None = None) -> dict[str, Any]:
    """The JSON body for POST /{version}/{phone-number-id}/messages."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    if to:
        body["to"] = to
    elif recipient:
        body["recipient"] = recipient
    body.update(message.payload())
    return body


def describe(message: Outbound) -> dict[str, Any]:
    """A JSON-able record of a message, as stored in outbound_messages.body (the Graph payload)."""
    return message.payload()
