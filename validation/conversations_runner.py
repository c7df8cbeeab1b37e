"""Golden conversations: load the YAML files, drive them through the WhatsApp simulator against a running agent, and
judge every turn (intent, reply text, buttons/rows, location, handoff flag, QloApps side effects).

Entry point: `run_conversations(paths, whatsapp_url, qloapps_url, qloapps_key, agent_url, admin_token)`.
The file format is documented in docs/conversations.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import aiohttp
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.pms import QloAppsClient, QloAppsConfig
from agent.pms.errors import PmsError
from agent.pms.models import BookingRequest, GuestDetails

CONVERSATIONS_DIR = Path(__file__).with_name("conversations")
HOTEL_TZ = "Europe/Madrid"
_VAR = re.compile(r"\{\{(\w+)\}\}")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_OFFSET = re.compile(r"^\+(\d+)d$")


# ---- the file format ------------------------------------------------------------------------------------------


# A phone that is no golden guest's WhatsApp number (setup bookings must not be found as the guest's own).
_OTHER_PHONE = "+34600000000"

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StayRef(_Strict):
    """A stay in an expectation: dates as `MM-DD` (next occurrence from today) or `+Nd` (days from today)."""

    check_in: str
    check_out: str
    room_type: str | None = None


class BookingCheck(StayRef):
    reference: str
    status: Literal["active", "cancelled"] = "active"
    check_in: str = ""
    check_out: str = ""
    rooms: int | None = None
    adults: int | None = None  # the whole party, summed over the booking's rooms
    children: int | None = None


class EmailBookingsCheck(_Strict):
    email: str
    active: int


class PmsExpect(_Strict):
    booking: BookingCheck | None = None
    bookings_for_email: EmailBookingsCheck | None = None
    room_free: StayRef | None = None


class Expect(_Strict):
    """What must be true after a guest turn."""

    intent: str | None = None
    contains: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    matches: str | None = None
    buttons: list[str] = Field(default_factory=list)
    rows: list[str] = Field(default_factory=list)
    location: bool | None = None
    no_reply: bool = False
    handoff: bool | None = None
    capture: dict[str, str] = Field(default_factory=dict)
    pms: PmsExpect | None = None


class Turn(_Strict):
    """One guest action: text, a button or list tap (by title), media, or a location."""

    text: str | None = None
    button: str | None = None
    list: str | None = None
    media: Literal["image", "audio", "document", "video", "sticker"] | None = None
    caption: str | None = Field(None, max_length=1024)  # the text sent with an image, video or document
    location: dict[str, Any] | None = None
    double_tap: bool = False
    pause_s: float = Field(0.0, ge=0, le=30)  # wait before sending (e.g. for the agent's circuit breaker cooldown)
    qloapps_faults: dict[str, Any] | Literal["clear"] | None = None
    expect: Expect = Field(default_factory=Expect)

    @model_validator(mode="after")
    def _one_action(self) -> Turn:
        given = [k for k in ("text", "button", "list", "media", "location") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a turn needs exactly one of text/button/list/media/location, got {given or 'none'}")
        return self


class FillSpec(StayRef):
    """Book rooms directly in QloApps so that only `leave` rooms stay free for the stay (per room type or total)."""

    leave: dict[str, int] = Field(default_factory=dict)
    leave_others: int = 0


class SeedBooking(StayRef):
    """A booking made directly in QloApps before the conversation; its reference is captured as `capture`."""

    room_type: str
    email: str
    firstname: str = "Test"
    lastname: str = "Guest"
    capture: str = "ref"
    adults: int = Field(2, ge=1)
    children: int = Field(0, ge=0)
    rooms: int = Field(1, ge=1)
    # Book under the conversation guest's WhatsApp number (customer phone `+<wa_id>`), as the agent itself does.
    guest_phone: bool = False


class Setup(_Strict):
    fill: list[FillSpec] = Field(default_factory=list)
    book: list[SeedBooking] = Field(default_factory=list)


class Conversation(_Strict):
    """One golden conversation file."""

    name: str
    language: Literal["es", "en"]
    flow: str
    reference_date: date
    description: str = ""
    # Serial conversations run alone (they inject QloApps faults or exhaust inventory others could see).
    serial: bool = False
    profile_name: str = "Guest"
    setup: Setup = Field(default_factory=Setup)
    turns: list[Turn]


def load_conversation(path: Path) -> Conversation:
    """Parse and validate one file; the error names the file and the field to fix."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data.setdefault("name", path.stem)
        return Conversation.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: not a valid golden conversation: {exc}") from exc


