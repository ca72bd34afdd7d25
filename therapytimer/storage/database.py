"""Opening the database file: location, permissions, pragmas, migrations, and clear errors.

One SQLite file holds everything. It is opened in WAL mode with full sync (a commit survives a power
cut), foreign keys on and a busy timeout; migrations run forward on open. A file that is not ours
(empty, table-less, another program's), is damaged, read-only, or on a full disk is never overwritten
or "repaired": the error names the file and says what to do.

A new database is built in a temporary file and linked into place, so a kill or power cut while it is
made never leaves an empty file behind that would later look like "no sessions". Only a command that
records data creates one, and only where no file exists; one the user names for a new database
(`init=True`) may also be an empty file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from therapytimer.core.errors import Hint, TherapyTimerError
from therapytimer.core.files import discard, make_private_dirs, new_temp, place, sweep_temp_files

BUSY_TIMEOUT_S = 5.0
MIGRATIONS = Migrations("therapytimer")


class StoreError(TherapyTimerError):
    """A storage problem explained for the user: which file and what happened."""


def _script(db: Database, sql: str) -> None:
    """Run a migration's statements one by one in its transaction. (sqlite-utils' executescript finds where
    each statement ends by testing every prefix of the script, a character at a time: 2 ms for this schema
    each time a database is made; here only each semicolon is tested.)"""
    start = 0
    end = sql.find(";")
    while end >= 0:
        if sqlite3.complete_statement(sql[start : end + 1]):
            db.conn.execute(sql[start : end + 1])
            start = end + 1
        end = sql.find(";", end + 1)
    if sql[start:].strip():
        db.conn.execute(sql[start:])


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    _script(
        db,
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            patient TEXT NOT NULL,
            discipline TEXT NOT NULL,
            rule TEXT NOT NULL,
            provider TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT 'therapist',
            date TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'open',
            origin TEXT NOT NULL DEFAULT 'app',
            created_at TEXT NOT NULL,
            closed_at TEXT
        );
        CREATE TABLE session_codes (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            code TEXT NOT NULL,
            position INTEGER NOT NULL,
            minutes INTEGER,
            assistant_minutes INTEGER,
            added_at TEXT NOT NULL,
            PRIMARY KEY (session_id, code)
        );
        CREATE TABLE segments (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            code TEXT NOT NULL,
            who TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE TABLE corrections (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            code TEXT NOT NULL,
            at TEXT NOT NULL,
            old_minutes INTEGER NOT NULL,
            old_assistant_minutes INTEGER NOT NULL,
            minutes INTEGER NOT NULL,
            assistant_minutes INTEGER NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX segments_session ON segments(session_id);
        CREATE INDEX corrections_session ON corrections(session_id);
        """,
    )


@MIGRATIONS(name="0002_payers_and_day_index")
def _payers(db: Database) -> None:
    """Named payer profiles (a payer's rule is a setting, never inferred), and the indexes that keep
    a day's or a week's queries independent of the length of the history."""
    _script(
        db,
        """
        CREATE TABLE payers (name TEXT PRIMARY KEY, rule TEXT NOT NULL);
        INSERT INTO payers VALUES ('Medicare', 'cms'), ('Commercial (per-code rule)', 'ama');
        ALTER TABLE sessions ADD COLUMN payer TEXT;
        CREATE INDEX sessions_date ON sessions(date);
        CREATE INDEX segments_running ON segments(ended_at) WHERE ended_at IS NULL;
        """,
    )


