"""Exit codes of the `hotelero` CLI: each means one thing, whichever command returns it."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """0-3 are the validation verdicts; nothing else in the CLI reuses them for another meaning."""

    PASS = 0
    FAIL = 1
    # Configuration, usage or harness error: bad quality_gates.yaml or flag, a stack that did not come up.
    ERROR = 2
    # INCONCLUSIVE (too few samples) or INVALID (a run-validity guard tripped).
    INCONCLUSIVE = 3
    # A server could not listen on its port (sysexits.h EX_UNAVAILABLE).
    PORT_IN_USE = 69
    # Ctrl-C / SIGINT, as shells report it (128 + 2).
    INTERRUPTED = 130

    @classmethod
    def for_verdict(cls, verdict: str) -> ExitCode:
        return {
            "PASS": cls.PASS,
            "FAIL": cls.FAIL,
            "ERROR": cls.ERROR,
            "INCONCLUSIVE": cls.INCONCLUSIVE,
            "INVALID": cls.INCONCLUSIVE,
        }[verdict]
