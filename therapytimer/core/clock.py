"""Time, injected: the app reads a `Clock`, tests advance a `FakeClock` instead of sleeping.

Elapsed time is always computed from stored timestamps against `now()`, never by counting ticks, so a
paused laptop, a slow UI or a restart cannot lose or invent a second.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def today(self) -> date:
        """Today's date in the clinic's local time (dates of service are local)."""
        ...


class SystemClock:
    """The real clock; local dates use the machine's time zone."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now().astimezone().date()


class FakeClock:
    """A clock that moves only when a test says so."""

    def __init__(self, start: datetime | None = None, tz: tzinfo = UTC) -> None:
        self._now = start or datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self.tz = tz

    def now(self) -> datetime:
        return self._now.astimezone(UTC)

    def today(self) -> date:
        return self._now.astimezone(self.tz).date()

    def advance(self, seconds: float = 0, **kw: float) -> datetime:
        """Move time forward, e.g. `advance(480)` or `advance(minutes=8)`."""
        self._now += timedelta(seconds=seconds, **kw)
        return self.now()


def to_text(moment: datetime) -> str:
    """A UTC instant as fixed-width ISO text (sorts like time; microseconds always present)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)
