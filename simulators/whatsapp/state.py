"""Pure simulator state: guests, conversations, windows, rate limiters, media. No HTTP here."""

from __future__ import annotations

import base64
import hashlib
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import orjson

from simulators.whatsapp.clock import SimClock
from simulators.whatsapp.config import BusinessNumber, SimSettings
from simulators.whatsapp.ratelimit import TokenBucket

Direction = Literal["in", "out"]

# A few calling codes for BSUID country prefixes (the BSUID format is `<ISO country>.<digits>`).
_CC = {
    "34": "ES", "1": "US", "44": "GB", "33": "FR", "49": "DE", "39": "IT", "351": "PT", "52": "MX", "51": "PE",
    "55": "BR", "54": "AR", "56": "CL", "57": "CO", "91": "IN", "62": "ID", "63": "PH", "234": "NG", "254": "KE",
    "27": "ZA", "972": "IL", "971": "AE", "966": "SA", "90": "TR", "31": "NL", "32": "BE", "41": "CH", "43": "AT",
    "48": "PL", "353": "IE", "61": "AU", "81": "JP", "82": "KR", "86": "CN", "20": "EG", "212": "MA", "255": "TZ",
}  # fmt: skip

MEDIA_UPLOAD_TTL_S = 30 * 24 * 3600
MEDIA_WEBHOOK_TTL_S = 7 * 24 * 3600
MEDIA_URL_TTL_S = 300


def country_of(wa_id: str) -> str:
    for n in (3, 2, 1):
        if wa_id[:n] in _CC:
            return _CC[wa_id[:n]]
    return "US"


def calling_code(number: str) -> str | None:
    """The country calling code a number starts with, among the codes the simulator knows."""
    for n in (3, 2, 1):
        if number[:n] in _CC:
            return number[:n]
    return None


def bsuid_for(wa_id: str, waba_id: str) -> str:
    """A stable business-scoped user id for this guest (`CC.<digits>`)."""
    digest = hashlib.sha256(f"{waba_id}:{wa_id}".encode()).digest()
    return f"{country_of(wa_id)}.{int.from_bytes(digest[:8], 'big') % 10**18:018d}"


def make_wamid(user: str, outbound: bool, rng: random.Random | None = None) -> str:
    """A wamid in Meta's layout: base64 of 1c 18 <len><user> 15 02 00 <12 in|11 out> 18 <len><hex id> 00."""
    user_b = user.encode()[:60]
    hex_id = (os.urandom(16) if rng is None else rng.randbytes(16)).hex().upper().encode()
    raw = b"\x1c\x18" + bytes([len(user_b)]) + user_b + b"\x15\x02\x00" + (b"\x11" if outbound else b"\x12")
    raw += b"\x18" + bytes([len(hex_id)]) + hex_id + b"\x00"
    return "wamid." + base64.b64encode(raw).decode()


@dataclass
class Guest:
    """A virtual WhatsApp user."""

    wa_id: str
    profile_name: str
    language: str = "es"
    reachable: bool = True
    username_mode: bool = False
    username: str | None = None
    user_id: str = ""
    # Per-guest status behaviour; None means the simulator-wide default.
    delivered_after_ms: float | None = None
    read_after_ms: float | None = None
    reads: bool = True
    skip_delivered: bool = False
    created_at_ms: float = 0.0

    def public(self) -> dict[str, Any]:
        return {
            "wa_id": self.wa_id,
            "profile_name": self.profile_name,
            "language": self.language,
            "reachable": self.reachable,
            "username_mode": self.username_mode,
            "username": self.username,
            "user_id": self.user_id,
            "delivered_after_ms": self.delivered_after_ms,
            "read_after_ms": self.read_after_ms,
            "reads": self.reads,
            "skip_delivered": self.skip_delivered,
            "created_at_ms": self.created_at_ms,
        }


class Attempt(NamedTuple):
    """One webhook POST of an inbound message (a tuple of atoms, so the GC can stop tracking it)."""

    at_ms: float
    status: int | None
    latency_ms: float
    error: str | None = None
    slot_wait_ms: float = 0.0

    def public(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "at_ms": self.at_ms,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "slot_wait_ms": self.slot_wait_ms,
        }
        if self.error:
            d["error"] = self.error
        return d


