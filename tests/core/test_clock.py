"""The injectable clock and the stored timestamp format."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from therapytimer.core.clock import FakeClock, StepWatch, SystemClock, from_text, to_text


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


def test_the_steady_clock_counts_sleep_where_the_system_can(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from therapytimer.core import clock as clock_module

    read: list[int] = []

    def clock_gettime(which: int) -> float:
        read.append(which)
        return 5.0

    monkeypatch.setattr(time, "clock_gettime", clock_gettime, raising=False)
    monkeypatch.setattr(time, "CLOCK_BOOTTIME", 7, raising=False)
    monkeypatch.setattr(time, "CLOCK_MONOTONIC", 1, raising=False)
    monkeypatch.setattr(time, "monotonic", lambda: 9.0)
    for platform, expected in (("linux", 5.0), ("darwin", 5.0), ("win32", 9.0)):
        monkeypatch.setattr(sys, "platform", platform)
        assert clock_module.steady_seconds() == expected
    assert read == [7, 1]  # Linux: CLOCK_BOOTTIME; macOS: CLOCK_MONOTONIC (both count sleep)
    monkeypatch.undo()
    first = SystemClock().steady()
    assert SystemClock().steady() >= first


def test_a_step_of_the_wall_clock_is_noticed_once_and_slewing_never() -> None:
    clock = FakeClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    watch = StepWatch(clock)
    assert watch.read() == (clock.now(), None)  # the first reading only sets the reference
    clock.advance(minutes=5)
    clock.set_wall(seconds=50)  # NTP-sized drift over many readings never becomes a step
    assert watch.read()[1] is None
    clock.advance(seconds=65)
    clock.set_wall(minutes=-10)
    now, step = watch.read()
    assert step is not None and now == clock.now()
    assert step.before == datetime(2026, 11, 23, 14, 6, 55, tzinfo=UTC)
    assert step.after == datetime(2026, 11, 23, 13, 56, 55, tzinfo=UTC)
    assert step.shift == timedelta(minutes=-10)
    assert step.describe() == (
        "The computer's clock was set back 10 min (2026-11-23 14:06:55 to 2026-11-23 13:56:55 UTC)"
    )
    assert watch.read()[1] is None  # reported once
    clock.set_wall(hours=2, minutes=3)
    step = watch.read()[1]
    assert step is not None and step.describe().startswith("The computer's clock was set forward 2 h 3 min (")
