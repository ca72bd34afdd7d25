"""The day checks: one function for the Day view, `export` and `check`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

from tests.helpers import CATALOG
from therapytimer.core.catalog import Discipline
from therapytimer.core.checks import Finding, Kind, Severity, day_findings, unfinished
from therapytimer.core.compliance import Mue
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Correction, Event, Segment, Session, State, Who

DAY = date(2026, 11, 23)
T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))
LIMIT = timedelta(minutes=90)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def session(
    sid: str,
    patient: str = "MT",
    provider: str = "Dana Lee",
    runs: tuple[tuple[str, float, float | None], ...] = (),
    state: State = State.CLOSED,
    events: tuple[Event, ...] = (),
) -> Session:
    segments = tuple(
        Segment(ord(sid[0]) * 100 + i, sid, code, Who.THERAPIST, at(a), None if b is None else at(b))
        for i, (code, a, b) in enumerate(runs)
    )
    codes = tuple(CodeEntry(c) for c in dict.fromkeys(code for code, _, _ in runs))
    return Session(
        sid,
        patient,
        Discipline.PT,
        Rule.CMS,
        DAY,
        T0,
        "Medicare",
        provider,
        codes=codes,
        segments=segments,
        state=state,
        events=events,
    )


def kinds(found: list[Finding]) -> list[str]:
    return [f.kind.value for f in found]


def test_a_finished_clean_day_has_no_findings() -> None:
    day = [session("a", runs=(("97110", 0, 23), ("97112", 23, 40))), session("b", "JK", runs=(("97530", 45, 75),))]
    assert day_findings(DAY, day, CATALOG, at(600), LIMIT, EST) == []
    imported = replace(session("c", "ZQ", provider="Kim"), codes=(CodeEntry("97110", 120),))  # no clock time: not
    assert day_findings(DAY, [imported], CATALOG, at(600), LIMIT, EST) == []  # compared with one


def test_what_makes_a_day_unfinished() -> None:
    clock_step = Event(9, "a", at(10), "clock", "The computer's clock was set back 10 min")  # not a finding
    open_one = session("a", runs=(("97110", 0, 20),), state=State.OPEN, events=(clock_step,))
    running = session("b", "JK", runs=(("97530", 30, None),), state=State.OPEN)
    forgotten = session("c", "ZQ", runs=(("97112", -200, None),), state=State.OPEN)
    stopped = session(
        "d",
        "PR",
        runs=(("97140", 0, 90),),
        state=State.OPEN,
        events=(Event(1, "d", at(900), "auto-stop", "97140 (started 2026-11-23 09:00) was still running"),),
    )
    found = unfinished([open_one, running, forgotten, stopped], at(40), LIMIT, EST)
    assert kinds(found) == [
        "open-session",
        "open-session",
        "running-timer",
        "open-session",
        "over-limit",
        "open-session",
        "stopped-by-itself",
    ]
    assert all(f.severity is Severity.ERROR for f in found)
    assert found[2].message == "JK: 97530 running (started 2026-11-23 09:30)" and found[2].code == "97530"
    assert found[4].message == "ZQ: 97112 started 2026-11-23 05:40, past the 90-minute limit and not confirmed"
    assert "check its minutes before closing the session" in found[6].message
    closed = session("e", runs=(("97140", 0, 90),), events=stopped.events)
    assert unfinished([closed], at(900), LIMIT, EST) == []  # closed: someone looked


def test_double_counting_units_per_hour_and_no_clinician() -> None:
    """Concurrent timers on two patients by one clinician: minutes above the clock time they fit in."""
    a = session("a", runs=(("97110", 0, 45),))
    b = session("b", "JK", runs=(("97530", 0, 45),))
    nobody = session("c", "ZQ", provider="", runs=(("97112", 100, 110),))
    found = day_findings(DAY, [a, b, nobody], CATALOG, at(600), LIMIT, EST)
    assert kinds(found) == ["no-provider", "double-counting", "units-per-hour"]
    assert (
        found[1].message
        == "Dana Lee: 90 timed minutes recorded in 45 minutes of clock time: some minutes are counted twice"
    )
    assert found[2].message == "Dana Lee: 6 timed units in 1 clinic hour: more than 4 an hour"
    assert all(f.severity is Severity.WARNING for f in found)


def test_a_hand_correction_beyond_the_clock_time_is_double_counting() -> None:
    """50 minutes set by hand on a session timed for 20: the clock time does not hold them."""
    corrected = replace(
        session("a", runs=(("97110", 0, 20),)), corrections=(Correction(1, "a", "97110", at(30), 20, 0, 50, 0, "x"),)
    )
    found = day_findings(DAY, [corrected], CATALOG, at(60), LIMIT)
    assert kinds(found) == ["double-counting"]
    assert found[0].message.startswith("Dana Lee: 50 timed minutes recorded in 20 minutes of clock time")


def test_units_above_a_codes_published_limit() -> None:
    """98 minutes of 97110 bill 7 units; with a per-day limit (MUE) of 6 that is a finding."""
    long = session("a", runs=(("97110", 0, 50), ("97110", 50, 98)))  # two runs: neither past the limit
    cap = Mue("97110", 6, "3", "2025Q4", "CMS practitioner table")
    found = day_findings(DAY, [long], CATALOG, at(600), LIMIT, mue=lambda code: cap if code == "97110" else None)
    mue = [f for f in found if f.kind is Kind.MUE]
    assert len(mue) == 1 and mue[0].code == "97110" and mue[0].session == "a"
    assert mue[0].message == f"MT (PT): {cap.warning(7)}"
    assert mue[0].to_dict() == {
        "kind": "mue",
        "severity": "warning",
        "session": "a",
        "code": "97110",
        "message": mue[0].message,
    }
    assert [f for f in day_findings(DAY, [long], CATALOG, at(600), LIMIT) if f.kind is Kind.MUE] == []


def test_only_the_days_sessions_count() -> None:
    other_day = Session("x", "MT", Discipline.PT, Rule.CMS, date(2026, 11, 24), T0, state=State.OPEN)
    assert day_findings(DAY, [other_day], CATALOG, at(0), LIMIT) == []
