"""The day's and the week's records: import, the day's export, the week report, backup and restore.

Written once for both faces: the window's Day, Week and Data menu and the command line's `import`,
`export`, `week`, `backup` and `restore` call these, so they cannot drift apart (a restore always pauses
the timers first; the week starts where the settings say unless asked otherwise).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from therapytimer.core import checks
from therapytimer.core.checks import Finding
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.exchange import ExchangeError, dump_sessions, parse_sessions
from therapytimer.core.export import ExportError, rows, to_csv, write_atomic
from therapytimer.core.reports import WeekReport, bill_day, week_bounds, week_report
from therapytimer.core.session import Session
from therapytimer.core.words import plural
from therapytimer.services.cases import Cases
from therapytimer.services.context import Context
from therapytimer.services.timers import Timers
from therapytimer.storage.backup import is_live_file
from therapytimer.storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Imported:
    added: int
    skipped: int  # already stored (same id)


class UnfinishedDay(TherapyTimerError):
    """The day still has open sessions or running timers: exporting it would bill what is not done."""

    def __init__(self, day: date, findings: list[Finding]) -> None:
        super().__init__(f"{day} is not finished: {plural(len(findings), 'thing')} still open or running")
        self.day = day
        self.findings = findings


@dataclass(frozen=True)
class DayLines:
    """A day's sessions, its billable lines exactly as the CSV has them, and what is not finished."""

    day: date
    sessions: list[Session]
    lines: list[tuple[str, ...]]
    now: datetime
    unfinished: list[Finding]


class Records:
    def __init__(self, store: Store, timers: Timers, context: Context, cases: Cases) -> None:
        self._store = store
        self.timers = timers
        self.context = context
        self.cases = cases

    def import_text(self, text: str) -> Imported:
        """Add the sessions of a `therapytimer-sessions/1` document: all or nothing (ExchangeError lists
        every problem with its place)."""
        sessions = parse_sessions(text, self.context.catalog, self.context.compliance)
        added, skipped = self._store.import_sessions(sessions, self.context.clock.now())
        self.timers.forget()
        log.info("import: %d sessions added, %d skipped", added, skipped)
        return Imported(added, skipped)

    def import_file(self, path: Path) -> Imported:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except IsADirectoryError:
            raise ExchangeError([f"{path} is a folder; give a .json file"]) from None
        except UnicodeDecodeError:
            raise ExchangeError([f"{path} is not UTF-8 text"]) from None
        except OSError as exc:
            raise ExchangeError([f"{path} cannot be read ({exc.strerror})"]) from None
        return self.import_text(text)

    def day(self, day: date) -> DayLines:
        """The day's billable lines (a running timer counted up to now, and never past the forgotten-timer
        limit without a "still treating"); timers whose day is over are stopped first."""
        self.timers.settle()
        clock, limit = self.context.clock, self.context.prefs.forgotten_after
        now = clock.now()
        sessions = self.timers.sessions_on(day)
        lines = rows(bill_day(sessions, self.context.catalog, now, limit, self.context.compliance))
        return DayLines(day, sessions, lines, now, checks.unfinished(sessions, now, limit, clock.tz))

    def findings(self, day: date) -> list[Finding]:
        """Everything the day checks find (`core.checks`): what the Day view lists, `export` refuses on and
        `therapytimer check` reports."""
        self.timers.settle()
        clock, prefs = self.context.clock, self.context.prefs
        sessions = self.timers.sessions_on(day)
        now, limit = clock.now(), prefs.forgotten_after
        found = checks.day_findings(day, sessions, self.context.catalog, now, limit, clock.tz, prefs.compliance.limit)
        return found + self.cases.findings(day, sessions)

    def _finished(self, day: date, allow_open: bool) -> DayLines:
        lines = self.day(day)
        if lines.unfinished and not allow_open:
            raise UnfinishedDay(day, lines.unfinished)
        return lines

    def export_csv(self, day: date, *, allow_open: bool = False) -> tuple[DayLines, bytes]:
        """The day's CSV for the biller. An unfinished day is refused (UnfinishedDay names what is open)
        unless `allow_open`: then it bills what is recorded, a timer past the limit only up to the limit."""
        lines = self._finished(day, allow_open)
        return lines, to_csv(lines.lines)

    def export_json(self, day: date, *, allow_open: bool = False) -> tuple[DayLines, bytes]:
        """The day's sessions in the import format (a backup that round-trips); refused like the CSV."""
        lines = self._finished(day, allow_open)
        doc = dump_sessions(lines.sessions, lines.now, self.context.prefs.forgotten_after)
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        return lines, text.encode("utf-8")

    def write(self, path: Path, data: bytes, *, force: bool = False) -> None:
        """Write an export atomically, owner-only, never over a file unless `force`, never over the database."""
        if is_live_file(path, self.context.db_path):
            raise ExportError(f"{path} is your database itself; choose another file name")
        write_atomic(path, data, force=force)
        log.info("export written (%d bytes)", len(data))

    def week(self, anchor: date, week_start: str | None = None) -> WeekReport:
        """The week containing `anchor`, starting on the configured day unless `week_start` says."""
        first, last = week_bounds(anchor, week_start or self.context.prefs.settings.week_start)
        sessions = self.timers.sessions_between(first, last)
        now, limit = self.context.clock.now(), self.context.prefs.forgotten_after
        return week_report(
            sessions,
            self.context.catalog,
            now,
            first,
            last,
            limit,
            self.context.compliance,
            clinic_fees=self.context.prefs.settings.fees,
        )

    def backup(self, target: Path, *, force: bool = False) -> Path:
        path = self._store.backup(target, force=force)
        log.info("backup written")
        return path

    def restore(self, backup: Path) -> Path:
        """Replace the data with `backup`. Once the backup has passed its checks every timer is paused, so
        nothing runs on in the data being replaced (a refused backup changes nothing); returns where the
        data as it was is saved."""
        safety = self._store.restore(backup, self.context.clock.now(), before=self.timers.pause_all)
        self.timers.forget()
        log.info("restored a backup; safety copy saved")
        return safety
