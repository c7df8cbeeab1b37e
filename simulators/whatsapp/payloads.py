"""Webhook payload building in Meta's shapes (2026 with BSUIDs, or pre-2026), key order as in captures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulators.whatsapp.config import BusinessNumber, SimSettings
from simulators.whatsapp.errors import status_error
from simulators.whatsapp.state import Guest


@dataclass
class WebhookEvent:
    """One update to deliver: an inbound message or a status, plus what its timeline needs."""

    kind: str  # "message" | "status" | "error"
    number: BusinessNumber
    item: dict[str, Any]
    contact: dict[str, Any] | None = None
    # The inbound Message whose timeline records attempts (messages only).
    inbound: Any = None
    ref: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def contact_entry(guest: Guest, settings: SimSettings, *, with_username: bool = True) -> dict[str, Any]:
    """The value-level `contacts[]` item for a guest."""
    profile: dict[str, Any] = {"name": guest.profile_name}
    modern = settings.payload_shape == "2026"
    if modern and guest.username_mode and guest.username and with_username:
        profile["username"] = guest.username
    entry: dict[str, Any] = {"profile": profile}
    if not (modern and guest.username_mode):
        entry["wa_id"] = guest.wa_id
    if modern:
        entry["user_id"] = guest.user_id
    return entry


UNSUPPORTED_ERROR: dict[str, Any] = {
    "code": 131051,
    "title": "Message type unknown",
    "message": "Message type unknown",
    "error_data": {"details": "Message type is currently not supported."},
}


def inbound_message(
    guest: Guest, settings: SimSettings, wamid: str, timestamp: int, mtype: str, body: dict[str, Any], context=None
) -> dict[str, Any]:
    """A `messages[]` item as Meta sends it for a guest message."""
    msg: dict[str, Any] = {}
    if context:
        msg["context"] = context
    modern = settings.payload_shape == "2026"
    if not (modern and guest.username_mode):
        msg["from"] = guest.wa_id
    if modern:
        msg["from_user_id"] = guest.user_id
    msg["id"] = wamid
    msg["timestamp"] = str(timestamp)
    if mtype == "unsupported":
        msg["errors"] = [UNSUPPORTED_ERROR]
    msg[mtype] = body
    msg["type"] = mtype
    return msg


def status_item(
    settings: SimSettings,
    guest: Guest | None,
    wamid: str,
    status: str,
    timestamp: int,
    *,
    recipient_input: str,
    pricing: dict[str, Any] | None = None,
    conversation: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    biz_opaque: str | None = None,
) -> dict[str, Any]:
    """A `statuses[]` item; `conversation` is only kept for payload versions before v24."""
    item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(timestamp)}
    modern = settings.payload_shape == "2026"
    if guest is not None:
        if not (modern and guest.username_mode):
            item["recipient_id"] = guest.wa_id
        if modern:
            item["recipient_user_id"] = guest.user_id
    else:
        item["recipient_id"] = recipient_input
    if biz_opaque is not None:
        item["biz_opaque_callback_data"] = biz_opaque
    if conversation is not None and settings.payload_major() < 24:
        item["conversation"] = conversation
    if pricing is not None:
        item["pricing"] = pricing
    if errors:
        item["errors"] = errors
    return item


def pricing_for(category: str, free_service: bool) -> dict[str, Any]:
    """PMP pricing object: service replies in the window are free, templates are regular."""
    if free_service:
        return {"billable": False, "pricing_model": "PMP", "category": "service", "type": "free_customer_service"}
    return {"billable": True, "pricing_model": "PMP", "category": category, "type": "regular"}


def conversation_object(wamid: str, category: str, expiry: int | None) -> dict[str, Any]:
    """The pre-v24 `conversation` object (its id is unique per message, as on v23 and earlier)."""
    conv: dict[str, Any] = {"id": wamid[-32:].lower()}
    if expiry is not None:
        conv["expiration_timestamp"] = str(expiry)
    conv["origin"] = {"type": category}
    return conv


def failed_errors(code: int, details: str | None = None) -> list[dict[str, Any]]:
    return [status_error(code, details)]


def envelope(events: list[WebhookEvent], settings: SimSettings) -> dict[str, Any]:
    """Group events into Meta's envelope: one entry per WABA, one change per number and kind."""
    entries: dict[str, dict[str, Any]] = {}
    values: dict[tuple[str, str, str], dict[str, Any]] = {}
    for ev in events:
        entry = entries.get(ev.number.waba_id)
        if entry is None:
            entry = {"id": ev.number.waba_id, "changes": []}
            entries[ev.number.waba_id] = entry
        group = "messages" if ev.kind == "message" else "statuses"
        key = (ev.number.waba_id, ev.number.phone_number_id, group)
        value = values.get(key)
        if value is None:
            value = {
                "messaging_product": "whatsapp",
                "metadata": {
                    "display_phone_number": ev.number.display_phone_number,
                    "phone_number_id": ev.number.phone_number_id,
                },
            }
            values[key] = value
            entry["changes"].append({"value": value, "field": "messages"})
        if ev.contact is not None and ev.contact not in value.setdefault("contacts", []):
            value["contacts"].append(ev.contact)
        if ev.kind == "error":
            value.setdefault("errors", []).append(ev.item)
        else:
            value.setdefault(group, []).append(ev.item)
    # Meta puts contacts before messages/statuses: rebuild each value in that order.
    for value in values.values():
        ordered = {k: value[k] for k in ("messaging_product", "metadata", "contacts") if k in value}
        for k in ("messages", "statuses", "errors"):
            if k in value:
                ordered[k] = value[k]
        value.clear()
        value.update(ordered)
    return {"object": "whatsapp_business_account", "entry": list(entries.values())}
