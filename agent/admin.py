"""The staff API under /admin (Bearer AGENT_ADMIN_TOKEN): handoffs, transcripts, staff messages, dead letters."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from agent import inbox
from agent.graph import GraphError
from agent.outbound import Text, split_text
from agent.pgtext import clean_text

log = logging.getLogger(__name__)


def require_admin(request: Request) -> str:
    """401 unless the request carries `Authorization: Bearer <AGENT_ADMIN_TOKEN>`."""
    header = request.headers.get("authorization", "")
    token = request.app.state.settings.admin_token.get_secret_value()
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given or not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(
            401, "send Authorization: Bearer <AGENT_ADMIN_TOKEN>", headers={"WWW-Authenticate": "Bearer"}
        )
    return "staff"


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])

# A guest id with U+0000 or a lone surrogate cannot be in the database: cleaned, it is simply unknown (404).
GuestId = Annotated[str, AfterValidator(clean_text)]


class Handoff(BaseModel):
    conversation_id: int
    guest: str
    profile_name: str
    reason: str
    since: datetime


class TranscriptLine(BaseModel):
    at: datetime
    direction: str  # in | out
    origin: str  # guest | agent | staff | apology | notice | fallback
    type: str
    text: str
    wamid: str | None
    status: str


class StaffMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, AfterValidator(clean_text)] = Field(min_length=1, max_length=20000)
    author: Annotated[str, AfterValidator(clean_text)] = Field(default="staff", max_length=80)


class DeadLetter(BaseModel):
    id: int
    wamid: str
    guest: str
    error: str
    attempts: int
    created_at: datetime
    retried_at: datetime | None


async def _audit(request: Request, action: str, detail: dict[str, Any]) -> None:
    await inbox.audit(request.app.state.pool, action, detail, request.app.state.clock.now())


@router.get("/handoffs", response_model=list[Handoff])
async def list_handoffs(request: Request) -> list[Handoff]:
    """Conversations flagged for a human (auto-replies stopped), oldest first."""
    rows = await inbox.open_handoffs(request.app.state.pool)
    return [Handoff(conversation_id=r[0], guest=r[1], profile_name=r[2], reason=r[3], since=r[4]) for r in rows]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _text_of(body: Any) -> str:
    """A message's text for the transcript, whatever shape a signed payload had (never raises)."""
    body = _obj(body)
    kind = _str(body.get("type"))
    if kind == "text":
        return _str(_obj(body.get("text")).get("body"))
    if kind == "interactive":
        inter = _obj(body.get("interactive"))
        sub = _str(inter.get("type"))
        if sub in ("button_reply", "list_reply"):
            return _str(_obj(inter.get(sub)).get("title"))
        return _str(_obj(inter.get("body")).get("text"))
    if kind == "button":
        return _str(_obj(body.get("button")).get("text"))
    if kind == "location":
        loc = _obj(body.get("location"))
        return f"{_str(loc.get('name'))} ({loc.get('latitude')}, {loc.get('longitude')})".strip()
    if kind == "template":
        return f"[template {_str(_obj(body.get('template')).get('name'))}]"
    if kind and isinstance(body.get(kind), dict):
        return _str(body[kind].get("caption", f"[{kind}]"))
    return f"[{kind}]"


@router.get("/conversations/{guest}/transcript", response_model=list[TranscriptLine])
async def transcript(guest: GuestId, request: Request, limit: int = 200) -> list[TranscriptLine]:
    """Inbound and outbound messages of a guest, in time order (404 for an unknown guest)."""
    rows = await inbox.transcript(request.app.state.pool, guest, max(1, min(limit, 2000)))
    if rows is None:
        raise HTTPException(404, f"no guest {guest!r}; list flagged ones at GET /admin/handoffs")
    return [
        TranscriptLine(
            at=r[0], direction=r[1], origin=r[2], type=_str(r[3]), text=_text_of(r[4]), wamid=r[5], status=r[6]
        )
        for r in rows
    ]


@router.post("/conversations/{guest}/messages")
async def send_as_staff(guest: GuestId, message: StaffMessage, request: Request) -> dict[str, Any]:
    """Send a text to the guest as staff (recorded in the transcript); 502 with Meta's reason if refused."""
    state = request.app.state
    now = state.clock.now()
    row = await inbox.guest_recipient(state.pool, guest)
    if row is None:
        raise HTTPException(404, f"no guest {guest!r}; the guest must have written first")
    wa_id, user_id = row
    sent: list[str] = []
    for chunk in split_text(message.text):
        payload = Text(chunk).payload()
        out_id = await inbox.add_staff_message(state.pool, guest, payload, now)
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **({"to": wa_id} if wa_id else {"recipient": user_id}),
            **payload,
        }
        try:
            wamid = await state.graph.send(body)
        except GraphError as exc:
            await inbox.record_send_failure(state.pool, out_id, exc.code, str(exc), now)
            raise HTTPException(502, f"WhatsApp refused the message: {exc}") from exc
        await inbox.record_sent(state.pool, [(out_id, wamid)], now)
        sent.append(wamid)
    await _audit(request, "staff_send", {"guest": guest, "author": message.author, "wamids": sent})
    return {"wamids": sent}


@router.post("/conversations/{guest}/resolve")
async def resolve_handoff(guest: GuestId, request: Request) -> dict[str, Any]:
    """Close the guest's open handoffs; the agent answers automatically again."""
    state = request.app.state
    now = state.clock.now()
    resolved = await inbox.resolve_handoffs(state.pool, guest, now)
    if resolved is None:
        raise HTTPException(404, f"no conversation for {guest!r}")
    await _audit(request, "resolve_handoff", {"guest": guest, "handoffs": resolved})
    return {"resolved": resolved}


@router.get("/dead-letters", response_model=list[DeadLetter])
async def list_dead_letters(request: Request, include_retried: bool = False) -> list[DeadLetter]:
    """Messages the worker gave up on, newest first."""
    rows = await inbox.dead_letters(request.app.state.pool, include_retried)
    return [
        DeadLetter(id=r[0], wamid=r[1], guest=r[2], error=r[3], attempts=r[4], created_at=r[5], retried_at=r[6])
        for r in rows
    ]


@router.post("/dead-letters/{dead_id}/retry")
async def retry_dead_letter(dead_id: int, request: Request) -> dict[str, Any]:
    """Put a dead message back in the inbox with fresh attempts (replies already sent are not sent again)."""
    state = request.app.state
    now = state.clock.now()
    wamid = await inbox.requeue_dead_letter(state.pool, dead_id, now)
    if wamid is None:
        raise HTTPException(404, f"no dead letter {dead_id} waiting; see GET /admin/dead-letters")
    if state.worker is not None:
        state.worker.wake()
    await _audit(request, "retry_dead_letter", {"dead_letter": dead_id, "wamid": wamid})
    return {"requeued": wamid}
