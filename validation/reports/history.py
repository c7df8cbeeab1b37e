"""reports/history.jsonl: one line per run (verdict and every gate's figure), for trends and `--baseline last-pass`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from validation.result import Result

HISTORY_FILE = "history.jsonl"
TREND_RUNS = 20
LAST_PASS = "last-pass"


def history_path(out_dir: Path) -> Path:
    """The history beside a run's folder: `reports/<run>/` -> `reports/history.jsonl`."""
    return out_dir.resolve().parent / HISTORY_FILE


def entry(result: Result, out_dir: Path) -> dict[str, Any]:
    """The history line of one run."""
    return {
        "run_id": result.run.run_id,
        "started_at": result.run.started_at,
        "profile": result.run.profile,
        "verdict": str(result.verdict),
        "exit_code": result.exit_code,
        "git_commit": result.run.git_commit,
        "injected": result.run.injected,
        "result": os.path.relpath(out_dir.resolve() / "result.json", history_path(out_dir).parent),
        "gates": {
            g.name: {"measured": g.measured, "unit": g.unit, "status": str(g.status), "threshold": g.threshold}
            for g in result.gates
        },
    }


def append(result: Result, out_dir: Path) -> Path:
    """Add this run's line to the history (one write of one line, so concurrent runs do not interleave)."""
    path = history_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry(result, out_dir), separators=(",", ":")) + "\n")
    return path


def read(path: Path, limit: int = TREND_RUNS) -> list[dict[str, Any]]:
    """The last `limit` lines of a history file; unreadable lines are left out, a missing file is empty."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and "gates" in row:
            rows.append(row)
    return rows[-limit:]


def last_pass(path: Path, profile: str) -> Path | None:
    """result.json of the latest PASS of this profile that still exists, or None."""
    for row in reversed(read(path, limit=10**6)):
        if row.get("verdict") == "PASS" and row.get("profile") == profile:
            found = path.parent / str(row.get("result", ""))
            if found.is_file():
                return found
    return None
