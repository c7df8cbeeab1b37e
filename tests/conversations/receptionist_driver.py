"""Drive the Receptionist directly (no WhatsApp): build Turns, keep each guest's state between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.clock import Clock
from agent.outbound import Buttons, ListMessage, Text
from agent.receptionist import Receptionist
from agent.responder import GuestRef, InboundView, Turn, TurnResult


@dataclass
class Guest:
    """One guest's side of a conversation with the receptionist."""

    wa_id: str
    receptionist: Receptionist
    clock: Clock
    state: dict[str, Any] = field(default_factory=dict)
    language: str = "es"
    last: TurnResult | None = None
    seq: int = 0
    history: list[TurnResult] = field(default_factory=list)

    async def say(self, text: str) -> TurnResult:
        return await self._turn(InboundView(wamid=self._wamid(), type="text", text=text))

    async def tap(self, title: str) -> TurnResult:
        """Tap the button or row with this title among the last replies."""
        reply_id, kind = self.find(title)
        return await self._turn(InboundView(wamid=self._wamid(), type=kind, reply_id=reply_id, reply_title=title))

    def find(self, title: str) -> tuple[str, str]:
        """The newest button or row with this title (an old message's button can still be tapped, like on a phone)."""
        for result in reversed(self.history):
            for r in result.replies:
                if isinstance(r, Buttons):
                    for b in r.buttons:
                        if b.title == title:
                            return b.id, "button_reply"
                if isinstance(r, ListMessage):
                    for row in r.rows:
                        if row.title == title:
                            return row.id, "list_reply"
        raise AssertionError(f"{title!r} not offered; last replies: {texts(self.last) if self.last else ''}")

    def _wamid(self) -> str:
        self.seq += 1
        return f"wamid.{self.wa_id}.{self.seq}"

    async def _turn(self, message: InboundView) -> TurnResult:
        turn = Turn(
            guest=GuestRef(self.wa_id, self.wa_id, None, "Guest"),
            conversation_id=int(self.wa_id[-6:]),
            message=message,
            state=self.state,
            language=self.language,
            clock=self.clock,
        )
        result = await self.receptionist.respond(turn)
        self.state = result.state
        self.language = result.language or self.language
        self.last = result
        self.history.append(result)
        return result


def texts(result: TurnResult) -> str:
    """Every body text of a turn's replies, joined."""
    out = []
    for r in result.replies:
        if isinstance(r, Text | Buttons | ListMessage):
            out.append(r.body)
    return "\n".join(out)