@MIGRATIONS(name="0003_events")
def _events(db: Database) -> None:
    """What the audit history keeps besides starts, stops and corrections: clock steps, for one."""
    _script(
        db,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX events_session ON events(session_id);
        """,
    )


@MIGRATIONS(name="0004_confirmations")
def _confirmations(db: Database) -> None:
    """When the clinician last said a timer past the forgotten-timer limit was still treating."""
    db.execute("ALTER TABLE segments ADD COLUMN confirmed_at TEXT")


@MIGRATIONS(name="0005_the_patients_case")
def _case(db: Database) -> None:
    """What the patient's case needs beyond the sessions: a visit's progress report and KX flags, the
    certified plan-of-care periods the clinician enters, and an index to read one alias's history."""
    _script(
        db,
        """
        ALTER TABLE sessions ADD COLUMN progress_report INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN kx INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE plans_of_care (
            patient TEXT NOT NULL,
            discipline TEXT NOT NULL,
            start TEXT NOT NULL,
            end TEXT NOT NULL,
            entered_at TEXT NOT NULL,
            PRIMARY KEY (patient, discipline, start)
        );
        CREATE INDEX sessions_patient ON sessions(patient, date);
        """,
    )


KNOWN_MIGRATIONS = frozenset(m.name for m in MIGRATIONS._migrations)


def inspect_schema(db: Database) -> tuple[str, str | None]:
    """What the file behind `db` holds: "empty", "ours", "foreign" (another program's tables), or "newer"
    (our schema from a later version; the second item names its newest migration). Reads only."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return "empty", None
    applied = [m.name for m in MIGRATIONS.applied(db)] if Migrations.migrations_table in tables else []
    if not applied:
        return "foreign", None
    unknown = [name for name in applied if name not in KNOWN_MIGRATIONS]
    return ("newer", unknown[-1]) if unknown else ("ours", None)


FULL_BELOW = 16 * 1024 * 1024  # an I/O error with less free space than this is a full disk


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def explain(exc: sqlite3.Error, path: Path) -> StoreError:
    """Turn SQLite's terse errors into what a clinician or IT person can act on."""
    text = str(exc).lower()
    free = _free_bytes(path.parent) if "i/o" in text else None  # SQLite says "disk I/O error" when a file
    hint = None
    if "full" in text or (free is not None and free < FULL_BELOW):  # cannot grow on a full disk
        what = "cannot be written: the disk is full"
        todo = "Free some disk space and try again; nothing was lost"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        what = "is not a TherapyTimer database, or it is damaged"
        todo = "It was left untouched. Restore a backup, or move it aside to start a new database"
    elif "readonly" in text or "read-only" in text:
        what, hint = "is read-only", Hint.OTHER_FILE
        todo = "Give your user write permission on the file and its folder"
    elif "unable to open" in text:
        what, hint = "cannot be opened or its folder cannot be written", Hint.OTHER_FILE
        todo = "Check that the folder exists and is writable"
    elif "locked" in text or "busy" in text:
        what = "is busy in another program"
        todo = "Close the other TherapyTimer window or command and try again"
    else:
        what = f"gave an error ({exc})"
        todo = "Nothing was changed. Try again; if it persists, restore a backup"
    return StoreError(f"{path} {what}. {todo}.", hint, str(path))


def _unusable(path: Path, why: str) -> StoreError:
    """This path cannot hold the database: another one is needed (the face says how to name it)."""
    return StoreError(f"{path} {why}", Hint.OTHER_FILE, str(path))


def check_location(path: Path) -> bool:
    """Whether a regular file is at `path` (False: nothing there yet). Anything else that is there, or a
    folder that cannot be looked into, raises one clear StoreError: SQLite would hang on a FIFO, write
    through a dangling link, or fail with a traceback."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise _unusable(path, "cannot be a file: part of its folder path is a file") from None
    except OSError as exc:
        raise _unusable(path, f"cannot be reached ({exc.strerror}); check the folder's permissions") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except FileNotFoundError:
            target = os.readlink(path)
            why = f"is a link to {target}, which does not exist (a drive that is not connected?); nothing was created"
            raise _unusable(path, why) from None
        except OSError as exc:
            raise _unusable(path, f"cannot be reached ({exc.strerror}); check the link") from None
    if stat.S_ISDIR(info.st_mode):
        raise _unusable(path, f"is a folder, not a database file (give a file name, e.g. {path / 'therapytimer.db'})")
    if not stat.S_ISREG(info.st_mode):
        raise _unusable(path, "is not a regular file (a device, pipe or socket)")
    return True


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
        raise sqlite3.OperationalError("unable to open WAL journal")
    conn.execute("PRAGMA synchronous = FULL")


def _migrate(db: Database) -> None:
    if MIGRATIONS.pending(db):
        # Under the write lock, and checked again: two processes opening one file migrate it once.
        db.conn.execute("BEGIN IMMEDIATE")
        if MIGRATIONS.pending(db):
            MIGRATIONS.apply(db)
        db.conn.execute("COMMIT")


def _create_new(path: Path) -> None:
    """Build an empty, migrated database beside `path` and link it into place (never over a file that
    appeared meanwhile: that is another TherapyTimer process, which made the same thing)."""
    try:
        make_private_dirs(path.parent)
        tmp = new_temp(path)
    except OSError as exc:
        raise _unusable(path, f"cannot be created ({exc.strerror}); check the folder") from None
    try:
        conn = sqlite3.connect(tmp)
        try:
            db = Database(conn, execute_plugins=False)
            _configure(conn)
            _migrate(db)
        finally:
            conn.close()
        place(tmp, path, force=False)
    except FileExistsError:
        pass
    except sqlite3.Error as exc:
        raise explain(exc, path) from None
    except OSError as exc:
        raise _unusable(path, f"cannot be created ({exc.strerror}); check the folder") from None
    finally:
        discard(tmp)


NOT_OURS = {
    "empty": "holds no TherapyTimer data (it is empty)",
    "foreign": "is an SQLite database of another program, not TherapyTimer's",
}


def open_database(path: Path, *, create: bool = False, init: bool = False) -> Database:
    """Open and migrate the TherapyTimer database at `path`; raises StoreError on any problem.

    `create`: a command that records data may create the file where none exists. `init`: the user named
    this file for a new database, so an empty one is initialised too. Otherwise a
    file that is not ours is refused and left byte-for-byte as it was.
    """
    if not check_location(path):
        if not (create or init):
            raise StoreError(
                f"there is no database at {path} (nothing recorded yet, or a mistyped file name)",
                Hint.OTHER_FILE,
                str(path),
            )
        _create_new(path)
    sweep_temp_files(path.parent)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        db = Database(conn, execute_plugins=False)
        kind, newest = inspect_schema(db)
        if kind == "newer":
            raise StoreError(
                f"{path} was written by a newer TherapyTimer (schema {newest}). "
                "Install the newer version; the file was left untouched"
            )
        if kind in NOT_OURS and not (kind == "empty" and init):
            hint = Hint.INIT if kind == "empty" else Hint.OTHER_FILE
            raise StoreError(f"{path} {NOT_OURS[kind]}. It was left untouched", hint, str(path))
        _configure(conn)
        _migrate(db)
    except StoreError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise explain(exc, path) from None
    return db
