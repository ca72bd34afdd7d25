"""The injectable clock and the stored timestamp format."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from therapytimer.core.clock import FakeClock, SystemClock, from_text, to_text


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2026, 11, 23, 23, 30, tzinfo=UTC), tz=timezone(timedelta(hours=-5)))
    assert clock.now() == clock.now()
    assert clock.today() == date(2026, 11, 23)  # 18:30 in the clinic
    clock.advance(minutes=8)
    assert clock.now() == datetime(2026, 11, 23, 23, 38, tzinfo=UTC)
    clock.advance(3600 * 6)
    assert clock.today() == date(2026, 11, 24)


def test_fake_clock_needs_an_aware_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2026, 11, 23, 12, 0))
    assert FakeClock().now().tzinfo is not None


def test_system_clock_is_utc_and_local_today() -> None:
    clock = SystemClock()
    assert clock.now().tzinfo is UTC
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5
    assert clock.today() == datetime.now().astimezone().date()


def test_timestamps_are_fixed_width_utc_text() -> None:
    moment = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert to_text(moment) == "2026-11-23T14:00:00.000000Z"
    assert from_text(to_text(moment)) == moment
    with pytest.raises(ValueError, match="timezone-aware"):
        to_text(datetime(2026, 11, 23))
