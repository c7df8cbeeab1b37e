"""Resolved settings of one load run: flags first, then the quality_gates.yaml profile, then built-in defaults.

Shared by the locustfile (which gets the flags from Locust's parser) and `hotelero load` (which checks them
before it spawns anything), so a bad flag fails fast with the same message in both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loadtests.flows import DEFAULT_LANGUAGE_MIX, DEFAULT_MIX, LANGUAGES, parse_mix
from loadtests.shapes import DEFAULT_RATE_PER_S, Schedule, ShapeError, build_schedule
from qualitygates.durations import parse_duration
from qualitygates.schema import GateConfigError, GatesFile, load_gates
from qualitygates.window import WindowRule

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
    # When this file appears the schedule stops early (the validation runner's abort_on_fail).
    stop_file: str | None = None
    # Filled by resolve(): the load stage's blocking gates, as the one window rule (qualitygates.window).
    gates: WindowRule = field(default_factory=lambda: WindowRule((), (), 10_000.0))
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


def _gates(path: Path) -> GatesFile:
    try:
        return load_gates(path)
    except GateConfigError as exc:
        raise SettingsError(f"{exc}; give --gates-file PATH") from None


def resolve(options: dict[str, Any]) -> LoadSettings:
    """Settings from flag values (None = not given), a profile and the gates file."""
    s = LoadSettings()
    config = _gates(Path(options["gates_file"]) if options.get("gates_file") else default_gates_file())
    prof: dict[str, Any] = {}
    if options.get("gates_profile"):
        name = options["gates_profile"]
        if name not in config.profiles:
            raise SettingsError(f"profile {name!r} is not in the gates file: use one of {', '.join(config.profiles)}")
        load = config.profiles[name].load
        prof = load.model_dump(exclude_none=True) if load is not None else {}
        s.profile = name

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
        # Steps and windows are judged by the load stage's gates; flags may override them.
        s.gates = WindowRule.from_gates(config, "load", s.reply_timeout_s * 1000.0).with_overrides(
            p95_ms=options.get("gate_p95_ms"), max_error_share=options.get("max_error_rate")
        )
        mix = options.get("mix") or prof.get("mix")
        if mix:
            s.mix = parse_mix(mix)
        if options.get("languages"):
            s.languages = parse_mix(options["languages"], LANGUAGES)
        for flag in ("seed", "settle_ms", "run_tag"):
            if options.get(flag) is not None:
                setattr(s, flag, int(options[flag]))
        for flag in ("conversations_dir", "samples_file", "summary_file", "stop_file"):
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