@dataclass(slots=True)
class Message:
    """One message in a conversation; inbound ones carry their webhook timeline.

    The payload is kept as compact JSON bytes and statuses/attempts as tuples: long load tests hold
    hundreds of thousands of messages, and every tracked container lengthens Python's full GC pauses.
    """

    seq: int
    wamid: str
    direction: Direction
    phone_number_id: str
    wa_id: str
    type: str
    raw: bytes
    at_ms: float
    timestamp: int
    statuses: tuple[dict[str, Any], ...] = ()
    attempts: tuple[Attempt, ...] = ()
    acknowledged_at_ms: float | None = None
    gave_up_at_ms: float | None = None
    failed_code: int | None = None
    # Pricing category of a business message: service (free-form) or the template's category.
    category: str = "service"

    @property
    def payload(self) -> dict[str, Any]:
        """The message as delivered (inbound) or as the business sent it (outbound)."""
        return orjson.loads(self.raw)

    def add_status(self, record: dict[str, Any]) -> None:
        self.statuses = (*self.statuses, record)

    def add_attempt(self, attempt: Attempt) -> None:
        self.attempts = (*self.attempts, attempt)

    def public(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "seq": self.seq,
            "wamid": self.wamid,
            "direction": self.direction,
            "phone_number_id": self.phone_number_id,
            "type": self.type,
            "at_ms": self.at_ms,
            "timestamp": self.timestamp,
            "message": orjson.Fragment(self.raw),
            "statuses": self.statuses,
        }
        if self.direction == "in":
            d["timeline"] = self.timeline()
        return d

    def timeline(self) -> dict[str, Any]:
        return {
            "wamid": self.wamid,
            "accepted_at_ms": self.at_ms,
            "attempts": [a.public() for a in self.attempts],
            "acknowledged_at_ms": self.acknowledged_at_ms,
            "gave_up_at_ms": self.gave_up_at_ms,
        }


@dataclass
class Media:
    id: str
    data: bytes
    mime_type: str
    phone_number_id: str
    created_at: float
    ttl_s: float
    filename: str | None = None

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sha256_b64(self) -> str:
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode()


