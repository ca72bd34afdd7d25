"""The repository: sessions read from and written to the one SQLite file, nothing decided here.

What an action does is decided by `core.stopwatch` (from the session as read inside the write
transaction); the store writes that `Plan` as it is and reports the ids it gave new rows. Writes run in
`transaction()`: BEGIN IMMEDIATE takes the write lock first, so the window and a command acting at once
wait for each other instead of failing halfway, and when a use case returns, its change is on disk.
SQLite errors become StoreErrors that name the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from therapytimer.core.case import PlanOfCare
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import from_text, to_text
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Correction, Event, Role, Segment, Session, State, Who
from therapytimer.core.stopwatch import Plan, Written
from therapytimer.storage.database import explain, open_database

if TYPE_CHECKING:  # the import and backup code is loaded when used: a window starts without it
    from therapytimer.core.exchange import ImportedSession

CHUNK = 500  # SQLite host parameters per IN (...) query


class Store:
    """Sessions, timers, corrections and audit events in one SQLite file."""

    def __init__(self, db: Database, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: Path, *, create: bool = False, init: bool = False) -> Store:
        """The database at `path`; `create` (a face that records data) makes a missing file."""
        return cls(open_database(path, create=create, init=init), path)

    def close(self) -> None:
        self.db.conn.close()

    def backup(self, target: Path, *, force: bool = False) -> Path:
        """A consistent copy of the whole database while it is in use (SQLite's online backup)."""
        from therapytimer.storage.backup import backup_to

        return backup_to(self.db.conn, target, self.path, force=force)

    def restore(self, backup: Path, now: datetime, before: Callable[[], object] = lambda: None) -> Path:
        """Replace the database with `backup` after saving the current one; returns that safety copy.
        `before` runs once the backup has passed its checks, just before anything changes."""
        from therapytimer.storage.backup import restore_from

        return restore_from(backup, self.db.conn, self.path, now, before)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One committed write transaction; inside another it joins that one."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                conn.rollback()
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.rollback()
            raise explain(exc, self.path) from None

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._execute(sql, params)
        names = [d[0] for d in cursor.description]
        try:
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None

    def version(self) -> int:
        """SQLite's data_version: it changes when another connection (a second window, a command) commits."""
        return int(self._execute("PRAGMA data_version").fetchone()[0])

    # ---- payer profiles -------------------------------------------------------------------------

    def payers(self) -> dict[str, Rule]:
        return {r["name"]: Rule(r["rule"]) for r in self._rows("SELECT name, rule FROM payers ORDER BY name")}

    def set_payer(self, name: str, rule: Rule) -> None:
        with self.transaction():
            self._execute("INSERT OR REPLACE INTO payers (name, rule) VALUES (?, ?)", [name, rule.value])

    # ---- plans of care ----------------------------------------------------------------------------

    def plans_of_care(self, patient: str) -> list[PlanOfCare]:
        rows = self._rows("SELECT * FROM plans_of_care WHERE patient = ? ORDER BY discipline, start", [patient])
        return [
            PlanOfCare(
                r["patient"], Discipline(r["discipline"]), date.fromisoformat(r["start"]), date.fromisoformat(r["end"])
            )
            for r in rows
        ]

    def set_plan_of_care(self, plan: PlanOfCare, at: datetime) -> None:
        """Enter a certified period; one with the same start for that patient and discipline is replaced
        (a corrected end date)."""
        with self.transaction():
            self._execute(
                "INSERT OR REPLACE INTO plans_of_care (patient, discipline, start, end, entered_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [plan.patient, plan.discipline.value, plan.start.isoformat(), plan.end.isoformat(), to_text(at)],
            )

    def remove_plan_of_care(self, patient: str, discipline: Discipline, start: date) -> bool:
        with self.transaction():
            cursor = self._execute(
                "DELETE FROM plans_of_care WHERE patient = ? AND discipline = ? AND start = ?",
                [patient, discipline.value, start.isoformat()],
            )
            return cursor.rowcount > 0

    # ---- reading --------------------------------------------------------------------------------

    def session(self, session_id: str) -> Session | None:
        found = self.load("id = ?", [session_id])
        return found[0] if found else None

    def sessions_on(self, day: date) -> list[Session]:
        return self.load("date = ?", [day.isoformat()])

    def sessions_between(self, first: date, last: date) -> list[Session]:
        return self.load("date BETWEEN ? AND ?", [first.isoformat(), last.isoformat()])

    def sessions_of(self, patient: str, last: date) -> list[Session]:
        """Every session of one patient alias up to `last` (a case counts the whole history)."""
        return self.load("patient = ? AND date <= ?", [patient, last.isoformat()])

    def open_sessions(self) -> list[Session]:
        return self.load("state = 'open'", [])

    def running(self) -> list[Segment]:
        """Every running segment, across sessions (what a restart must resume)."""
        return [_segment(r) for r in self._rows("SELECT * FROM segments WHERE ended_at IS NULL ORDER BY id")]

    def load(self, where: str, params: Sequence[Any]) -> list[Session]:
        """Sessions matching `where`, whole (codes, segments, corrections, events), in date order."""
        rows = self._rows(f"SELECT * FROM sessions WHERE {where} ORDER BY date, created_at, id", params)
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
            for r in self._rows(f"SELECT * FROM session_codes WHERE session_id IN ({marks}) ORDER BY position", part):
                codes[r["session_id"]].append(CodeEntry(r["code"], r["minutes"], r["assistant_minutes"]))
            for r in self._rows(f"SELECT * FROM segments WHERE session_id IN ({marks}) ORDER BY id", part):
                segments[r["session_id"]].append(_segment(r))
            for r in self._rows(f"SELECT * FROM corrections WHERE session_id IN ({marks}) ORDER BY id", part):
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
            for r in self._rows(f"SELECT * FROM events WHERE session_id IN ({marks}) ORDER BY id", part):
                event = Event(r["id"], r["session_id"], from_text(r["at"]), r["kind"], r["text"])
                events[r["session_id"]].append(event)
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
                progress_report=bool(r["progress_report"]),
                kx=bool(r["kx"]),
            )
            for r in rows
        ]

    # ---- writing what core decided ----------------------------------------------------------------

    def insert_session(self, s: Session) -> None:
        with self.transaction():
            self._execute(
                "INSERT INTO sessions (id, patient, discipline, rule, payer, provider, role, date, note, state, "
                "origin, created_at, progress_report, kx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'app', ?, ?, ?)",
                [
                    s.id,
                    s.patient,
                    s.discipline.value,
                    s.rule.value,
                    s.payer,
                    s.provider,
                    s.role.value,
                    s.date.isoformat(),
                    s.note,
                    s.state.value,
                    to_text(s.created_at),
                    int(s.progress_report),
                    int(s.kx),
                ],
            )

    def write(self, plan: Plan) -> tuple[Written, list[tuple[int, str]]]:
        """Write `plan` (inside the caller's transaction, or one of its own). Returns the ids of the rows
        it added and, for a one-at-a-time start, the (segment, session) pairs it stopped elsewhere."""
        at = to_text(plan.at)
        stopped: list[tuple[int, str]] = []
        with self.transaction():
            if plan.stop or plan.stop_others:
                end = to_text(plan.stop_at or plan.at)
                marks = ",".join("?" * len(plan.stop))
                mine = f"id IN ({marks})" if plan.stop else "0"
                others = " OR session_id != ?" if plan.stop_others else ""
                cursor = self._execute(
                    f"UPDATE segments SET ended_at = MAX(?, started_at) WHERE ended_at IS NULL AND ({mine}{others}) "
                    "RETURNING id, session_id",
                    [end, *plan.stop, *([plan.session_id] if plan.stop_others else [])],
                )
                stopped = [(int(i), str(s)) for i, s in cursor.fetchall() if s != plan.session_id]
            if plan.confirm:
                marks = ",".join("?" * len(plan.confirm))
                self._execute(
                    f"UPDATE segments SET confirmed_at = ? WHERE id IN ({marks})",
                    [to_text(plan.confirm_at or plan.at), *plan.confirm],
                )
            if plan.add_code is not None:
                self._execute(
                    "INSERT INTO session_codes (session_id, code, position, added_at) VALUES (?, ?, ?, ?)",
                    [plan.session_id, plan.add_code.code, plan.add_code.position, at],
                )
            if plan.service_minutes is not None:
                code, minutes = plan.service_minutes
                self._execute(
                    "UPDATE session_codes SET minutes = ? WHERE session_id = ? AND code = ?",
                    [minutes, plan.session_id, code],
                )
            if plan.remove_code is not None:
                self._execute(
                    "DELETE FROM session_codes WHERE session_id = ? AND code = ?", [plan.session_id, plan.remove_code]
                )
            segment_ids = tuple(
                self._insert(
                    "INSERT INTO segments (session_id, code, who, started_at) VALUES (?, ?, ?, ?)",
                    [plan.session_id, new.code, new.who.value, to_text(new.start)],
                )
                for new in plan.start
            )
            correction_id = 0
            if plan.correction is not None:
                c = plan.correction
                correction_id = self._insert(
                    "INSERT INTO corrections (session_id, code, at, old_minutes, old_assistant_minutes, minutes, "
                    "assistant_minutes, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        plan.session_id,
                        c.code,
                        at,
                        c.old_minutes,
                        c.old_assistant_minutes,
                        c.minutes,
                        c.assistant_minutes,
                        c.reason,
                    ],
                )
            if plan.state is not None:
                closed_at = at if plan.state is State.CLOSED else None
                self._execute(
                    "UPDATE sessions SET state = ?, closed_at = ? WHERE id = ?",
                    [plan.state.value, closed_at, plan.session_id],
                )
            if plan.note is not None:
                self._execute("UPDATE sessions SET note = ? WHERE id = ?", [plan.note, plan.session_id])
            if plan.progress_report is not None:
                self._execute(
                    "UPDATE sessions SET progress_report = ? WHERE id = ?", [int(plan.progress_report), plan.session_id]
                )
            if plan.kx is not None:
                self._execute("UPDATE sessions SET kx = ? WHERE id = ?", [int(plan.kx), plan.session_id])
            event_ids = tuple(
                self._insert(
                    "INSERT INTO events (session_id, at, kind, text) VALUES (?, ?, ?, ?)",
                    [plan.session_id, at, e.kind, e.text],
                )
                for e in plan.events
            )
        return Written(segment_ids, correction_id, event_ids), stopped

    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        return int(self._execute(sql, params).lastrowid or 0)

    def add_event(self, session_id: str, at: datetime, kind: str, text: str) -> None:
        with self.transaction():
            self._insert(
                "INSERT INTO events (session_id, at, kind, text) VALUES (?, ?, ?, ?)",
                [session_id, to_text(at), kind, text],
            )

    def stop_all(self, at: datetime) -> list[tuple[int, str]]:
        """Stop every running segment; returns the (segment, session) pairs it stopped."""
        with self.transaction():
            cursor = self._execute(
                "UPDATE segments SET ended_at = MAX(?, started_at) WHERE ended_at IS NULL RETURNING id, session_id",
                [to_text(at)],
            )
            return [(int(i), str(s)) for i, s in cursor.fetchall()]

    def import_sessions(self, sessions: Sequence[ImportedSession], at: datetime) -> tuple[int, int]:
        """Store validated sessions, closed, in one transaction; an id already stored is skipped (checked
        under the write lock: two imports at once add once). Returns (added, skipped)."""
        ids = [s.id for s in sessions]
        now = to_text(at)
        with self.transaction():
            existing: set[str] = set()
            for i in range(0, len(ids), CHUNK):
                part = ids[i : i + CHUNK]
                marks = ",".join("?" * len(part))
                existing |= {row[0] for row in self._execute(f"SELECT id FROM sessions WHERE id IN ({marks})", part)}
            new = [s for s in sessions if s.id not in existing]
            try:
                self.db.table("sessions").insert_all(
                    (
                        {
                            "id": s.id,
                            "patient": s.patient,
                            "discipline": s.discipline.value,
                            "rule": s.rule.value,
                            "payer": s.payer,
                            "provider": s.provider,
                            "role": Role.THERAPIST.value,
                            "date": s.date.isoformat(),
                            "note": s.note,
                            "state": State.CLOSED.value,
                            "origin": "import",
                            "created_at": now,
                            "closed_at": now,
                            "progress_report": int(s.progress_report),
                            "kx": int(s.kx),
                        }
                        for s in new
                    ),
                    batch_size=1000,
                )
                self.db.table("session_codes").insert_all(
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
            except sqlite3.Error as exc:
                raise explain(exc, self.path) from None
        return len(new), len(sessions) - len(new)


def _segment(r: dict[str, Any]) -> Segment:
    end, confirmed = r["ended_at"], r["confirmed_at"]
    return Segment(
        r["id"],
        r["session_id"],
        r["code"],
        Who(r["who"]),
        from_text(r["started_at"]),
        from_text(end) if end else None,
        from_text(confirmed) if confirmed else None,
    )
