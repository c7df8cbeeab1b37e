"""Injected faults, each targetable by resource and method and seeded for repeatable runs."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KINDS = ("latency", "error", "hang", "drop", "down")


class LatencyDistribution(BaseModel):
    """Added latency per request: fixed, uniform, normal, lognormal(median, sigma) or exponential(mean)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["fixed", "uniform", "normal", "lognormal", "exponential"]
    ms: float | None = Field(None, ge=0)
    min_ms: float | None = Field(None, ge=0)
    max_ms: float | None = Field(None, ge=0)
    mean_ms: float | None = Field(None, ge=0)
    stddev_ms: float | None = Field(None, ge=0)
    median_ms: float | None = Field(None, ge=0)
    sigma: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _params(self) -> LatencyDistribution:
        need = {"fixed": ("ms",), "uniform": ("min_ms", "max_ms"), "normal": ("mean_ms", "stddev_ms"),
                "lognormal": ("median_ms", "sigma"), "exponential": ("mean_ms",)}[self.type]  # fmt: skip
        missing = [n for n in need if getattr(self, n) is None]
        if missing:
            raise ValueError(f"a {self.type} distribution needs {', '.join(missing)}")
        if self.type == "uniform" and self.max_ms < self.min_ms:  # type: ignore[operator]
            raise ValueError("uniform distribution: max_ms must be >= min_ms")
        return self


class FaultSpec(BaseModel):
    """Body of POST /_sim/faults. `kind` may be left out when the body says it (latency_ms, error_rate, down...)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["latency", "error", "hang", "drop", "down"] | None = None
    resource: str | None = None  # e.g. "hotel_ari"; None = every /api/ resource
    method: str | None = None  # e.g. "POST"; None = every method
    rate: float = Field(1.0, ge=0.0, le=1.0)
    latency_ms: float | None = Field(None, ge=0, le=600_000)
    distribution: LatencyDistribution | None = None
    error_rate: float | None = Field(None, ge=0.0, le=1.0)
    status: int = Field(500, ge=400, le=599)
    code: int | None = None
    message: str | None = None
    hang_s: float = Field(120.0, ge=0, le=3600)
    mode: Literal["status", "drop"] = "status"  # how "down" fails: 503 page or dropped connections
    # before: the fault replaces the work (nothing is saved); after: QloApps does the work (an order is saved),
    # then the answer is delayed, hung, dropped or replaced by the error.
    phase: Literal["before", "after"] = "before"
    count: int | None = Field(None, ge=1)  # stop after this many hits
    seed: int | None = None
    down: bool | None = None
    hang: bool | None = None
    drop: bool | None = None

    @model_validator(mode="after")
    def _infer_kind(self) -> FaultSpec:
        if self.kind is None:
            if self.down:
                self.kind = "down"
            elif self.hang:
                self.kind = "hang"
            elif self.drop:
                self.kind = "drop"
            elif self.error_rate is not None:
                self.kind = "error"
            elif self.latency_ms is not None or self.distribution is not None:
                self.kind = "latency"
            else:
                raise ValueError(f"say which fault: kind is one of {', '.join(KINDS)} (or give latency_ms, error_rate)")
        if self.error_rate is not None:
            self.rate = self.error_rate
        if self.kind == "latency" and self.latency_ms is None and self.distribution is None:
            raise ValueError("a latency fault needs latency_ms or a distribution")
        if self.method:
            self.method = self.method.upper()
        return self


@dataclass
class Fault:
    id: int
    spec: FaultSpec
    rng: random.Random
    hits: int = 0
    fired: int = 0

    def targets(self, resource: str, method: str) -> bool:
        s = self.spec
        return (s.resource in (None, "", "*", resource)) and (s.method in (None, "", "*", method))

    def roll(self) -> bool:
        """Whether the fault fires for this request (rate, then count)."""
        s = self.spec
        if s.count is not None and self.fired >= s.count:
            return False
        if s.rate < 1.0 and self.rng.random() >= s.rate:
            return False
        self.fired += 1
        return True

    def delay_ms(self) -> float:
        s = self.spec
        d = s.distribution
        if d is None:
            return float(s.latency_ms or 0)
        r = self.rng
        if d.type == "fixed":
            return float(d.ms or 0)
        if d.type == "uniform":
            return r.uniform(d.min_ms or 0, d.max_ms or 0)
        if d.type == "normal":
            return max(0.0, r.gauss(d.mean_ms or 0, d.stddev_ms or 0))
        if d.type == "lognormal":
            import math

            return r.lognormvariate(math.log(max(d.median_ms or 1e-3, 1e-3)), d.sigma or 0)
        return r.expovariate(1.0 / max(d.mean_ms or 1e-3, 1e-3))

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec.model_dump(exclude_none=True), "fired": self.fired, "hits": self.hits}


@dataclass
class Decision:
    """What the faults decided for one request."""

    delay_ms: float = 0.0
    action: str | None = None  # down | hang | drop | error
    fault: Fault | None = None
    applied: list[str] = field(default_factory=list)
    after: bool = False  # act once the request has been handled
    reply: Any = None  # the answer the fault gives instead of QloApps' own


class FaultBook:
    """The active faults; thread-safe, seeded per fault (explicit seed, else simulator seed + fault id)."""

    def __init__(self, base_seed: int = 0) -> None:
        self.base_seed = base_seed
        self._faults: list[Fault] = []
        self._next = 1
        self._lock = threading.Lock()

    def add(self, spec: FaultSpec) -> Fault:
        with self._lock:
            fid = self._next
            self._next += 1
            seed = spec.seed if spec.seed is not None else self.base_seed * 1000 + fid
            fault = Fault(fid, spec, random.Random(seed))
            self._faults.append(fault)
            return fault

    def remove(self, fid: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fid]
            return len(self._faults) != before

    def clear(self, *, restart_ids: bool = False) -> int:
        """Remove every fault; `restart_ids` (on reset) makes ids, hence derived seeds, repeat from 1."""
        with self._lock:
            n = len(self._faults)
            self._faults = []
            if restart_ids:
                self._next = 1
            return n

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def __bool__(self) -> bool:
        return bool(self._faults)

    def decide(self, resource: str, method: str) -> Decision:
        """Down beats hang beats drop beats error; latencies add up and apply before any of them."""
        d = Decision()
        with self._lock:
            matching = [f for f in self._faults if f.targets(resource, method)]
            for f in matching:
                f.hits += 1
            for kind in ("down", "hang", "drop", "error"):
                for f in matching:
                    if f.spec.kind == kind and f.roll():
                        d.action, d.fault, d.after = kind, f, f.spec.phase == "after"
                        d.applied.append(f"{kind}#{f.id}")
                        break
                if d.action:
                    break
            for f in matching:
                if f.spec.kind == "latency" and f.roll():
                    d.delay_ms += f.delay_ms()
                    d.after = d.after or (d.action is None and f.spec.phase == "after")
                    d.applied.append(f"latency#{f.id}")
        return d
