"""The store: every action committed before it returns, timers from stored timestamps, clear errors."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.helpers import CATALOG, first_schema_database
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.exchange import ImportedCode, ImportedSession
from therapytimer.core.rules import Rule
from therapytimer.core.session import Role, SessionError, State, Who
from therapytimer.storage.database import MIGRATIONS, StoreError, default_db_path, open_database
from therapytimer.storage.store import Store

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "therapytimer.db"


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Store:
    return Store.open(db_path, clock, CATALOG)


def minutes(store: Store, session_id: str) -> dict[str, tuple[int, int]]:
    session = store.session(session_id)
    return {c: (t.minutes, t.assistant_minutes) for c, t in session.times(store.clock.now()).items()}


def test_default_path_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert default_db_path() == Path(os.environ["THERAPYTIMER_DB"])
    monkeypatch.delenv("THERAPYTIMER_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg" / "therapytimer" / "therapytimer.db"


def test_new_database_is_private_and_in_wal_mode(store: Store, db_path: Path) -> None:
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert [m.name for m in MIGRATIONS.applied(store.db)] == [
        "0001_initial",
        "0002_payers_and_day_index",
        "0003_events",
    ]
    assert store.payers() == {"Medicare": Rule.CMS, "Commercial (per-code rule)": Rule.AMA}


def test_timer_counts_from_stored_timestamps(store: Store, clock: FakeClock) -> None:
    s = store.open_session("MT", Discipline.PT, provider="Dana Lee")
    assert s.rule is Rule.CMS and s.payer == "Medicare" and s.date == date(2026, 11, 23)
    store.start(s.id, "97110")
    clock.advance(minutes=8)
    assert minutes(store, s.id) == {"97110": (8, 0)}
    clock.advance(seconds=59)
    assert minutes(store, s.id) == {"97110": (8, 0)}  # 8:59 is 8 whole minutes
    store.pause(s.id, "97110")
    clock.advance(minutes=30)
    assert minutes(store, s.id) == {"97110": (8, 0)}
    store.start(s.id, "97110")
    clock.advance(minutes=15, seconds=1)
    assert minutes(store, s.id) == {"97110": (24, 0)}


def test_one_at_a_time_pauses_every_other_timer(store: Store, clock: FakeClock) -> None:
    a = store.open_session("MT", Discipline.PT)
    b = store.open_session("JK", Discipline.OT)
    store.start(a.id, "97110")
    clock.advance(minutes=5)
    store.start(a.id, "97140")
    clock.advance(minutes=5)
    store.start(b.id, "97530")
    clock.advance(minutes=5)
    assert minutes(store, a.id) == {"97110": (5, 0), "97140": (5, 0)}
    assert minutes(store, b.id) == {"97530": (5, 0)}
    assert [(s.session_id, s.code) for s in store.running()] == [(b.id, "97530")]


def test_concurrent_mode_is_opt_in(store: Store, clock: FakeClock) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110", exclusive=False)
    store.start(s.id, "97035", exclusive=False)
    clock.advance(minutes=10)
    assert minutes(store, s.id) == {"97110": (10, 0), "97035": (10, 0)}
    assert store.pause_all() == 2
    assert store.running() == []


def test_starting_a_running_timer_changes_nothing(store: Store, clock: FakeClock) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(minutes=3)
    store.start(s.id, "97110")
    assert len(store.session(s.id).segments) == 1


def test_who_is_treating_splits_the_minutes(store: Store, clock: FakeClock) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(minutes=10)
    store.set_who(s.id, "97110", Who.ASSISTANT)
    clock.advance(minutes=12)
    store.set_who(s.id, "97110", Who.TOGETHER)
    clock.advance(minutes=3)
    assert minutes(store, s.id) == {"97110": (13, 12)}
    assert [seg.who for seg in store.session(s.id).segments] == [Who.THERAPIST, Who.ASSISTANT, Who.TOGETHER]
    store.pause(s.id, "97110")
    with pytest.raises(SessionError, match="97110 is not running"):
        store.set_who(s.id, "97110", Who.THERAPIST)


def test_slp_has_no_assistant_minutes(store: Store) -> None:
    s = store.open_session("AB", Discipline.SLP)
    with pytest.raises(SessionError, match="SLP has no assistant modifier"):
        store.start(s.id, "97129", Who.ASSISTANT)
    with pytest.raises(SessionError, match="SLP has no assistant modifier"):
        store.correct(s.id, "97129", 10, 5, reason="x")
    assert store.start(s.id, "97129", Who.TOGETHER).running()[0].who is Who.TOGETHER


def test_an_assistants_session_times_as_the_assistant(store: Store, clock: FakeClock) -> None:
    s = store.open_session("MT", Discipline.PT, role=Role.ASSISTANT, provider="Sam PTA")
    store.start(s.id, "97110")
    clock.advance(minutes=9)
    assert minutes(store, s.id) == {"97110": (0, 9)}


def test_untimed_services_and_code_checks(store: Store) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.add_service(s.id, "97161", 45)
    store.add_service(s.id, "97161", 40)
    assert store.session(s.id).codes[0].minutes == 40
    with pytest.raises(SessionError, match="97161 is untimed"):
        store.start(s.id, "97161")
    with pytest.raises(SessionError, match="97110 is a timed code"):
        store.add_service(s.id, "97110")
    with pytest.raises(SessionError, match="97130 is billed from 97129's minutes"):
        store.add_code(s.id, "97130")
    with pytest.raises(SessionError, match="99999 is not in the code catalog"):
        store.start(s.id, "99999")
    with pytest.raises(SessionError, match="minutes must be a whole number"):
        store.add_service(s.id, "97161", 1441)
    store.add_code(s.id, "97112")
    store.remove_code(s.id, "97112")
    assert [c.code for c in store.session(s.id).codes] == ["97161"]


def test_code_validity_follows_the_date_of_service(store: Store) -> None:
    s = store.open_session("AB", Discipline.SLP, day=date(2027, 1, 4))
    with pytest.raises(SessionError, match="92507 is not valid on 2027-01-04"):
        store.add_service(s.id, "92507")


def test_correction_keeps_segments_and_an_audit_log(store: Store, clock: FakeClock) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(minutes=3)
    store.pause(s.id, "97110")
    with pytest.raises(SessionError, match="needs a reason"):
        store.correct(s.id, "97110", 20, reason="  ")
    store.correct(s.id, "97110", 20, 5, reason="forgot to start the timer")
    session = store.session(s.id)
    (c,) = session.corrections
    assert (c.old_minutes, c.old_assistant_minutes, c.minutes, c.assistant_minutes) == (3, 0, 20, 5)
    assert c.reason == "forgot to start the timer" and c.at == clock.now()
    assert len(session.segments) == 1
    store.start(s.id, "97110")  # time after the correction adds on top
    clock.advance(minutes=4)
    assert minutes(store, s.id) == {"97110": (24, 5)}
    assert "set from 3+0 to 20+5 min" in store.session(s.id).history()[2][1]
    with pytest.raises(SessionError, match="has recorded time"):
        store.remove_code(s.id, "97110")
    with pytest.raises(SessionError, match="untimed"):
        store.correct(s.id, "97161", 5, reason="x")


def test_closed_sessions_refuse_changes_until_reopened(store: Store, clock: FakeClock) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(minutes=10)
    closed = store.close_session(s.id)
    assert closed.state is State.CLOSED and closed.running() == []
    with pytest.raises(SessionError, match="is closed"):
        store.start(s.id, "97110")
    assert store.reopen_session(s.id).state is State.OPEN
    assert store.open_sessions()[0].id == s.id


def test_session_fields_are_validated(store: Store) -> None:
    with pytest.raises(SessionError, match="1 to 40 characters"):
        store.open_session("   ", Discipline.PT)
    with pytest.raises(SessionError, match="no payer profile named 'Aetna'"):
        store.open_session("MT", Discipline.PT, payer="Aetna")
    store.set_payer("  Aetna ", Rule.AMA)
    assert store.open_session("MT", Discipline.PT, payer="Aetna").rule is Rule.AMA
    with pytest.raises(SessionError, match="payer name"):
        store.set_payer("", Rule.AMA)
    with pytest.raises(SessionError, match="clinician name"):
        store.open_session("MT", Discipline.PT, provider="x" * 81)
    with pytest.raises(SessionError, match="note must be"):
        store.open_session("MT", Discipline.PT, note="x" * 2001)
    s = store.open_session("  M   T ", Discipline.PT, rule=Rule.AMA, payer=None)
    assert s.patient == "M T" and s.payer is None
    assert store.set_note(s.id, "tolerated well").note == "tolerated well"
    with pytest.raises(SessionError, match="note must be"):
        store.set_note(s.id, "x" * 2001)
    with pytest.raises(SessionError, match="no session nope"):
        store.session("nope")


def test_running_timer_survives_a_restart(db_path: Path, clock: FakeClock) -> None:
    first = Store.open(db_path, clock, CATALOG)
    s = first.open_session("MT", Discipline.PT)
    first.start(s.id, "97112")
    clock.advance(minutes=6)
    first.close()  # the app goes away without pausing anything
    clock.advance(minutes=20)
    again = Store.open(db_path, clock, CATALOG)
    assert minutes(again, s.id) == {"97112": (26, 0)}
    assert [seg.code for seg in again.running()] == ["97112"]


def test_timer_across_midnight_stays_with_its_date(store: Store, clock: FakeClock) -> None:
    clock.advance(hours=9, minutes=50)  # 23:50 UTC
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(minutes=20)
    assert store.sessions_on(date(2026, 11, 23))[0].id == s.id
    assert store.sessions_on(date(2026, 11, 24)) == []
    assert minutes(store, s.id) == {"97110": (20, 0)}


def test_forgotten_timer_is_flagged(store: Store, clock: FakeClock) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(minutes=90)
    assert store.session(s.id).forgotten(clock.now()) == []
    clock.advance(seconds=1)
    assert [seg.code for seg in store.session(s.id).forgotten(clock.now())] == ["97110"]
    assert store.session(s.id).forgotten(clock.now(), timedelta(hours=2)) == []


def test_import_skips_stored_ids(store: Store) -> None:
    session = ImportedSession(
        "paper-1", "MT", Discipline.PT, Rule.CMS, date(2026, 11, 20), "Dana", (ImportedCode("97110", 23, 9),), ""
    )
    assert store.import_sessions([session]) == (1, 0)
    assert store.import_sessions([session]) == (0, 1)
    (stored,) = store.sessions_on(date(2026, 11, 20))
    assert stored.state is State.CLOSED and minutes(store, stored.id) == {"97110": (23, 9)}


def test_many_sessions_load_in_chunks(store: Store) -> None:
    batch = [
        ImportedSession(
            f"s{i}", f"P{i}", Discipline.OT, Rule.AMA, date(2026, 11, 2), "", (ImportedCode("97530", i, None),), ""
        )
        for i in range(1200)
    ]
    assert store.import_sessions(batch) == (1200, 0)
    loaded = store.sessions_between(date(2026, 11, 1), date(2026, 11, 7))
    assert len(loaded) == 1200 and sum(len(s.codes) for s in loaded) == 1200


def test_upgrade_from_the_first_schema_keeps_data(db_path: Path, clock: FakeClock) -> None:
    old = first_schema_database(db_path, "old-1", "2026-11-20")
    old.table("session_codes").insert(
        {"session_id": "old-1", "code": "97110", "position": 0, "added_at": "2026-11-20T15:00:00.000000Z"}
    )
    old.table("segments").insert(
        {
            "session_id": "old-1",
            "code": "97110",
            "who": "therapist",
            "started_at": "2026-11-20T15:00:00.000000Z",
            "ended_at": "2026-11-20T15:23:30.000000Z",
        }
    )
    old.conn.close()
    store = Store.open(db_path, clock, CATALOG)
    (session,) = store.sessions_on(date(2026, 11, 20))
    assert session.payer is None and minutes(store, "old-1") == {"97110": (23, 0)}
    assert "Medicare" in store.payers()


# ---- files that are not ours, or not writable: clear errors, never overwritten --------------------


def test_a_file_that_is_not_a_database(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"these are my notes, not a database" * 100)
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match=r"is not a TherapyTimer database, or it is damaged.*left untouched"):
        Store.open(db_path, clock, CATALOG)
    assert db_path.read_bytes() == before


def test_a_damaged_database(store: Store, db_path: Path, clock: FakeClock) -> None:
    store.open_session("MT", Discipline.PT)
    store.close()
    data = bytearray(db_path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the first page after the header
    db_path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        Store.open(db_path, clock, CATALOG)
    assert db_path.read_bytes() == bytes(data)


def test_another_programs_database(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    other = sqlite3.connect(db_path)
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.commit()
    other.close()
    with pytest.raises(StoreError, match="database of another program"):
        Store.open(db_path, clock, CATALOG)
    assert sqlite3.connect(db_path).execute("SELECT name FROM sqlite_master").fetchall() == [("recipes",)]


def test_a_database_from_a_newer_version(store: Store, db_path: Path, clock: FakeClock) -> None:
    store.db.table("_sqlite_migrations").insert(
        {"migration_set": "therapytimer", "name": "9999_future", "applied_at": "x"}
    )
    store.close()
    with pytest.raises(StoreError, match="written by a newer TherapyTimer"):
        Store.open(db_path, clock, CATALOG)


def test_a_folder_given_as_the_database(tmp_path: Path, clock: FakeClock) -> None:
    with pytest.raises(StoreError, match="is a folder, not a database file"):
        Store.open(tmp_path, clock, CATALOG)


def test_a_folder_that_cannot_be_created(tmp_path: Path, clock: FakeClock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="part of its folder path is a file"):
        Store.open(blocker / "sub" / "t.db", clock, CATALOG)


def test_a_read_only_database(store: Store, db_path: Path, clock: FakeClock) -> None:
    store.open_session("MT", Discipline.PT)
    store.close()
    uri = f"file:{db_path}?mode=ro"
    read_only = Store(Database(sqlite3.connect(uri, uri=True)), db_path, clock, CATALOG)
    with pytest.raises(StoreError, match=r"is read-only.*write permission"):
        read_only.open_session("JK", Discipline.PT)
    assert len(read_only.sessions_on(date(2026, 11, 23))) == 1


def test_a_full_disk(store: Store) -> None:
    s = store.open_session("MT", Discipline.PT)
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match=r"the disk is full.*nothing was lost"):
        for i in range(500):
            store.set_note(s.id, f"note {i} " + "x" * 1500)
            store.open_session(f"P{i}", Discipline.PT, note="y" * 1900)
    assert store.session(s.id).patient == "MT"


def test_a_busy_database(store: Store, db_path: Path, clock: FakeClock) -> None:
    other = sqlite3.connect(db_path, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    store.db.conn.execute("PRAGMA busy_timeout = 10")
    with pytest.raises(StoreError, match="busy in another program"):
        store.open_session("MT", Discipline.PT)
    other.rollback()
    assert store.open_session("MT", Discipline.PT).patient == "MT"


def test_an_existing_empty_file_is_refused_unless_named_for_a_new_database(tmp_path: Path) -> None:
    """0.1 turned any empty file into a database; a truncated database must not become an empty day."""
    path = tmp_path / "folder" / "empty.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    for create in (False, True):
        with pytest.raises(StoreError, match=r"holds no TherapyTimer data.*therapytimer init --db"):
            open_database(path, create=create)
    assert path.read_bytes() == b"" and sorted(p.name for p in path.parent.iterdir()) == ["empty.db"]
    db = open_database(path, init=True)
    assert "sessions" in db.table_names()


# ---- the wall clock is set while a timer runs ------------------------------------------------------


def seconds_of(store: Store, session_id: str, code: str) -> float:
    t = store.session(session_id).code_time(code, store.clock.now())
    return t.therapist_seconds + t.assistant_seconds


def test_a_clock_set_back_while_a_timer_runs_loses_no_time(store: Store, clock: FakeClock) -> None:
    """0.1 recorded 0 s instead of 65 s when the clock was set back 10 minutes."""
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(seconds=30)
    clock.set_wall(minutes=-10)
    assert store.check_clock()  # the window's next display tick notices the step
    clock.advance(seconds=35)
    store.pause(s.id, "97110")
    assert seconds_of(store, s.id, "97110") == 65
    history = [text for _, text in store.session(s.id).history()]
    assert "The computer's clock was set back 10 min" in " ".join(history)
    assert any("97110 counted only the time that really passed" in text for text in history)


def test_a_clock_jump_forward_is_not_billed(store: Store, clock: FakeClock) -> None:
    """0.1 recorded 130 min for 10 minutes of treatment and a +2 h jump."""
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(minutes=4)
    clock.set_wall(hours=2)
    clock.advance(minutes=6)
    store.pause(s.id, "97110")  # an action notices the step too, before it writes
    assert seconds_of(store, s.id, "97110") == 600
    assert store.session(s.id).times(clock.now())["97110"].minutes == 10


def test_no_step_no_split_and_no_sql(store: Store, clock: FakeClock, db_path: Path) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    for _ in range(100):
        clock.advance(0.25)
        assert not store.check_clock()
    store.db.conn.set_trace_callback(None)
    assert statements == []
    assert len(store.session(s.id).segments) == 1


def test_a_step_splits_only_timers_this_process_saw_running(store: Store, clock: FakeClock, db_path: Path) -> None:
    """A timer another process started after the step is in the new time already: it is left alone."""
    s = store.open_session("MT", Discipline.PT)
    store.running()
    clock.set_wall(minutes=-30)
    other = Store.open(db_path, clock, CATALOG)
    other.start(s.id, "97112")
    clock.advance(minutes=8)
    assert not store.check_clock()  # nothing was running here before the step: nothing to split
    assert seconds_of(store, s.id, "97112") == 480
    assert [e.kind for e in store.session(s.id).events] == []


def test_a_step_noticed_while_the_database_is_busy_is_split_on_the_next_reading(
    store: Store, clock: FakeClock, db_path: Path
) -> None:
    s = store.open_session("MT", Discipline.PT)
    store.start(s.id, "97110")
    clock.advance(minutes=2)
    clock.set_wall(minutes=45)
    other = sqlite3.connect(db_path)
    other.execute("BEGIN IMMEDIATE")
    store.db.conn.execute("PRAGMA busy_timeout = 10")
    with pytest.raises(StoreError, match="busy"):
        store.check_clock()
    other.rollback()
    other.close()
    clock.advance(minutes=3)
    assert store.check_clock()
    assert seconds_of(store, s.id, "97110") == 300


def test_after_a_restart_a_clock_behind_the_start_is_said_and_kept_in_the_history(
    db_path: Path, clock: FakeClock
) -> None:
    first = Store.open(db_path, clock, CATALOG)
    s = first.open_session("MT", Discipline.PT)
    first.start(s.id, "97110")
    first.close()
    clock.set_wall(minutes=-20)  # set back while the app was closed
    again = Store.open(db_path, clock, CATALOG)
    behind = again.clock_behind()
    assert [seg.code for seg in behind] == ["97110"]
    assert seconds_of(again, s.id, "97110") == 0  # it counts from its stored start
    assert any("earlier than 97110's start" in text for _, text in again.session(s.id).history())
    clock.advance(minutes=25)
    assert seconds_of(again, s.id, "97110") == 300
    assert again.clock_behind() == []


def test_what_the_window_types_is_checked_as_import_checks_it(store: Store) -> None:
    """0.1 refused NUL and U+202E in the patient alias only; the clinician, the note and payer names took them."""
    with pytest.raises(SessionError, match="clinician name must not contain control or formatting characters"):
        store.open_session("MT", Discipline.PT, provider="Dana\u202eeeL")
    with pytest.raises(SessionError, match="note must not contain control"):
        store.open_session("MT", Discipline.PT, note="ok\x00")
    s = store.open_session("MT", Discipline.PT, provider="  Dana   Lee ", note="line one\r\nline two")
    assert (s.provider, s.note) == ("Dana Lee", "line one\nline two")
    with pytest.raises(SessionError, match="note must not contain control"):
        store.set_note(s.id, "\x1b[2J")
    with pytest.raises(SessionError, match="payer name must not contain control"):
        store.set_payer("Aetna\x00", Rule.AMA)
    with pytest.raises(SessionError, match="payer name must be 1 to 80 characters"):
        store.set_payer("   ", Rule.AMA)
    assert "Aetna\x00" not in store.payers() and store.session(s.id).note == "line one\nline two"
