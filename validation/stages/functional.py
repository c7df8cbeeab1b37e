"""Functional: the golden conversations (validation/conversations), judged turn by turn.

The runner belongs to the conversations area; this stage calls it against the stack and turns each
conversation into a ConversationResult (one junit testcase each, and the functional pass-rate gate).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from validation import conversations_runner as runner
from validation.result import Check, StageResult
from validation.samples import ConversationResult
from validation.stages.context import RunContext

# 12 at a time: 48 s against 56 s at 6 on this box; the serial PMS-down ones set the floor.
CONCURRENCY = 12


def _detail(result: Any) -> str:
    if getattr(result, "error", ""):
        return str(result.error)[:300]
    failed = result.failed_turns()
    if not failed:
        return ""
    first = failed[0]
    return f"turn {first.get('turn')} {first.get('sent')!r}: {'; '.join(first.get('failed', []))}"[:300]


async def run(ctx: RunContext) -> StageResult:
    """Run every golden conversation against the stack, judged turn by turn."""
    started = ctx.clock.now_ms()
    stack = ctx.stack
    files = runner.discover(None)
    ctx.ui.stage_progress("functional", figures=f"{len(files)} conversations, {CONCURRENCY} at a time")
    results = await runner.run_conversations_async(
        None,
        stack.whatsapp_url,
        stack.qloapps_url,
        stack.credentials.qloapps_key,
        stack.agent_url,
        stack.credentials.admin_token,
        concurrency=CONCURRENCY,
        run_tag=f"7{ctx.run_tag}",
    )
    for r in results:
        ctx.m.conversations.append(
            ConversationResult(
                name=r.name,
                passed=bool(r.passed),
                flow=r.flow,
                language=r.language,
                turns=len(r.turns),
                failed_turns=r.failed_turns(),
                duration_ms=round(float(r.duration_ms), 1),
                detail=_detail(r),
                transcript=[] if r.passed else [asdict(t) for t in r.turns],
            )
        )
    passed = sum(1 for r in results if r.passed)
    checks = [Check(name="golden conversations ran", passed=bool(results), detail=f"{len(results)} found")]
    result = ctx.stage_result("functional", started, checks, detail=f"{passed}/{len(results)} conversations passed")
    return result
