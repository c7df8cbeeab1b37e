"""The brain is pure (DESIGN.md, principle 2): no module under agent/brain does I/O; the intent model is passed in."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from agent.brain import nlu
from agent.brain.dialogue import Context, ConversationState, GuestMessage, decide
from agent.brain.nlu.corpus import LabelledMessage
from agent.brain.nlu.intent_model import train

BRAIN = Path(nlu.__file__).parent.parent
REF = date(2026, 11, 25)
# Modules that read or write files, sockets, processes or the clock.
IO_MODULES = {"os", "io", "pathlib", "tempfile", "marshal", "pickle", "shutil", "glob", "socket", "ssl", "select",
              "subprocess", "sqlite3", "urllib", "http", "httpx", "aiohttp", "requests", "asyncio", "redis",
              "asyncpg", "psycopg", "yaml", "logging", "time"}  # fmt: skip
# Audit events (docs.python.org/3/library/audit_events.html) of file, directory, socket and process access.
IO_EVENTS = ("open", "os.", "socket.", "subprocess.", "glob.", "shutil.", "marshal.", "pickle.", "sqlite3.",
             "urllib.", "import")  # fmt: skip

_seen: list[str] | None = None


def _record(event: str, _args: object) -> None:
    if _seen is not None and event.startswith(IO_EVENTS):
        _seen.append(event)


sys.addaudithook(_record)  # a hook stays for the process's life: it records only inside `no_io`


@contextmanager
def no_io() -> Iterator[list[str]]:
    """The I/O audit events raised inside the block."""
    global _seen
    _seen = []
    try:
        yield _seen
    finally:
        _seen = None


def test_no_brain_module_imports_io_or_code_outside_the_brain() -> None:
    offenders = []
    for path in sorted(BRAIN.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                outside = name.startswith("agent.") and not name.startswith("agent.brain")
                if name.split(".")[0] in IO_MODULES or outside:
                    offenders.append(f"{path.relative_to(BRAIN)} imports {name}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                offenders.append(f"{path.relative_to(BRAIN)} calls open()")
    assert offenders == []


def test_parse_and_decide_run_with_a_model_object_and_touch_no_file() -> None:
    messages = [
        LabelledMessage("quiero reservar una habitación", "book", "es", REF, {}, "inline"),
        LabelledMessage("I want to book a room", "book", "en", REF, {}, "inline"),
        LabelledMessage("¿a qué hora es el check-in?", "check_in_out_times", "es", REF, {}, "inline"),
        LabelledMessage("hola buenas", "greeting", "es", REF, {}, "inline"),
    ]
    model = train(messages)  # fitted in memory: no corpus file, no cache
    with no_io() as events:
        result = nlu.parse("Hola, quiero reservar del 3 al 5 de diciembre para 2 adultos 🙂", REF, model=model)
        unknown = nlu.parse("zzqx", REF, previous_language="en", model=model)
        message = GuestMessage(kind="text", text="quiero reservar", nlu=result)
        decision = decide(ConversationState(), message, Context(today=REF, message_id="wamid.1"))
    assert events == []
    assert result.intent == "book" and result.entities["check_in"] == "2026-12-03" and result.entities["adults"] == 2
    assert unknown.intent == "unknown" and unknown.language == "en"
    assert decision.state.turn == 1


def test_the_audit_hook_would_see_a_file_read(tmp_path: Path) -> None:
    # The test above can fail: the same hook catches a read of a file.
    (tmp_path / "f").write_text("x")
    with no_io() as events:
        (tmp_path / "f").read_text()
    assert "open" in events
