"""Parse a WhatsApp webhook envelope into typed items: every entry, change, message, status and error.

Pure and total: any JSON value yields an Envelope (possibly empty); nothing here raises on bad shapes.
Unknown message types are kept as `unsupported`; unknown fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KNOWN_TYPES = frozenset(
    {
        "text",
        "interactive",
        "button",
        "location",
        "image",
        "video",
        "sticker",
        "document",
        "audio",
        "reaction",
        "contacts",
        "order",
        "system",
        "unsupported",
    }
)
MEDIA_TYPES = frozenset({"image", "video", "sticker", "document", "audio"})
STATUS_VALUES = frozenset({"sent", "delivered", "read", "failed", "played", "deleted", "warning"})


@dataclass(frozen=True)
class GeoPoint:
    """A shared location."""

    latitude: float
    longitude: float
    name: str = ""
    address: str = ""


@dataclass(frozen=True)
class InboundView:
    """The inbound message normalised once, at the webhook; stored with it, and what the brain reads.

    type: text | button_reply | list_reply | button | nfm_reply | location | image | video | sticker | document |
    audio | reaction | contacts | unsupported | ... ; `text` is the body, caption, or the tapped reply's title.
    """

    wamid: str
    type: str
    text: str = ""
    reply_id: str = ""
    reply_title: str = ""
    media_kind: str = ""
    media_id: str = ""
    location: GeoPoint | None = None
    context_wamid: str = ""

    @property
    def kind(self) -> str:
        """The dialogue's coarse kind: text, button, list, media, location or other."""
        return message_kind(self.type, self.media_kind)

    def stored(self) -> dict[str, Any]:
        """The normalised fields as JSON (stored with the message; `from_stored` reads them back)."""
        fields = {k: getattr(self, k) for k in _VIEW_FIELDS if getattr(self, k)}
        if self.location is not None:
            loc = self.location
            fields["location"] = [loc.latitude, loc.longitude, loc.name, loc.address]
        return fields

    @classmethod
    def from_stored(cls, wamid: str, fields: dict[str, Any]) -> InboundView:
        """Rebuild the view stored at the webhook: no second normalisation of Meta's shapes."""
        loc = fields.get("location")
        return cls(
            wamid=wamid,
            location=GeoPoint(*loc) if loc else None,
            **{k: fields[k] for k in _VIEW_FIELDS if k in fields},
        )


_VIEW_FIELDS = ("type", "text", "reply_id", "reply_title", "media_kind", "media_id", "context_wamid")
_KINDS = {"button_reply": "button", "button": "button", "list_reply": "list", "location": "location", "text": "text"}


def message_kind(mtype: str, media_kind: str = "") -> str:
    """Classify a normalised type for the dialogue (the one place this mapping lives)."""
    if media_kind or mtype in MEDIA_TYPES:
        return "media"
    return _KINDS.get(mtype, "other")


@dataclass(frozen=True, kw_only=True)
class InboundMessage(InboundView):
    """One guest message: its normalised view plus who sent it; `raw` keeps Meta's object as received."""

    guest: str  # wa_id when present, otherwise the business-scoped user id
    wa_id: str | None
    user_id: str | None
    profile_name: str
    phone_number_id: str
    timestamp: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorItem:
    """An error object from Meta (value-level, per message, or per status)."""

    code: int | None
    title: str
    details: str


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery status for a message the business sent."""

    wamid: str
    status: str
    timestamp: str
    recipient: str
    errors: tuple[ErrorItem, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Envelope:
    """Everything one webhook POST carried."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    errors: list[ErrorItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # shapes we skipped, for the log


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


# Meta's error codes are small integers; one outside Postgres' integer column is no code (not a refused webhook).
_INT4_MIN, _INT4_MAX = -(2**31), 2**31 - 1


def _errors(value: Any) -> tuple[ErrorItem, ...]:
    out: list[ErrorItem] = []
    for item in _list(value):
        item = _dict(item)
        if not item:
            continue
        code = item.get("code")
        storable = isinstance(code, int) and not isinstance(code, bool) and _INT4_MIN <= code <= _INT4_MAX
        out.append(
            ErrorItem(
                code=code if storable else None,
                title=_str(item.get("title")) or _str(item.get("message")),
                details=_str(_dict(item.get("error_data")).get("details")),
            )
        )
    return tuple(out)


