"""The whole stack with the receptionist (agent, both simulators, the session's Postgres and Redis) for e2e tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from validation.stack import Stack, StackOptions, run_stack


@contextlib.contextmanager
def receptionist_stack(out_dir: Path, postgres_url: str, redis_url: str, **options: Any) -> Iterator[Stack]:
    """`run_stack` with the receptionist answering and a rate limit no test conversation reaches."""
    opts = StackOptions(
        out_dir=out_dir,
        database_url=postgres_url,
        redis_url=redis_url,
        agent_env={"AGENT_RESPONDER": "receptionist", "AGENT_RATE_LIMIT_MESSAGES": "200"},
        **options,
    )
    with run_stack(opts) as stack:
        yield stack
