"""quality_gates.yaml: the gate schema, its units, the profiles, and the strict loader (the one place it is read).

Every mistake ends the run before anything starts, and every error names the file and line. k6 silently
keeps the last of two duplicate threshold keys; we refuse them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qualitygates.durations import parse_duration

SCHEMA_VERSION = 1
# Stage names are checked against the stages the caller can run (`load_gates(path, stages=...)`); the
# validation runner passes its stage registry, so a new stage is one registry entry.
Stage = str
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Durations in seconds, written in the one grammar (qualitygates.durations).
Seconds = Annotated[float, BeforeValidator(parse_duration)]
Positive = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
Unit = Literal["ms", "s", "%", "/h", "count"]
Comparator = Literal["<", "<=", ">", ">="]
Severity = Literal["blocking", "warning"]


class GateConfigError(Exception):
    """quality_gates.yaml (or a profile choice) is wrong; the message says where and what to fix."""


class MetricSpec(BaseModel):
    """What a metric measures, which aggregations make sense and which units it is expressed in."""

    name: str
    kind: Literal["distribution", "ratio", "throughput", "count"]
    units: tuple[str, ...]
    description: str
    # For ratio metrics: whether the metric counts failures (error_rate) or successes (readiness).
    counts_failures: bool = False


METRICS: dict[str, MetricSpec] = {
    m.name: m
    for m in (
        MetricSpec(
            name="e2e_latency",
            kind="distribution",
            units=("ms", "s"),
            description="guest sends -> first reply received, from the intended send time (open model)",
        ),
        MetricSpec(
            name="ack_latency",
            kind="distribution",
            units=("ms", "s"),
            description="webhook POST -> agent's HTTP answer, as the WhatsApp simulator timed it",
        ),
        MetricSpec(
            name="recovery_time",
            kind="distribution",
            units=("ms", "s"),
            description="fault restored -> rolling p95 and error rate back within their gates",
        ),
        *(
            MetricSpec(
                name=name,
                kind="count",
                units=("count",),
                description=f"{what}, per fault of the resilience matrix (max: the worst fault; sum: all faults)",
            )
            for name, what in (
                ("lost_messages", "guest messages never answered"),
                ("duplicate_replies", "replies the guest received twice"),
                ("out_of_order_replies", "replies reaching the guest after a reply to a later message the agent held"),
                ("orphan_bookings", "PMS bookings no confirmation told the guest about, or told of but not in the PMS"),
            )
        ),
        MetricSpec(
            name="error_rate",
            kind="ratio",
            units=("%",),
            description="guest messages without a reply within the timeout, or refused, over all sent",
            counts_failures=True,
        ),
        MetricSpec(
            name="readiness",
            kind="ratio",
            units=("%",),
            description="share of GET /health/ready probes answered 200 during the run",
        ),
        MetricSpec(
            name="functional_pass_rate",
            kind="ratio",
            units=("%",),
            description="share of golden conversations whose every turn passed",
        ),
        MetricSpec(
            name="throughput",
            kind="throughput",
            units=("/h",),
            description="guest messages answered per hour over the stage's measured window",
        ),
    )
}

_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?|100)$")



def percentile_of(aggregation: str) -> float | None:
    """The N of `pN` (0..100), or None when the aggregation is not a percentile."""
    match = _PERCENTILE.match(aggregation)
    if not match:
        return None
    value = float(match.group(1))
    return value if 0 <= value <= 100 else None


def allowed_aggregations(metric: MetricSpec) -> str:
    """Human list of the aggregations a metric accepts (for error messages)."""
    if metric.kind == "distribution":
        return "pN (p50, p95, p99.9 ...), mean, min, max"
    if metric.kind == "count":
        return "max, sum"
    return "rate"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_stages(value: Any, info: ValidationInfo) -> Any:
    """Stage names: well formed, and among the stages the caller can run when it says which those are."""
    known = (info.context or {}).get("stages")
    for name in [value] if isinstance(value, str) else value or []:
        if not isinstance(name, str) or not _STAGE_NAME.match(name):
            raise ValueError(f"stage names are lower_case words, got {name!r}")
        if known is not None and name not in known:
            raise ValueError(f"unknown stage {name!r}; known stages: {', '.join(known)}")
    return value


class Scope(_Strict):
    """Which samples a gate judges: a flow, a stage, a language (each one value or a list)."""

    flow: str | list[str] | None = None
    stage: Stage | list[Stage] | None = None
    language: str | list[str] | None = None

    _stages = field_validator("stage")(_check_stages)

    def values(self, field: str) -> tuple[str, ...] | None:
        """The accepted values for one scope field, or None when the field does not filter."""
        raw = getattr(self, field)
        if raw is None:
            return None
        return (raw,) if isinstance(raw, str) else tuple(raw)


class Gate(_Strict):
    """One SLA line: metric + aggregation + comparator + threshold with its unit."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str | None = None
    metric: str
    aggregation: str
    comparator: Comparator
    threshold: float
    unit: Unit
    scope: Scope = Scope()
    min_samples: int | None = Field(default=None, ge=1)
    severity: Severity = "blocking"
    # As k6's abortOnFail: once this gate has conclusively failed mid-run, stop the run early with FAIL.
    abort_on_fail: bool = False

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"unknown metric {value!r}; known metrics: {', '.join(sorted(METRICS))}")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Gate:
        spec = METRICS[self.metric]
        if self.unit not in spec.units:
            raise ValueError(
                f"unit {self.unit!r} does not fit metric {self.metric!r}; use one of: {', '.join(spec.units)}"
            )
        if spec.kind == "distribution":
            ok = self.aggregation in ("mean", "min", "max") or percentile_of(self.aggregation) is not None
        elif spec.kind == "count":
            ok = self.aggregation in ("max", "sum")
        else:
            ok = self.aggregation == "rate"
        if not ok:
            raise ValueError(
                f"aggregation {self.aggregation!r} does not fit metric {self.metric!r}; "
                f"use {allowed_aggregations(spec)}"
            )
        if self.unit == "%" and not 0 <= self.threshold <= 100:
            raise ValueError(f"a percentage threshold must be within 0..100, got {self.threshold}")
        if self.threshold < 0 or not math.isfinite(self.threshold):
            raise ValueError(f"threshold must be a finite non-negative number, got {self.threshold}")
        return self

    @property
    def spec(self) -> MetricSpec:
        return METRICS[self.metric]

    @property
    def threshold_canonical(self) -> float:
        """The threshold in the canonical unit of its metric: ms, a fraction 0..1, or per hour."""
        return to_canonical(self.threshold, self.unit)

    def derived_min_samples(self) -> int:
        """`min_samples`, or for a rate threshold the rule of three: 0 failures in n bound the rate below 3/n."""
        if self.min_samples is not None:
            return self.min_samples
        if self.spec.kind != "ratio":
            return 1
        # The tolerated failure share: the threshold itself for error_rate, 100% - threshold for readiness.
        failure_share = self.threshold_canonical if self.spec.counts_failures else 1.0 - self.threshold_canonical
        if failure_share <= 0:
            return 1
        return math.ceil(3.0 / failure_share - 1e-9)

    def describe(self) -> str:
        """`e2e_latency p95 < 2000 ms` — the gate as a person reads it."""
        return f"{self.metric} {self.aggregation} {self.comparator} {format_number(self.threshold)} {self.unit}"


