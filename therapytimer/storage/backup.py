"""Backups of the one database file: consistent while the app runs (SQLite's online backup API).

A backup is a complete TherapyTimer database, so restoring is "make the live database equal to this
file" — after a safety copy of the current one, and only if the file really is one of ours.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from therapytimer.core.files import TargetError, discard, place, temp_beside
from therapytimer.storage.database import BUSY_TIMEOUT_S, StoreError, explain, inspect_schema, open_database


def backup_to(source: sqlite3.Connection, target: Path, *, force: bool = False) -> Path:
    """Copy the database behind `source` to `target` (owner-only), atomically: a temporary file in the
    same folder, then a rename. An existing `target` is replaced only with `force`."""
    try:
        tmp = temp_beside(target, force=force, example="therapytimer-backup.db")
    except TargetError as exc:
        raise StoreError(str(exc)) from None
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
        raise StoreError(f"{target} already exists; choose another name or add --force to replace it") from None
    except OSError as exc:
        raise StoreError(f"cannot write {target} ({exc.strerror}); nothing was written") from None
    finally:
        discard(tmp)
    return target


def check_backup(path: Path) -> None:
    """Refuse anything that is not a TherapyTimer database (read-only look; the file is not changed)."""
    if not path.is_file():
        raise StoreError(f"{path} is not a file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            kind, _ = inspect_schema(Database(conn, execute_plugins=False))
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise explain(exc, path) from None
    if kind in ("empty", "foreign"):
        raise StoreError(f"{path} is not a TherapyTimer backup; nothing was restored")
    if kind == "newer":
        raise StoreError(f"{path} was made by a newer TherapyTimer; install it to restore this backup")


def safety_copy_path(db_path: Path, now: datetime) -> Path:
    """Where the automatic copy of the current database goes before a restore."""
    return db_path.parent / "backups" / f"before-restore-{now.strftime('%Y%m%d-%H%M%S')}.db"


def restore_from(backup: Path, live: sqlite3.Connection, db_path: Path, now: datetime) -> Path:
    """Make the live database equal to `backup`, after saving the current one; returns the safety copy.

    Uses the backup API in the other direction, inside SQLite's own locking, so the live file is never
    half-written; migrations then bring an older backup forward.
    """
    check_backup(backup)
    safety = safety_copy_path(db_path, now)
    safety.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    backup_to(live, safety)
    try:
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            source.backup(live)
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise explain(exc, db_path) from None
    open_database(db_path).conn.close()  # run any migration an older backup needs
    return safety
