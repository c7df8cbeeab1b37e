"""Finding the Postgres and Redis server programs the local tier runs."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_PG_LIB_GLOB = "/usr/lib/postgresql/*/bin"


@dataclass(frozen=True)
class PostgresBinaries:
    """An `initdb` and the `postgres` server from the same installation."""

    initdb: Path
    postgres: Path
    version: str


def _major(path: str) -> float:
    match = re.search(r"/postgresql/(\d+(?:\.\d+)?)/bin", path)
    return float(match.group(1)) if match else 0.0


def binary_version(path: Path) -> str:
    """First line of `<binary> --version`, or a note saying it could not be run."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else "unknown"


def _bin_dirs(bin_path: str) -> str | None:
    # An explicit, empty list searches nothing (shutil.which would read "" as the working directory).
    dirs = [d for d in bin_path.split(os.pathsep) if d]
    return os.pathsep.join(dirs) if dirs else None


def find_postgres(bin_path: str | None = None, lib_glob: str = _PG_LIB_GLOB) -> PostgresBinaries | None:
    """initdb + postgres from PATH, else the newest /usr/lib/postgresql/*/bin; None when neither has both.

    With `bin_path` (HOTELERO_LOCAL_BIN_PATH) only those directories are searched.
    """
    search_path = None if bin_path is None else _bin_dirs(bin_path)
    if bin_path is not None and search_path is None:
        return None
    dirs: list[Path] = []
    on_path = shutil.which("initdb", path=search_path)
    if on_path:
        # A PATH entry is often a symlink into /usr/lib/postgresql/N/bin: use the real dir so both match.
        dirs.append(Path(on_path).resolve().parent)
        dirs.append(Path(on_path).parent)
    if bin_path is None:
        dirs.extend(Path(p) for p in sorted(glob.glob(lib_glob), key=_major, reverse=True))
    for d in dirs:
        initdb, postgres = d / "initdb", d / "postgres"
        if initdb.is_file() and postgres.is_file():
            return PostgresBinaries(initdb=initdb, postgres=postgres, version=binary_version(postgres))
    return None


def find_redis_server(bin_path: str | None = None) -> Path | None:
    """`redis-server` on PATH (or only in `bin_path`'s directories when given), or None."""
    search_path = None if bin_path is None else _bin_dirs(bin_path)
    if bin_path is not None and search_path is None:
        return None
    found = shutil.which("redis-server", path=search_path)
    return Path(found) if found else None