def to_canonical(value: float, unit: str) -> float:
    """Convert to the canonical unit: ms for time, a fraction for %, per hour for /h."""
    if unit == "s":
        return value * 1000.0
    if unit == "%":
        return value / 100.0
    return value


def from_canonical(value: float, unit: str) -> float:
    """Inverse of to_canonical, for showing a measured value in the gate's unit."""
    if unit == "s":
        return value / 1000.0
    if unit == "%":
        return value * 100.0
    return value


def format_number(value: float) -> str:
    """Short, exact-enough rendering (2000, 0.1, 99.9, 1234.57)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")


class LoadSpec(_Strict):
    """Open-model load: `rate_per_s` messages scheduled for `duration`, the first `warmup` not judged.

    A message not answered within `reply_timeout` of its intended send time is an error.
    """

    rate_per_s: float = Field(gt=0, le=2000)
    duration: Positive
    warmup: Seconds = 0.0
    reply_timeout: Positive = 10.0
    # Weights of new guest conversations by flow (faq, availability, booking, cancellation); hotelero load reads it.
    mix: dict[str, float] | None = None


ResilienceFault = Literal[
    "pms-down", "pms-slow", "redis-down", "postgres-restart", "worker-sigkill", "webhooks-refused"
]


class ResilienceSpec(_Strict):
    """The fault matrix: each fault in turn under guest traffic, then restored, then the backlog watched drain.

    `fault`/`fault_latency_ms`/`fault_duration` shape the PMS faults; the others have their own length.
    """

    faults: list[ResilienceFault] = Field(default_factory=lambda: ["pms-down"], min_length=1)
    fault: Literal["down", "latency", "error"] = "down"
    fault_latency_ms: int = Field(default=3000, ge=1)
    rate_per_s: float = Field(gt=0, le=2000)
    # Guests writing at once; each writes every guests / rate_per_s seconds, whether answered or not.
    guests: int = Field(default=20, ge=1, le=1000)
    before: Seconds = 5.0
    fault_duration: Positive
    observe: Positive
    window: Positive = 10.0
    reply_timeout: Positive = 10.0
    redis_down: Positive = 20.0
    refuse_webhooks: Positive = 60.0
    worker_kills: int = Field(default=3, ge=1, le=20)
    # How long to wait after the traffic ends for every message to be answered (Meta redelivers refused ones).
    drain_timeout: Positive = 120.0
    # The WhatsApp simulator's retry schedule is Meta's (15 s, doubling) scaled by this during the stage.
    retry_time_scale: float = Field(default=0.1, gt=0, le=1)


class Profile(_Strict):
    """Which stages run, for how long and how hard."""

    description: str
    stages: list[Stage] = Field(min_length=1)
    max_wall: Positive | None = None
    duration_required: bool = False
    readiness_probe_interval: Positive = 1.0
    # Gates this profile is too short to prove (with the reason): still judged and able to FAIL when the
    # samples already breach, but their INCONCLUSIVE does not make the run INCONCLUSIVE.
    unproven_ok: dict[str, str] = Field(default_factory=dict)
    load: LoadSpec | None = None
    resilience: ResilienceSpec | None = None

    _stages = field_validator("stages")(_check_stages)

    @model_validator(mode="after")
    def _stage_settings(self) -> Profile:
        if len(set(self.stages)) != len(self.stages):
            raise ValueError("a stage is listed twice")
        if "load" in self.stages and self.load is None:
            raise ValueError("the profile runs the load stage but has no `load:` settings")
        if "resilience" in self.stages and self.resilience is None:
            raise ValueError("the profile runs the resilience stage but has no `resilience:` settings")
        return self


class GatesFile(_Strict):
    """The whole quality_gates.yaml."""

    version: int
    gates: list[Gate] = Field(min_length=1)
    profiles: dict[str, Profile] = Field(min_length=1)

    @field_validator("version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported version {value}; this hotelero reads version {SCHEMA_VERSION}")
        return value

    @model_validator(mode="after")
    def _skips_name_gates(self) -> GatesFile:
        names = {g.name for g in self.gates}
        for profile_name, profile in self.profiles.items():
            unknown = sorted(set(profile.unproven_ok) - names)
            if unknown:
                raise ValueError(f"profile {profile_name!r}: unproven_ok names unknown gate(s): {', '.join(unknown)}")
        return self

    def gate(self, name: str) -> Gate:
        for gate in self.gates:
            if gate.name == name:
                return gate
        raise KeyError(name)

    def profile(self, name: str) -> Profile:
        """The named profile, or a GateConfigError listing the ones that exist."""
        if name not in self.profiles:
            raise GateConfigError(f"unknown profile {name!r}; choose one of: {', '.join(self.profiles)}")
        return self.profiles[name]


# --- YAML with line numbers and duplicate-key detection -------------------------------------------------


class _LineDict(dict):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class _LineList(list):
    """A sequence that remembers the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first_line: int) -> None:
        super().__init__(f"duplicate key {key!r} (first defined on line {first_line})")
        self.line = line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and keeps line numbers for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            raise _DuplicateKey(key, line, result.key_lines[key])
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode, deep: bool = False) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _line_of(data: Any, loc: tuple[Any, ...]) -> int | None:
    """The deepest line we know for a pydantic error location."""
    line: int | None = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, _LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, _LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def parse_gates(text: str, source: str = "quality_gates.yaml", stages: Sequence[str] | None = None) -> GatesFile:
    """Parse and validate gate configuration text; raise GateConfigError naming `source:line`.

    `stages`: the stage names the caller can run; gates and profiles naming others are refused.
    """
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader derives from SafeLoader
    except _DuplicateKey as exc:
        raise GateConfigError(f"{source}:{exc.line}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        raise GateConfigError(f"{where}: invalid YAML: {exc.problem}") from None
    if not isinstance(data, dict):
        raise GateConfigError(f"{source}:1: expected a mapping with version, gates and profiles")
    try:
        config = GatesFile.model_validate(_plain(data), context={"stages": tuple(stages) if stages else None})
    except ValidationError as exc:
        messages = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = _line_of(data, loc)
            where = f"{source}:{line}" if line else source
            path = ".".join(str(p) for p in loc) or "(top level)"
            msg = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}; check the spelling against docs/validation.md"
            messages.append(f"{where}: {path}: {msg}")
        raise GateConfigError("\n".join(messages)) from None
    seen: dict[str, int] = {}
    for index, gate in enumerate(config.gates):
        line = _line_of(data, ("gates", index)) or 0
        if gate.name in seen:
            raise GateConfigError(
                f"{source}:{line}: duplicate gate name {gate.name!r} (first defined on line {seen[gate.name]})"
            )
        seen[gate.name] = line
    return config


def load_gates(path: Path, stages: Sequence[str] | None = None) -> GatesFile:
    """Read and validate a gates file; missing or unreadable files are config errors too."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GateConfigError(f"{path}: cannot read the gates file ({exc.strerror}); pass --gates PATH") from None
    return parse_gates(text, source=str(path), stages=stages)
