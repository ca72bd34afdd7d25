"""The commands that use the database: import, export and week.

Imported by `cli` only when one of them runs, so `therapytimer units` never loads SQLite. Every problem
(bad file, bad date, a database that is not one) ends with exit status 2 and a clear message, with the
data unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from therapytimer.cli import UsageError, _table
from therapytimer.core.catalog import Catalog, CodeError, load_catalog
from therapytimer.core.clock import SystemClock
from therapytimer.core.exchange import ExchangeError, dump_sessions, parse_sessions
from therapytimer.core.export import ExportError, rows, to_csv, write_atomic
from therapytimer.core.reports import bill_day, week_bounds, week_report
from therapytimer.core.rules import RuleInputError
from therapytimer.core.session import Session
from therapytimer.core.settings import Settings
from therapytimer.core.words import plural
from therapytimer.paths import settings_path
from therapytimer.storage.database import StoreError, check_location, default_db_path, open_database
from therapytimer.storage.store import Store


def run(name: str, args: argparse.Namespace) -> int:
    """Run a command; storage problems found while reading, and a standard output that cannot be
    written (full disk, closed pipe), end with exit 2 and one clear message, never a traceback."""
    commands = {"cmd_import": cmd_import, "cmd_export": cmd_export, "cmd_week": cmd_week}
    command = (commands | {"cmd_backup": cmd_backup, "cmd_restore": cmd_restore, "cmd_init": cmd_init})[name]
    try:
        return command(args)
    except StoreError as exc:
        return _fail(f"therapytimer: {exc}")
    except OSError as exc:
        return _fail(f"therapytimer: cannot write the output ({exc.strerror or exc}); nothing was lost")


def _db_path(args: argparse.Namespace) -> Path:
    if args.db is not None and not args.db.strip():
        raise UsageError("therapytimer: --db needs a file name")
    return Path(args.db) if args.db else default_db_path()


def _store(args: argparse.Namespace, catalog: Catalog, *, create: bool = False) -> Store:
    """Open the database. Only commands that record data create one, and only where no file is: a
    mistyped --db, an empty file or another program's database must not look like an empty day."""
    try:
        return Store.open(_db_path(args), SystemClock(), catalog, create=create)
    except StoreError as exc:
        raise UsageError(f"therapytimer: {exc}") from None


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except IsADirectoryError:
        return _fail(f"import: {path} is a folder; give a .json file")
    except UnicodeDecodeError:
        return _fail(f"import: {path} is not UTF-8 text; nothing was imported")
    except OSError as exc:
        return _fail(f"import: {path} cannot be read ({exc.strerror}); nothing was imported")
    catalog = load_catalog()
    try:
        sessions = parse_sessions(text, catalog)
    except ExchangeError as exc:
        count = len(exc.problems)
        print(f"import: {path}: nothing was imported; {plural(count, 'problem')}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    store = _store(args, catalog, create=True)
    try:
        added, skipped = store.import_sessions(sessions)
    except StoreError as exc:
        return _fail(f"import: {exc}")
    finally:
        store.close()
    print(f"Imported {path}: {plural(added, 'session')} added, {skipped} skipped (already stored).")
    return 0


def _running_note(sessions: list[Session], now: datetime) -> None:
    running = [seg for s in sessions for seg in s.running()]
    if running:
        forgotten = sum(len(s.forgotten(now)) for s in sessions)
        extra = f", {forgotten} of them for over 90 min (probably forgotten: check them)" if forgotten else ""
        print(
            f"note: {len(running)} timer(s) still running{extra}; their minutes are counted up to now",
            file=sys.stderr,
        )


def cmd_export(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    clock = SystemClock()
    day = args.date or clock.today()
    store = _store(args, catalog)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and out.resolve() == store.path.resolve():
        store.close()
        return _fail(f"export: {out} is the database itself; choose another file name")
    try:
        sessions = store.sessions_on(day)
    finally:
        store.close()
    now = clock.now()
    _running_note(sessions, now)
    if args.format == "json":
        data = (json.dumps(dump_sessions(sessions, now), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    else:
        try:
            data = to_csv(rows(bill_day(sessions, catalog, now)))
        except (CodeError, RuleInputError) as exc:
            return _fail(f"export: {exc}; fix the catalog or the session to export this day")
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        write_atomic(out, data, force=args.force)
    except ExportError as exc:
        return _fail(f"export: {exc}")
    print(f"Wrote {args.out} ({plural(len(sessions), 'session')} on {day}).", file=sys.stderr)
    return 0


def cmd_week(args: argparse.Namespace) -> int:
    settings, problems = Settings.load(settings_path())
    catalog, fee_problems = load_catalog().with_fees(settings.fees)
    for note in [*problems, *fee_problems]:
        print(f"note: {note}", file=sys.stderr)
    clock = SystemClock()
    try:
        first, last = week_bounds(args.date or clock.today(), args.week_start)
    except ValueError as exc:
        return _fail(f"week: {exc}")
    store = _store(args, catalog)
    try:
        sessions = store.sessions_between(first, last)
    finally:
        store.close()
    try:
        report = week_report(sessions, catalog, clock.now(), first, last)
    except (CodeError, RuleInputError) as exc:
        return _fail(f"week: {exc}; fix the catalog or the session")
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return 0
    totals = report.totals
    out = [f"Week {first.strftime('%a %Y-%m-%d')} to {last.strftime('%a %Y-%m-%d')}", ""]
    table = [("DAY", "SESSIONS", "TIMED MIN", "UNITS", "EST. REVENUE")]
    for d in report.days:
        table.append(
            (d.date.strftime("%a %Y-%m-%d"), str(d.sessions), str(d.timed_minutes), str(d.units), f"${d.revenue:,.2f}")
        )
    table.append(
        ("Week", str(totals.sessions), str(totals.timed_minutes), str(totals.units), f"${totals.revenue:,.2f}")
    )
    out += _table(table, {1, 2, 3, 4})
    if totals.codes:
        codes = [("CODE", "NAME", "MIN", "UNITS")]
        for code, t in sorted(totals.codes.items()):
            codes.append((code, catalog.get(code).short_name, str(t.minutes), str(t.units)))
        out += ["", *_table(codes, {2, 3})]
    if totals.missing_fees:
        out += ["", f"No default fee for {', '.join(totals.missing_fees)}: not in the revenue estimate."]
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    store = _store(args, load_catalog())
    try:
        target = store.backup(Path(args.out), force=args.force)
    finally:
        store.close()
    print(f"Backed up {store.path} to {target}.")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """A new, empty database where the user says: a new file, or an empty one named for it."""
    path = _db_path(args)
    try:
        existed = check_location(path)
        open_database(path, init=True).conn.close()
    except StoreError as exc:
        return _fail(f"init: {exc}")
    print(f"{'Ready' if existed else 'Created'}: {path} is a TherapyTimer database.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    if not args.yes:
        return _fail("restore: this replaces your database with the backup; add --yes to confirm")
    store = _store(args, load_catalog())
    try:
        safety = store.restore(Path(args.file))
    finally:
        store.close()
    print(f"Restored {args.file}. The database as it was is saved in {safety}.")
    return 0
