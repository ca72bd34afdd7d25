"""The day's and the week's records: import, the day's export, the week report, backup and restore.

Written once for both faces: the window's Day, Week and Data menu and the command line's `import`,
`export`, `week`, `backup` and `restore` call these, so they cannot drift apart (a restore always pauses
the timers first; the week starts where the settings say unless asked otherwise).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from therapytimer.core.exchange import ExchangeError, dump_sessions, parse_sessions
from therapytimer.core.export import ExportError, rows, to_csv, write_atomic
from therapytimer.core.reports import WeekReport, bill_day, week_bounds, week_report
from therapytimer.core.session import Session
from therapytimer.services.context import Context
from therapytimer.services.timers import Timers
from therapytimer.storage.backup import is_live_file
from therapytimer.storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Imported:
    added: int
    skipped: int  # already stored (same id)


@dataclass(frozen=True)
class DayLines:
    """A day's sessions and its billable lines exactly as the CSV has them."""

    day: date
    sessions: list[Session]
    lines: list[tuple[str, ...]]
    now: datetime

    @property
    def running(self) -> int:
        return sum(len(s.running()) for s in self.sessions)

    def forgotten(self, after: timedelta) -> int:
        """Running timers longer than `after` (the forgotten-timer limit)."""
        return sum(len(s.forgotten(self.now, after)) for s in self.sessions)


class Records:
    def __init__(self, store: Store, timers: Timers, context: Context) -> None:
        self._store = store
        self.timers = timers
        self.context = context

    def import_text(self, text: str) -> Imported:
        """Add the sessions of a `therapytimer-sessions/1` document: all or nothing (ExchangeError lists
        every problem with its place)."""
        sessions = parse_sessions(text, self.context.catalog)
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
        """The day's billable lines (a running timer counted up to now)."""
        now = self.context.clock.now()
        sessions = self.timers.sessions_on(day)
        return DayLines(day, sessions, rows(bill_day(sessions, self.context.catalog, now)), now)

    def export_csv(self, day: date) -> tuple[DayLines, bytes]:
        lines = self.day(day)
        return lines, to_csv(lines.lines)

    def export_json(self, day: date) -> tuple[DayLines, bytes]:
        """The day's sessions in the import format (a backup that round-trips)."""
        lines = self.day(day)
        text = json.dumps(dump_sessions(lines.sessions, lines.now), ensure_ascii=False, indent=2) + "\n"
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
        return week_report(sessions, self.context.catalog, self.context.clock.now(), first, last)

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
