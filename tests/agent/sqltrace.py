"""Count what the agent sends Postgres, at the wire: every pool connection is traced with libpq's PQtrace.

A round trip ends with the server's ReadyForQuery; BEGIN/COMMIT show as their own round trips. Counting at the
protocol level also catches what a wrapper around `execute` would miss (a pool's housekeeping, an explicit
transaction).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import AsyncConnection, pq
from psycopg_pool import AsyncConnectionPool

from agent.inbox import connection_kwargs

# The first line of the SQL text in a Parse (extended protocol) or a Query (simple protocol, e.g. BEGIN).
_QUERY = re.compile(r'^F\t\d+\t(?:Parse\t "[^"]*" |Query\t )"\s*([^\n"]*)', re.M)


@dataclass
class Trace:
    """The traced connections' wire logs, read since the last `reset`."""

    folder: Path
    conns: list[AsyncConnection] = field(default_factory=list)
    _files: list[object] = field(default_factory=list)
    _offsets: dict[Path, int] = field(default_factory=dict)

    def _text(self, advance: bool) -> str:
        for conn, f in zip(self.conns, self._files, strict=True):
            if not conn.closed:  # libpq buffers the trace: stopping it flushes, then it goes on
                conn.pgconn.untrace()
                _start(conn, f.fileno())  # type: ignore[attr-defined]
        out = ""
        for path in sorted(self.folder.glob("conn-*.txt")):
            text = path.read_text()
            out += text[self._offsets.get(path, 0) :]
            if advance:
                self._offsets[path] = len(text)
        return out

    def round_trips(self) -> int:
        """Round trips completed since the last reset (one per statement in autocommit, BEGIN and COMMIT too)."""
        return self._text(advance=False).count("\tReadyForQuery\t")

    def statements(self) -> list[str]:
        """The SQL sent since the last reset, first line of each (a prepared statement's re-use is not re-sent)."""
        return _QUERY.findall(self._text(advance=False))

    def reset(self) -> None:
        self._text(advance=True)


def _start(conn: AsyncConnection, fileno: int) -> None:
    conn.pgconn.trace(fileno)
    conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)


@asynccontextmanager
async def traced_pool(database_url: str, **pool_args: object) -> AsyncIterator[tuple[AsyncConnectionPool, Trace]]:
    """A pool configured like the agent's, each of whose connections logs its wire traffic for `Trace`."""
    with tempfile.TemporaryDirectory(prefix="sqltrace-") as folder:
        trace = Trace(Path(folder))

        async def configure(conn: AsyncConnection) -> None:
            f = open(trace.folder / f"conn-{len(trace.conns)}.txt", "w")  # noqa: SIM115 - closed below
            trace._files.append(f)
            trace.conns.append(conn)
            _start(conn, f.fileno())

        pool = AsyncConnectionPool(
            database_url, kwargs=connection_kwargs(database_url), configure=configure, open=False, **pool_args
        )
        try:
            await pool.open(wait=True)
            yield pool, trace
        finally:
            for conn in trace.conns:
                if not conn.closed:
                    conn.pgconn.untrace()
            await pool.close()
            for f in trace._files:
                f.close()  # type: ignore[attr-defined]
