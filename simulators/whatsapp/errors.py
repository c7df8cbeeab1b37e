"""Meta's Graph API error envelope and the Cloud API error codes the simulator produces."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

# code -> (title, HTTP status), from Meta's Cloud API error table (reference §3.2).
ERROR_CODES: dict[int, tuple[str, int]] = {
    0: ("AuthException", 401),
    1: ("API Unknown", 400),
    2: ("API Service", 503),
    3: ("API Method", 500),
    4: ("API Too Many Calls", 400),
    10: ("Permission Denied", 403),
    33: ("Parameter value is not valid", 400),
    100: ("Invalid parameter", 400),
    190: ("Access token has expired", 401),
    200: ("API Permission", 403),
    368: ("Temporarily blocked for policies violations", 403),
    80007: ("Rate limit issues", 400),
    130429: ("Rate limit hit", 400),
    131000: ("Something went wrong", 500),
    131005: ("Access denied", 403),
    131008: ("Required parameter is missing", 400),
    131009: ("Parameter value is not valid", 400),
    131016: ("Service unavailable", 500),
    131021: ("Recipient cannot be sender", 400),
    131026: ("Message Undeliverable", 400),
    131030: ("Recipient phone number not in allowed list", 400),
    131031: ("Account has been locked", 403),
    131042: ("Business eligibility payment issue", 400),
    131047: ("Re-engagement message", 400),
    131048: ("Spam rate limit hit", 400),
    131049: ("This message was not delivered to maintain healthy ecosystem engagement.", 400),
    131050: ("User stopped marketing messages", 400),
    131051: ("Unsupported message type", 400),
    131052: ("Media download error", 400),
    131053: ("Media upload error", 400),
    131056: ("(Business Account, Consumer Account) pair rate limit hit", 400),
    131057: ("Account in maintenance mode", 500),
    131062: ("BSUID recipients not supported for this message", 400),
    132000: ("Number of parameters does not match the expected number of params", 400),
    # The verbatim table says 404 (other mirrors say 400); we pick the table.
    132001: ("Template name does not exist in the translation", 404),
    132005: ("Translated text too long", 400),
    132007: ("Template Format Character Policy Violated", 400),
    132012: ("Parameter format does not match format in the created template", 400),
    132015: ("Template is Paused", 400),
    132016: ("Template is Disabled", 400),
    133010: ("Phone number Not Registered", 400),
    135000: ("Generic user error", 400),
}

# Details Meta puts in error_data / status errors for the async failures.
DETAILS = {
    131047: "Message failed to send because more than 24 hours have passed since the customer last replied to this "
    "number.",
    131026: "Message Undeliverable.",
    130429: "Message failed to send because there were too many messages sent from this phone number in a short "
    "period of time",
    131056: "Message failed to send because there were too many messages sent from this phone number to the same "
    "phone number in a short period of time.",
    131009: "Parameter value is not valid",
}

ERROR_HREF = "/documentation/business-messaging/whatsapp/support/error-codes"

UNKNOWN_OBJECT = (
    "Unsupported {method} request. Object with ID '{oid}' does not exist, cannot be loaded due to missing "
    "permissions, or does not support this operation. Please read the Graph API documentation at "
    "https://developers.facebook.com/docs/graph-api"
)


def fbtrace_id() -> str:
    """A Graph-style trace id (about 23 url-safe characters)."""
    return secrets.token_urlsafe(17)[:23]


@dataclass
class GraphError(Exception):
    """An error rendered as Meta's `{"error": {...}}` envelope with the matching HTTP status."""

    code: int
    details: str | None = None
    message: str | None = None
    error_type: str = "OAuthException"
    subcode: int | None = None
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        title, status = ERROR_CODES.get(self.code, ("Unknown error", 400))
        if self.message is None:
            self.message = f"(#{self.code}) {title}"
        if self.http_status is None:
            self.http_status = status
        super().__init__(self.message)

    def body(self, trace_id: str | None = None) -> dict[str, Any]:
        """The envelope, keys in Meta's order."""
        err: dict[str, Any] = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.details is not None:
            err["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        err.update(self.extra)
        err["fbtrace_id"] = trace_id or fbtrace_id()
        return {"error": err}


def invalid_param(details: str, message: str | None = None) -> GraphError:
    """Code 100, the catch-all for a bad request body."""
    return GraphError(100, details=details, message=message or "(#100) Invalid parameter")


def param_invalid(details: str) -> GraphError:
    """Code 131009 'Parameter value is not valid' with the reason in details (the observed shape)."""
    return GraphError(131009, details=details)


def missing_param(details: str) -> GraphError:
    return GraphError(131008, details=details)


def auth_error(message: str = "Invalid OAuth access token - Cannot parse access token", subcode: int | None = None):
    """Code 190 with HTTP 401 and the `WWW-Authenticate` header Graph sends."""
    return GraphError(
        190,
        message=message,
        subcode=subcode,
        headers={"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'},
    )


def unknown_object(oid: str, method: str = "post") -> GraphError:
    """Code 100 / subcode 33 for a phone-number id or media id that does not exist."""
    msg = UNKNOWN_OBJECT.format(method=method, oid=oid)
    return GraphError(
        100,
        message=msg,
        error_type="GraphMethodException",
        subcode=33,
        headers={"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_request" "{msg}"'},
    )


# Titles as webhooks spell them where they differ from the error table: the failed-status capture in
# david-lev/pywa#227 (Aug 2026) writes "Message undeliverable" in lower case.
WEBHOOK_TITLES = {131026: "Message undeliverable"}


def status_error(code: int, details: str | None = None, *, href: bool = True) -> dict[str, Any]:
    """An entry of `statuses[].errors` / value-level `errors` (title and message are the same text).

    Value-level errors carry `href` (Meta's errors webhook reference); the failed-status capture in
    david-lev/pywa#227 has none, so statuses pass href=False.
    """
    title = WEBHOOK_TITLES.get(code) or ERROR_CODES.get(code, ("Unknown error", 400))[0]
    err: dict[str, Any] = {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details or DETAILS.get(code, title)},
    }
    if href:
        err["href"] = ERROR_HREF
    return err
