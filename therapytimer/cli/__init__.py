"""The command line: headless commands, and the window when given no command.

`units` answers from the catalog and the rules engine alone: it imports neither Qt nor the storage
layer, so it starts fast. Every bad input ends with exit status 2 and one clear line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from therapytimer.core.catalog import CODE_PATTERN, Catalog, CatalogError, CodeError, Discipline, load_catalog
from therapytimer.core.guidance import next_units
from therapytimer.core.rules import MAX_MINUTES, Rule, RuleInputError, Service, UnitResult, compute
from therapytimer.paths import user_catalog_path

EXIT_USAGE = 2
DB_HELP = "the database file (default: $THERAPYTIMER_DB, else the user data folder)"
NAME_WIDTH = 48  # the built-in names fit; longer user names are shortened with an ellipsis


class UsageError(Exception):
    """Bad input on the command line: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def _parse_code_minutes(arg: str, *, need_minutes: bool, label: str = "") -> tuple[str, int | None]:
    """`97110=23` → ("97110", 23); `97161` → ("97161", None). Raises UsageError naming `arg`."""
    where = f"{label}{arg}"
    code, sep, minutes = arg.partition("=")
    code = code.strip().upper()
    if not CODE_PATTERN.match(code):
        raise UsageError(f"{where}: {code!r} is not a code (5 characters: five digits, or a letter and four digits)")
    if not sep:
        if need_minutes:
            raise UsageError(f"{where}: give the minutes as {code}=MIN")
        return code, None
    minutes = minutes.strip()
    if not (minutes.isascii() and minutes.isdecimal()) or len(minutes) > 4 or int(minutes) > MAX_MINUTES:
        raise UsageError(f"{where}: minutes must be a whole number from 0 to {MAX_MINUTES}")
    return code, int(minutes)


def _services(args: argparse.Namespace, catalog: Catalog) -> list[Service]:
    if not args.codes:
        raise UsageError("units: give at least one code, e.g. therapytimer units 97110=23")
    minutes: dict[str, int] = {}
    specs = {}
    for arg in args.codes:
        code, value = _parse_code_minutes(arg, need_minutes=False)
        if code in minutes:
            raise UsageError(f"{arg}: {code} is given twice; give each code once")
        if code not in catalog:
            raise UsageError(f"{arg}: {code} is not in the code catalog (list codes with: therapytimer codes)")
        try:
            spec = catalog.lookup(code, args.date)
        except CodeError as exc:
            raise UsageError(f"{arg}: {exc}") from None
        if value is None and spec.timed:
            raise UsageError(f"{arg}: {code} is a timed code; give its minutes as {code}=MIN")
        minutes[code], specs[code] = value or 0, spec
    assistant: dict[str, int] = {}
    for arg in args.assistant:
        code, value = _parse_code_minutes(arg, need_minutes=True, label="--assistant ")
        if code not in minutes:
            raise UsageError(f"--assistant {arg}: {code} is not among the codes given; list it too, e.g. {code}=0")
        if code in assistant:
            raise UsageError(f"--assistant {arg}: {code} is given twice")
        assistant[code] = value or 0
    for code in args.prefer:
        if code.upper() not in minutes:
            raise UsageError(f"--prefer {code}: not among the codes given")
    return [Service(specs[c], m, assistant.get(c, 0)) for c, m in minutes.items()]


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _human(result: UnitResult, hints: list[str], day: date) -> str:
    parts = [result.rule.long_name, day.isoformat()] + ([result.discipline.value] if result.discipline else [])
    head = " · ".join(parts)
    rows = [("CODE", "NAME", "MIN", "UNITS", "MODIFIERS")]
    for ln in result.lines:
        name = ln.short_name if len(ln.short_name) <= NAME_WIDTH else ln.short_name[: NAME_WIDTH - 1] + "…"
        rows.append((ln.code, name, str(ln.minutes), str(ln.units), " ".join(ln.modifiers)))
    out = [head, "", *_table(rows, {2, 3}), ""]
    out.append(
        f"Total timed minutes {result.total_timed_minutes} · total treatment minutes "
        f"{result.total_treatment_minutes} · total units {result.total_units}"
    )
    sections = [("Why", list(result.explanation)), ("Next unit", hints), ("Warnings", list(result.warnings))]
    for title, items in sections:
        if items:
            out += ["", title, *(f"  - {item}" for item in items)]
    return "\n".join(out)


