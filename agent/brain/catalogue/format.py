"""Formatting of amounts and dates for reply texts."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_MONTHS = {
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def money(amount: Any, currency: str) -> str:
    """`1650.00 EUR`: always two decimals, as QloApps rounds prices."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{value} {currency}"


def nice_date(day: Any, language: str) -> str:
    """`3 Dec 2026` / `3 dic 2026`."""
    d = day if isinstance(day, date) else date.fromisoformat(str(day))
    return f"{d.day} {_MONTHS[language][d.month - 1]} {d.year}"
