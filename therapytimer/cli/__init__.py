"""The command line: parse, build the context, call a use case, print. With no command, the window.

`--db` and `--log-level` are accepted before or after any command (`gui` too). Every bad input ends with
exit status 2 and one clear line on stderr. Commands are imported when they run: `therapytimer units`
loads neither Qt nor the storage layer, so it starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import io
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from therapytimer.cli.common import EXIT_USAGE, Parser, UsageError, explained, parse_date
from therapytimer.core.catalog import CatalogError, Discipline
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.rules import Rule
from therapytimer.core.session import Who

if TYPE_CHECKING:
    from therapytimer.core.clock import Clock

DB_HELP = "the database file (default: $THERAPYTIMER_DB, else the user data folder)"
LOG_LEVELS = ("debug", "info", "warning", "error")
QUIET = {"units", "codes"}  # answer from the engine alone: no database, no log


def _command(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command that lives in `therapytimer.cli.<module>`, imported only when it runs."""

    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module(f"therapytimer.cli.{module}"), name)(args))

    return run


def _date_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--date", type=parse_date, default=None, metavar="YYYY-MM-DD", help=help_text)


def _patient_options(parser: argparse.ArgumentParser, discipline_help: str) -> None:
    parser.add_argument("--patient", metavar="ALIAS", help="the patient (default: the session that ran last)")
    parser.add_argument(
        "--discipline", type=str.upper, choices=[d.value for d in Discipline], help=f"PT, OT or SLP: {discipline_help}"
    )


