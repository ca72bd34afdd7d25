"""Backup and restore: consistent while in use, restored only from our own files, never losing today."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.helpers import CATALOG, first_schema_database, open_workspace
from therapytimer.cli import main
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.export import rows, to_csv
from therapytimer.core.reports import bill_day
from therapytimer.services.workspace import Workspace
from therapytimer.storage.backup import check_backup
from therapytimer.storage.database import StoreError

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
DAY = date(2026, 11, 23)


def day_csv(ws: Workspace) -> bytes:
    ws.timers.forget()  # read what is stored, not what this process remembers
    return to_csv(rows(bill_day(ws.timers.sessions_on(DAY), CATALOG, ws.context.clock.now())))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Workspace]:
    workspace = open_workspace(tmp_path / "live" / "therapytimer.db", clock)
    yield workspace
    workspace.close()


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_a_backup_taken_mid_session_restores_to_the_same_day_export(
    store: Workspace, clock: FakeClock, tmp_path: Path
) -> None:
    s = store.timers.open_session("MT", Discipline.PT)
    store.timers.start(s.id, "97112")
    clock.advance(minutes=20)
    store.timers.start(s.id, "97110")  # a timer is running while the backup is taken
    clock.advance(minutes=5)
    backup = store.records.backup(tmp_path / "mid.db")
    expected = day_csv(store)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    store.timers.correct(s.id, "97112", 3, reason="oops")  # the day goes on and changes
    store.timers.open_session("JK", Discipline.OT)
    changed = day_csv(store)
    assert changed != expected
    safety = store.records.restore(backup)
    assert day_csv(store) == expected  # the same clock reading: the running timer resumes from its start
    assert [x.patient for x in store.timers.sessions_on(DAY)] == ["MT"]
    kept = open_workspace(safety, clock, create=False)
    assert day_csv(kept) == changed  # nothing is lost: the replaced data is in the safety copy
    assert safety.parent.name == "backups" and safety.name == "before-restore-20261123-142500.db"
    kept.close()


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_backups_never_overwrite_without_force(store: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    target.write_text("mine")
    with pytest.raises(StoreError, match="already exists"):
        store.records.backup(target)
    assert target.read_text() == "mine"
    store.records.backup(target, force=True)
    check_backup(target)
    with pytest.raises(StoreError, match="is a folder"):
        store.records.backup(tmp_path)
    with pytest.raises(StoreError, match="not a regular file"):
        store.records.backup(Path("/dev/null"), force=True)
    with pytest.raises(StoreError, match="cannot write in"):
        store.records.backup(tmp_path / "missing" / "b.db")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("kind", ["text", "other", "newer", "folder"])
def test_only_our_backups_are_restored(store: Workspace, clock: FakeClock, tmp_path: Path, kind: str) -> None:
    store.timers.open_session("MT", Discipline.PT)
    before = day_csv(store)
    path = tmp_path / "candidate.db"
    if kind == "text":
        path.write_bytes(b"not a database at all" * 50)
    elif kind == "other":
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE recipes (name TEXT)")
        other.commit()
        other.close()
    elif kind == "newer":
        store.records.backup(path)
        newer = sqlite3.connect(path)
        newer.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('therapytimer', '9999', 'x')"
        )
        newer.commit()
        newer.close()
    else:
        path = tmp_path
    message = {
        "text": "is not a TherapyTimer backup",
        "other": "is not a TherapyTimer backup",
        "newer": "made by a newer TherapyTimer",
        "folder": "is not a file",
    }[kind]
    with pytest.raises(StoreError, match=message):
        store.records.restore(path)
    assert day_csv(store) == before
    assert not (store.db_path.parent / "backups").exists()


def test_an_older_backup_is_brought_forward(store: Workspace, tmp_path: Path) -> None:
    old_path = tmp_path / "old.db"
    first_schema_database(old_path, "o1", DAY.isoformat()).conn.close()
    store.records.restore(old_path)
    assert "Medicare" in store.timers.payers() and [s.id for s in store.timers.sessions_on(DAY)] == ["o1"]


def test_backup_and_restore_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: FakeClock) -> None:
    db = tmp_path / "cli.db"
    made = open_workspace(db, clock)
    made.timers.open_session("MT", Discipline.PT)
    made.close()
    out = tmp_path / "copy.db"
    assert main(["--db", str(db), "backup", "--out", str(out)]) == 0
    assert "Backed up" in capsys.readouterr().out and out.exists()
    assert main(["--db", str(db), "backup", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["--db", str(db), "restore", str(out)]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert main(["--db", str(db), "restore", str(out), "--yes"]) == 0
    assert "The database as it was is saved in" in capsys.readouterr().out
    assert main(["--db", str(tmp_path / "none.db"), "backup", "--out", str(tmp_path / "x.db")]) == 2
    assert "there is no database" in capsys.readouterr().err
    assert main(["--db", str(db), "restore", str(tmp_path), "--yes"]) == 2
    assert "is not a file" in capsys.readouterr().err
