"""Group commit for webhook stores: concurrent requests share one INSERT statement, each acked after that commit.

No timer: while one statement runs, new envelopes queue; the next statement takes all of them. Idle, an
envelope is written at once; under load, batches grow by themselves and the per-request database cost
(pool checkout, round trip, fsync) is shared. Durability is unchanged: a request returns only after the
commit that holds its rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from agent.envelope import Envelope
from agent.inbox import FAILED_STATUS_PREFIX, Stored, needs_worker, store_envelope, store_statuses
from agent.logs import describe_error

log = logging.getLogger(__name__)

Store = Callable[[AsyncConnectionPool, Envelope, datetime], Awaitable[Stored]]


class EnvelopeWriter:
    """`await store(env)` returns once `env` is committed, possibly together with other envelopes."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        now: Callable[[], datetime],
        max_batch: int = 200,
        store: Store = store_envelope,
        status_linger_s: float = 0.0,
    ) -> None:
        self._pool = pool
        self._now = now
        self._max_batch = max_batch
        self._store = store
        # The status fast path: 3 of every 4 webhooks carry only delivery statuses; nobody waits on them, so they
        # wait up to `status_linger_s` to share a statement with more of them, or with the next guest messages' one.
        self._status_linger_s = status_linger_s
        self._status_queue: list[tuple[Envelope, asyncio.Future[Stored]]] = []
        self._status_flusher: asyncio.Task[None] | None = None
        self._queue: list[tuple[Envelope, asyncio.Future[Stored]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def store(self, env: Envelope, timeout_s: float | None = None) -> Stored:
        """Queue the envelope and wait for the commit that holds it (raises if that commit failed).

        After `timeout_s` it raises TimeoutError (the caller refuses, Meta redelivers) and leaves the batch.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        if env.messages or any(needs_worker(st) for st in env.statuses):
            self._queue.append((env, future))
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.create_task(self._flush())
        else:
            self._status_queue.append((env, future))
            if self._status_flusher is None or self._status_flusher.done():
                self._status_flusher = asyncio.create_task(self._flush_statuses())
        if timeout_s is None:
            return await future
        # One timer handle, not asyncio.timeout: no context manager, no task cancellation on the ack path.
        timer = loop.call_later(timeout_s, _settle, future, None, TimeoutError("store timed out"))
        try:
            return await future
        finally:
            timer.cancel()

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            # Statuses waiting out their linger ride along: a few more rows in a statement that runs anyway, instead
            # of a statement of their own. They are acknowledged after this commit, as after their own.
            room = self._max_batch - len(batch)
            if room > 0 and self._status_queue:
                batch += self._status_queue[:room]
                self._status_queue = self._status_queue[room:]
            await self._write(batch, self._store)

    async def _flush_statuses(self) -> None:
        while self._status_queue:
            if self._status_linger_s > 0 and len(self._status_queue) < self._max_batch:
                await asyncio.sleep(self._status_linger_s)
            batch = self._status_queue[: self._max_batch]
            self._status_queue = self._status_queue[self._max_batch :]
            await self._write(batch, store_statuses)

    async def _write(self, batch: list[tuple[Envelope, asyncio.Future[Stored]]], store: Store) -> None:
        # A request that gave up (store timeout, client gone) was already refused: Meta redelivers it.
        batch = [item for item in batch if not item[1].done()]
        if not batch:
            return
        merged = Envelope(
            messages=[m for env, _ in batch for m in env.messages],
            statuses=[s for env, _ in batch for s in env.statuses],
        )
        try:
            stored = await store(self._pool, merged, self._now())
        except (psycopg.OperationalError, PoolTimeout) as exc:
            # The database is unreachable: every envelope fails alike, so none waits behind its neighbours.
            for _, future in batch:
                _settle(future, exc=exc)
            return
        except Exception as exc:
            if len(batch) > 1:
                # One bad envelope must not fail its neighbours: write them one by one.
                log.warning(
                    "group store failed, retrying one by one", extra={"error": describe_error(exc), "size": len(batch)}
                )
                for item in batch:
                    await self._write([item], store)
                return
            _settle(batch[0][1], exc=exc)
            return
        new = set(stored.new_wamids)
        for env, future in batch:
            mine = [m.wamid for m in env.messages if m.wamid in new]
            mine += [FAILED_STATUS_PREFIX + s.wamid for s in env.statuses if FAILED_STATUS_PREFIX + s.wamid in new]
            _settle(future, Stored(mine, len(env.statuses)))


def _settle(future: asyncio.Future[Stored], result: Stored | None = None, exc: Exception | None = None) -> None:
    if future.done():  # the request gave up (timeout, client gone); the rows are committed anyway
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)  # type: ignore[arg-type]
