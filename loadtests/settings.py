"""Resolved settings of one load run: flags first, then the quality_gates.yaml profile, then built-in defaults.

Shared by the locustfile (which gets the flags from Locust's parser) and `hotelero load` (which checks them
before it spawns anything), so a bad flag fails fast with the same message in both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from loadtests.analysis import Gates
from loadtests.flows import DEFAULT_LANGUAGE_MIX, DEFAULT_MIX, LANGUAGES, parse_mix
from loadtests.shapes import DEFAULT_RATE_PER_S, Schedule, ShapeError, build_schedule, parse_duration

REPO = Path(__file__).resolve().parent.parent


def default_gates_file() -> Path:
    """./quality_gates.yaml when there is one, else the repository's."""
    local = Path("quality_gates.yaml")
    return local if local.exists() else REPO / "quality_gates.yaml"


class SettingsError(ValueError):
    """A load setting that cannot be used; the message says which and how to fix it."""


@dataclass
class LoadSettings:
    """Everything a generator needs to play its share of the schedule."""

    shape: str = "steady"
    rate: float = DEFAULT_RATE_PER_S
    duration_s: float = 60.0
    step_s: float = 20.0
    step_rate: float | None = None
    max_rate: float | None = None
    spike_factor: float = 10.0
    spike_s: float = 30.0
    warmup_s: float = 0.0
    reply_timeout_s: float = 10.0
    settle_ms: int = 150
    # Off: any non-apology reply passes (for a stand-in agent such as AGENT_RESPONDER=echo).
    check_replies: bool = True
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    languages: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LANGUAGE_MIX))
    seed: int = 1
    run_tag: int | None = None
    conversations_dir: str = str(REPO / "validation" / "conversations")
    samples_file: str = "load-samples.jsonl"
    summary_file: str = "load-summary.json"
    gates: Gates = field(default_factory=Gates)
    profile: str | None = None

    def schedule(self) -> Schedule:
        return build_schedule(
            self.shape,
            self.rate,
            self.duration_s,
            step_s=self.step_s,
            step_rate=self.step_rate,
            max_rate=self.max_rate,
            spike_factor=self.spike_factor,
            spike_s=self.spike_s,
        )

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["gates"] = asdict(self.gates)
        return data


def _profile_load(gates_file: Path, profile: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(profile's `load:` mapping, the whole file) read leniently; a missing profile is an error."""
    try:
        doc = yaml.safe_load(gates_file.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SettingsError(f"cannot read {gates_file}: {exc.strerror}; give --gates-file PATH") from None
    profiles = doc.get("profiles") or {}
    if profile not in profiles:
        raise SettingsError(f"profile {profile!r} is not in {gates_file}: use one of {', '.join(profiles) or 'none'}")
    return dict((profiles[profile] or {}).get("load") or {}), doc


def _gate_threshold(doc: dict[str, Any], name: str) -> tuple[float, str] | None:
    for gate in doc.get("gates") or []:
        if isinstance(gate, dict) and gate.get("name") == name:
            return float(gate["threshold"]), str(gate.get("unit", ""))
    return None


def resolve(options: dict[str, Any]) -> LoadSettings:
    """Settings from flag values (None = not given), a profile and the gates file."""
    s = LoadSettings()
    path = Path(options["gates_file"]) if options.get("gates_file") else default_gates_file()
    doc: dict[str, Any] = {}
    prof: dict[str, Any] = {}
    if options.get("gates_profile"):
        prof, doc = _profile_load(path, options["gates_profile"])
        s.profile = options["gates_profile"]
    elif path.exists():
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            doc = {}
    # Gates the ramp and spike judge steps by: the p95 latency and error-rate gates of the load stage.
    p95 = _gate_threshold(doc, "e2e_latency_p95")
    if p95:
        s.gates.p95_ms = p95[0] * (1000 if p95[1] == "s" else 1)
    err = _gate_threshold(doc, "error_rate")
    if err:
        s.gates.max_error_rate = err[0] / 100 if err[1] == "%" else err[0]

    def pick(flag: str, key: str | None = None) -> Any:
        value = options.get(flag)
        return value if value is not None else prof.get(key or flag)

    try:
        s.shape = str(options.get("shape") or s.shape)
        if pick("rate", "rate_per_s") is not None:
            s.rate = float(pick("rate", "rate_per_s"))
        if s.shape == "smoke" and options.get("rate") is None:
            s.rate = 1.0
        for flag, key, attr in (
            ("duration", "duration", "duration_s"),
            ("warmup", "warmup", "warmup_s"),
            ("reply_timeout", "reply_timeout", "reply_timeout_s"),
            ("step_duration", None, "step_s"),
            ("spike_duration", None, "spike_s"),
        ):
            value = pick(flag, key)
            if value is not None:
                setattr(s, attr, parse_duration(value))
        if s.shape == "smoke" and pick("duration") is None:
            s.duration_s = 10.0
        for flag in ("step_rate", "max_rate", "spike_factor"):
            if options.get(flag) is not None:
                setattr(s, flag, float(options[flag]))
        if options.get("gate_p95_ms") is not None:
            s.gates.p95_ms = float(options["gate_p95_ms"])
        if options.get("max_error_rate") is not None:
            s.gates.max_error_rate = float(options["max_error_rate"])
        mix = options.get("mix") or prof.get("mix") or prof.get("flow_mix")
        if mix:
            s.mix = parse_mix(mix)
        if options.get("languages"):
            s.languages = parse_mix(options["languages"], LANGUAGES)
        for flag in ("seed", "settle_ms", "run_tag"):
            if options.get(flag) is not None:
                setattr(s, flag, int(options[flag]))
        for flag in ("conversations_dir", "samples_file", "summary_file"):
            if options.get(flag):
                setattr(s, flag, str(options[flag]))
        if options.get("no_reply_check"):
            s.check_replies = False
        if s.reply_timeout_s <= 0:
            raise SettingsError("--reply-timeout must be positive, e.g. 10s")
        s.schedule()
    except (ShapeError, ValueError) as exc:
        if isinstance(exc, SettingsError):
            raise
        raise SettingsError(str(exc)) from None
    return s
