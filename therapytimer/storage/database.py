"""Opening the database file: location, permissions, pragmas, migrations, and clear errors.

One SQLite file holds everything. It is opened in WAL mode with full sync (a commit survives a power
cut), foreign keys on and a busy timeout; migrations run forward on open. A file that is not ours, is
damaged, read-only, or on a full disk is never overwritten or "repaired": the error names the file and
says what to do.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

DB_ENV = "THERAPYTIMER_DB"
BUSY_TIMEOUT_S = 5.0
MIGRATIONS = Migrations("therapytimer")


class StoreError(Exception):
    """A storage problem explained for the user: which file, what happened, what to do."""


def default_db_path() -> Path:
    """`THERAPYTIMER_DB`, else the platform's user data folder."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path("therapytimer") / "therapytimer.db"


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    db.executescript(
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
        """
    )


@MIGRATIONS(name="0002_payers_and_day_index")
def _payers(db: Database) -> None:
    """Named payer profiles (a payer's rule is a setting, never inferred), and the indexes that keep
    a day's or a week's queries independent of the length of the history."""
    db.executescript(
        """
        CREATE TABLE payers (name TEXT PRIMARY KEY, rule TEXT NOT NULL);
        INSERT INTO payers VALUES ('Medicare', 'cms'), ('Commercial (per-code rule)', 'ama');
        ALTER TABLE sessions ADD COLUMN payer TEXT;
        CREATE INDEX sessions_date ON sessions(date);
        CREATE INDEX segments_running ON segments(ended_at) WHERE ended_at IS NULL;
        """
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


def explain(exc: sqlite3.Error, path: Path) -> StoreError:
    """Turn SQLite's terse errors into what a clinician or IT person can act on."""
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        what = "is not a TherapyTimer database, or it is damaged"
        todo = "It was left untouched. Restore a backup, or move it aside to start a new database"
    elif "readonly" in text or "read-only" in text:
        what = "is read-only"
        todo = "Give your user write permission on the file and its folder, or use --db with another file"
    elif "unable to open" in text:
        what = "cannot be opened or its folder cannot be written"
        todo = "Check that the folder exists and is writable, or use --db with another file"
    elif "full" in text:
        what = "cannot be written: the disk is full"
        todo = "Free some disk space and try again; nothing was lost"
    elif "locked" in text or "busy" in text:
        what = "is busy in another program"
        todo = "Close the other TherapyTimer window or command and try again"
    else:
        what = f"gave an error ({exc})"
        todo = "Nothing was changed. Try again; if it persists, restore a backup"
    return StoreError(f"{path} {what}. {todo}.")


def _create_private(path: Path) -> None:
    """Create the folder (0700) and an empty database file (0600) readable by the owner only."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another TherapyTimer process created it a moment ago
        return
    os.close(fd)


def open_database(path: Path) -> Database:
    """Open (creating if new) and migrate the database at `path`; raises StoreError on any problem."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file. Give a file name, e.g. {path / 'therapytimer.db'}")
    try:
        if not path.exists():
            _create_private(path)
    except OSError as exc:
        raise StoreError(f"{path} cannot be created ({exc.strerror}). Check the folder, or use --db") from None
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        db = Database(conn, execute_plugins=False)
        kind, newest = inspect_schema(db)
        if kind == "foreign":
            conn.close()
            raise StoreError(
                f"{path} is an SQLite database of another program, not TherapyTimer's. "
                "It was left untouched; use --db with another file"
            )
        if kind == "newer":
            conn.close()
            raise StoreError(
                f"{path} was written by a newer TherapyTimer (schema {newest}). "
                "Install the newer version; the file was left untouched"
            )
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise sqlite3.OperationalError("unable to open WAL journal")
        conn.execute("PRAGMA synchronous = FULL")
        if MIGRATIONS.pending(db):
            # Under the write lock, and checked again: two processes opening a new file migrate it once.
            conn.execute("BEGIN IMMEDIATE")
            if MIGRATIONS.pending(db):
                MIGRATIONS.apply(db)
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.close()
        raise explain(exc, path) from None
    return db
