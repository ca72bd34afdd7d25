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
from collections.abc import Callable, Collection, Sequence
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


def _units_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("codes", nargs="*", metavar="CODE[=MIN]", help="a code and its minutes (untimed codes may be bare)")
    p.add_argument(
        "--rule",
        choices=[r.value for r in Rule],
        default=Rule.CMS.value,
        help="cms: Medicare pooled 8-minute rule (default); ama: per-code midpoint rule",
    )
    p.add_argument(
        "--discipline",
        type=str.upper,
        choices=[d.value for d in Discipline],
        help="adds GP/GO/GN and names the assistant modifier (CQ for PT, CO for OT)",
    )
    p.add_argument(
        "--assistant",
        action="append",
        default=[],
        metavar="CODE=MIN",
        help="minutes the assistant furnished alone for a listed code (repeatable)",
    )
    p.add_argument(
        "--prefer",
        action="append",
        default=[],
        metavar="CODE",
        help="in a tie of equal leftover minutes, give the unit to CODE (repeatable, in order)",
    )
    _date_option(p, "date of service, for the codes valid that day (default today)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _codes_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("search", nargs="?", help="part of a code number or name")
    _date_option(p, "list codes valid on this date (default today)")
    p.add_argument("--all", action="store_true", help="include codes not valid on the date")
    p.add_argument("--json", action="store_true", help="print a JSON list")


def _start_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("code", metavar="CODE")
    _patient_options(p, "the patient's session of that discipline, or of a new one (default: the settings)")
    p.add_argument("--payer", metavar="NAME", help="the payer profile of a new session (default: settings)")
    p.add_argument("--who", choices=[w.value for w in Who], help="who is treating (default: who treated last)")
    p.add_argument("--provider", metavar="NAME", help="the clinician of a new session (default: the settings)")


def _pause_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("code", nargs="?", metavar="CODE")
    _patient_options(p, "which of the patient's open sessions, when there are two")
    p.add_argument("--all", action="store_true", help="pause every running timer, in every session")
    p.add_argument(
        "--at", metavar="HH:MM", help="stop CODE at this time instead of now (a timer left running: when it ended)"
    )


def _confirm_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("code", nargs="?", metavar="CODE")
    _patient_options(p, "which of the patient's open sessions, when there are two")


def _note_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patient", metavar="ALIAS", help="the patient (default: the session that ran last)")
    p.add_argument("--discipline", type=str.upper, choices=[d.value for d in Discipline], help="PT, OT or SLP")
    _date_option(p, "the day (default today)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _close_arguments(p: argparse.ArgumentParser) -> None:
    _patient_options(p, "which of the patient's open sessions, when there are two")
    _date_option(p, "the session's date of service, to close an older day's session (default today)")
    p.add_argument(
        "--progress-report", action="store_true", help="the discipline's progress report was written at this visit"
    )
    p.add_argument("--kx", action="store_true", help="add KX to the lines (past the therapy threshold)")


def _mark_arguments(p: argparse.ArgumentParser) -> None:
    _patient_options(p, "which of the patient's sessions, when there are two")
    _date_option(p, "the session's date of service (default today)")
    p.add_argument(
        "--progress-report", action=argparse.BooleanOptionalAction, default=None, help="the progress report written"
    )
    p.add_argument("--kx", action=argparse.BooleanOptionalAction, default=None, help="KX on the lines")


def _case_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("patient", metavar="ALIAS")
    p.add_argument("--year", type=_year, metavar="YYYY", help="the calendar year (default this year)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _plan_of_care_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("patient", metavar="ALIAS")
    p.add_argument("--discipline", type=str.upper, choices=[d.value for d in Discipline], help="PT, OT or SLP")
    p.add_argument("--start", type=parse_date, metavar="YYYY-MM-DD", help="the first certified day")
    p.add_argument("--end", type=parse_date, metavar="YYYY-MM-DD", help="the last certified day")
    p.add_argument("--remove", action="store_true", help="remove the period starting --start")


def _status_arguments(p: argparse.ArgumentParser) -> None:
    _date_option(p, "the day (default today)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE.json")


def _export_arguments(p: argparse.ArgumentParser) -> None:
    _date_option(p, "day (default today)")
    p.add_argument("--out", metavar="FILE", help="write here (atomically) instead of to standard output")
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="csv (default) or json")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument(
        "--allow-open",
        action="store_true",
        help="export a day with open sessions or running timers anyway (they are named on stderr)",
    )


def _check_arguments(p: argparse.ArgumentParser) -> None:
    _date_option(p, "the day (default today)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _week_arguments(p: argparse.ArgumentParser) -> None:
    _date_option(p, "a day in the week (default today)")
    p.add_argument(
        "--week-start", choices=["monday", "sunday"], help="first day of the week (default: the settings, else monday)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _backup_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="FILE", help="the backup file to write")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def _restore_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE")
    p.add_argument("--yes", action="store_true", help="confirm: replace the current database")


Arguments = Callable[[argparse.ArgumentParser], None]
# Each command: the module in therapytimer.cli and the function that run it, its help line, its description,
# and what adds its arguments (its parser is built only when it runs, or for the full help).
COMMANDS: dict[str, tuple[str, str, str, str, Arguments | None]] = {
    "units": (
        "engine",
        "cmd_units",
        "billable units for minutes per code",
        "Billable units for minutes per code under a payer rule, with the reasons and the next-unit hints.",
        _units_arguments,
    ),
    "codes": (
        "engine",
        "cmd_codes",
        "list the code catalog (and check the user catalog)",
        "List the codes valid on a date, with their time shape; loading also validates the user catalog.",
        _codes_arguments,
    ),
    "start": (
        "timers",
        "cmd_start",
        "start (or resume) a code's timer",
        "Start CODE in the patient's open session of today, opening one if there is none (without --patient, "
        "in the session that ran last). In one-at-a-time mode every other timer pauses. Given on a running "
        "timer with another --who, it switches who is treating.",
        _start_arguments,
    ),
    "pause": (
        "timers",
        "cmd_pause",
        "pause a code's timer, a session's, or every timer",
        "Pause CODE, or every timer of the patient's session (without --patient, the session that ran last); "
        "--all pauses every running timer.",
        _pause_arguments,
    ),
    "confirm": (
        "timers",
        "cmd_confirm",
        "still treating: a timer past the forgotten-timer limit counts on",
        "A running timer never bills more than the forgotten-timer limit (90 minutes by default) without the "
        "clinician's say-so: confirm says it is still treating. To stop it when it really ended instead, use "
        "pause CODE --at HH:MM.",
        _confirm_arguments,
    ),
    "note": (
        "timers",
        "cmd_note",
        "what the treatment note must document for a patient's day",
        "The same text as the window's close summary and Copy for note: total timed code minutes, total "
        "treatment time, every timed code with its minutes (0 units too), the therapist's and the assistant's "
        "minutes on their own lines, untimed services, the rule, the clinician and the treatment times.",
        _note_arguments,
    ),
    "close": (
        "timers",
        "cmd_close",
        "close a session and print its note summary",
        "Stop the session's timers, close it, and print what the treatment note must document.",
        _close_arguments,
    ),
    "mark": (
        "cases",
        "cmd_mark",
        "say a visit's progress report was written, or KX goes on its lines (open or closed)",
        "Record on the patient's session of the day (default today) that the progress report was written, or "
        "that KX goes on its lines; --no-... takes it back. Each change is kept in the session's history.",
        _mark_arguments,
    ),
    "case": (
        "cases",
        "cmd_case",
        "a patient's progress-report countdown, plan of care and therapy threshold",
        "Treatment days in the year and since the last progress report, the plan of care's days left, and "
        "the estimated Medicare allowed amount against the year's therapy threshold (PT and SLP together, OT "
        "apart), counted from this app's sessions of the alias only.",
        _case_arguments,
    ),
    "plan-of-care": (
        "cases",
        "cmd_plan_of_care",
        "enter, correct, remove or list a patient's certified plan-of-care periods",
        "A plan of care is certified for at most 90 calendar days (both ends counted). Entering a period with "
        "the same start as an entered one corrects its end. Without dates, lists the patient's periods.",
        _plan_of_care_arguments,
    ),
    "status": (
        "timers",
        "cmd_status",
        "the day's sessions, their timers and live units",
        "The sessions of the day (default today), their timers with exact seconds, and the day's units.",
        _status_arguments,
    ),
    "import": (
        "records",
        "cmd_import",
        "add sessions from a therapytimer-sessions/1 JSON file",
        "Add sessions recorded elsewhere. All or nothing: the whole file is checked first; "
        "sessions whose id is already stored are skipped.",
        _import_arguments,
    ),
    "export": (
        "records",
        "cmd_export",
        "the day's billable lines as CSV (or a JSON backup of the day's sessions)",
        "The day's billable lines for the biller, one row per patient, discipline, code and "
        "modifier set; or, with --format json, the day's sessions in the import format.",
        _export_arguments,
    ),
    "check": (
        "records",
        "cmd_check",
        "the day checks: what could make the day's bill wrong",
        "Open sessions, running timers and timers past the forgotten-timer limit; minutes above the clock time "
        "they fit in; units above a code's per-day limit (MUE); more than four timed units an hour; sessions "
        "with no clinician. Exit 0 when the day is clean, 1 when there are findings.",
        _check_arguments,
    ),
    "week": (
        "records",
        "cmd_week",
        "the week's sessions, minutes, units and estimated revenue per day and code",
        "Totals per day and per code for the week containing the date.",
        _week_arguments,
    ),
    "backup": (
        "records",
        "cmd_backup",
        "a consistent copy of the database, even while the window is open",
        "Copy the whole database to FILE using SQLite's online backup (safe while the app runs).",
        _backup_arguments,
    ),
    "restore": (
        "records",
        "cmd_restore",
        "replace the database with a backup (timers paused, the current one saved first)",
        "Replace the database with a backup made by 'backup'. Every timer is paused and the current "
        "database is copied to the backups folder beside it first.",
        _restore_arguments,
    ),
    "init": (
        "records",
        "cmd_init",
        "make a new, empty database at --db (or the default place)",
        "Create a new TherapyTimer database. The file must not exist yet, or be empty (0 bytes): "
        "no other command turns an existing empty file into a database, so a damaged one is never mistaken "
        "for an empty day. A file that already is a TherapyTimer database is left as it is.",
        None,
    ),
    "gui": (
        "window",
        "cmd_gui",
        "open the window (the same as giving no command)",
        "Open the window.",
        None,
    ),
}


def build_parser(
    only: Collection[str] | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and one parser per command (parsed intermixed: options may follow codes).
    `only`: just these commands' parsers (what one run needs; building all 19 costs milliseconds)."""
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
    for name, (module, func, help_text, description, arguments) in COMMANDS.items():
        if only is not None and name not in only:
            continue
        made = sub.add_parser(name, help=help_text, description=description)
        made.set_defaults(func=_command(module, func))
        if arguments is not None:
            arguments(made)
        # --db and --log-level after the command too
        made.add_argument("--db", metavar="PATH", help=DB_HELP, default=argparse.SUPPRESS)
        made.add_argument("--log-level", choices=LOG_LEVELS, default=argparse.SUPPRESS, help="how much the log records")
        commands[name] = made
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
        at = _command_index(argv)
        name = argv[at] if at < len(argv) else "gui"
        helped = any(arg == "-h" or arg.startswith("--h") for arg in argv[:at])  # --help (or --he): lists all
        parser, commands = build_parser(None if helped else {name})
        top = parser.parse_args(argv[:at])  # global options only; the command parses its own arguments
        if top.version:
            from therapytimer import version

            print(f"therapytimer {version()}")
            return 0
        if top.self_test:
            from therapytimer.ui.app import self_test

            return self_test()
        if name not in commands:
            parser.error(f"argument COMMAND: invalid choice: {name!r} (choose from {', '.join(COMMANDS)})")
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
