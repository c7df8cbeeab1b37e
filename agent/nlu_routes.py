"""POST /nlu/parse: the NLU over HTTP, for tests and QA tooling."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.brain.nlu import parse
from agent.clock import Clock, SystemClock, local_today
from agent.nlu_model import default_model

router = APIRouter(tags=["nlu"])

DEFAULT_TIMEZONE = "Europe/Madrid"


class ParseRequest(BaseModel):
    """A message to understand; reference_date defaults to today in the hotel's time zone."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=4096)
    reference_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2026-12-01"])
    # Tie-breaker for short messages ("ok", "3"): the conversation's language so far.
    previous_language: Literal["es", "en"] | None = None

    @field_validator("reference_date")
    @classmethod
    def _real_calendar_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"reference_date {value!r} is not a calendar date; send YYYY-MM-DD") from exc
        return value


class ParseResponse(BaseModel):
    """The contract: language, intent, confidence in [0, 1], and only the entities found."""

    language: Literal["es", "en"]
    intent: str
    confidence: float
    entities: dict[str, Any]


def _hotel_today(request: Request) -> date:
    state = request.app.state
    clock: Clock = getattr(state, "clock", None) or SystemClock()
    settings = getattr(state, "settings", None)
    tz = getattr(settings, "timezone", None) or DEFAULT_TIMEZONE
    return local_today(clock, tz)


@router.post("/nlu/parse", response_model=ParseResponse)
def parse_route(body: ParseRequest, request: Request) -> ParseResponse:
    """Parse one guest message; 422 if reference_date is not a YYYY-MM-DD date."""
    ref = date.fromisoformat(body.reference_date) if body.reference_date else _hotel_today(request)
    result = parse(body.text, ref, previous_language=body.previous_language, model=default_model())
    return ParseResponse(**result.as_dict())
