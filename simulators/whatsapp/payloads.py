"""Webhook payload building in Meta's shapes (2026 with BSUIDs, or pre-2026), key order as in captures."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from simulators.whatsapp.config import BusinessNumber, SimSettings
from simulators.whatsapp.errors import status_error
from simulators.whatsapp.state import Guest


@dataclass
class WebhookEvent:
    """One update to deliver: an inbound message or a status, plus what its timeline needs."""

    kind: str  # "message" | "status" | "error" | "template"
    number: BusinessNumber
    item: dict[str, Any]
    contact: dict[str, Any] | None = None
    # The inbound Message whose timeline records attempts (messages only).
    inbound: Any = None
    ref: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def contact_entry(guest: Guest, settings: SimSettings) -> dict[str, Any]:
    """The value-level `contacts[]` item for a guest."""
    profile: dict[str, Any] = {"name": guest.profile_name}
    modern = settings.payload_shape == "2026"
    if modern and guest.username_mode and guest.username:
        profile["username"] = guest.username
    entry: dict[str, Any] = {"profile": profile}
    if not (modern and guest.username_mode):
        entry["wa_id"] = guest.wa_id
    if modern:
        entry["user_id"] = guest.user_id
    return entry


def status_contact(guest: Guest, settings: SimSettings) -> dict[str, Any]:
    """The value-level contact on sent/delivered/read: `wa_id` and `user_id`, no `profile`.

    Capture in david-lev/pywa#188 (Apr 2026): `{"wa_id":"972526111549","user_id":"IL.831795919964525"}`.
    """
    entry: dict[str, Any] = {}
    if not guest.username_mode:
        entry["wa_id"] = guest.wa_id
    if settings.payload_shape == "2026":
        entry["user_id"] = guest.user_id
    return entry


def failed_contact(wa_id: str) -> dict[str, Any]:
    """A failed status carries `contacts:[{"wa_id"}]` only (david-lev/pywa#227 capture, Aug 2026; pywa#220)."""
    return {"wa_id": wa_id}


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
    """The pre-v24 `conversation` object (its id is unique per message, as on v23 and earlier).

    Ids in real captures are lowercase hex (e.g. `7270432eae37498234f4444b35ffc5`); `expiry` is given
    only for `sent`, the one status that carries `expiration_timestamp` in captures.
    """
    conv: dict[str, Any] = {"id": hashlib.md5(wamid.encode(), usedforsecurity=False).hexdigest()}
    if expiry is not None:
        conv["expiration_timestamp"] = str(expiry)
    conv["origin"] = {"type": category}
    return conv


def failed_errors(code: int, details: str | None = None) -> list[dict[str, Any]]:
    return [status_error(code, details, href=False)]


def value_errors_item(code: int, details: str | None = None) -> dict[str, Any]:
    """One value-level `errors[]` entry (Meta's errors webhook reference: code, title, message, error_data, href)."""
    return status_error(code, details)


def template_status_value(event: str, template_id: str, name: str, language: str, reason: str | None) -> dict[str, Any]:
    """`message_template_status_update` value, keys as in the capture in netflie/whatsapp-cloud-api#226."""
    return {
        "event": event,
        "message_template_id": int(template_id),
        "message_template_name": name,
        "message_template_language": language,
        "reason": reason or "NONE",
    }


def envelope(events: list[WebhookEvent], settings: SimSettings) -> dict[str, Any]:
    """Group events into Meta's envelope: one entry per WABA, one change per number and kind."""
    entries: dict[str, dict[str, Any]] = {}
    values: dict[tuple[str, str, str], dict[str, Any]] = {}
    for ev in events:
        entry = entries.get(ev.number.waba_id)
        if entry is None:
            entry = {"id": ev.number.waba_id, "changes": []}
            entries[ev.number.waba_id] = entry
        if ev.kind == "template":
            # Account-level field: no metadata, entry carries `time` (netflie/whatsapp-cloud-api#226 capture).
            if "time" not in entry:
                changes = entry.pop("changes")
                entry["time"] = ev.extra.get("time", 0)
                entry["changes"] = changes
            entry["changes"].append({"value": ev.item, "field": "message_template_status_update"})
            continue
        group = {"message": "messages", "error": "errors"}.get(ev.kind, "statuses")
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
