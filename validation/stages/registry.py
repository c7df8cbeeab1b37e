"""The stages `hotelero validate` can run, in one table: a new stage is one module and one entry here.

quality_gates.yaml is validated against these names, so a profile or gate naming a stage that is not
registered is refused before anything starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from validation.result import StageResult
from validation.stages import functional, load, observability, preflight, resilience, security
from validation.stages.context import RunContext


@dataclass(frozen=True)
class StageSpec:
    """How the runner drives one stage."""

    run: Callable[[RunContext], Awaitable[StageResult]]
    # Sends guest load and draws its own progress bar (the runner does not announce it).
    sends_load: bool = False
    # Leaves agent work behind: the runner waits for the agent's inbox to drain before the next stage.
    drains_inbox: bool = False
    # Watches the whole run: `begin` runs before the first stage, `end` after the last (however the run ends).
    begin: Callable[[RunContext], Awaitable[None]] | None = None
    end: Callable[[RunContext], Awaitable[None]] | None = None


STAGES: dict[str, StageSpec] = {
    "preflight": StageSpec(preflight.run),
    "functional": StageSpec(functional.run, drains_inbox=True),
    "security": StageSpec(security.run),
    "load": StageSpec(load.run, sends_load=True, drains_inbox=True),
    "resilience": StageSpec(resilience.run, sends_load=True),
    "observability": StageSpec(observability.run, begin=observability.begin, end=observability.end),
}
