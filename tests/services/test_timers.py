"""The timers use cases: every action decided from the stored session, committed before it returns,
time from stored timestamps and an injected clock, clock steps kept out of the recorded time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import open_workspace
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.rules import Rule
from therapytimer.core.session import Role, SessionError, State, Who
from therapytimer.services.timers import Timers
from therapytimer.storage.database import StoreError

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "therapytimer.db"


@pytest.fixture
def timers(db_path: Path, clock: FakeClock) -> Iterator[Timers]:
    workspace = open_workspace(db_path, clock)
    yield workspace.timers
    workspace.close()


def minutes(timers: Timers, session_id: str) -> dict[str, tuple[int, int]]:
    session = timers.session(session_id)
    return {c: (t.minutes, t.assistant_minutes) for c, t in session.times(timers.clock.now()).items()}


# ---- the wall clock is set while a timer runs ------------------------------------------------------


def seconds_of(timers: Timers, session_id: str, code: str) -> float:
    t = timers.session(session_id).code_time(code, timers.clock.now())
    return t.therapist_seconds + t.assistant_seconds


def test_timer_counts_from_stored_timestamps(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT, provider="Dana Lee")
    assert s.rule is Rule.CMS and s.payer == "Medicare" and s.date == date(2026, 11, 23)
    timers.start(s.id, "97110")
    clock.advance(minutes=8)
    assert minutes(timers, s.id) == {"97110": (8, 0)}
    clock.advance(seconds=59)
    assert minutes(timers, s.id) == {"97110": (8, 0)}  # 8:59 is 8 whole minutes
    timers.pause(s.id, "97110")
    clock.advance(minutes=30)
    assert minutes(timers, s.id) == {"97110": (8, 0)}
    timers.start(s.id, "97110")
    clock.advance(minutes=15, seconds=1)
    assert minutes(timers, s.id) == {"97110": (24, 0)}


def test_one_at_a_time_pauses_every_other_timer(timers: Timers, clock: FakeClock) -> None:
    a = timers.open_session("MT", Discipline.PT)
    b = timers.open_session("JK", Discipline.OT)
    timers.start(a.id, "97110")
    clock.advance(minutes=5)
    timers.start(a.id, "97140")
    clock.advance(minutes=5)
    timers.start(b.id, "97530")
    clock.advance(minutes=5)
    assert minutes(timers, a.id) == {"97110": (5, 0), "97140": (5, 0)}
    assert minutes(timers, b.id) == {"97530": (5, 0)}
    assert [(s.session_id, s.code) for s in timers.running()] == [(b.id, "97530")]


def test_concurrent_mode_is_opt_in(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110", exclusive=False)
    timers.start(s.id, "97035", exclusive=False)
    clock.advance(minutes=10)
    assert minutes(timers, s.id) == {"97110": (10, 0), "97035": (10, 0)}
    assert timers.pause_all() == 2
    assert timers.running() == []


def test_starting_a_running_timer_changes_nothing(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(minutes=3)
    timers.start(s.id, "97110")
    assert len(timers.session(s.id).segments) == 1


def test_who_is_treating_splits_the_minutes(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(minutes=10)
    timers.set_who(s.id, "97110", Who.ASSISTANT)
    clock.advance(minutes=12)
    timers.set_who(s.id, "97110", Who.TOGETHER)
    clock.advance(minutes=3)
    assert minutes(timers, s.id) == {"97110": (13, 12)}
    assert [seg.who for seg in timers.session(s.id).segments] == [Who.THERAPIST, Who.ASSISTANT, Who.TOGETHER]
    timers.pause(s.id, "97110")
    with pytest.raises(SessionError, match="97110 is not running"):
        timers.set_who(s.id, "97110", Who.THERAPIST)


def test_slp_has_no_assistant_minutes(timers: Timers) -> None:
    s = timers.open_session("AB", Discipline.SLP)
    with pytest.raises(SessionError, match="SLP has no assistant modifier"):
        timers.start(s.id, "97129", Who.ASSISTANT)
    with pytest.raises(SessionError, match="SLP has no assistant modifier"):
        timers.correct(s.id, "97129", 10, 5, reason="x")
    assert timers.start(s.id, "97129", Who.TOGETHER).running()[0].who is Who.TOGETHER


def test_an_assistants_session_times_as_the_assistant(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT, role=Role.ASSISTANT, provider="Sam PTA")
    timers.start(s.id, "97110")
    clock.advance(minutes=9)
    assert minutes(timers, s.id) == {"97110": (0, 9)}


def test_untimed_services_and_code_checks(timers: Timers) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.add_service(s.id, "97161", 45)
    timers.add_service(s.id, "97161", 40)
    assert timers.session(s.id).codes[0].minutes == 40
    with pytest.raises(SessionError, match="97161 is untimed"):
        timers.start(s.id, "97161")
    with pytest.raises(SessionError, match="97110 is a timed code"):
        timers.add_service(s.id, "97110")
    with pytest.raises(SessionError, match="97130 is billed from 97129's minutes"):
        timers.add_code(s.id, "97130")
    with pytest.raises(SessionError, match="99999 is not in the code catalog"):
        timers.start(s.id, "99999")
    with pytest.raises(SessionError, match="minutes must be a whole number"):
        timers.add_service(s.id, "97161", 1441)
    timers.add_code(s.id, "97112")
    timers.remove_code(s.id, "97112")
    assert [c.code for c in timers.session(s.id).codes] == ["97161"]


def test_code_validity_follows_the_date_of_service(timers: Timers) -> None:
    s = timers.open_session("AB", Discipline.SLP, day=date(2027, 1, 4))
    with pytest.raises(SessionError, match="92507 is not valid on 2027-01-04"):
        timers.add_service(s.id, "92507")


def test_correction_keeps_segments_and_an_audit_log(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(minutes=3)
    timers.pause(s.id, "97110")
    with pytest.raises(SessionError, match="needs a reason"):
        timers.correct(s.id, "97110", 20, reason="  ")
    timers.correct(s.id, "97110", 20, 5, reason="forgot to start the timer")
    session = timers.session(s.id)
    (c,) = session.corrections
    assert (c.old_minutes, c.old_assistant_minutes, c.minutes, c.assistant_minutes) == (3, 0, 20, 5)
    assert c.reason == "forgot to start the timer" and c.at == clock.now()
    assert len(session.segments) == 1
    timers.start(s.id, "97110")  # time after the correction adds on top
    clock.advance(minutes=4)
    assert minutes(timers, s.id) == {"97110": (24, 5)}
    assert "set from 3+0 to 20+5 min" in timers.session(s.id).history()[2][1]
    with pytest.raises(SessionError, match="has recorded time"):
        timers.remove_code(s.id, "97110")
    with pytest.raises(SessionError, match="untimed"):
        timers.correct(s.id, "97161", 5, reason="x")


def test_closed_sessions_refuse_changes_until_reopened(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(minutes=10)
    closed = timers.close(s.id).session
    assert closed.state is State.CLOSED and closed.running() == []
    with pytest.raises(SessionError, match="is closed"):
        timers.start(s.id, "97110")
    assert timers.reopen(s.id).state is State.OPEN
    assert timers.open_sessions()[0].id == s.id


def test_session_fields_are_validated(timers: Timers) -> None:
    with pytest.raises(SessionError, match="1 to 40 characters"):
        timers.open_session("   ", Discipline.PT)
    with pytest.raises(SessionError, match="no payer profile named 'Aetna'"):
        timers.open_session("MT", Discipline.PT, payer="Aetna")
    timers.set_payer("  Aetna ", Rule.AMA)
    assert timers.open_session("MT", Discipline.PT, payer="Aetna").rule is Rule.AMA
    with pytest.raises(SessionError, match="payer name"):
        timers.set_payer("", Rule.AMA)
    with pytest.raises(SessionError, match="clinician name"):
        timers.open_session("MT", Discipline.PT, provider="x" * 81)
    with pytest.raises(SessionError, match="note must be"):
        timers.open_session("MT", Discipline.PT, note="x" * 2001)
    s = timers.open_session("  M   T ", Discipline.PT, rule=Rule.AMA, payer=None)
    assert s.patient == "M T" and s.payer is None
    assert timers.set_note(s.id, "tolerated well").note == "tolerated well"
    with pytest.raises(SessionError, match="note must be"):
        timers.set_note(s.id, "x" * 2001)
    with pytest.raises(SessionError, match="no session nope"):
        timers.session("nope")


def test_running_timer_survives_a_restart(db_path: Path, clock: FakeClock) -> None:
    app = open_workspace(db_path, clock)
    s = app.timers.open_session("MT", Discipline.PT)
    app.timers.start(s.id, "97112")
    clock.advance(minutes=6)
    app.close()  # the app goes away without pausing anything
    clock.advance(minutes=20)
    again = open_workspace(db_path, clock).timers
    assert minutes(again, s.id) == {"97112": (26, 0)}
    assert [seg.code for seg in again.running()] == ["97112"]


def test_timer_across_midnight_stays_with_its_date(timers: Timers, clock: FakeClock) -> None:
    clock.advance(hours=9, minutes=50)  # 23:50 UTC
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(minutes=20)
    assert timers.sessions_on(date(2026, 11, 23))[0].id == s.id
    assert timers.sessions_on(date(2026, 11, 24)) == []
    assert minutes(timers, s.id) == {"97110": (20, 0)}


def test_forgotten_timer_is_flagged(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(minutes=90)
    assert timers.session(s.id).forgotten(clock.now()) == []
    clock.advance(seconds=1)
    assert [seg.code for seg in timers.session(s.id).forgotten(clock.now())] == ["97110"]
    assert timers.session(s.id).forgotten(clock.now(), timedelta(hours=2)) == []


def test_a_clock_set_back_while_a_timer_runs_loses_no_time(timers: Timers, clock: FakeClock) -> None:
    """0.1 recorded 0 s instead of 65 s when the clock was set back 10 minutes."""
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(seconds=30)
    clock.set_wall(minutes=-10)
    assert timers.check_clock()  # the window's next display tick notices the step
    clock.advance(seconds=35)
    timers.pause(s.id, "97110")
    assert seconds_of(timers, s.id, "97110") == 65
    history = [text for _, text in timers.session(s.id).history()]
    assert "The computer's clock was set back 10 min" in " ".join(history)
    assert any("97110 counted only the time that really passed" in text for text in history)


def test_a_clock_jump_forward_is_not_billed(timers: Timers, clock: FakeClock) -> None:
    """0.1 recorded 130 min for 10 minutes of treatment and a +2 h jump."""
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(minutes=4)
    clock.set_wall(hours=2)
    clock.advance(minutes=6)
    timers.pause(s.id, "97110")  # an action notices the step too, before it writes
    assert seconds_of(timers, s.id, "97110") == 600
    assert timers.session(s.id).times(clock.now())["97110"].minutes == 10


def test_no_step_no_split_and_no_sql(timers: Timers, clock: FakeClock, db_path: Path) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    statements: list[str] = []
    timers._store.db.conn.set_trace_callback(statements.append)
    for _ in range(100):
        clock.advance(0.25)
        assert not timers.check_clock()
    timers._store.db.conn.set_trace_callback(None)
    assert statements == []
    assert len(timers.session(s.id).segments) == 1


def test_a_step_splits_only_timers_this_process_saw_running(timers: Timers, clock: FakeClock, db_path: Path) -> None:
    """A timer another process started after the step is in the new time already: it is left alone."""
    s = timers.open_session("MT", Discipline.PT)
    timers.running()
    clock.set_wall(minutes=-30)
    other = open_workspace(db_path, clock).timers
    other.start(s.id, "97112")
    clock.advance(minutes=8)
    assert not timers.check_clock()  # nothing was running here before the step: nothing to split
    assert timers.changed()  # the window's next poll sees the other process's start
    assert seconds_of(timers, s.id, "97112") == 480
    assert [e.kind for e in timers.session(s.id).events] == []


def test_a_step_noticed_while_the_database_is_busy_is_split_on_the_next_reading(
    timers: Timers, clock: FakeClock, db_path: Path
) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110")
    clock.advance(minutes=2)
    clock.set_wall(minutes=45)
    other = sqlite3.connect(db_path)
    other.execute("BEGIN IMMEDIATE")
    timers._store.db.conn.execute("PRAGMA busy_timeout = 10")
    with pytest.raises(StoreError, match="busy"):
        timers.check_clock()
    other.rollback()
    other.close()
    clock.advance(minutes=3)
    assert timers.check_clock()
    assert seconds_of(timers, s.id, "97110") == 300


def test_after_a_restart_a_clock_behind_the_start_is_said_and_kept_in_the_history(
    db_path: Path, clock: FakeClock
) -> None:
    app = open_workspace(db_path, clock)
    s = app.timers.open_session("MT", Discipline.PT)
    app.timers.start(s.id, "97110")
    app.close()
    clock.set_wall(minutes=-20)  # set back while the app was closed
    again = open_workspace(db_path, clock).timers
    behind = again.clock_behind()
    assert [seg.code for seg in behind] == ["97110"]
    assert seconds_of(again, s.id, "97110") == 0  # it counts from its stored start
    assert any("earlier than 97110's start" in text for _, text in again.session(s.id).history())
    clock.advance(minutes=25)
    assert seconds_of(again, s.id, "97110") == 300
    assert again.clock_behind() == []


def test_what_the_window_types_is_checked_as_import_checks_it(timers: Timers) -> None:
    """0.1 refused NUL and U+202E in the patient alias only; the clinician, the note and payer names took them."""
    with pytest.raises(SessionError, match="clinician name must not contain control or formatting characters"):
        timers.open_session("MT", Discipline.PT, provider="Dana\u202eeeL")
    with pytest.raises(SessionError, match="note must not contain control"):
        timers.open_session("MT", Discipline.PT, note="ok\x00")
    s = timers.open_session("MT", Discipline.PT, provider="  Dana   Lee ", note="line one\r\nline two")
    assert (s.provider, s.note) == ("Dana Lee", "line one\nline two")
    with pytest.raises(SessionError, match="note must not contain control"):
        timers.set_note(s.id, "\x1b[2J")
    with pytest.raises(SessionError, match="payer name must not contain control"):
        timers.set_payer("Aetna\x00", Rule.AMA)
    with pytest.raises(SessionError, match="payer name must be 1 to 80 characters"):
        timers.set_payer("   ", Rule.AMA)
    assert "Aetna\x00" not in timers.payers() and timers.session(s.id).note == "line one\nline two"


# ---- round trips, and two processes on one file ----------------------------------------------------


def traced(timers: Timers) -> list[str]:
    statements: list[str] = []
    timers._store.db.conn.set_trace_callback(statements.append)
    return statements


def test_a_start_runs_at_most_eight_statements_and_a_tick_none(timers: Timers, clock: FakeClock) -> None:
    """0.1 ran 29 statements and loaded the session three times per Start click."""
    s = timers.open_session("MT", Discipline.PT)
    timers.sessions_on(s.date)
    timers.open_sessions()
    statements = traced(timers)
    after = timers.start(s.id, "97110")
    timers.session(s.id), timers.sessions_on(s.date), timers.open_sessions(), timers.running()  # what the window reads
    start_count = len(statements)
    print(f"statements per Start: {start_count}: {statements}")
    assert start_count <= 8 and after.running()[0].code == "97110"
    statements.clear()
    for _ in range(400):
        clock.advance(0.25)
        timers.check_clock()
        timers.live(s.id)
    assert statements == []


def test_another_process_writing_is_noticed_and_read_again(db_path: Path, timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT)
    assert timers.sessions_on(s.date) == [s] and not timers.changed()
    timers.start(s.id, "97110")
    assert not timers.changed()  # its own writes are not "another process"
    other = open_workspace(db_path, clock)
    other.timers.add_service(s.id, "97161", 20)
    assert timers.changed() and not timers.changed()  # once
    assert [c.code for c in timers.session(s.id).codes] == ["97110", "97161"]
    other.close()


def test_one_at_a_time_holds_across_processes(db_path: Path, timers: Timers, clock: FakeClock) -> None:
    """A start in a second window (or a command) stops the first window's timer in the same transaction."""
    mine = timers.open_session("MT", Discipline.PT)
    timers.start(mine.id, "97110")
    other = open_workspace(db_path, clock)
    theirs = other.timers.open_session("JK", Discipline.OT)
    clock.advance(minutes=5)
    other.timers.start(theirs.id, "97530")
    assert timers.changed()
    assert [(seg.session_id, seg.code) for seg in timers.running()] == [(theirs.id, "97530")]
    assert minutes(timers, mine.id) == {"97110": (5, 0)}
    other.close()


