"""The dialogue's flows and their steps, typed. The values are what stored conversations hold: never rename one."""

from __future__ import annotations

from enum import StrEnum


class Flow(StrEnum):
    """What the guest is doing with us."""

    STAY = "stay"  # looking for, pricing or booking a new stay
    CANCEL = "cancel"
    MODIFY = "modify"
    STATUS = "status"
    LATE = "late"  # late checkout on an existing booking


class Step(StrEnum):
    """Where a flow waits: for the guest (a question asked) or for the PMS (an effect in progress)."""

    DATES = "dates"
    GUESTS = "guests"
    ROOMS = "rooms"
    SEARCHING = "searching"
    ROOM = "room"
    ALTERNATIVES = "alternatives"
    NAME = "name"
    EMAIL = "email"
    CONFIRM = "confirm"
    BOOKING = "booking"
    LOOKUP = "lookup"
    FINDING = "finding"
    FINDING_OWN = "finding_own"
    CANCELLING = "cancelling"
    NEW_DATES = "new_dates"
    MODIFY_BOOKING = "modify_booking"
    MODIFY_CANCEL_OLD = "modify_cancel_old"
    CHECKING = "checking"
