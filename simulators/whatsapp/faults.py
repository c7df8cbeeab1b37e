"""Seeded fault injection: Graph API errors and latency, webhook delivery faults."""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulators.whatsapp.errors import ERROR_CODES


class GraphFault(BaseModel):
    """Answer a share (`rate`) of Graph API calls with error `code` instead of doing the call."""

    model_config = ConfigDict(extra="forbid")
    code: int
    rate: float = Field(default=1.0, ge=0.0, le=1.0)
    endpoint: Literal["messages", "media", "any"] = "messages"
    details: str | None = None

    def model_post_init(self, __context: object) -> None:
        if self.code not in ERROR_CODES:
            raise ValueError(f"unknown error code {self.code}: use one of {sorted(ERROR_CODES)}")


class Faults(BaseModel):
    """The active faults. POST /_sim/faults merges fields into these; DELETE /_sim/faults clears them."""

    model_config = ConfigDict(extra="forbid")
    seed: int | None = None
    graph_errors: list[GraphFault] = Field(default_factory=list)
    graph_latency_ms: float = Field(default=0.0, ge=0, le=60_000)
    webhook_delay_ms: float = Field(default=0.0, ge=0, le=600_000)
    webhook_jitter_ms: float = Field(default=0.0, ge=0, le=600_000)
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    duplicate_delay_ms: float = Field(default=20.0, ge=0, le=600_000)
    reorder_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    reorder_delay_ms: float = Field(default=300.0, ge=0, le=600_000)
    batch_size: int = Field(default=1, ge=1, le=1000)
    batch_window_ms: float = Field(default=50.0, ge=0, le=60_000)
    skip_delivered_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class FaultInjector:
    """Holds the active faults and one seeded RNG so a fault run replays the same way."""

    def __init__(self, seed: int = 0) -> None:
        self.faults = Faults()
        self.rng = random.Random(seed)
        self._default_seed = seed

    def update(self, data: dict) -> Faults:
        merged = {**self.faults.model_dump(), **data}
        new = Faults.model_validate(merged)
        self.faults = new
        if "seed" in data and new.seed is not None:
            self.rng = random.Random(new.seed)
        return new

    def clear(self) -> None:
        self.faults = Faults()
        self.rng = random.Random(self._default_seed)

    def chance(self, rate: float) -> bool:
        return rate > 0 and (rate >= 1 or self.rng.random() < rate)

    def graph_error(self, endpoint: str) -> GraphFault | None:
        for fault in self.faults.graph_errors:
            if fault.endpoint in (endpoint, "any") and self.chance(fault.rate):
                return fault
        return None

    def webhook_delay_s(self) -> float:
        f = self.faults
        delay = f.webhook_delay_ms
        if f.webhook_jitter_ms:
            delay += self.rng.uniform(0, f.webhook_jitter_ms)
        if self.chance(f.reorder_rate):
            delay += f.reorder_delay_ms
        return delay / 1000.0