def normalise_fields(msg: Any) -> dict[str, Any]:
    """The normalised fields of one raw message: type, text, reply id/title, media, location, context wamid."""
    msg = _dict(msg)
    fields = _type_fields(msg)
    fields.setdefault("context_wamid", _str(_dict(msg.get("context")).get("id")))
    return fields


def _type_fields(msg: dict[str, Any]) -> dict[str, Any]:
    mtype = _str(msg.get("type")) or "unsupported"
    if mtype not in KNOWN_TYPES:
        return {"type": "unsupported", "text": ""}
    if mtype == "text":
        return {"type": "text", "text": _str(_dict(msg.get("text")).get("body"))}
    if mtype == "interactive":
        inter = _dict(msg.get("interactive"))
        itype = _str(inter.get("type"))
        if itype in ("button_reply", "list_reply"):
            reply = _dict(inter.get(itype))
            return {
                "type": itype,
                "reply_id": _str(reply.get("id")),
                "reply_title": _str(reply.get("title")),
                "text": _str(reply.get("title")),
            }
        if itype == "nfm_reply":
            return {"type": "nfm_reply", "text": _str(_dict(inter.get("nfm_reply")).get("body"))}
        return {"type": "unsupported", "text": ""}
    if mtype == "button":
        button = _dict(msg.get("button"))
        return {
            "type": "button",
            "reply_id": _str(button.get("payload")),
            "reply_title": _str(button.get("text")),
            "text": _str(button.get("text")),
        }
    if mtype == "location":
        loc = _dict(msg.get("location"))
        lat, lon = _float(loc.get("latitude")), _float(loc.get("longitude"))
        point = None
        if lat is not None and lon is not None:
            point = GeoPoint(lat, lon, _str(loc.get("name")), _str(loc.get("address")))
        return {"type": "location", "location": point, "text": _str(loc.get("name"))}
    if mtype in MEDIA_TYPES:
        media = _dict(msg.get(mtype))
        return {
            "type": mtype,
            "media_kind": mtype,
            "media_id": _str(media.get("id")),
            "text": _str(media.get("caption")),
        }
    if mtype == "reaction":
        reaction = _dict(msg.get("reaction"))
        return {
            "type": "reaction",
            "text": _str(reaction.get("emoji")),
            "context_wamid": _str(reaction.get("message_id")),
        }
    return {"type": mtype, "text": ""}


def parse_envelope(data: Any) -> Envelope:
    """Collect every message, status and error in a webhook body; never raises."""
    env = Envelope()
    root = _dict(data)
    if not root:
        env.problems.append("body is not a JSON object")
        return env
    for entry in _list(root.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            value = _dict(change.get("value"))
            if not value:
                continue
            phone_number_id = _str(_dict(value.get("metadata")).get("phone_number_id"))
            names: dict[str, str] = {}
            for contact in _list(value.get("contacts")):
                contact = _dict(contact)
                name = _str(_dict(contact.get("profile")).get("name"))
                for key in (_str(contact.get("wa_id")), _str(contact.get("user_id"))):
                    if key:
                        names[key] = name
            for raw in _list(value.get("messages")):
                msg = _dict(raw)
                wamid = _str(msg.get("id"))
                wa_id = _str(msg.get("from")) or None
                user_id = _str(msg.get("from_user_id")) or None
                guest = wa_id or user_id
                if not wamid or not guest:
                    env.problems.append("message without id or sender skipped")
                    continue
                fields = normalise_fields(msg)
                env.messages.append(
                    InboundMessage(
                        wamid=wamid,
                        guest=guest,
                        wa_id=wa_id,
                        user_id=user_id,
                        profile_name=names.get(wa_id or "", "") or names.get(user_id or "", ""),
                        phone_number_id=phone_number_id,
                        timestamp=_str(msg.get("timestamp")),
                        raw=msg,
                        **fields,
                    )
                )
            for raw in _list(value.get("statuses")):
                st = _dict(raw)
                wamid = _str(st.get("id"))
                status = _str(st.get("status"))
                if not wamid or not status:
                    env.problems.append("status without id or status skipped")
                    continue
                env.statuses.append(
                    StatusUpdate(
                        wamid=wamid,
                        status=status,
                        timestamp=_str(st.get("timestamp")),
                        recipient=_str(st.get("recipient_id")) or _str(st.get("recipient_user_id")),
                        errors=_errors(st.get("errors")),
                        raw=st,
                    )
                )
            env.errors.extend(_errors(value.get("errors")))
    return env