class SimState:
    """All mutable simulator state; every method is synchronous and side-effect free outside this object."""

    def __init__(self, settings: SimSettings, clock: SimClock) -> None:
        self.settings = settings
        self.clock = clock
        self.rng = random.Random(settings.seed)
        self.reset()

    def reset(self) -> None:
        self.guests: dict[str, Guest] = {}
        self.by_user_id: dict[str, Guest] = {}
        self.messages: dict[str, Message] = {}
        self.conversations: dict[str, list[Message]] = {}
        self.windows: dict[tuple[str, str], float] = {}
        self.rate: dict[str, TokenBucket] = {}
        self.pair: dict[tuple[str, str], TokenBucket] = {}
        self.media: dict[str, Media] = {}
        self.media_urls: dict[str, tuple[str, float]] = {}
        self.seq = 0

    # -- business numbers -------------------------------------------------------------------
    def number(self, phone_number_id: str) -> BusinessNumber | None:
        for n in self.settings.numbers:
            if n.phone_number_id == phone_number_id:
                return n
        return None

    @property
    def default_number(self) -> BusinessNumber:
        return self.settings.numbers[0]

    def token_ok(self, number: BusinessNumber | None, token: str) -> bool:
        if number is not None and number.access_token is not None:
            return token == number.access_token
        return token == self.settings.access_token or any(n.access_token == token for n in self.settings.numbers)

    # -- guests -----------------------------------------------------------------------------
    def add_guest(self, wa_id: str, **fields: Any) -> Guest:
        """Create or update a guest; its BSUID is derived from the first business account."""
        guest = self.guests.get(wa_id)
        if guest is None:
            guest = Guest(wa_id=wa_id, profile_name=fields.pop("profile_name", None) or f"Guest {wa_id[-4:]}")
            guest.user_id = bsuid_for(wa_id, self.default_number.waba_id)
            guest.created_at_ms = self.clock.now_ms()
            self.guests[wa_id] = guest
            self.conversations.setdefault(wa_id, [])
            self.by_user_id[guest.user_id] = guest
        for key, value in fields.items():
            if value is not None:
                setattr(guest, key, value)
        if guest.username_mode and not guest.username:
            guest.username = f"{guest.profile_name.split()[0].lower()}{guest.wa_id[-3:]}"
        return guest

    def find_recipient(self, digits: str, number: BusinessNumber) -> Guest | None:
        """Resolve `to`: exact digits, else with the business number's country code prepended (Meta's rule)."""
        if digits in self.guests:
            return self.guests[digits]
        for n in (1, 2, 3):
            cc = number.display_phone_number[:n]
            if cc + digits in self.guests:
                return self.guests[cc + digits]
        return None

    # -- messages ---------------------------------------------------------------------------
    def record(
        self, direction: Direction, phone_number_id: str, wa_id: str, mtype: str, payload: dict[str, Any], wamid: str
    ) -> Message:
        self.seq += 1
        msg = Message(
            seq=self.seq,
            wamid=wamid,
            direction=direction,
            phone_number_id=phone_number_id,
            wa_id=wa_id,
            type=mtype,
            raw=orjson.dumps(payload),
            at_ms=self.clock.now_ms(),
            timestamp=int(self.clock.time()),
        )
        self.messages[wamid] = msg
        conv = self.conversations.setdefault(wa_id, [])
        conv.append(msg)
        if len(conv) > self.settings.max_messages_per_guest:
            dropped = conv[: len(conv) - self.settings.max_messages_per_guest]
            del conv[: len(dropped)]
            for old in dropped:
                self.messages.pop(old.wamid, None)
        while len(self.messages) > self.settings.max_messages:
            self._forget_oldest()
        if direction == "in":
            # Only the user opens or refreshes the customer-service window.
            self.windows[(phone_number_id, wa_id)] = self.clock.time()
        return msg

    def _forget_oldest(self) -> None:
        """Drop the oldest message overall (dicts keep insertion order) from the index and its conversation."""
        old = self.messages.pop(next(iter(self.messages)))
        conv = self.conversations.get(old.wa_id, [])
        if conv and conv[0] is old:
            conv.pop(0)
        elif old in conv:
            conv.remove(old)

    def new_wamid(self, user: str, outbound: bool) -> str:
        return make_wamid(user, outbound)

    def window_open(self, phone_number_id: str, wa_id: str) -> bool:
        opened = self.windows.get((phone_number_id, wa_id))
        if opened is None:
            return False
        return self.clock.time() - opened < self.settings.policies.window_hours * 3600

    def window_expires_at(self, phone_number_id: str, wa_id: str) -> int | None:
        opened = self.windows.get((phone_number_id, wa_id))
        return None if opened is None else int(opened + self.settings.policies.window_hours * 3600)

    def last_inbound(self, wa_id: str) -> Message | None:
        for msg in reversed(self.conversations.get(wa_id, [])):
            if msg.direction == "in":
                return msg
        return None

    def replies_after(self, wa_id: str, seq: int) -> list[Message]:
        conv = self.conversations.get(wa_id, [])
        out: list[Message] = []
        for msg in reversed(conv):
            if msg.seq <= seq:
                break
            if msg.direction == "out":
                out.append(msg)
        out.reverse()
        return out

    def find_business_message(self, wa_id: str, match: Callable[[Message], bool]) -> Message | None:
        for msg in reversed(self.conversations.get(wa_id, [])):
            if msg.direction == "out" and match(msg):
                return msg
        return None

    # -- limits -----------------------------------------------------------------------------
    def take_throughput(self, number: BusinessNumber) -> bool:
        bucket = self.rate.get(number.phone_number_id)
        if bucket is None or bucket.rate != number.throughput_mps:
            bucket = TokenBucket(number.throughput_mps, max(1.0, number.throughput_mps), self.clock.time)
            self.rate[number.phone_number_id] = bucket
        return bucket.take()

    def take_pair(self, phone_number_id: str, wa_id: str) -> bool:
        pol = self.settings.policies
        key = (phone_number_id, wa_id)
        bucket = self.pair.get(key)
        if bucket is None:
            bucket = TokenBucket(1.0 / pol.pair_interval_s, float(pol.pair_burst), self.clock.time)
            self.pair[key] = bucket
        return bucket.take()

    # -- media ------------------------------------------------------------------------------
    def add_media(
        self, data: bytes, mime_type: str, phone_number_id: str, ttl_s: float, filename: str | None = None
    ) -> Media:
        media_id = str(self.rng.randrange(10**15, 10**16))
        media = Media(media_id, data, mime_type, phone_number_id, self.clock.time(), ttl_s, filename)
        self.media[media_id] = media
        return media

    def get_media(self, media_id: str) -> Media | None:
        media = self.media.get(media_id)
        if media is None or self.clock.time() - media.created_at >= media.ttl_s:
            return None
        return media

    def media_url_token(self, media_id: str) -> str:
        token = self.rng.randbytes(16).hex()
        self.media_urls[token] = (media_id, self.clock.time() + MEDIA_URL_TTL_S)
        return token

    def media_for_url(self, token: str) -> Media | None:
        entry = self.media_urls.get(token)
        if entry is None or self.clock.time() >= entry[1]:
            return None
        return self.get_media(entry[0])
