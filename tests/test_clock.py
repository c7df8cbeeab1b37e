from datetime import UTC, date, datetime, timedelta

import pytest

from agent.clock import FrozenClock, local_today


def test_frozen_clock_moves_only_when_advanced() -> None:
    clock = FrozenClock(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))
    assert clock.now() == datetime(2026, 12, 1, 22, 30, tzinfo=UTC)
    clock.advance(timedelta(hours=2))
    assert clock.now() == datetime(2026, 12, 2, 0, 30, tzinfo=UTC)
    assert clock.monotonic() == 7200.0


def test_local_today_uses_the_hotel_time_zone_not_utc() -> None:
    # 23:30 UTC on 1 Dec is already 2 Dec in Madrid (UTC+1).
    clock = FrozenClock(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    assert local_today(clock, "Europe/Madrid") == date(2026, 12, 2)
    assert local_today(clock, "UTC") == date(2026, 12, 1)


def test_frozen_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        FrozenClock(datetime(2026, 12, 1))
