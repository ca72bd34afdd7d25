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
    assert [m.name for m in MIGRATIONS.applied(store.db)] == ["0001_initial", "0002_payers_and_day_index"]
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
    with pytest.raises(StoreError, match="cannot be created"):
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


def test_open_database_on_an_existing_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    db = open_database(path)
    assert "sessions" in db.table_names()
