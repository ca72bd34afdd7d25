"""import, export, week, backup, restore and init: the records use cases, printed for a terminal.

Every problem (a bad file, a bad date, a database that is not one, an output that cannot be written)
ends with exit status 2 and one clear message, with the data unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from therapytimer.cli.common import explained, fail, table
from therapytimer.core.catalog import CodeError
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.exchange import ExchangeError
from therapytimer.core.words import plural
from therapytimer.services.records import UnfinishedDay
from therapytimer.services.workspace import Workspace, init_database


def _with_workspace(
    args: argparse.Namespace, act: Callable[[Workspace], int], *, create: bool = False, name: str = ""
) -> int:
    """Open the database (only `import` may create it), run `act`, close. A standard output that cannot
    be written (a full disk, a closed pipe) is one clear line too, never a traceback."""
    workspace = Workspace.open(args.context, create=create)
    try:
        return act(workspace)
    except CodeError as exc:  # a stored session names a code the catalog lacks (or not on its date)
        return fail(f"{explained(exc, name or args.command)}; fix the catalog or the session")
    except TherapyTimerError as exc:
        return fail(explained(exc, name or args.command))
    except OSError as exc:
        return fail(f"therapytimer: cannot write the output ({exc.strerror or exc}); nothing was lost")
    finally:
        workspace.close()


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)

    def run(workspace: Workspace) -> int:
        try:
            done = workspace.records.import_file(path)
        except ExchangeError as exc:
            print(f"import: {path}: nothing was imported; {plural(len(exc.problems), 'problem')}:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 2
        print(f"Imported {path}: {plural(done.added, 'session')} added, {done.skipped} skipped (already stored).")
        return 0

    return _with_workspace(args, run, create=True)


def cmd_export(args: argparse.Namespace) -> int:
    def run(workspace: Workspace) -> int:
        out = Path(args.out) if args.out else None
        day = args.date or args.context.clock.today()
        records = workspace.records
        try:
            export = records.export_json if args.format == "json" else records.export_csv
            lines, data = export(day, allow_open=args.allow_open)
        except UnfinishedDay as exc:
            print(f"export: {exc}; nothing was exported. Close them first, or add --allow-open:", file=sys.stderr)
            for finding in exc.findings:
                print(f"  {finding.message}", file=sys.stderr)
            return 2
        if lines.unfinished:
            print(
                f"note: exported with {plural(len(lines.unfinished), 'thing')} not finished (running timers count "
                "up to now, and never past the forgotten-timer limit without a confirmation):",
                file=sys.stderr,
            )
            for finding in lines.unfinished:
                print(f"  {finding.message}", file=sys.stderr)
        if out is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return 0
        records.write(out, data, force=args.force)
        print(f"Wrote {args.out} ({plural(len(lines.sessions), 'session')} on {day}).", file=sys.stderr)
        return 0

    return _with_workspace(args, run)


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when the day is clean, 1 when it has findings (2 is bad input, as everywhere)."""

    def run(workspace: Workspace) -> int:
        day = args.date or args.context.clock.today()
        findings = workspace.records.findings(day)
        if args.json:
            print(
                json.dumps({"date": day.isoformat(), "findings": [f.to_dict() for f in findings]}, ensure_ascii=False)
            )
        elif findings:
            print(f"{day}: {plural(len(findings), 'finding')}")
            for f in findings:
                print(f"  {f.severity.value:<7}  {f.kind.value:<17}  {f.message}")
        else:
            print(f"{day}: clean (every session closed, no timer running, nothing to look at)")
        return 1 if findings else 0

    return _with_workspace(args, run)


def cmd_week(args: argparse.Namespace) -> int:
    for note in args.context.problems:
        print(f"note: {note}", file=sys.stderr)

    def run(workspace: Workspace) -> int:
        report = workspace.records.week(args.date or args.context.clock.today(), args.week_start)
        if args.json:
            print(json.dumps(report.to_dict(), ensure_ascii=False))
            return 0
        catalog = args.context.catalog
        totals = report.totals
        out = [f"Week {report.week_start.strftime('%a %Y-%m-%d')} to {report.week_end.strftime('%a %Y-%m-%d')}", ""]
        rows = [("DAY", "SESSIONS", "TIMED MIN", "UNITS", "EST. REVENUE")]
        for d in report.days:
            rows.append(
                (
                    d.date.strftime("%a %Y-%m-%d"),
                    str(d.sessions),
                    str(d.timed_minutes),
                    str(d.units),
                    f"${d.revenue:,.2f}",
                )
            )
        rows.append(
            ("Week", str(totals.sessions), str(totals.timed_minutes), str(totals.units), f"${totals.revenue:,.2f}")
        )
        out += table(rows, {1, 2, 3, 4})
        if totals.codes:
            codes = [("CODE", "NAME", "MIN", "UNITS")]
            for code, t in sorted(totals.codes.items()):
                codes.append((code, catalog.get(code).short_name, str(t.minutes), str(t.units)))
            out += ["", *table(codes, {2, 3})]
        if totals.notes:
            out += ["", f"Revenue {'; '.join(totals.notes)} (Medicare's RVUs with MPPR; your fee table overrides)."]
        if totals.missing_fees:
            out += ["", f"No default fee for {', '.join(totals.missing_fees)}: not in the revenue estimate."]
        sys.stdout.write("\n".join(out) + "\n")
        sys.stdout.flush()
        return 0

    return _with_workspace(args, run)


def cmd_backup(args: argparse.Namespace) -> int:
    def run(workspace: Workspace) -> int:
        target = workspace.records.backup(Path(args.out), force=args.force)
        print(f"Backed up {workspace.db_path} to {target}.")
        return 0

    return _with_workspace(args, run)


def cmd_restore(args: argparse.Namespace) -> int:
    if not args.yes:
        return fail("restore: this replaces your database with the backup; add --yes to confirm")

    def run(workspace: Workspace) -> int:
        safety = workspace.records.restore(Path(args.file))
        print(f"Restored {args.file}. Every timer was paused first. The database as it was is saved in {safety}.")
        return 0

    return _with_workspace(args, run)


def cmd_init(args: argparse.Namespace) -> int:
    """A new, empty database where the user says: a new file, or an empty one named for it."""
    path = args.context.db_path
    try:
        existed = init_database(path)
    except TherapyTimerError as exc:
        return fail(explained(exc, "init"))
    print(f"{'Ready' if existed else 'Created'}: {path} is a TherapyTimer database.")
    return 0