def cmd_units(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    services = _services(args, catalog)
    discipline = Discipline(args.discipline) if args.discipline else None
    prefer = [c.upper() for c in args.prefer]
    try:
        result = compute(services, Rule(args.rule), catalog, discipline=discipline, prefer=prefer)
    except RuleInputError as exc:
        raise UsageError(f"units: {exc}") from None
    hints = next_units(services, Rule(args.rule), catalog, discipline=discipline, prefer=prefer)
    if args.json:
        payload = result.to_dict()
        payload["date"] = args.date.isoformat()
        payload["next_unit"] = [h.to_dict() for h in hints]
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(_human(result, [h.text() for h in hints], args.date))
    return 0


def cmd_codes(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    specs = catalog.search(args.search or "", None if args.all else args.date)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "code": s.code,
                        "short_name": s.short_name,
                        "kind": s.kind.value,
                        "shape": s.shape(),
                        "disciplines": s.discipline_text().split(),
                        "valid_from": s.valid_from.isoformat() if s.valid_from else None,
                        "valid_to": s.valid_to.isoformat() if s.valid_to else None,
                        "default_fee_usd": str(s.default_fee) if s.default_fee is not None else None,
                        "source": s.source,
                    }
                    for s in specs
                ],
                ensure_ascii=False,
            )
        )
        return 0
    rows = [("CODE", "NAME", "SHAPE", "FOR", "FEE", "DATES")]
    for s in specs:
        fee = f"{s.default_fee:.2f}" if s.default_fee is not None else "-"
        rows.append((s.code, s.short_name, s.shape(), s.discipline_text(), fee, s.validity()))
    print("\n".join(_table(rows, {4})))
    path = user_catalog_path()
    state = "loaded" if path.exists() else "not present"
    print(f"\n{len(specs)} codes. User catalog ({state}): {path}")
    return 0


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and one parser per command (parsed intermixed: options may follow codes)."""
    parser = _Parser(
        prog="therapytimer", description="Per-code therapy timers and billing units. With no command, opens the window."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--self-test", action="store_true", help="open the window on a temporary database, time a timer, report, exit"
    )
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    units = sub.add_parser(
        "units",
        help="billable units for minutes per code",
        description=(
            "Billable units for minutes per code under a payer rule, with the reasons and the next-unit hints."
        ),
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
    units.add_argument(
        "--date",
        type=_parse_date,
        default=date.today(),
        metavar="YYYY-MM-DD",
        help="date of service, for the codes valid that day (default today)",
    )
    units.add_argument("--json", action="store_true", help="print one JSON object")
    units.set_defaults(func=cmd_units)

    codes = sub.add_parser(
        "codes",
        help="list the code catalog (and check the user catalog)",
        description=("List the codes valid on a date, with their time shape; loading also validates the user catalog."),
    )
    codes.add_argument("search", nargs="?", help="part of a code number or name")
    codes.add_argument(
        "--date",
        type=_parse_date,
        default=date.today(),
        metavar="YYYY-MM-DD",
        help="list codes valid on this date (default today)",
    )
    codes.add_argument("--all", action="store_true", help="include codes not valid on the date")
    codes.add_argument("--json", action="store_true", help="print a JSON list")
    codes.set_defaults(func=cmd_codes)

    imp = sub.add_parser(
        "import",
        help="add sessions from a therapytimer-sessions/1 JSON file",
        description="Add sessions recorded elsewhere. All or nothing: the whole file is checked first; "
        "sessions whose id is already stored are skipped.",
    )
    imp.add_argument("file", metavar="FILE.json")
    imp.set_defaults(func=_data_command("cmd_import"))

    export = sub.add_parser(
        "export",
        help="the day's billable lines as CSV (or a JSON backup of the day's sessions)",
        description="The day's billable lines for the biller, one row per patient, discipline, code and "
        "modifier set; or, with --format json, the day's sessions in the import format.",
    )
    export.add_argument("--date", type=_parse_date, default=None, metavar="YYYY-MM-DD", help="day (default today)")
    export.add_argument("--out", metavar="FILE", help="write here (atomically) instead of to standard output")
    export.add_argument("--format", choices=["csv", "json"], default="csv", help="csv (default) or json")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(func=_data_command("cmd_export"))

    week = sub.add_parser(
        "week",
        help="the week's sessions, minutes, units and estimated revenue per day and code",
        description="Totals per day and per code for the week containing the date.",
    )
    week.add_argument(
        "--date", type=_parse_date, default=None, metavar="YYYY-MM-DD", help="a day in the week (default today)"
    )
    week.add_argument("--week-start", choices=["monday", "sunday"], default="monday", help="first day of the week")
    week.add_argument("--json", action="store_true", help="print one JSON object")
    week.set_defaults(func=_data_command("cmd_week"))

    backup = sub.add_parser(
        "backup",
        help="a consistent copy of the database, even while the window is open",
        description="Copy the whole database to FILE using SQLite's online backup (safe while the app runs).",
    )
    backup.add_argument("--out", required=True, metavar="FILE", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(func=_data_command("cmd_backup"))

    restore = sub.add_parser(
        "restore",
        help="replace the database with a backup (the current one is saved first)",
        description="Replace the database with a backup made by 'backup'. The current database is copied to "
        "the backups folder beside it first.",
    )
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--yes", action="store_true", help="confirm: replace the current database")
    restore.set_defaults(func=_data_command("cmd_restore"))

    init = sub.add_parser(
        "init",
        help="make a new, empty database at --db (or the default place)",
        description="Create a new TherapyTimer database. The file must not exist yet, or be empty (0 bytes): "
        "no other command turns an existing empty file into a database, so a damaged one is never mistaken "
        "for an empty day. A file that already is a TherapyTimer database is left as it is.",
    )
    init.set_defaults(func=_data_command("cmd_init"))

    for command in (imp, export, week, backup, restore, init):
        command.add_argument("--db", metavar="PATH", help=DB_HELP, default=argparse.SUPPRESS)

    gui = sub.add_parser("gui", help="open the window (the same as giving no command)")
    gui.set_defaults(func=lambda _args: _run_gui())
    commands: dict[str, argparse.ArgumentParser] = {"units": units, "codes": codes, "import": imp, "export": export}
    return parser, commands | {"week": week, "backup": backup, "restore": restore, "init": init, "gui": gui}


def _data_command(name: str) -> Callable[[argparse.Namespace], int]:
    """Commands that use the database live in cli_data, imported only when one of them runs."""

    def run(args: argparse.Namespace) -> int:
        from therapytimer import cli_data

        return cli_data.run(name, args)

    return run


def _command_index(argv: Sequence[str]) -> int:
    """Where the command word is, skipping global options (and --db's value)."""
    i = 0
    while i < len(argv):
        if argv[i] == "--db":
            i += 2
        elif argv[i].startswith("-"):
            i += 1
        else:
            return i
    return len(argv)


def _run_gui(db: str | None = None) -> int:
    from therapytimer.ui.app import main as gui_main  # Qt is imported only on this path

    return gui_main(Path(db) if db else None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return _run_gui()
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
        if at == len(argv):
            return _run_gui(top.db)
        command = argv[at]
        if command not in commands:
            parser.error(f"argument COMMAND: invalid choice: {command!r} (choose from {', '.join(commands)})")
        args = commands[command].parse_intermixed_args(argv[at + 1 :])
        args.db = getattr(args, "db", None) or top.db
        return int(args.func(args))
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except CatalogError as exc:
        print("therapytimer: the code catalog has problems; fix them and try again:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
