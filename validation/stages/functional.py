"""Functional: the golden conversations, turn by turn (validation/conversations, another engineer's area)."""

from __future__ import annotations

import importlib

from validation.result import StageResult
from validation.stages.context import RunContext

NOT_AVAILABLE = "golden conversations runner not available (validation/conversations has not landed)"


async def run(ctx: RunContext) -> StageResult:
    """Run the golden conversations if their runner exists; otherwise say so and leave the gate INCONCLUSIVE."""
    started = ctx.clock.now_ms()
    try:
        importlib.import_module("validation.conversations.runner")
    except ImportError:
        ctx.m.unavailable["functional"] = NOT_AVAILABLE
        return ctx.stage_result("functional", started, [], detail=NOT_AVAILABLE).model_copy(
            update={"status": "NOT_AVAILABLE"}
        )
    ctx.m.unavailable["functional"] = "golden conversations runner found but not wired into the stage yet"
    return ctx.stage_result("functional", started, [], detail=ctx.m.unavailable["functional"]).model_copy(
        update={"status": "NOT_AVAILABLE"}
    )
