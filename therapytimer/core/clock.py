"""Time, injected: the app reads a `Clock`, tests advance a `FakeClock` instead of sleeping.

Elapsed time is always computed from stored timestamps against `now()`, never by counting ticks, so a
paused laptop, a slow UI or a restart cannot lose or invent a second.

The wall clock can be set (by NTP or by hand) while a timer runs. A `StepWatch` compares it with a
steady clock nobody can set, so a step of more than a minute is noticed the next time the app reads the
time and can be kept out of the recorded minutes (the store splits running timers at the step).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol

STEP_TOLERANCE = timedelta(minutes=1)


class Clock(Protocol):
    @property
    def tz(self) -> tzinfo | None:
        """The clinic's time zone for the dates and times shown (None: this computer's)."""
        ...

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def today(self) -> date:
        """Today's date in the clinic's local time (dates of service are local)."""
        ...

    def steady(self) -> float:
        """Seconds on a clock nobody can set; only differences between two readings mean anything."""
        ...


def steady_seconds() -> float:
    """A clock that never steps and, where the system offers one, keeps counting while the computer
    sleeps (a lid closed while the patient exercises is treatment time, not a clock step): Linux's
    CLOCK_BOOTTIME, macOS's CLOCK_MONOTONIC; elsewhere `time.monotonic` (Windows counts sleep in it)."""
    if sys.platform.startswith("linux") and hasattr(time, "CLOCK_BOOTTIME"):
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    if sys.platform == "darwin" and hasattr(time, "CLOCK_MONOTONIC"):
        return time.clock_gettime(time.CLOCK_MONOTONIC)
    return time.monotonic()


class SystemClock:
    """The real clock; local dates use the machine's time zone."""

    tz: tzinfo | None = None

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now().astimezone().date()

    def steady(self) -> float:
        return steady_seconds()


class FakeClock:
    """A clock that moves only when a test says so."""

    def __init__(self, start: datetime | None = None, tz: tzinfo = UTC) -> None:
        self._now = start or datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self.tz = tz
        self._steady = 1000.0

    def now(self) -> datetime:
        return self._now.astimezone(UTC)

    def today(self) -> date:
        return self._now.astimezone(self.tz).date()

    def steady(self) -> float:
        return self._steady

    def advance(self, seconds: float = 0, **kw: float) -> datetime:
        """Let time pass, e.g. `advance(480)` or `advance(minutes=8)`: both clocks move."""
        step = timedelta(seconds=seconds, **kw)
        self._now += step
        self._steady += step.total_seconds()
        return self.now()

    def set_wall(self, seconds: float = 0, **kw: float) -> datetime:
        """Someone sets the wall clock by `seconds` (negative: back); the steady clock does not move."""
        self._now += timedelta(seconds=seconds, **kw)
        return self.now()


@dataclass(frozen=True)
class ClockStep:
    """The wall clock was set: it reads `after` where, by the steady clock, it should read `before`."""

    before: datetime
    after: datetime

    @property
    def shift(self) -> timedelta:
        return self.after - self.before

    def describe(self) -> str:
        """ "The computer's clock was set back 10 min (14:05 to 13:55, UTC)": the words the audit keeps."""
        seconds = abs(self.shift.total_seconds())
        hours, minutes = divmod(round(seconds / 60), 60)
        size = f"{hours} h {minutes} min" if hours else f"{minutes} min"
        way = "forward" if self.shift > timedelta(0) else "back"
        span = f"{self.before:%Y-%m-%d %H:%M:%S} to {self.after:%Y-%m-%d %H:%M:%S} UTC"
        return f"The computer's clock was set {way} {size} ({span})"


class StepWatch:
    """Notices steps of the wall clock: between two readings it must move as the steady clock does.

    Each reading becomes the reference for the next, so NTP's slow slewing (well under a second an
    hour) never adds up to a step, while a jump of more than `tolerance` is reported once.
    """

    def __init__(self, clock: Clock, tolerance: timedelta = STEP_TOLERANCE) -> None:
        self.clock = clock
        self.tolerance = tolerance
        self._last: tuple[datetime, float] | None = None

    def read(self) -> tuple[datetime, ClockStep | None]:
        """The wall clock now, and the step since the last reading if there was one."""
        wall, steady = self.clock.now(), self.clock.steady()
        last, self._last = self._last, (wall, steady)
        if last is None:
            return wall, None
        expected = last[0] + timedelta(seconds=steady - last[1])
        if abs(wall - expected) <= self.tolerance:
            return wall, None
        return wall, ClockStep(expected, wall)


def to_text(moment: datetime) -> str:
    """A UTC instant as fixed-width ISO text (sorts like time; microseconds always present)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)