def discover(paths: list[Path] | None = None) -> list[Path]:
    """The conversation files under the given files/folders (default validation/conversations/)."""
    out: list[Path] = []
    for p in paths or [CONVERSATIONS_DIR]:
        out.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    return out


# ---- results --------------------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class TurnOutcome:
    index: int
    sent: str
    passed: bool
    checks: list[Check] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    latency_ms: float | None = None


@dataclass
class ConversationResult:
    """One conversation's verdict: passed only if every turn passed and setup worked."""

    name: str
    path: str
    language: str
    flow: str
    passed: bool
    turns: list[TurnOutcome] = field(default_factory=list)
    error: str = ""
    duration_ms: float = 0.0

    def failed_turns(self) -> list[dict[str, Any]]:
        return [
            {
                "turn": t.index,
                "sent": t.sent,
                "failed": [f"{c.name}: {c.detail}" for c in t.checks if not c.passed],
                "replies": t.replies,
            }
            for t in self.turns
            if not t.passed
        ]

    def as_sample(self) -> dict[str, Any]:
        """The fields of validation.samples.ConversationResult."""
        return {
            "name": self.name,
            "passed": self.passed,
            "flow": self.flow,
            "language": self.language,
            "turns": len(self.turns),
            "failed_turns": self.failed_turns(),
            "duration_ms": self.duration_ms,
            "detail": self.error,
        }


# ---- dates and variables --------------------------------------------------------------------------------------


def resolve_day(token: str, today: date) -> date:
    """`MM-DD` → its next occurrence on or after today; `+Nd` → today + N days; ISO dates as they are."""
    if m := _OFFSET.match(token):
        return today + timedelta(days=int(m.group(1)))
    if m := _MONTH_DAY.match(token):
        month, day = int(m.group(1)), int(m.group(2))
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    return date.fromisoformat(token)


def resolve_stay(stay: StayRef, today: date) -> tuple[date, date]:
    ci = resolve_day(stay.check_in, today)
    co = resolve_day(stay.check_out, today)
    while co <= ci:  # "12-30" to "01-02" crosses the year
        co = date(co.year + 1, co.month, co.day)
    return ci, co


def substitute(text: str, variables: dict[str, str]) -> str:
    """Replace `{{name}}` with captured values; an unknown name is left visible so the check fails clearly."""
    return _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


# ---- reading replies ------------------------------------------------------------------------------------------


def reply_texts(message: dict[str, Any]) -> list[str]:
    """All guest-visible text of one business message (body, button titles, rows, location)."""
    kind = message.get("type")
    if kind == "text":
        return [message.get("text", {}).get("body", "")]
    if kind == "interactive":
        inter = message.get("interactive", {})
        out = [inter.get("body", {}).get("text", "")]
        action = inter.get("action", {})
        out += [b.get("reply", {}).get("title", "") for b in action.get("buttons", [])]
        for section in action.get("sections", []):
            out += [r.get("title", "") + " " + r.get("description", "") for r in section.get("rows", [])]
        return out
    if kind == "location":
        loc = message.get("location", {})
        return [loc.get("name", ""), loc.get("address", "")]
    return [json.dumps(message, ensure_ascii=False)]


