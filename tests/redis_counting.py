"""A real Redis client that records every command it sends, for tests that count round trips."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis


class CountingRedis(Redis):
    """Records the name of every command sent outside pipelines (each one is a round trip)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.sent.append(str(args[0]).upper())
        return await super().execute_command(*args, **options)