def test_a_decision_uses_what_is_stored_not_what_was_remembered(
    db_path: Path, timers: Timers, clock: FakeClock
) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.session(s.id)  # remembered with no codes
    other = open_workspace(db_path, clock)
    other.timers.start(s.id, "97110")  # another process adds and starts the code meanwhile
    clock.advance(minutes=2)
    after = timers.start(s.id, "97110")  # no poll in between: the write transaction reads it fresh
    assert [c.code for c in after.codes] == ["97110"] and len(after.running()) == 1
    assert after.running()[0].start == START
    other.close()


def test_pausing_every_timer_updates_every_remembered_session(timers: Timers, clock: FakeClock) -> None:
    a = timers.open_session("MT", Discipline.PT)
    b = timers.open_session("JK", Discipline.OT)
    timers.start(a.id, "97110", exclusive=False)
    timers.start(b.id, "97530", exclusive=False)
    clock.advance(minutes=8)
    assert timers.pause_all() == 2
    assert timers.running() == [] and minutes(timers, b.id) == {"97530": (8, 0)}
    assert timers.pause_all() == 0


def test_the_session_that_ran_last_the_summary_and_payers(timers: Timers, clock: FakeClock) -> None:
    assert timers.last_session() is None
    a = timers.open_session("MT", Discipline.PT)
    b = timers.open_session("JK", Discipline.PT)
    clock.advance(minutes=1)
    timers.start(a.id, "97110")
    assert timers.last_session() == timers.session(a.id)
    clock.advance(minutes=23)
    assert "Total timed code treatment minutes: 23" in timers.summary(a.id)
    assert timers.live(a.id).result.total_units == 2 and timers.live(b.id).result.total_units == 0
    assert timers.set_payer("  Aetna   PPO ", Rule.AMA) == "Aetna PPO" and timers.payers()["Aetna PPO"] is Rule.AMA
    with pytest.raises(SessionError, match="no payer profile named 'Nope'"):
        timers.open_session("MT", Discipline.PT, payer="Nope")
    closed = timers.close(a.id)
    assert "Total units: 2" in closed.note and closed.session.state is State.CLOSED