def offered(messages: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Button titles and list row titles offered in these messages."""
    buttons: list[str] = []
    rows: list[str] = []
    for m in messages:
        action = m.get("interactive", {}).get("action", {}) if m.get("type") == "interactive" else {}
        buttons += [b.get("reply", {}).get("title", "") for b in action.get("buttons", [])]
        for section in action.get("sections", []):
            rows += [r.get("title", "") for r in section.get("rows", [])]
    return buttons, rows


# ---- the driver -----------------------------------------------------------------------------------------------


@dataclass
class Endpoints:
    whatsapp_url: str
    qloapps_url: str
    qloapps_key: str
    agent_url: str
    admin_token: str
    hotel_id: int = 1
    reply_timeout_s: float = 20.0
    settle_ms: int = 600
    breaker_cooldown_s: float = 11.0  # agent/pms/breaker.py cooldown (10 s) plus a margin


class _Driver:
    def __init__(self, ep: Endpoints, session: aiohttp.ClientSession, pms: QloAppsClient, run_tag: str) -> None:
        self.ep = ep
        self.http = session
        self.pms = pms
        self.run_tag = run_tag

    async def _json(self, method: str, url: str, **kw: Any) -> tuple[int, Any]:
        async with self.http.request(method, url, **kw) as resp:
            raw = await resp.read()
            try:
                return resp.status, json.loads(raw) if raw else None
            except ValueError:
                return resp.status, raw.decode(errors="replace")

    def wa_id_for(self, name: str) -> str:
        digest = int(hashlib.sha256(f"{self.run_tag}:{name}".encode()).hexdigest(), 16)
        return "3469" + f"{digest % 10**8:08d}"

    async def run(self, conv: Conversation, path: Path) -> ConversationResult:
        started = time.monotonic()
        result = ConversationResult(conv.name, str(path), conv.language, conv.flow, passed=False)
        today = datetime.now(ZoneInfo(HOTEL_TZ)).date()
        variables: dict[str, str] = {"run": self.run_tag}
        wa_id = self.wa_id_for(conv.name)
        try:
            await self._setup(conv.setup, today, variables, wa_id)
            status, body = await self._json(
                "POST",
                f"{self.ep.whatsapp_url}/_sim/guests",
                json={"wa_id": wa_id, "profile_name": conv.profile_name, "language": conv.language},
            )
            if status not in (200, 201):
                raise RuntimeError(f"WhatsApp simulator refused the guest: HTTP {status} {body}")
            for index, turn in enumerate(conv.turns):
                outcome = await self._turn(index, turn, conv, wa_id, today, variables)
                result.turns.append(outcome)
                if not outcome.passed:
                    break  # later turns depend on this one; stop at the first failure
        except Exception as exc:  # noqa: BLE001 - any failure is reported as this conversation's error
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            if any(t.qloapps_faults not in (None, "clear") for t in conv.turns):
                await self._json("DELETE", f"{self.ep.qloapps_url}/_sim/faults")
                await self._breaker_cooldown()
        result.passed = (
            not result.error and len(result.turns) == len(conv.turns) and all(t.passed for t in result.turns)
        )
        result.duration_ms = (time.monotonic() - started) * 1000
        return result

    async def _setup(self, setup: Setup, today: date, variables: dict[str, str], wa_id: str) -> None:
        for spec in setup.fill:
            await self._fill(spec, today)
        for seed in setup.book:
            seed = seed.model_copy(
                update={k: substitute(getattr(seed, k), variables) for k in ("email", "firstname", "lastname")}
            )
            ci, co = resolve_stay(seed, today)
            rt = await self._room_type_id(seed.room_type)
            currency = (await self.pms.search_availability(self.ep.hotel_id, ci, co, use_cache=False)).currency
            booking = await self.pms.create_booking(
                BookingRequest(
                    self.ep.hotel_id,
                    rt,
                    ci,
                    co,
                    seed.adults,
                    seed.children,
                    seed.rooms,
                    currency,
                    # QloApps requires a phone (PS_ONE_PHONE_AT_LEAST); another number unless the seed is the guest's.
                    GuestDetails(
                        seed.firstname, seed.lastname, seed.email, f"+{wa_id}" if seed.guest_phone else _OTHER_PHONE
                    ),
                    "golden conversation setup",
                )
            )
            variables[seed.capture] = booking.reference

    async def _room_type_id(self, name: str) -> int:
        for rt in await self.pms.room_types(self.ep.hotel_id):
            if rt.name.lower() == name.lower():
                return rt.id
        raise ValueError(f"room type {name!r} is not in QloApps hotel {self.ep.hotel_id}")

    async def _fill(self, spec: FillSpec, today: date) -> None:
        ci, co = resolve_stay(spec, today)
        avail = await self.pms.search_availability(self.ep.hotel_id, ci, co, use_cache=False)
        leave = {k.lower(): v for k, v in spec.leave.items()}
        for offer in avail.offers:
            keep = leave.get(offer.name.lower(), spec.leave_others)
            take = offer.available - keep
            if take <= 0:
                continue
            await self.pms.create_booking(
                BookingRequest(
                    self.ep.hotel_id,
                    offer.id_room_type,
                    ci,
                    co,
                    take,  # one adult per room: the party is spread over the rooms
                    0,
                    take,
                    avail.currency,
                    GuestDetails("Filler", "Guest", f"filler-{self.run_tag}@example.com", _OTHER_PHONE),
                    "golden conversation inventory fill",
                )
            )

    def _message_body(self, turn: Turn, variables: dict[str, str]) -> dict[str, Any]:
        if turn.text is not None:
            return {"type": "text", "text": substitute(turn.text, variables)}
        if turn.button is not None:
            return {"type": "button", "title": substitute(turn.button, variables)}
        if turn.list is not None:
            return {"type": "list", "title": substitute(turn.list, variables)}
        if turn.media is not None:
            return {
                "type": turn.media,
                "mime_type": "image/jpeg" if turn.media == "image" else None,
                "caption": substitute(turn.caption, variables) if turn.caption else None,
            }
        return {"type": "location", **(turn.location or {})}

    async def _turn(
        self, index: int, turn: Turn, conv: Conversation, wa_id: str, today: date, variables: dict[str, str]
    ) -> TurnOutcome:
        if turn.pause_s:
            await asyncio.sleep(turn.pause_s)
        if turn.qloapps_faults == "clear":
            await self._json("DELETE", f"{self.ep.qloapps_url}/_sim/faults")
            await self._breaker_cooldown()
        elif turn.qloapps_faults is not None:
            status, body = await self._json("POST", f"{self.ep.qloapps_url}/_sim/faults", json=turn.qloapps_faults)
            if status >= 300:
                raise RuntimeError(f"QloApps simulator refused the faults: HTTP {status} {body}")
        body = {k: v for k, v in self._message_body(turn, variables).items() if v is not None}
        sent = body.get("text") or body.get("title") or body["type"]
        outcome = TurnOutcome(index=index, sent=str(sent), passed=False)
        url = f"{self.ep.whatsapp_url}/_sim/guests/{wa_id}/messages"
        status, accepted = await self._json("POST", url, json=body)
        if status >= 300:
            outcome.checks.append(Check("send", False, f"HTTP {status}: {accepted}"))
            return outcome
        if turn.double_tap:
            await self._json("POST", url, json=body)
        exp = turn.expect
        wait = 2.5 if exp.no_reply else self.ep.reply_timeout_s
        settle = 1500 if turn.double_tap else self.ep.settle_ms
        _, got = await self._json(
            "GET",
            f"{self.ep.whatsapp_url}/_sim/guests/{wa_id}/replies",
            params={"after": accepted["wamid"], "timeout": str(wait), "settle_ms": str(settle)},
        )
        replies = [r["message"] for r in (got or {}).get("replies", [])]
        if replies:
            outcome.latency_ms = got["replies"][0]["arrived_at_ms"] - got["timeline"]["accepted_at_ms"]
        texts = [t for m in replies for t in reply_texts(m)]
        outcome.replies = texts
        joined = "\n".join(texts)
        folded = joined.lower()
        checks = outcome.checks
        if exp.no_reply:
            checks.append(Check("no_reply", not replies, f"got {texts}" if replies else ""))
        elif not replies:
            checks.append(Check("reply", False, f"no reply within {wait}s"))
        if exp.intent:
            checks.append(await self._check_intent(str(sent), exp.intent, conv.language))
        for needle in exp.contains:
            needle = substitute(needle, variables)
            checks.append(
                Check(
                    f"contains {needle!r}", needle.lower() in folded, "" if needle.lower() in folded else joined[:300]
                )
            )
        for needle in exp.not_contains:
            needle = substitute(needle, variables)
            checks.append(Check(f"not_contains {needle!r}", needle.lower() not in folded, joined[:300]))
        if exp.matches:
            pattern = substitute(exp.matches, variables)
            ok = re.search(pattern, joined, re.I | re.S) is not None
            checks.append(Check(f"matches {pattern!r}", ok, "" if ok else joined[:300]))
        buttons, rows = offered(replies)
        for title in (substitute(t, variables) for t in exp.buttons):
            checks.append(Check(f"button {title!r}", title in buttons, f"offered {buttons}"))
        for title in (substitute(t, variables) for t in exp.rows):
            checks.append(Check(f"row {title!r}", title in rows, f"offered {rows}"))
        if exp.location is not None:
            has = any(m.get("type") == "location" for m in replies)
            checks.append(Check("location message", has == exp.location, f"types {[m.get('type') for m in replies]}"))
        for var, pattern in exp.capture.items():
            m = re.search(pattern, joined, re.I | re.S)
            if m:
                variables[var] = m.group(1)
            checks.append(Check(f"capture {var}", m is not None, "" if m else joined[:300]))
        if exp.handoff is not None:
            checks.append(await self._check_handoff(wa_id, exp.handoff))
        if exp.pms is not None:
            checks.extend(await self._check_pms(exp.pms, today, variables))
        outcome.passed = bool(checks) and all(c.passed for c in checks)
        return outcome

    async def _breaker_cooldown(self) -> None:
        """If faults opened the agent's QloApps circuit breaker, wait until its half-open probe may pass."""
        async with self.http.get(f"{self.ep.agent_url}/metrics") as resp:
            text = await resp.text()
        if re.search(r'^hotelero_pms_circuit_state\{state="(?:open|half_open)"\} 1', text, re.M):
            await asyncio.sleep(self.ep.breaker_cooldown_s)

    async def _check_intent(self, text: str, intent: str, language: str) -> Check:
        status, body = await self._json(
            "POST", f"{self.ep.agent_url}/nlu/parse", json={"text": text, "previous_language": language}
        )
        got = body.get("intent") if isinstance(body, dict) else None
        return Check(f"intent {intent}", status == 200 and got == intent, f"NLU said {got!r} (HTTP {status})")

    async def _check_handoff(self, wa_id: str, expected: bool) -> Check:
        # GET /admin/handoffs lists the conversations flagged for a person (auto-replies stopped).
        headers = {"Authorization": f"Bearer {self.ep.admin_token}"}
        status, body = await self._json("GET", f"{self.ep.agent_url}/admin/handoffs", headers=headers)
        if status != 200 or not isinstance(body, list):
            return Check("handoff", False, f"cannot read /admin/handoffs: HTTP {status} {str(body)[:200]}")
        flagged = any(isinstance(h, dict) and h.get("guest") == wa_id for h in body)
        return Check(f"handoff {expected}", flagged == expected, f"agent says handoff={flagged}")

    async def _check_pms(self, exp: PmsExpect, today: date, variables: dict[str, str]) -> list[Check]:
        out: list[Check] = []
        try:
            if exp.booking is not None:
                ref = substitute(exp.booking.reference, variables)
                b = await self.pms.booking_by_reference(ref)
                if b is None:
                    out.append(Check(f"booking {ref}", False, "not found in QloApps"))
                else:
                    state_ok = b.cancelled == (exp.booking.status == "cancelled")
                    out.append(Check(f"booking {ref} {exp.booking.status}", state_ok, f"order state {b.current_state}"))
                    if exp.booking.check_in:
                        ci, co = resolve_stay(exp.booking, today)
                        ok = (b.date_from, b.date_to) == (ci, co)
                        out.append(
                            Check(f"booking {ref} dates {ci}..{co}", ok, f"QloApps has {b.date_from}..{b.date_to}")
                        )
                    if exp.booking.room_type:
                        names = [line.name for line in b.lines]
                        out.append(Check(f"booking {ref} room type", exp.booking.room_type in names, f"{names}"))
                    for what in ("adults", "children"):
                        want = getattr(exp.booking, what)
                        if want is not None:
                            n = sum(getattr(line, what) for line in b.lines)
                            out.append(Check(f"booking {ref} {want} {what}", n == want, f"{n}"))
                    if exp.booking.rooms is not None:
                        n = sum(line.rooms for line in b.lines)
                        out.append(Check(f"booking {ref} {exp.booking.rooms} rooms", n == exp.booking.rooms, f"{n}"))
            if exp.bookings_for_email is not None:
                email = substitute(exp.bookings_for_email.email, variables)
                active = [b for b in await self.pms.bookings_for_email(email) if not b.cancelled]
                n = exp.bookings_for_email.active
                out.append(Check(f"{n} active booking(s) for {email}", len(active) == n, f"found {len(active)}"))
            if exp.room_free is not None:
                ci, co = resolve_stay(exp.room_free, today)
                avail = await self.pms.search_availability(self.ep.hotel_id, ci, co, use_cache=False)
                names = [o.name for o in avail.offers]
                want = exp.room_free.room_type
                ok = (want in names) if want else bool(names)
                out.append(Check(f"room free {want or 'any'} {ci}..{co}", ok, f"free: {names}"))
        except PmsError as exc:
            out.append(Check("pms", False, f"QloApps check failed: {exc}"))
        return out


async def run_conversations_async(
    paths: list[Path] | None,
    whatsapp_url: str,
    qloapps_url: str,
    qloapps_key: str,
    agent_url: str,
    admin_token: str,
    *,
    concurrency: int = 6,
    run_tag: str | None = None,
    reset_qloapps: bool = False,
) -> list[ConversationResult]:
    """Run the conversations (parallel ones `concurrency` at a time, then serial ones alone), in file order.

    The files fill and book fixed dates, so run them against a fresh QloApps simulator, or pass
    `reset_qloapps=True` to POST its /_sim/reset first (this drops every booking in it).
    """
    files = discover(paths)
    convs = [(p, load_conversation(p)) for p in files]
    ep = Endpoints(whatsapp_url.rstrip("/"), qloapps_url.rstrip("/"), qloapps_key, agent_url.rstrip("/"), admin_token)
    tag = run_tag or f"{int(time.time() * 1000) % 10**9}"
    pms = QloAppsClient(QloAppsConfig(base_url=ep.qloapps_url, api_key=qloapps_key))
    results: dict[Path, ConversationResult] = {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            driver = _Driver(ep, session, pms, tag)
            if reset_qloapps:
                status, body = await driver._json("POST", f"{ep.qloapps_url}/_sim/reset")
                if status >= 300:
                    raise RuntimeError(f"QloApps simulator reset failed: HTTP {status} {body}")
            gate = asyncio.Semaphore(concurrency)

            async def one(path: Path, conv: Conversation) -> None:
                async with gate:
                    results[path] = await driver.run(conv, path)

            await asyncio.gather(*(one(p, c) for p, c in convs if not c.serial))
            for p, c in convs:
                if c.serial:
                    results[p] = await driver.run(c, p)
    finally:
        await pms.close()
    return [results[p] for p in files]


def run_conversations(
    paths: list[Path] | None,
    whatsapp_url: str,
    qloapps_url: str,
    qloapps_key: str,
    agent_url: str,
    admin_token: str,
    **kw: Any,
) -> list[ConversationResult]:
    """Synchronous wrapper of `run_conversations_async` (do not call from inside a running event loop)."""
    return asyncio.run(
        run_conversations_async(paths, whatsapp_url, qloapps_url, qloapps_key, agent_url, admin_token, **kw)
    )


def summarize(results: list[ConversationResult]) -> str:
    """One line per conversation, failed checks indented, and the pass rate."""
    lines = []
    for r in results:
        lines.append(f"{'PASS' if r.passed else 'FAIL'}  {r.name} ({r.language}, {r.flow}, {len(r.turns)} turns)")
        if r.error:
            lines.append(f"      error: {r.error}")
        for t in r.failed_turns():
            lines.append(f"      turn {t['turn']} {t['sent']!r}: {'; '.join(t['failed'])}")
    passed = sum(r.passed for r in results)
    lines.append(f"{passed}/{len(results)} golden conversations passed")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m validation.conversations_runner --whatsapp-url ... [files]`: run and print a summary."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--whatsapp-url", default="http://127.0.0.1:8082")
    ap.add_argument("--qloapps-url", default="http://127.0.0.1:8081")
    ap.add_argument("--qloapps-key", required=True)
    ap.add_argument("--agent-url", default="http://127.0.0.1:8080")
    ap.add_argument("--admin-token", default="dev-admin-token")
    ap.add_argument("--concurrency", type=int, default=6)
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--reset-qloapps", action="store_true", help="POST /_sim/reset to the QloApps simulator first")
    args = ap.parse_args(argv)
    results = run_conversations(
        args.paths or None,
        args.whatsapp_url,
        args.qloapps_url,
        args.qloapps_key,
        args.agent_url,
        args.admin_token,
        concurrency=args.concurrency,
        reset_qloapps=args.reset_qloapps,
    )
    print(summarize(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2, ensure_ascii=False))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
