"""The repository: every user action on sessions, committed before it returns.

Each public method runs in one transaction (`db.atomic()`): when it returns, the change is on disk;
when it raises, nothing changed. Reads return the plain dataclasses of `therapytimer.core.session`.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from therapytimer.core.catalog import Catalog, CodeError, Discipline, Kind
from therapytimer.core.clock import Clock, from_text, to_text
from therapytimer.core.exchange import ImportedSession
from therapytimer.core.rules import ASSISTANT_MODIFIER, MAX_MINUTES, Rule
from therapytimer.core.session import (
    NOTE_MAX,
    PROVIDER_MAX,
    CodeEntry,
    Correction,
    Role,
    Segment,
    Session,
    SessionError,
    State,
    Who,
    clean_patient,
)
from therapytimer.storage.backup import backup_to, restore_from
from therapytimer.storage.database import explain, open_database

CHUNK = 500  # SQLite host parameters per IN (...) query
DEFAULT_PAYER = "Medicare"


class Store:
    """Sessions, timers and corrections in one SQLite file."""

    def __init__(self, db: Database, path: Path, clock: Clock, catalog: Catalog) -> None:
        self.db = db
        self.path = path
        self.clock = clock
        self.catalog = catalog

    @classmethod
    def open(cls, path: Path, clock: Clock, catalog: Catalog) -> Store:
        return cls(open_database(path), path, clock, catalog)

    def close(self) -> None:
        self.db.conn.close()

    def backup(self, target: Path, *, force: bool = False) -> Path:
        """A consistent copy of the whole database while it is in use (SQLite's online backup)."""
        return backup_to(self.db.conn, target, force=force)

    def restore(self, backup: Path) -> Path:
        """Replace the database with `backup` after saving the current one; returns that safety copy."""
        return restore_from(backup, self.db.conn, self.path, self.clock.now())

    @contextmanager
    def _write(self) -> Iterator[Database]:
        """One committed transaction; SQLite errors become StoreErrors that name the file.

        BEGIN IMMEDIATE takes the write lock first, so a write by another process (the window and a
        command at once) makes this one wait (busy timeout) instead of failing halfway.
        """
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                conn.rollback()
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.rollback()
            raise explain(exc, self.path) from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            cursor = self.db.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None

    # ---- payer profiles -------------------------------------------------------------------------

    def payers(self) -> dict[str, Rule]:
        return {r["name"]: Rule(r["rule"]) for r in self._read("SELECT name, rule FROM payers ORDER BY name")}

    def set_payer(self, name: str, rule: Rule) -> None:
        name = " ".join(name.split())
        if not 1 <= len(name) <= PROVIDER_MAX:
            raise SessionError(f"payer name must be 1 to {PROVIDER_MAX} characters")
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO payers (name, rule) VALUES (?, ?)", [name, rule.value])

    # ---- sessions -------------------------------------------------------------------------------

    def open_session(
        self,
        patient: str,
        discipline: Discipline,
        *,
        payer: str | None = DEFAULT_PAYER,
        rule: Rule | None = None,
        provider: str = "",
        role: Role = Role.THERAPIST,
        day: date | None = None,
        note: str = "",
    ) -> Session:
        """Start a session for today (local date) unless `day` is given; the payer profile sets the rule."""
        patient = clean_patient(patient)
        provider = " ".join(provider.split())
        if len(provider) > PROVIDER_MAX:
            raise SessionError(f"clinician name must be at most {PROVIDER_MAX} characters")
        if len(note) > NOTE_MAX:
            raise SessionError(f"note must be at most {NOTE_MAX} characters")
        if rule is None:
            profiles = self.payers()
            if payer not in profiles:
                raise SessionError(f"no payer profile named {payer!r}; known: {', '.join(profiles)}")
            rule = profiles[payer]
        session_id = uuid.uuid4().hex
        row = {
            "id": session_id,
            "patient": patient,
            "discipline": Discipline(discipline).value,
            "rule": rule.value,
            "payer": payer,
            "provider": provider,
            "role": Role(role).value,
            "date": (day or self.clock.today()).isoformat(),
            "note": note,
            "state": State.OPEN.value,
            "origin": "app",
            "created_at": to_text(self.clock.now()),
        }
        with self._write() as db:
            db.table("sessions").insert(row)
        return self.session(session_id)

    def session(self, session_id: str) -> Session:
        found = self._load("id = ?", [session_id])
        if not found:
            raise SessionError(f"no session {session_id}")
        return found[0]

    def sessions_on(self, day: date) -> list[Session]:
        return self._load("date = ?", [day.isoformat()])

    def sessions_between(self, first: date, last: date) -> list[Session]:
        return self._load("date BETWEEN ? AND ?", [first.isoformat(), last.isoformat()])

    def open_sessions(self) -> list[Session]:
        return self._load("state = 'open'", [])

    def running(self) -> list[Segment]:
        """Every running segment, across sessions (what a restart must resume)."""
        rows = self._read("SELECT * FROM segments WHERE ended_at IS NULL ORDER BY id")
        return [_segment(r) for r in rows]

    def set_note(self, session_id: str, note: str) -> Session:
        if len(note) > NOTE_MAX:
            raise SessionError(f"note must be at most {NOTE_MAX} characters")
        self.session(session_id)
        with self._write() as db:
            db.execute("UPDATE sessions SET note = ? WHERE id = ?", [note, session_id])
        return self.session(session_id)

    def close_session(self, session_id: str) -> Session:
        """Stop the session's running timers and close it."""
        self.session(session_id)
        now = to_text(self.clock.now())
        with self._write() as db:
            db.execute("UPDATE segments SET ended_at = ? WHERE session_id = ? AND ended_at IS NULL", [now, session_id])
            db.execute("UPDATE sessions SET state = 'closed', closed_at = ? WHERE id = ?", [now, session_id])
        return self.session(session_id)

    def reopen_session(self, session_id: str) -> Session:
        self.session(session_id)
        with self._write() as db:
            db.execute("UPDATE sessions SET state = 'open', closed_at = NULL WHERE id = ?", [session_id])
        return self.session(session_id)

    # ---- codes and timers -----------------------------------------------------------------------

    def _open(self, session_id: str) -> Session:
        session = self.session(session_id)
        if session.state is not State.OPEN:
            raise SessionError(f"the session for {session.patient} is closed; reopen it to change it")
        return session

    def _check_code(self, session: Session, code: str, timed: bool) -> None:
        try:
            spec = self.catalog.lookup(code, session.date)
        except CodeError as exc:
            raise SessionError(str(exc)) from None
        if spec.kind is Kind.ADDON:
            base = self.catalog.base_of(spec).code
            raise SessionError(f"{code} is billed from {base}'s minutes: time {base} instead")
        if timed and not spec.timed:
            raise SessionError(f"{code} is untimed: add it as a service (one unit), not a timer")
        if not timed and spec.timed:
            raise SessionError(f"{code} is a timed code: time it with a stopwatch")

    def _ensure_code(self, db: Database, session: Session, code: str) -> None:
        if any(c.code == code for c in session.codes):
            return
        db.table("session_codes").insert(
            {
                "session_id": session.id,
                "code": code,
                "position": len(session.codes),
                "added_at": to_text(self.clock.now()),
            }
        )

    def add_code(self, session_id: str, code: str) -> Session:
        """Add a timed code's stopwatch to the session, stopped."""
        session = self._open(session_id)
        self._check_code(session, code, timed=True)
        with self._write() as db:
            self._ensure_code(db, session, code)
        return self.session(session_id)

    def start(self, session_id: str, code: str, who: Who | None = None, *, exclusive: bool = True) -> Session:
        """Start (or resume) a code's stopwatch. With `exclusive` (the default, one-on-one care) every
        other running stopwatch, in any session, stops at the same instant."""
        session = self._open(session_id)
        self._check_code(session, code, timed=True)
        if who is None:  # resume as whoever was treating last on this code, else by the clinician's role
            last = [s.who for s in session.segments if s.code == code]
            who = last[-1] if last else (Who.ASSISTANT if session.role is Role.ASSISTANT else Who.THERAPIST)
        if who is Who.ASSISTANT:
            _check_assistant(session)
        now = to_text(self.clock.now())
        now_running = any(s.running and s.code == code and s.who is who for s in session.segments)
        if now_running and not exclusive:
            return session
        with self._write() as db:
            if now_running:  # already running: one-on-one still means every other timer stops
                db.execute(
                    "UPDATE segments SET ended_at = ? WHERE ended_at IS NULL AND NOT (session_id = ? AND code = ?)",
                    [now, session_id, code],
                )
            else:
                self._ensure_code(db, session, code)
                others = "" if exclusive else " AND session_id = ? AND code = ?"
                db.execute(
                    f"UPDATE segments SET ended_at = ? WHERE ended_at IS NULL{others}",
                    [now] if exclusive else [now, session_id, code],
                )
                db.table("segments").insert(
                    {"session_id": session_id, "code": code, "who": Who(who).value, "started_at": now, "ended_at": None}
                )
        return self.session(session_id)

    def set_who(self, session_id: str, code: str, who: Who) -> Session:
        """Change who is treating on a running stopwatch: the segment ends and a new one begins now."""
        session = self._open(session_id)
        if not any(s.running and s.code == code for s in session.segments):
            raise SessionError(f"{code} is not running")
        return self.start(session_id, code, who, exclusive=False)

    def pause_session(self, session_id: str) -> Session:
        """Stop this session's running stopwatches (other sessions' keep running)."""
        self.session(session_id)
        with self._write() as db:
            db.execute(
                "UPDATE segments SET ended_at = ? WHERE ended_at IS NULL AND session_id = ?",
                [to_text(self.clock.now()), session_id],
            )
        return self.session(session_id)

    def pause(self, session_id: str, code: str) -> Session:
        self.session(session_id)
        with self._write() as db:
            db.execute(
                "UPDATE segments SET ended_at = ? WHERE ended_at IS NULL AND session_id = ? AND code = ?",
                [to_text(self.clock.now()), session_id, code],
            )
        return self.session(session_id)

    def pause_all(self) -> int:
        """Stop every running stopwatch; returns how many were running."""
        with self._write() as db:
            cursor = db.execute("UPDATE segments SET ended_at = ? WHERE ended_at IS NULL", [to_text(self.clock.now())])
        return int(cursor.rowcount)

    def add_service(self, session_id: str, code: str, minutes: int | None = None) -> Session:
        """An untimed service (evaluation, group therapy): one unit; optional minutes count toward
        total treatment time only. Adding it again updates its minutes."""
        session = self._open(session_id)
        self._check_code(session, code, timed=False)
        _check_minutes(minutes)
        with self._write() as db:
            self._ensure_code(db, session, code)
            db.execute(
                "UPDATE session_codes SET minutes = ? WHERE session_id = ? AND code = ?", [minutes, session_id, code]
            )
        return self.session(session_id)

    def remove_code(self, session_id: str, code: str) -> Session:
        """Remove a code added by mistake; refused once it has timed segments or corrections (kept for audit)."""
        session = self._open(session_id)
        if any(s.code == code for s in session.segments) or any(c.code == code for c in session.corrections):
            raise SessionError(f"{code} has recorded time; set its minutes to 0 with a reason instead")
        with self._write() as db:
            db.execute("DELETE FROM session_codes WHERE session_id = ? AND code = ?", [session_id, code])
        return self.session(session_id)

    def correct(self, session_id: str, code: str, minutes: int, assistant_minutes: int = 0, *, reason: str) -> Session:
        """Set a code's minutes by hand (the timer was forgotten). The reason is required; the old and
        new values go to the audit log; the segments stay as they were."""
        session = self._open(session_id)
        reason = reason.strip()
        if not reason:
            raise SessionError("a correction needs a reason (for the audit log)")
        _check_minutes(minutes)
        _check_minutes(assistant_minutes)
        if assistant_minutes:
            _check_assistant(session)
        self._check_code(session, code, timed=True)
        now = self.clock.now()
        old = session.code_time(code, now)
        with self._write() as db:
            self._ensure_code(db, session, code)
            db.table("corrections").insert(
                {
                    "session_id": session_id,
                    "code": code,
                    "at": to_text(now),
                    "old_minutes": old.minutes,
                    "old_assistant_minutes": old.assistant_minutes,
                    "minutes": minutes,
                    "assistant_minutes": assistant_minutes,
                    "reason": reason,
                }
            )
        return self.session(session_id)

    # ---- import ---------------------------------------------------------------------------------

    def import_sessions(self, sessions: Sequence[ImportedSession]) -> tuple[int, int]:
        """Store validated sessions in one transaction; an id already stored is skipped.
        Returns (added, skipped)."""
        ids = [s.id for s in sessions]
        now = to_text(self.clock.now())
        with self._write() as db:  # the ids are checked under the write lock: two imports at once add once
            existing: set[str] = set()
            for i in range(0, len(ids), CHUNK):
                part = ids[i : i + CHUNK]
                marks = ",".join("?" * len(part))
                existing |= {row[0] for row in db.execute(f"SELECT id FROM sessions WHERE id IN ({marks})", part)}
            new = [s for s in sessions if s.id not in existing]
            db.table("sessions").insert_all(
                (
                    {
                        "id": s.id,
                        "patient": s.patient,
                        "discipline": s.discipline.value,
                        "rule": s.rule.value,
                        "payer": " ".join(s.payer.split()) if s.payer else None,
                        "provider": " ".join(s.provider.split()),
                        "role": Role.THERAPIST.value,
                        "date": s.date.isoformat(),
                        "note": s.note,
                        "state": State.CLOSED.value,
                        "origin": "import",
                        "created_at": now,
                        "closed_at": now,
                    }
                    for s in new
                ),
                batch_size=1000,
            )
            db.table("session_codes").insert_all(
                (
                    {
                        "session_id": s.id,
                        "code": c.code,
                        "position": i,
                        "minutes": c.minutes,
                        "assistant_minutes": c.assistant_minutes,
                        "added_at": now,
                    }
                    for s in new
                    for i, c in enumerate(s.codes)
                ),
                batch_size=1000,
            )
        return len(new), len(sessions) - len(new)

    # ---- loading --------------------------------------------------------------------------------

    def _load(self, where: str, params: Sequence[Any]) -> list[Session]:
        rows = self._read(f"SELECT * FROM sessions WHERE {where} ORDER BY date, created_at, id", params)
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        codes: dict[str, list[CodeEntry]] = {i: [] for i in ids}
        segments: dict[str, list[Segment]] = {i: [] for i in ids}
        corrections: dict[str, list[Correction]] = {i: [] for i in ids}
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            marks = ",".join("?" * len(part))
            for r in self._read(f"SELECT * FROM session_codes WHERE session_id IN ({marks}) ORDER BY position", part):
                codes[r["session_id"]].append(CodeEntry(r["code"], r["minutes"], r["assistant_minutes"]))
            for r in self._read(f"SELECT * FROM segments WHERE session_id IN ({marks}) ORDER BY id", part):
                segments[r["session_id"]].append(_segment(r))
            for r in self._read(f"SELECT * FROM corrections WHERE session_id IN ({marks}) ORDER BY id", part):
                corrections[r["session_id"]].append(
                    Correction(
                        r["id"],
                        r["session_id"],
                        r["code"],
                        from_text(r["at"]),
                        r["old_minutes"],
                        r["old_assistant_minutes"],
                        r["minutes"],
                        r["assistant_minutes"],
                        r["reason"],
                    )
                )
        return [
            Session(
                id=r["id"],
                patient=r["patient"],
                discipline=Discipline(r["discipline"]),
                rule=Rule(r["rule"]),
                date=date.fromisoformat(r["date"]),
                created_at=from_text(r["created_at"]),
                payer=r["payer"],
                provider=r["provider"],
                role=Role(r["role"]),
                note=r["note"],
                state=State(r["state"]),
                codes=tuple(codes[r["id"]]),
                segments=tuple(segments[r["id"]]),
                corrections=tuple(corrections[r["id"]]),
            )
            for r in rows
        ]


def _segment(r: dict[str, Any]) -> Segment:
    end = r["ended_at"]
    return Segment(
        r["id"], r["session_id"], r["code"], Who(r["who"]), from_text(r["started_at"]), from_text(end) if end else None
    )


def _check_assistant(session: Session) -> None:
    """Assistant-alone minutes exist only where a modifier carries them (CQ for PT, CO for OT)."""
    if session.discipline not in ASSISTANT_MODIFIER:
        raise SessionError(
            f"{session.discipline.value} has no assistant modifier (CQ is PT, CO is OT): "
            "record the time as the therapist's or together"
        )


def _check_minutes(minutes: int | None) -> None:
    if minutes is not None and (not isinstance(minutes, int) or not 0 <= minutes <= MAX_MINUTES):
        raise SessionError(f"minutes must be a whole number from 0 to {MAX_MINUTES}")
