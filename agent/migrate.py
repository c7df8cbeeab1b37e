"""Apply the versioned SQL migrations in agent/migrations/, once, under a Postgres advisory lock.

Several replicas starting at once serialise on the lock; each applies only what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg

# Any fixed 64-bit key; every replica of the agent uses the same one.
MIGRATION_LOCK_KEY = 0x686F74656C65726F  # "hotelero"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One SQL file: its version (the 4-digit prefix), name and text."""

    version: str
    name: str
    sql: str


def available() -> list[Migration]:
    """Migrations shipped with the agent, in version order."""
    out: list[Migration] = []
    for item in resources.files("agent.migrations").iterdir():
        match = _NAME.match(item.name)
        if match:
            out.append(Migration(match.group(1), item.name, item.read_text(encoding="utf-8")))
    return sorted(out, key=lambda m: m.version)


def latest_version() -> str:
    """The newest migration version shipped."""
    return available()[-1].version


async def apply(database_url: str) -> list[str]:
    """Apply missing migrations; return the names applied (empty when the schema is current)."""
    applied_now: list[str] = []
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cur = await conn.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in await cur.fetchall()}
            for migration in available():
                if migration.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                applied_now.append(migration.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied_now


async def current_version(conn: psycopg.AsyncConnection) -> str | None:
    """The newest applied version, or None when migrations never ran."""
    try:
        cur = await conn.execute("SELECT max(version) FROM schema_migrations")
        row = await cur.fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None
