"""A timer never bills more than the forgotten-timer limit without the clinician's say-so, and never runs
across the end of its session's day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tests.helpers import CATALOG
from therapytimer.core import stopwatch
from therapytimer.core.catalog import Discipline
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Segment, Session, SessionError, Who
from therapytimer.core.stopwatch import AUTO_STOP, Written

EST = timezone(timedelta(hours=-5))
MONDAY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in the clinic
LIMIT = timedelta(minutes=90)


def running(confirmed: datetime | None = None, start: datetime = MONDAY) -> Session:
    seg = Segment(7, "s", "97530", Who.THERAPIST, start, None, confirmed)
    return Session(
        "s", "AB", Discipline.OT, Rule.CMS, date(2026, 11, 23), MONDAY, codes=(CodeEntry("97530"),), segments=(seg,)
    )


def test_a_timer_left_running_on_monday_bills_the_limit_on_friday() -> None:
    """0.1: 1440:00 and 96 units on Friday for a timer started on Monday."""
    friday = MONDAY + timedelta(days=4)
    s = running()
    assert s.code_time("97530", friday).minutes == 90
    assert s.code_time("97530", friday, LIMIT * 2).minutes == 180
    assert s.code_time("97530", friday, None).minutes == 1440  # what a clock face would show, capped at a day
    assert s.code_time("97530", MONDAY + timedelta(minutes=40)).minutes == 40  # within the limit: as timed
    assert [seg.code for seg in s.forgotten(friday)] == ["97530"]
    assert s.segments[0].limit_end(LIMIT) == MONDAY + LIMIT


def test_still_treating_counts_on_and_is_flagged_again_a_limit_later() -> None:
    s = running()
    at = MONDAY + timedelta(minutes=100)
    with pytest.raises(SessionError, match="is not running past the 90-minute limit"):
        stopwatch.still_treating(s, "97530", MONDAY + timedelta(minutes=30), LIMIT, EST)
    plan = stopwatch.still_treating(s, None, at, LIMIT, EST)
    assert plan.confirm == (7,) and plan.events[0].text == (
        "Still treating, past the 90-minute limit: 97530 (started 2026-11-23 09:00)"
    )
    after = stopwatch.apply(s, plan, Written(event_ids=(1,)))
    assert after.segments[0].confirmed_at == at and after.forgotten(at + timedelta(minutes=89)) == []
    assert after.code_time("97530", at + timedelta(minutes=80)).minutes == 180
    assert after.forgotten(at + timedelta(minutes=91)) == list(after.running())
    assert after.code_time("97530", at + timedelta(hours=5)).minutes == 190  # confirmed + another limit


def test_stop_at_a_chosen_time_between_start_and_now() -> None:
    s = running()
    now = MONDAY + timedelta(hours=3)
    plan = stopwatch.stop_at(s, "97530", MONDAY + LIMIT, now, LIMIT, EST)
    after = stopwatch.apply(s, plan, Written(event_ids=(1,)))
    assert after.segments[0].end == MONDAY + LIMIT and after.code_time("97530", now).minutes == 90
    assert "97530 stopped at 2026-11-23 10:30" in after.events[0].text
    for bad in (MONDAY - timedelta(minutes=1), now + timedelta(minutes=1)):
        with pytest.raises(SessionError, match="can stop between its start"):
            stopwatch.stop_at(s, "97530", bad, now, LIMIT, EST)
    with pytest.raises(SessionError, match="97110 is not running"):
        stopwatch.stop_at(s, "97110", now, now, LIMIT, EST)


def test_no_timer_runs_across_the_end_of_its_day() -> None:
    end = stopwatch.day_end(date(2026, 11, 23), EST)
    assert end == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # midnight in the clinic
    assert stopwatch.settle(running(), end - timedelta(seconds=1), LIMIT, EST) == []
    (plan,) = stopwatch.settle(running(), end + timedelta(days=3), LIMIT, EST)
    assert plan.stop == (7,) and plan.stop_at == MONDAY + LIMIT and plan.events[0].kind == AUTO_STOP
    assert "not confirmed past the 90-minute limit: stopped where the limit was reached" in plan.events[0].text
    late = running(start=end - timedelta(minutes=30))  # 23:30, still within the limit at midnight
    (plan,) = stopwatch.settle(late, end + timedelta(hours=1), LIMIT, EST)
    assert plan.stop_at == end and "stopped at the end of its day of service" in plan.events[0].text
    confirmed = running(confirmed=end - timedelta(minutes=5))
    (plan,) = stopwatch.settle(confirmed, end + timedelta(hours=1), LIMIT, EST)
    assert plan.stop_at == end
    assert stopwatch.day_end(date(2026, 11, 23), None).tzinfo is not None  # this computer's zone


def test_the_span_of_a_session() -> None:
    s = running()
    assert s.span == (MONDAY, None)
    stopped = stopwatch.apply(s, stopwatch.pause(s, None, MONDAY + timedelta(minutes=20)), Written())
    assert stopped.span == (MONDAY, MONDAY + timedelta(minutes=20))
    assert Session("e", "AB", Discipline.OT, Rule.CMS, date(2026, 11, 23), MONDAY).span is None
    assert CATALOG.get("97530").timed


def test_pausing_a_forgotten_timer_does_not_bill_past_the_limit_but_a_chosen_stop_does() -> None:
    """A timer found on Friday and paused there still counts the limit; the clinician's say-so (a stop
    time they choose, or "still treating" earlier) is what makes more count."""
    s = running()
    friday = MONDAY + timedelta(days=4)
    paused = stopwatch.apply(s, stopwatch.pause(s, "97530", friday), Written())
    assert paused.segments[0].end == friday and paused.code_time("97530", friday).minutes == 90
    two_hours = MONDAY + timedelta(hours=2)
    chosen = stopwatch.apply(s, stopwatch.stop_at(s, "97530", two_hours, friday, LIMIT, EST), Written(event_ids=(1,)))
    assert chosen.segments[0].confirmed_at == two_hours and chosen.code_time("97530", friday).minutes == 120
