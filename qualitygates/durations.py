"""The one duration grammar of hotelero: flags, quality_gates.yaml and `hotelero load` all read durations here.

Accepted: a number of seconds (`90`, `2.5`), or one or more `<number><unit>` parts with units in
decreasing order, each at most once: `h`, `m`, `s`, `ms` (`250ms`, `45s`, `1.5h`, `1h30m`, `2m30s500ms`).
"""

from __future__ import annotations

import math
import re
from typing import Any

_NUMBER = r"\d+(?:\.\d+)?"
_PART = re.compile(rf"({_NUMBER})(ms|h|m|s)")
_WHOLE = re.compile(rf"^(?:{_NUMBER}(?:ms|h|m|s))+$")
_BARE = re.compile(rf"^{_NUMBER}$")
UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_ORDER = list(UNIT_SECONDS)
EXAMPLES = "90s, 5m, 1h30m, 250ms or a number of seconds"


class DurationError(ValueError):
    """A duration that is not in the grammar; the message shows what is accepted."""


def parse_duration(value: Any) -> float:
    """Seconds (>= 0) from a duration; DurationError for anything else (negative, bool, `1m1h`, `5 min`)."""
    if isinstance(value, bool):
        raise DurationError(f"cannot read duration {value!r}: write e.g. {EXAMPLES}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if _BARE.match(text):
            seconds = float(text)
        elif _WHOLE.match(text):
            parts = _PART.findall(text)
            ranks = [_ORDER.index(unit) for _, unit in parts]
            if ranks != sorted(set(ranks)):
                raise DurationError(f"cannot read duration {value!r}: units go h, m, s, ms, each once (e.g. 1h30m)")
            seconds = sum(float(number) * UNIT_SECONDS[unit] for number, unit in parts)
        else:
            raise DurationError(f"cannot read duration {value!r}: write e.g. {EXAMPLES}")
    else:
        raise DurationError(f"cannot read duration {value!r}: write e.g. {EXAMPLES}")
    if seconds < 0 or not math.isfinite(seconds):
        raise DurationError(f"duration must be zero or more seconds, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest grammar spelling of a whole number of milliseconds (`5400` -> `1h30m`, `0.25` -> `250ms`)."""
    total_ms = round(seconds * 1000)
    if total_ms == 0:
        return "0s"
    out = []
    for unit in _ORDER:
        size = round(UNIT_SECONDS[unit] * 1000)
        count, total_ms = divmod(total_ms, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
