"""The store: sessions read and written whole in one SQLite file, and clear errors for every file that
cannot be ours or cannot be written (never overwritten, never "repaired")."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.helpers import CATALOG, first_schema_database
from therapytimer import paths
from therapytimer.core import stopwatch
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import ClockStep
from therapytimer.core.exchange import ImportedCode, ImportedSession
from therapytimer.core.rules import Rule
from therapytimer.core.session import State, Who
from therapytimer.core.stopwatch import new_session
from therapytimer.storage.database import MIGRATIONS, StoreError, open_database
from therapytimer.storage.store import Store

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "therapytimer.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    made = Store.open(db_path, create=True)
    yield made
    made.close()


def add_session(store: Store, patient: str = "MT", note: str = "") -> str:
    s = new_session(patient, Discipline.PT, Rule.CMS, day=date(2026, 11, 23), at=START, note=note)
    store.insert_session(s)
    return s.id


def minutes(store: Store, session_id: str) -> dict[str, tuple[int, int]]:
    session = store.session(session_id)
    assert session is not None
    return {c: (t.minutes, t.assistant_minutes) for c, t in session.times(START).items()}


def test_default_path_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.default_db_path() == tmp_path / "xdg" / "therapytimer" / "therapytimer.db"


@pytest.mark.posix  # file modes, links or devices: not what Windows has
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
        "0004_confirmations",
        "0005_the_patients_case",
    ]
    assert store.payers() == {"Medicare": Rule.CMS, "Commercial (per-code rule)": Rule.AMA}


def test_reading_commands_never_create_a_database(db_path: Path) -> None:
    with pytest.raises(StoreError, match="there is no database at"):
        Store.open(db_path)
    assert not db_path.parent.exists()


def test_import_skips_stored_ids(store: Store) -> None:
    session = ImportedSession(
        "paper-1", "MT", Discipline.PT, Rule.CMS, date(2026, 11, 20), "Dana", (ImportedCode("97110", 23, 9),), ""
    )
    assert store.import_sessions([session], START) == (1, 0)
    assert store.import_sessions([session], START) == (0, 1)
    (stored,) = store.sessions_on(date(2026, 11, 20))
    assert stored.state is State.CLOSED and minutes(store, stored.id) == {"97110": (23, 9)}


def test_many_sessions_load_in_chunks(store: Store) -> None:
    batch = [
        ImportedSession(
            f"s{i}", f"P{i}", Discipline.OT, Rule.AMA, date(2026, 11, 2), "", (ImportedCode("97530", i, None),), ""
        )
        for i in range(1200)
    ]
    assert store.import_sessions(batch, START) == (1200, 0)
    loaded = store.sessions_between(date(2026, 11, 1), date(2026, 11, 7))
    assert len(loaded) == 1200 and sum(len(s.codes) for s in loaded) == 1200


def test_upgrade_from_the_first_schema_keeps_data(db_path: Path) -> None:
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
    store = Store.open(db_path)
    (session,) = store.sessions_on(date(2026, 11, 20))
    assert session.payer is None and minutes(store, "old-1") == {"97110": (23, 0)}
    assert "Medicare" in store.payers()
    store.close()


# ---- files that are not ours, or not writable: clear errors, never overwritten --------------------


def test_a_file_that_is_not_a_database(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"these are my notes, not a database" * 100)
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match=r"is not a TherapyTimer database, or it is damaged.*left untouched"):
        Store.open(db_path, create=True)
    assert db_path.read_bytes() == before


def test_a_damaged_database(store: Store, db_path: Path) -> None:
    add_session(store)
    store.close()
    data = bytearray(db_path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the first page after the header
    db_path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        Store.open(db_path)
    assert db_path.read_bytes() == bytes(data)


def test_another_programs_database(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    other = sqlite3.connect(db_path)
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.commit()
    other.close()
    with pytest.raises(StoreError, match="database of another program") as caught:
        Store.open(db_path, create=True)
    assert caught.value.hint == "other-file" and caught.value.subject == str(db_path)
    assert sqlite3.connect(db_path).execute("SELECT name FROM sqlite_master").fetchall() == [("recipes",)]


def test_a_database_from_a_newer_version(store: Store, db_path: Path) -> None:
    store.db.table("_sqlite_migrations").insert(
        {"migration_set": "therapytimer", "name": "9999_future", "applied_at": "x"}
    )
    store.close()
    with pytest.raises(StoreError, match="written by a newer TherapyTimer"):
        Store.open(db_path)


def test_a_folder_given_as_the_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder, not a database file"):
        Store.open(tmp_path, create=True)


def test_a_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="part of its folder path is a file"):
        Store.open(blocker / "sub" / "t.db", create=True)


def test_a_read_only_database(store: Store, db_path: Path) -> None:
    add_session(store)
    store.close()
    uri = f"file:{db_path}?mode=ro"
    read_only = Store(Database(sqlite3.connect(uri, uri=True)), db_path)
    with pytest.raises(StoreError, match=r"is read-only.*write permission") as caught:
        add_session(read_only, "JK")
    assert caught.value.hint == "other-file"
    assert len(read_only.sessions_on(date(2026, 11, 23))) == 1


def test_a_full_disk(store: Store) -> None:
    first = add_session(store)
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match=r"the disk is full.*nothing was lost"):
        for i in range(500):
            add_session(store, f"P{i}", note="y" * 1900)
    assert minutes(store, first) == {}
    assert store.session(first) is not None


def test_a_busy_database(store: Store, db_path: Path) -> None:
    other = sqlite3.connect(db_path, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    store.db.conn.execute("PRAGMA busy_timeout = 10")
    with pytest.raises(StoreError, match="busy in another program"):
        add_session(store)
    other.rollback()
    assert store.session(add_session(store)) is not None


def test_an_existing_empty_file_is_refused_unless_named_for_a_new_database(tmp_path: Path) -> None:
    """0.1 turned any empty file into a database; a truncated database must not become an empty day."""
    path = tmp_path / "folder" / "empty.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    for create in (False, True):
        with pytest.raises(StoreError, match=r"holds no TherapyTimer data") as caught:
            open_database(path, create=create)
        assert caught.value.hint == "init"
    assert path.read_bytes() == b"" and sorted(p.name for p in path.parent.iterdir()) == ["empty.db"]
    db = open_database(path, init=True)
    assert "sessions" in db.table_names()


# ---- a plan written is what apply says ---------------------------------------------------------------


def test_every_kind_of_plan_loads_back_as_apply_says(store: Store) -> None:
    """The store writes what core decided, nothing more: the session read back equals `apply`'s."""
    s = new_session("MT", Discipline.PT, Rule.CMS, day=date(2026, 11, 23), at=START)
    other = new_session("JK", Discipline.OT, Rule.CMS, day=date(2026, 11, 23), at=START)
    store.insert_session(s)
    store.insert_session(other)
    other_plan = stopwatch.start(other, "97530", CATALOG, START)
    written, _ = store.write(other_plan)
    other = stopwatch.apply(other, other_plan, written)
    at = START
    steps = [
        lambda x: stopwatch.start(x, "97110", CATALOG, at),
        lambda x: stopwatch.set_who(x, "97110", Who.TOGETHER, at),
        lambda x: stopwatch.add_service(x, "97161", CATALOG, at, 30),
        lambda x: stopwatch.add_code(x, "97140", CATALOG, at),
        lambda x: stopwatch.remove_code(x, "97140", at),
        lambda x: stopwatch.correct(x, "97110", CATALOG, at, 20, 3, "forgot to start"),
        lambda x: stopwatch.split_at_step(x, {seg.id for seg in x.running()}, ClockStep(at, at.replace(hour=13))),
        lambda x: stopwatch.set_note(x, "tolerated\nwell", at),
        lambda x: stopwatch.close(x, at),
        lambda x: stopwatch.reopen(x, at),
    ]
    for i, decide in enumerate(steps):
        at = START.replace(minute=i * 5 + 1)
        plan = decide(s)
        written, stopped = store.write(plan)
        if i == 0:  # one at a time: the other session's running timer was stopped, in the same transaction
            assert stopped == [(other.segments[0].id, other.id)]
        s = stopwatch.apply(s, plan, written)
        assert store.session(s.id) == s, f"after step {i}"
    assert store.running() == []
    assert [e.kind for e in s.events] == ["clock"]


def test_stopping_every_timer_says_which_it_stopped(store: Store) -> None:

    ids = []
    for patient in ("MT", "JK"):
        s = new_session(patient, Discipline.PT, Rule.CMS, day=date(2026, 11, 23), at=START)
        store.insert_session(s)
        written, _ = store.write(stopwatch.start(s, "97110", CATALOG, START, exclusive=False))
        ids.append((written.segment_ids[0], s.id))
    assert sorted(store.stop_all(START)) == sorted(ids)
    assert store.running() == [] and store.stop_all(START) == []