def _year(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) == 4 and 1900 < int(text) < 10000):
        raise argparse.ArgumentTypeError(f"{text!r} is not a year (use YYYY)")
    return int(text)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and one parser per command (parsed intermixed: options may follow codes)."""
    parser = Parser(
        prog="therapytimer", description="Per-code therapy timers and billing units. With no command, opens the window."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--self-test", action="store_true", help="open the window on a temporary database, time a timer, report, exit"
    )
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="how much the log records (default info)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands: dict[str, argparse.ArgumentParser] = {}

    def command(name: str, module: str, func: str, help_text: str, description: str) -> argparse.ArgumentParser:
        made = sub.add_parser(name, help=help_text, description=description)
        made.set_defaults(func=_command(module, func))
        commands[name] = made
        return made

    units = command(
        "units",
        "engine",
        "cmd_units",
        "billable units for minutes per code",
        "Billable units for minutes per code under a payer rule, with the reasons and the next-unit hints.",
    )
    units.add_argument(
        "codes", nargs="*", metavar="CODE[=MIN]", help="a code and its minutes (untimed codes may be bare)"
    )
    units.add_argument(
        "--rule",
        choices=[r.value for r in Rule],
        default=Rule.CMS.value,
        help="cms: Medicare pooled 8-minute rule (default); ama: per-code midpoint rule",
    )
    units.add_argument(
        "--discipline",
        type=str.upper,
        choices=[d.value for d in Discipline],
        help="adds GP/GO/GN and names the assistant modifier (CQ for PT, CO for OT)",
    )
    units.add_argument(
        "--assistant",
        action="append",
        default=[],
        metavar="CODE=MIN",
        help="minutes the assistant furnished alone for a listed code (repeatable)",
    )
    units.add_argument(
        "--prefer",
        action="append",
        default=[],
        metavar="CODE",
        help="in a tie of equal leftover minutes, give the unit to CODE (repeatable, in order)",
    )
    _date_option(units, "date of service, for the codes valid that day (default today)")
    units.add_argument("--json", action="store_true", help="print one JSON object")

    codes = command(
        "codes",
        "engine",
        "cmd_codes",
        "list the code catalog (and check the user catalog)",
        "List the codes valid on a date, with their time shape; loading also validates the user catalog.",
    )
    codes.add_argument("search", nargs="?", help="part of a code number or name")
    _date_option(codes, "list codes valid on this date (default today)")
    codes.add_argument("--all", action="store_true", help="include codes not valid on the date")
    codes.add_argument("--json", action="store_true", help="print a JSON list")

    start = command(
        "start",
        "timers",
        "cmd_start",
        "start (or resume) a code's timer",
        "Start CODE in the patient's open session of today, opening one if there is none (without --patient, "
        "in the session that ran last). In one-at-a-time mode every other timer pauses. Given on a running "
        "timer with another --who, it switches who is treating.",
    )
    start.add_argument("code", metavar="CODE")
    _patient_options(start, "the patient's session of that discipline, or of a new one (default: the settings)")
    start.add_argument("--payer", metavar="NAME", help="the payer profile of a new session (default: settings)")
    start.add_argument("--who", choices=[w.value for w in Who], help="who is treating (default: who treated last)")
    start.add_argument("--provider", metavar="NAME", help="the clinician of a new session (default: the settings)")

    pause = command(
        "pause",
        "timers",
        "cmd_pause",
        "pause a code's timer, a session's, or every timer",
        "Pause CODE, or every timer of the patient's session (without --patient, the session that ran last); "
        "--all pauses every running timer.",
    )
    pause.add_argument("code", nargs="?", metavar="CODE")
    _patient_options(pause, "which of the patient's open sessions, when there are two")
    pause.add_argument("--all", action="store_true", help="pause every running timer, in every session")
    pause.add_argument(
        "--at", metavar="HH:MM", help="stop CODE at this time instead of now (a timer left running: when it ended)"
    )

    confirm = command(
        "confirm",
        "timers",
        "cmd_confirm",
        "still treating: a timer past the forgotten-timer limit counts on",
        "A running timer never bills more than the forgotten-timer limit (90 minutes by default) without the "
        "clinician's say-so: confirm says it is still treating. To stop it when it really ended instead, use "
        "pause CODE --at HH:MM.",
    )
    confirm.add_argument("code", nargs="?", metavar="CODE")
    _patient_options(confirm, "which of the patient's open sessions, when there are two")

    note = command(
        "note",
        "timers",
        "cmd_note",
        "what the treatment note must document for a patient's day",
        "The same text as the window's close summary and Copy for note: total timed code minutes, total "
        "treatment time, every timed code with its minutes (0 units too), the therapist's and the assistant's "
        "minutes on their own lines, untimed services, the rule, the clinician and the treatment times.",
    )
    note.add_argument("--patient", metavar="ALIAS", help="the patient (default: the session that ran last)")
    note.add_argument("--discipline", type=str.upper, choices=[d.value for d in Discipline], help="PT, OT or SLP")
    _date_option(note, "the day (default today)")
    note.add_argument("--json", action="store_true", help="print one JSON object")

    close = command(
        "close",
        "timers",
        "cmd_close",
        "close a session and print its note summary",
        "Stop the session's timers, close it, and print what the treatment note must document.",
    )
    _patient_options(close, "which of the patient's open sessions, when there are two")
    _date_option(close, "the session's date of service, to close an older day's session (default today)")
    close.add_argument(
        "--progress-report", action="store_true", help="the discipline's progress report was written at this visit"
    )
    close.add_argument("--kx", action="store_true", help="add KX to the lines (past the therapy threshold)")

    mark = command(
        "mark",
        "cases",
        "cmd_mark",
        "say a visit's progress report was written, or KX goes on its lines (open or closed)",
        "Record on the patient's session of the day (default today) that the progress report was written, or "
        "that KX goes on its lines; --no-... takes it back. Each change is kept in the session's history.",
    )
    _patient_options(mark, "which of the patient's sessions, when there are two")
    _date_option(mark, "the session's date of service (default today)")
    mark.add_argument(
        "--progress-report", action=argparse.BooleanOptionalAction, default=None, help="the progress report written"
    )
    mark.add_argument("--kx", action=argparse.BooleanOptionalAction, default=None, help="KX on the lines")

    case = command(
        "case",
        "cases",
        "cmd_case",
        "a patient's progress-report countdown, plan of care and therapy threshold",
        "Treatment days in the year and since the last progress report, the plan of care's days left, and "
        "the estimated Medicare allowed amount against the year's therapy threshold (PT and SLP together, OT "
        "apart), counted from this app's sessions of the alias only.",
    )
    case.add_argument("patient", metavar="ALIAS")
    case.add_argument("--year", type=_year, metavar="YYYY", help="the calendar year (default this year)")
    case.add_argument("--json", action="store_true", help="print one JSON object")

    poc = command(
        "plan-of-care",
        "cases",
        "cmd_plan_of_care",
        "enter, correct, remove or list a patient's certified plan-of-care periods",
        "A plan of care is certified for at most 90 calendar days (both ends counted). Entering a period with "
        "the same start as an entered one corrects its end. Without dates, lists the patient's periods.",
    )
    poc.add_argument("patient", metavar="ALIAS")
    poc.add_argument("--discipline", type=str.upper, choices=[d.value for d in Discipline], help="PT, OT or SLP")
    poc.add_argument("--start", type=parse_date, metavar="YYYY-MM-DD", help="the first certified day")
    poc.add_argument("--end", type=parse_date, metavar="YYYY-MM-DD", help="the last certified day")
    poc.add_argument("--remove", action="store_true", help="remove the period starting --start")

    status = command(
        "status",
        "timers",
        "cmd_status",
        "the day's sessions, their timers and live units",
        "The sessions of the day (default today), their timers with exact seconds, and the day's units.",
    )
    _date_option(status, "the day (default today)")
    status.add_argument("--json", action="store_true", help="print one JSON object")

    imp = command(
        "import",
        "records",
        "cmd_import",
        "add sessions from a therapytimer-sessions/1 JSON file",
        "Add sessions recorded elsewhere. All or nothing: the whole file is checked first; "
        "sessions whose id is already stored are skipped.",
    )
    imp.add_argument("file", metavar="FILE.json")

    export = command(
        "export",
        "records",
        "cmd_export",
        "the day's billable lines as CSV (or a JSON backup of the day's sessions)",
        "The day's billable lines for the biller, one row per patient, discipline, code and "
        "modifier set; or, with --format json, the day's sessions in the import format.",
    )
    _date_option(export, "day (default today)")
    export.add_argument("--out", metavar="FILE", help="write here (atomically) instead of to standard output")
    export.add_argument("--format", choices=["csv", "json"], default="csv", help="csv (default) or json")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.add_argument(
        "--allow-open",
        action="store_true",
        help="export a day with open sessions or running timers anyway (they are named on stderr)",
    )

    check = command(
        "check",
        "records",
        "cmd_check",
        "the day checks: what could make the day's bill wrong",
        "Open sessions, running timers and timers past the forgotten-timer limit; minutes above the clock time "
        "they fit in; units above a code's per-day limit (MUE); more than four timed units an hour; sessions "
        "with no clinician. Exit 0 when the day is clean, 1 when there are findings.",
    )
    _date_option(check, "the day (default today)")
    check.add_argument("--json", action="store_true", help="print one JSON object")

    week = command(
        "week",
        "records",
        "cmd_week",
        "the week's sessions, minutes, units and estimated revenue per day and code",
        "Totals per day and per code for the week containing the date.",
    )
    _date_option(week, "a day in the week (default today)")
    week.add_argument(
        "--week-start", choices=["monday", "sunday"], help="first day of the week (default: the settings, else monday)"
    )
    week.add_argument("--json", action="store_true", help="print one JSON object")

    backup = command(
        "backup",
        "records",
        "cmd_backup",
        "a consistent copy of the database, even while the window is open",
        "Copy the whole database to FILE using SQLite's online backup (safe while the app runs).",
    )
    backup.add_argument("--out", required=True, metavar="FILE", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")

    restore = command(
        "restore",
        "records",
        "cmd_restore",
        "replace the database with a backup (timers paused, the current one saved first)",
        "Replace the database with a backup made by 'backup'. Every timer is paused and the current "
        "database is copied to the backups folder beside it first.",
    )
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--yes", action="store_true", help="confirm: replace the current database")

    command(
        "init",
        "records",
        "cmd_init",
        "make a new, empty database at --db (or the default place)",
        "Create a new TherapyTimer database. The file must not exist yet, or be empty (0 bytes): "
        "no other command turns an existing empty file into a database, so a damaged one is never mistaken "
        "for an empty day. A file that already is a TherapyTimer database is left as it is.",
    )
    command("gui", "window", "cmd_gui", "open the window (the same as giving no command)", "Open the window.")

    for made in commands.values():  # --db and --log-level after the command too
        made.add_argument("--db", metavar="PATH", help=DB_HELP, default=argparse.SUPPRESS)
        made.add_argument("--log-level", choices=LOG_LEVELS, default=argparse.SUPPRESS, help="how much the log records")
    return parser, commands


def _command_index(argv: Sequence[str]) -> int:
    """Where the command word is, skipping global options (and the values of --db and --log-level)."""
    i = 0
    while i < len(argv):
        if argv[i] in ("--db", "--log-level"):
            i += 2
        elif argv[i].startswith("-"):
            i += 1
        else:
            return i
    return len(argv)


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Run the command line; `clock` lets a test drive the timers with a fake clock."""
    for stream in (sys.stdout, sys.stderr):
        # Redirected on Windows, output is in the ANSI code page (cp1252 has no "→" or "●"): a character it
        # cannot hold is written as \u2192, never a traceback instead of the answer.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser, commands = build_parser()
        at = _command_index(argv)
        top = parser.parse_args(argv[:at])  # global options only; the command parses its own arguments
        if top.version:
            from therapytimer import version

            print(f"therapytimer {version()}")
            return 0
        if top.self_test:
            from therapytimer.ui.app import self_test

            return self_test()
        name = argv[at] if at < len(argv) else "gui"
        if name not in commands:
            parser.error(f"argument COMMAND: invalid choice: {name!r} (choose from {', '.join(commands)})")
        args = commands[name].parse_intermixed_args(argv[at + 1 :])
        args.command = name
        args.db = getattr(args, "db", top.db)
        args.log_level = getattr(args, "log_level", None) or top.log_level or "info"
        return _run(args, clock)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace, clock: Clock | None) -> int:
    """Build the context the command needs and run it; problems from below become one line, exit 2."""
    from therapytimer.services.context import build_context

    try:
        args.context = build_context(args.db, clock=clock, strict_catalog=args.command != "gui")
        if args.command not in QUIET:
            from therapytimer.services.logs import setup_logging

            setup_logging(args.context.log_dir, args.log_level)
        return int(args.func(args))
    except CatalogError as exc:
        from therapytimer.core.compliance import ComplianceError  # a CatalogError too: the MUE file

        what = "your MUE file" if isinstance(exc, ComplianceError) else "the code catalog"
        print(f"therapytimer: {what} has problems; fix them and try again:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    except TherapyTimerError as exc:
        print(explained(exc), file=sys.stderr)
        return EXIT_USAGE
    except UsageError:  # bad input found by the command itself: main prints it (exit 2), not a bug
        raise
    except Exception:  # a bug: one line here, the traceback in the log a clinic can send
        import logging

        logging.getLogger("therapytimer").exception("%s failed", args.command)
        folder = getattr(getattr(args, "context", None), "log_dir", "the log folder")
        print(
            f"therapytimer: {args.command} failed unexpectedly; the details are in the log in {folder}", file=sys.stderr
        )
        return 1


def gui_main() -> int:
    """`therapytimer-gui`: the window (no console on Windows), with the same options as `therapytimer`."""
    return main(["gui", *sys.argv[1:]])
