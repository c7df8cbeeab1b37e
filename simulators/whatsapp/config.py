"""Simulator settings: business numbers, template registry, delivery, policies; loadable from YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_ACCESS_TOKEN = "sim-access-token"
DEFAULT_APP_SECRET = "sim-app-secret"
DEFAULT_VERIFY_TOKEN = "sim-verify-token"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_DISPLAY_NUMBER = "15550783881"
DEFAULT_WABA_ID = "102290129340398"
SEVEN_DAYS_S = 7 * 24 * 3600


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BusinessNumber(_Strict):
    """One WhatsApp business phone number the simulator hosts."""

    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER
    waba_id: str = DEFAULT_WABA_ID
    # None: the global access token is accepted for this number.
    access_token: str | None = None
    # Meta throughput tier: 80 by default, 1000 after an upgrade, 20 for coexistence numbers.
    throughput_mps: float = 80.0
    # Fields of the phone-number node (GET /{version}/{phone_number_id}).
    verified_name: str = "Hotelero Test Hotel"
    quality_rating: Literal["GREEN", "YELLOW", "RED", "NA", "UNKNOWN"] = "GREEN"
    code_verification_status: str = "VERIFIED"


class TemplateButton(_Strict):
    type: Literal["QUICK_REPLY", "URL", "PHONE_NUMBER"] = "QUICK_REPLY"
    text: str


TemplateStatus = Literal["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"]


class Template(_Strict):
    """An approved (or pending/rejected/paused/disabled) message template in the registry."""

    name: str
    language: str = "es"
    category: Literal["utility", "marketing", "authentication"] = "utility"
    status: TemplateStatus = "APPROVED"
    header_params: int = 0
    body_params: int = 0
    body: str = ""
    header: str = ""
    footer: str = ""
    buttons: list[TemplateButton] = Field(default_factory=list)
    # {{1}} (POSITIONAL) or {{name}} (NAMED) parameters.
    parameter_format: Literal["POSITIONAL", "NAMED"] = "POSITIONAL"
    # Sample values of the body parameters, as given at creation (`example.body_text` or its named form).
    examples: list[str] = Field(default_factory=list)
    # Graph id of the template (assigned when missing).
    id: str | None = None


class RetryPolicy(_Strict):
    """Webhook retry schedule: exponential backoff over `horizon_s` (Meta: 7 days), compressible by `time_scale`.

    `schedule_s`, when given, replaces the computed delays (seconds before retry 1, 2, ...).
    """

    first_retry_s: float = 0.0
    base_s: float = 15.0
    factor: float = 2.0
    horizon_s: float = SEVEN_DAYS_S
    time_scale: float = 1.0
    schedule_s: list[float] | None = None

    def delays(self) -> list[float]:
        """Real seconds to wait before each retry, already scaled."""
        if self.schedule_s is not None:
            raw = list(self.schedule_s)
        else:
            raw = [self.first_retry_s]
            total, step = self.first_retry_s, self.base_s
            while total + step <= self.horizon_s:
                raw.append(step)
                total += step
                step *= self.factor
            if self.horizon_s - total > 0:
                # A last attempt at the end of the horizon (Meta: dropped after 7 days).
                raw.append(self.horizon_s - total)
        return [max(0.0, d * self.time_scale) for d in raw]


class DeliverySettings(_Strict):
    timeout_s: float = 10.0
    concurrency: int = Field(default=64, ge=1, le=1024)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    verify: bool = True
    # Seconds between handshake attempts while the receiver is not verified yet (capped backoff).
    handshake_retry_s: float = 0.5
    handshake_retry_max_s: float = 5.0
    user_agent: str = "facebookexternalua"


class StatusTiming(_Strict):
    """Default guest behaviour for business messages (each guest may override)."""

    sent_after_ms: float = 20.0
    delivered_after_ms: float = 100.0
    read_after_ms: float | None = 600.0
    # A voice message (audio with voice=true) is `played` this long after it was read.
    played_after_ms: float | None = 1000.0


class Policies(_Strict):
    window_enabled: bool = True
    window_mode: Literal["async", "sync"] = "async"
    window_hours: float = 24.0
    rate_limit_enabled: bool = True
    pair_limit_enabled: bool = True
    # Meta: 1 message per 6 s to one user, bursts up to 45 borrowed from future quota.
    pair_interval_s: float = 6.0
    pair_burst: int = 45


class SimSettings(_Strict):
    """Everything the simulator needs; the CLI flags and `--config FILE` (YAML) build one of these."""

    webhook_url: str | None = None
    app_secret: str = DEFAULT_APP_SECRET
    verify_token: str = DEFAULT_VERIFY_TOKEN
    access_token: str = DEFAULT_ACCESS_TOKEN
    numbers: list[BusinessNumber] = Field(default_factory=lambda: [BusinessNumber()])
    templates: list[Template] = Field(default_factory=list)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    policies: Policies = Field(default_factory=Policies)
    statuses: StatusTiming = Field(default_factory=StatusTiming)
    payload_shape: Literal["2026", "pre2026"] = "2026"
    # Version of the webhook payload: v24.0+ omits `conversation` on statuses.
    payload_version: str = "v25.0"
    auto_create_guests: bool = True
    # A template created through POST /{waba}/message_templates is reviewed (APPROVED) after this long.
    template_review_ms: float = Field(default=500.0, ge=0, le=86_400_000)
    # Oldest messages of a guest are forgotten beyond this, so hour-long load tests keep bounded memory.
    max_messages_per_guest: int = Field(default=1000, ge=10, le=1_000_000)
    # ... and beyond this many messages overall (about 4 minutes at 200 guest messages/s plus replies).
    max_messages: int = Field(default=100_000, ge=100, le=10_000_000)
    seed: int = 0

    @model_validator(mode="after")
    def _unique_numbers(self) -> SimSettings:
        ids = [n.phone_number_id for n in self.numbers]
        if not ids:
            raise ValueError("configure at least one business number under `numbers`")
        if len(set(ids)) != len(ids):
            raise ValueError("phone_number_id values under `numbers` must be unique")
        return self

    def payload_major(self) -> int:
        try:
            return int(self.payload_version.lstrip("v").split(".")[0])
        except ValueError:
            return 25


def load_config(path: str | Path) -> SimSettings:
    """Read a YAML config file into settings; raises ValueError with the offending key on bad input."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: the top level must be a mapping of settings")
    return SimSettings.model_validate(raw)
