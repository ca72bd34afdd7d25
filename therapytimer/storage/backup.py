"""Backups of the one database file: consistent while the app runs (SQLite's online backup API).

A backup is a complete TherapyTimer database, so restoring is "make the live database equal to this
file" — only after the file has been copied and the copy checked page by page (`PRAGMA
integrity_check`) and found to be ours, and after a safety copy of the current data. A backup is never
written over the live database or its journal files, whatever name reaches them.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from therapytimer.core.errors import Hint
from therapytimer.core.files import (
    TargetError,
    discard,
    make_private_dirs,
    new_temp,
    open_elsewhere,
    place,
    temp_beside,
)
from therapytimer.storage.database import BUSY_TIMEOUT_S, StoreError, explain, inspect_schema, open_database

LIVE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _same_file(a: Path, b: Path) -> bool:
    try:
        first, second = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def is_live_file(path: Path, db_path: Path) -> bool:
    """Whether `path` is the live database or one of its journal files: by inode (a hard link, a
    symlink, another spelling) or, for a journal that does not exist yet, by resolved name."""
    resolved = path.resolve()
    for suffix in LIVE_SUFFIXES:
        live = db_path.with_name(db_path.name + suffix)
        if _same_file(path, live) or resolved == live.resolve():
            return True
    return False


def backup_to(source: sqlite3.Connection, target: Path, db_path: Path, *, force: bool = False) -> Path:
    """Copy the database behind `source` (the file `db_path`) to `target` (owner-only), atomically: a
    temporary file in the same folder, then a rename. An existing `target` is replaced only with `force`,
    and never when it is the database itself."""
    if is_live_file(target, db_path):
        raise StoreError(f"{target} is your database itself (or its journal); back up to another file")
    try:
        tmp = temp_beside(target, force=force, example="therapytimer-backup.db")
    except TargetError as exc:
        raise StoreError(str(exc), exc.hint, exc.subject) from None
    try:
        copy = sqlite3.connect(tmp)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        place(tmp, target, force=force)
    except sqlite3.Error as exc:
        raise explain(exc, target) from None
    except FileExistsError:
        raise StoreError(f"{target} already exists", Hint.FORCE, str(target)) from None
    except OSError as exc:  # on Windows: also a backup file that is open in another program
        message = open_elsewhere(target, exc) or f"cannot write {target} ({exc.strerror}); nothing was written"
        raise StoreError(message) from None
    finally:
        discard(tmp)
    return target


def check_backup(path: Path, shown: Path | None = None) -> None:
    """Refuse anything that is not a whole, undamaged TherapyTimer database of this version or older.
    Reads only: the file is not changed. Messages name `shown` (the user's file, when `path` is a copy)."""
    name = shown or path
    if not path.is_file():
        raise StoreError(f"{name} is not a file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            kind, _ = inspect_schema(Database(conn, execute_plugins=False))
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise StoreError(f"{name} is not a TherapyTimer backup; nothing was restored") from None
        problems = [str(exc)]
        kind = "damaged"
    if problems != ["ok"]:
        raise StoreError(
            f"{name} is damaged (SQLite's integrity check: {problems[0]}); nothing was restored. Try an older backup"
        )
    if kind in ("empty", "foreign"):
        raise StoreError(f"{name} is not a TherapyTimer backup; nothing was restored")
    if kind == "newer":
        raise StoreError(f"{name} was made by a newer TherapyTimer; install it to restore this backup")


def safety_copy_path(db_path: Path, now: datetime) -> Path:
    """Where the automatic copy of the current database goes before a restore: a name not yet taken,
    so two restores in one second keep both copies."""
    folder = db_path.parent / "backups"
    stem = f"before-restore-{now.strftime('%Y%m%d-%H%M%S')}"
    candidate, n = folder / f"{stem}.db", 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}-{n}.db"
    return candidate


def restore_from(
    backup: Path,
    live: sqlite3.Connection,
    db_path: Path,
    now: datetime,
    before: Callable[[], object] = lambda: None,
) -> Path:
    """Make the live database equal to `backup`, after saving the current one; returns the safety copy.

    The backup is first copied beside the database and the copy is checked, so what is checked is
    exactly what is restored. Only then does `before` run (the use case pauses every timer there: a
    refused backup changes nothing), the current data is saved, and the live file is replaced with
    SQLite's backup API, inside its own locking, so it is never half-written; migrations then bring an
    older backup forward.
    """
    if is_live_file(backup, db_path):
        raise StoreError(f"{backup} is your database itself; choose a backup file")
    if not backup.is_file():
        raise StoreError(f"{backup} is not a file")
    try:
        checked = new_temp(db_path.with_name("restore-check.db"))  # beside the database: same disk, same owner
    except OSError as exc:
        raise StoreError(f"cannot write in {db_path.parent} ({exc.strerror}); nothing was restored") from None
    try:
        try:
            source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
            copy = sqlite3.connect(checked)
            try:
                source.backup(copy)
            finally:
                source.close()
                copy.close()
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise StoreError(f"{backup} is not a TherapyTimer backup; nothing was restored") from None
            raise explain(exc, backup) from None
        check_backup(Path(checked), backup)
        before()
        safety = safety_copy_path(db_path, now)
        try:
            make_private_dirs(safety.parent)
        except OSError as exc:
            raise StoreError(f"cannot write in {safety.parent} ({exc.strerror}); nothing was restored") from None
        backup_to(live, safety, db_path)
        try:
            source = sqlite3.connect(f"file:{checked}?mode=ro", uri=True)
            try:
                source.backup(live)
            finally:
                source.close()
            open_database(db_path).conn.close()  # run any migration an older backup needs
        except (sqlite3.Error, StoreError) as exc:
            raise StoreError(f"restoring {backup} failed ({exc}); your data as it was is saved in {safety}") from None
    finally:
        discard(checked)
    return safety
