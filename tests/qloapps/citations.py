"""Which QloApps PHP source file each conformance check cites: `python -m tests.qloapps.citations` prints the table.

A check is one collected test case (each XML/JSON variant of a parametrised row counts) or one step of the PHP
client's session; it is filed under the first `path:line` it cites.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
SESSION = HERE.parent / "clients" / "php" / "session.php"
ABBREVIATIONS = {
    "BOOKINGS": "classes/webservice/WebserviceSpecificManagementBookings.php",
    "REQUEST": "classes/webservice/WebserviceRequest.php",
    "ARI": "modules/hotelreservationsystem/classes/WebserviceSpecificManagementHotelAri.php",
}
BASENAMES = {
    "WebserviceRequest.php": ABBREVIATIONS["REQUEST"],
    "WebserviceSpecificManagementBookings.php": ABBREVIATIONS["BOOKINGS"],
    "WebserviceSpecificManagementHotelAri.php": ABBREVIATIONS["ARI"],
    "HotelRoomInformation.php": "modules/hotelreservationsystem/classes/HotelRoomInformation.php",
    "HotelBranchInformation.php": "modules/hotelreservationsystem/classes/HotelBranchInformation.php",
}
_CITE = re.compile(r"((?:[\w.-]+/)*[\w.-]+\.php|BOOKINGS|REQUEST|ARI|…HotelAri\.php):\d+")


def first_citation(text: str) -> str | None:
    m = _CITE.search(text)
    if m is None:
        return None
    name = m.group(1)
    if name == "…HotelAri.php":
        return ABBREVIATIONS["ARI"]
    return ABBREVIATIONS.get(name) or BASENAMES.get(name, name)


def source_checks() -> list[tuple[str, str | None]]:
    """(check name, cited file) for every test function of test_source_conformance.py and row of test_errors.py."""
    out: list[tuple[str, str | None]] = []
    conformance = (HERE / "test_source_conformance.py").read_text()
    for node in ast.parse(conformance).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and "cites" not in node.name:
            out.append((node.name, first_citation(ast.get_source_segment(conformance, node) or "")))
    errors = (HERE / "test_errors.py").read_text().splitlines()
    for i, line in enumerate(errors):
        m = re.match(r'\s+\("([^"]+)", "[A-Z]+"', line)
        if m and i and errors[i - 1].strip().startswith("#"):
            for fmt in ("xml", "json"):
                out.append((f"error {m.group(1)} [{fmt}]", first_citation(errors[i - 1])))
    return out


def session_checks() -> list[tuple[str, str | None]]:
    """One check per step of the PHP client's session, filed under the source it cites (if any)."""
    text = SESSION.read_text()
    steps = re.split(r"\nstep\('", text)[1:]
    return [(s.split("'", 1)[0], first_citation(s)) for s in steps]


def table() -> Counter[str]:
    return Counter(src or "(uncited)" for _, src in source_checks() + session_checks())


if __name__ == "__main__":
    for src, n in table().most_common():
        print(f"{n:4d}  {src}")
