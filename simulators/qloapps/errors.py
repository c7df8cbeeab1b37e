"""Webservice errors as QloApps raises them: an HTTP status plus one or more (code, message) pairs."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


class WsError(Exception):
    """A QloApps webservice error (`WebserviceRequest::setError`): HTTP status, body code, message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.errors: list[tuple[int, str]] = [(code, message)]
        self.headers: dict[str, str] = {}

    @property
    def code(self) -> int:
        return self.errors[0][0]

    @property
    def message(self) -> str:
        return self.errors[0][1]


class NotFoundEmpty(Exception):
    """A GET of a missing id: QloApps answers 404 with an empty body."""


def closest(value: str, candidates: Sequence[str]) -> str:
    """The candidate QloApps would suggest in its "Did you mean" (similar_text in PHP; difflib here)."""
    if not candidates:
        return ""
    best = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.0)
    return best[0] if best else candidates[0]


def did_you_mean(status: int, label: str, value: str, available: Sequence[str], code: int) -> WsError:
    """`setErrorDidYouMean`: the label, the closest candidate, then the full list when there is more than one."""
    message = f'{label}. Did you mean: "{closest(value, available)}"?'
    if len(available) > 1:
        message += ' The full list is: "' + '", "'.join(available) + '"'
    return WsError(status, code, message)


class DomainError(ValueError):
    """A business rule refused an operation in the state model (no HTTP knowledge here)."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind
