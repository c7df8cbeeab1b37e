"""How the adapter fails: one small hierarchy the receptionist can branch on."""

from __future__ import annotations


class PmsError(Exception):
    """Anything that went wrong talking to QloApps."""


class PmsUnavailable(PmsError):
    """QloApps could not be reached or answered 5xx/garbage; retry later or hand over to staff.

    `answered` is True when QloApps sent a full answer (a 5xx): the request has finished on its side, so a write
    it did not save will not be saved later. False for timeouts and dropped connections: the outcome is unknown.
    """

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered


class CircuitOpen(PmsUnavailable):
    """The circuit breaker is open: calls are refused without touching QloApps until the cooldown ends."""


class PmsRejected(PmsError):
    """QloApps understood the request and refused it (4xx with a webservice error body)."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"QloApps refused the request: HTTP {status}, code {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class RoomsUnavailable(PmsRejected):
    """`/api/bookings` answered HTTP 400 with body code 404: the rooms went while the guest was deciding."""


class NotFound(PmsError):
    """The record does not exist (QloApps answers an empty 404)."""


class PmsAuthError(PmsRejected):
    """The API key is missing, wrong or lacks a permission (401/405): fix AGENT_QLOAPPS_KEY or its grants."""
