"""The repository: every user action on sessions, committed before it returns.

Each public method runs in one transaction: when it returns, the change is on disk; when it raises,
nothing changed. What an action may do is decided inside its write transaction, from what is stored
then, so two processes acting at once (the window and a command) never both act on stale state. Reads
return the plain dataclasses of `therapytimer.core.session`.

Time is read through a `StepWatch`: when the wall clock is set by more than a minute while timers this
process saw run, they are split at the step (stopped where the steady clock says the old time was,
resumed at the new time) and the step goes into each session's audit history, so the step itself is
never counted as treatment.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from therapytimer.core.catalog import Catalog, CodeError, Discipline, Kind
from therapytimer.core.clock import Clock, ClockStep, StepWatch, from_text, to_text
from therapytimer.core.exchange import ImportedSession
from therapytimer.core.rules import ASSISTANT_MODIFIER, MAX_MINUTES, Rule
from therapytimer.core.session import (
    NOTE_MAX,
    PROVIDER_MAX,
    CodeEntry,
    Correction,
    Event,
    Role,
    Segment,
    Session,
    SessionError,
    State,
    Who,
    clean_patient,
    clean_text,
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
        self.watch = StepWatch(clock)
        self._seen_running: set[int] = set()  # segments this process saw running at its last clock reading
        self._pending_step: ClockStep | None = None  # noticed, not yet written (the database was busy)

    @classmethod
    def open(cls, path: Path, clock: Clock, catalog: Catalog, *, create: bool = True) -> Store:
        """Open the database at `path`; with `create` (a face that records data) a missing file is made."""
        return cls(open_database(path, create=create), path, clock, catalog)

    def close(self) -> None:
        self.db.conn.close()

    def backup(self, target: Path, *, force: bool = False) -> Path:
        """A consistent copy of the whole database while it is in use (SQLite's online backup)."""
        return backup_to(self.db.conn, target, self.path, force=force)

    def restore(self, backup: Path) -> Path:
        """Replace the database with `backup` after saving the current one; returns that safety copy."""
        restored = restore_from(backup, self.db.conn, self.path, self.clock.now())
        self._seen_running.clear()
        return restored

    # ---- the clock ------------------------------------------------------------------------------

    def _now(self) -> datetime:
        """The wall clock now. A step since the last reading splits the timers seen running before it
        (inside the current write transaction, or a transaction of its own)."""
        wall, step = self.watch.read()
        step = self._pending_step or step
        if step is not None and self._seen_running:
            if self.db.conn.in_transaction:
                self._split(self.db, step)
            else:
                self._pending_step = step
                with self._write() as db:
                    self._split(db, step)
            self._pending_step = None
        return wall

    def check_clock(self) -> bool:
        """Read the clock (a display tick does, no SQL unless it stepped); True if timers were split."""
        seen = set(self._seen_running)
        self._now()
        return self._seen_running != seen

    def _split(self, db: Database, step: ClockStep) -> None:
        ids = sorted(self._seen_running)
        marks = ",".join("?" * len(ids))
        rows = self._read(f"SELECT * FROM segments WHERE ended_at IS NULL AND id IN ({marks}) ORDER BY id", ids)
        after = to_text(step.after)
        codes: dict[str, list[str]] = {}
        for row in rows:
            end = max(step.before, from_text(row["started_at"]))
            db.execute("UPDATE segments SET ended_at = ? WHERE id = ?", [to_text(end), row["id"]])
            self._seen_running.discard(row["id"])
            new = {"session_id": row["session_id"], "code": row["code"], "who": row["who"], "started_at": after}
            self._seen_running.add(db.table("segments").insert(new | {"ended_at": None}).last_rowid or 0)
            codes.setdefault(row["session_id"], []).append(row["code"])
        for session_id, running in codes.items():
            text = f"{step.describe()}: {', '.join(running)} counted only the time that really passed"
            db.table("events").insert({"session_id": session_id, "at": after, "kind": "clock", "text": text})

    def clock_behind(self) -> list[Segment]:
        """Running timers whose stored start is later than the clock now (it was set back while the app
        was closed): they count from their stored start, so they show 0 until the clock passes it. Each
        is noted once in its session's history."""
        now = self._now()
        behind = [seg for seg in self.running() if seg.start > now]
        if behind:
            with self._write() as db:
                for seg in behind:
                    text = (
                        f"On restart the computer's clock ({now:%Y-%m-%d %H:%M} UTC) was earlier than {seg.code}'s "
                        f"start ({seg.start:%Y-%m-%d %H:%M} UTC); it counts from that start"
                    )
                    db.table("events").insert(
                        {"session_id": seg.session_id, "at": to_text(now), "kind": "clock", "text": text}
                    )
        return behind

    @contextmanager
    def _write(self) -> Iterator[Database]:
        """One committed transaction; SQLite errors become StoreErrors that name the file.

        BEGIN IMMEDIATE takes the write lock first, so a write by another process (the window and a
        command at once) makes this one wait (busy timeout) instead of failing halfway. Inside another
        write (an action built on another) it joins that transaction.
        """
        conn = self.db.conn
        if conn.in_transaction:
            yield self.db
            return
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
        name = clean_text(name, "payer name", PROVIDER_MAX, required=True)
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
        provider = clean_text(provider, "clinician name", PROVIDER_MAX)
        note = clean_text(note, "note", NOTE_MAX, multiline=True)
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
        }
        with self._write() as db:
            db.table("sessions").insert(row | {"created_at": to_text(self._now())})
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
        self._now()
        rows = self._read("SELECT * FROM segments WHERE ended_at IS NULL ORDER BY id")
        self._seen_running = {r["id"] for r in rows}
        return [_segment(r) for r in rows]

    def set_note(self, session_id: str, note: str) -> Session:
        note = clean_text(note, "note", NOTE_MAX, multiline=True)
        with self._write() as db:
            self.session(session_id)
            db.execute("UPDATE sessions SET note = ? WHERE id = ?", [note, session_id])
        return self.session(session_id)

    def close_session(self, session_id: str) -> Session:
        """Stop the session's running timers and close it."""
        with self._write() as db:
            self.session(session_id)
            now = to_text(self._now())
            db.execute("UPDATE segments SET ended_at = ? WHERE session_id = ? AND ended_at IS NULL", [now, session_id])
            db.execute("UPDATE sessions SET state = 'closed', closed_at = ? WHERE id = ?", [now, session_id])
        return self.session(session_id)

    def reopen_session(self, session_id: str) -> Session:
        with self._write() as db:
            self.session(session_id)
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
        """Add `code` to `session` (as read inside the current write transaction) unless it is there."""
        if any(c.code == code for c in session.codes):
            return
        db.table("session_codes").insert(
            {
                "session_id": session.id,
                "code": code,
                "position": len(session.codes),
                "added_at": to_text(self._now()),
            }
        )

    def add_code(self, session_id: str, code: str) -> Session:
        """Add a timed code's stopwatch to the session, stopped."""
        with self._write() as db:
            session = self._open(session_id)
            self._check_code(session, code, timed=True)
            self._ensure_code(db, session, code)
        return self.session(session_id)

    def start(self, session_id: str, code: str, who: Who | None = None, *, exclusive: bool = True) -> Session:
        """Start (or resume) a code's stopwatch. With `exclusive` (the default, one-on-one care) every
        other running stopwatch, in any session, stops at the same instant. Decided under the write
        lock: two starts of one code at once (two processes) make one timer."""
        with self._write() as db:
            session = self._open(session_id)
            self._check_code(session, code, timed=True)
            if who is None:  # resume as whoever was treating last on this code, else by the clinician's role
                last = [s.who for s in session.segments if s.code == code]
                who = last[-1] if last else (Who.ASSISTANT if session.role is Role.ASSISTANT else Who.THERAPIST)
            if who is Who.ASSISTANT:
                _check_assistant(session)
            now = to_text(self._now())
            now_running = any(s.running and s.code == code and s.who is who for s in session.segments)
            if now_running:  # already running: one-on-one still means every other timer stops
                if exclusive:
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
                row = {"session_id": session_id, "code": code, "who": Who(who).value, "started_at": now}
                db.table("segments").insert(row | {"ended_at": None})
        return self.session(session_id)

    def set_who(self, session_id: str, code: str, who: Who) -> Session:
        """Change who is treating on a running stopwatch: the segment ends and a new one begins now."""
        with self._write():
            session = self._open(session_id)
            if not any(s.running and s.code == code for s in session.segments):
                raise SessionError(f"{code} is not running")
            return self.start(session_id, code, who, exclusive=False)

    def pause_session(self, session_id: str) -> Session:
        """Stop this session's running stopwatches (other sessions' keep running)."""
        with self._write() as db:
            self.session(session_id)
            db.execute(
                "UPDATE segments SET ended_at = ? WHERE ended_at IS NULL AND session_id = ?",
                [to_text(self._now()), session_id],
            )
        return self.session(session_id)

    def pause(self, session_id: str, code: str) -> Session:
        with self._write() as db:
            self.session(session_id)
            db.execute(
                "UPDATE segments SET ended_at = ? WHERE ended_at IS NULL AND session_id = ? AND code = ?",
                [to_text(self._now()), session_id, code],
            )
        return self.session(session_id)

    def pause_all(self) -> int:
        """Stop every running stopwatch; returns how many were running."""
        with self._write() as db:
            cursor = db.execute("UPDATE segments SET ended_at = ? WHERE ended_at IS NULL", [to_text(self._now())])
        return int(cursor.rowcount)

    def add_service(self, session_id: str, code: str, minutes: int | None = None) -> Session:
        """An untimed service (evaluation, group therapy): one unit; optional minutes count toward
        total treatment time only. Adding it again updates its minutes."""
        _check_minutes(minutes)
        with self._write() as db:
            session = self._open(session_id)
            self._check_code(session, code, timed=False)
            self._ensure_code(db, session, code)
            db.execute(
                "UPDATE session_codes SET minutes = ? WHERE session_id = ? AND code = ?", [minutes, session_id, code]
            )
        return self.session(session_id)

    def remove_code(self, session_id: str, code: str) -> Session:
        """Remove a code added by mistake; refused once it has timed segments or corrections (kept for audit)."""
        with self._write() as db:
            session = self._open(session_id)
            if any(s.code == code for s in session.segments) or any(c.code == code for c in session.corrections):
                raise SessionError(f"{code} has recorded time; set its minutes to 0 with a reason instead")
            db.execute("DELETE FROM session_codes WHERE session_id = ? AND code = ?", [session_id, code])
        return self.session(session_id)

    def correct(self, session_id: str, code: str, minutes: int, assistant_minutes: int = 0, *, reason: str) -> Session:
        """Set a code's minutes by hand (the timer was forgotten). The reason is required; the old and
        new values go to the audit log; the segments stay as they were."""
        reason = reason.strip()
        if not reason:
            raise SessionError("a correction needs a reason (for the audit log)")
        _check_minutes(minutes)
        _check_minutes(assistant_minutes)
        with self._write() as db:
            session = self._open(session_id)
            if assistant_minutes:
                _check_assistant(session)
            self._check_code(session, code, timed=True)
            now = self._now()
            old = session.code_time(code, now)
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
        with self._write() as db:
            now = to_text(self._now())  # the ids are checked under the write lock: two imports at once add once
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
        self._now()  # a clock step is handled before what is read becomes what this process saw
        rows = self._read(f"SELECT * FROM sessions WHERE {where} ORDER BY date, created_at, id", params)
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        codes: dict[str, list[CodeEntry]] = {i: [] for i in ids}
        segments: dict[str, list[Segment]] = {i: [] for i in ids}
        corrections: dict[str, list[Correction]] = {i: [] for i in ids}
        events: dict[str, list[Event]] = {i: [] for i in ids}
        for i in range(0, len(ids), CHUNK):
            part = ids[i : i + CHUNK]
            marks = ",".join("?" * len(part))
            for r in self._read(f"SELECT * FROM session_codes WHERE session_id IN ({marks}) ORDER BY position", part):
                codes[r["session_id"]].append(CodeEntry(r["code"], r["minutes"], r["assistant_minutes"]))
            for r in self._read(f"SELECT * FROM segments WHERE session_id IN ({marks}) ORDER BY id", part):
                segments[r["session_id"]].append(_segment(r))
                if r["ended_at"] is None:
                    self._seen_running.add(r["id"])
                else:
                    self._seen_running.discard(r["id"])
            for r in self._read(f"SELECT * FROM events WHERE session_id IN ({marks}) ORDER BY id", part):
                events[r["session_id"]].append(
                    Event(r["id"], r["session_id"], from_text(r["at"]), r["kind"], r["text"])
                )
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
                events=tuple(events[r["id"]]),
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
