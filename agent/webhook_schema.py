"""The signed webhook POST in the agent's OpenAPI document (it is a plain route, which FastAPI does not describe).

The body is Meta's notification envelope as documented at
developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components (entry -> changes -> value with messages,
statuses, contacts, errors). Extra properties are allowed: Meta adds fields, and the agent must ignore them.
"""

from __future__ import annotations

from typing import Any

from agent.envelope import KNOWN_TYPES, STATUS_VALUES

_TEXT = {"type": "string", "maxLength": 4096}
_ID = {"type": "string", "maxLength": 128}
_DIGITS = {"type": "string", "pattern": "^[0-9]{5,15}$"}

MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["from", "id", "timestamp", "type"],
    "properties": {
        "from": _DIGITS,
        "id": _ID,
        "timestamp": {"type": "string", "pattern": "^[0-9]{1,11}$"},
        "type": {"type": "string", "enum": sorted(KNOWN_TYPES)},
        "text": {"type": "object", "properties": {"body": _TEXT}},
        "interactive": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["button_reply", "list_reply", "nfm_reply"]},
                "button_reply": {"type": "object", "properties": {"id": _ID, "title": _TEXT}},
                "list_reply": {"type": "object", "properties": {"id": _ID, "title": _TEXT, "description": _TEXT}},
            },
        },
        "button": {"type": "object", "properties": {"payload": _TEXT, "text": _TEXT}},
        "location": {
            "type": "object",
            "properties": {"latitude": {"type": "number"}, "longitude": {"type": "number"}, "name": _TEXT},
        },
        "image": {"type": "object", "properties": {"id": _ID, "mime_type": _ID, "caption": _TEXT}},
        "reaction": {"type": "object", "properties": {"message_id": _ID, "emoji": _TEXT}},
        "context": {"type": "object", "properties": {"from": _DIGITS, "id": _ID}},
    },
}

STATUS: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status", "timestamp", "recipient_id"],
    "properties": {
        "id": _ID,
        "status": {"type": "string", "enum": sorted(STATUS_VALUES)},
        "timestamp": {"type": "string", "pattern": "^[0-9]{1,11}$"},
        "recipient_id": _DIGITS,
        "biz_opaque_callback_data": {"type": "string", "maxLength": 512},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {"code": {"type": "integer"}, "title": _TEXT}},
        },
    },
}

NOTIFICATION: dict[str, Any] = {
    "type": "object",
    "required": ["object", "entry"],
    "properties": {
        "object": {"type": "string", "enum": ["whatsapp_business_account"]},
        "entry": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "id": _ID,
                    "changes": {
                        "type": "array",
                        "maxItems": 3,
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string", "enum": ["messages"]},
                                "value": {
                                    "type": "object",
                                    "properties": {
                                        "messaging_product": {"type": "string", "enum": ["whatsapp"]},
                                        "metadata": {
                                            "type": "object",
                                            "properties": {"display_phone_number": _DIGITS, "phone_number_id": _ID},
                                        },
                                        "contacts": {
                                            "type": "array",
                                            "maxItems": 3,
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "wa_id": _DIGITS,
                                                    "profile": {"type": "object", "properties": {"name": _TEXT}},
                                                },
                                            },
                                        },
                                        "messages": {"type": "array", "maxItems": 5, "items": MESSAGE},
                                        "statuses": {"type": "array", "maxItems": 5, "items": STATUS},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

OPERATION: dict[str, Any] = {
    "tags": ["webhook"],
    "summary": "Receive a signed notification from Meta",
    "description": "Verified by X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret), stored, "
    "then acknowledged: 200 once durable, 401 for a bad signature, 400 for a body that is not JSON, 413 when "
    "too large, 503 when it could not be stored (Meta redelivers).",
    "operationId": "receive_notification",
    "parameters": [
        {"name": "X-Hub-Signature-256", "in": "header", "required": True, "schema": {"type": "string"}},
    ],
    "requestBody": {"required": True, "content": {"application/json": {"schema": NOTIFICATION}}},
    "responses": {
        "200": {"description": "stored (or a redelivery of something stored)"},
        "400": {"description": "the body is not JSON"},
        "401": {"description": "signature missing or wrong"},
        "408": {"description": "the body did not arrive in time"},
        "413": {"description": "body larger than AGENT_WEBHOOK_MAX_BYTES"},
        "503": {"description": "not stored (database unavailable): Meta redelivers"},
    },
}


def with_webhook(spec: dict[str, Any]) -> dict[str, Any]:
    """The app's OpenAPI document with the webhook POST added beside the GET handshake."""
    spec.setdefault("paths", {}).setdefault("/webhooks/whatsapp", {})["post"] = OPERATION
    return spec
