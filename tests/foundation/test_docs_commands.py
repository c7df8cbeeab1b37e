"""README.md and docs/ print commands that run as printed after `make validate` / `make test`.

The venv's programs are not on PATH after the two commands, so a printed command names them as
`.venv/bin/<program>`, or is a Makefile target. System programs (curl, docker, promtool...) are left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Programs that only the venv provides: printed bare, they are "command not found" on a fresh machine.
VENV_PROGRAMS = ("hotelero", "locust", "python", "pytest", "ruff")
_BARE = re.compile(rf"(?:^|[;&|]\s*|\$\s+)({'|'.join(VENV_PROGRAMS)})\s")
_FENCE = re.compile(r"^\s*```")


def _command_lines(doc: Path) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    inside = False
    for number, line in enumerate(doc.read_text().splitlines(), 1):
        if _FENCE.match(line):
            inside = not inside
            continue
        if inside:
            lines.append((number, line.split("#", 1)[0]))
    return lines


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_venv_programs_are_printed_with_their_venv_path(doc: Path) -> None:
    bare = [f"{doc.name}:{n}: {line.strip()}" for n, line in _command_lines(doc) if _BARE.search(line)]
    assert not bare, "print .venv/bin/<program> (or a make target):\n" + "\n".join(bare)


def test_make_targets_the_docs_name_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    for doc in DOCS:
        for n, line in _command_lines(doc):
            for target in re.findall(r"(?:^|[;&]\s*)make ([a-z][a-z-]*)", line.strip()):
                assert target in targets, f"{doc.name}:{n}: make {target} is not a Makefile target"
