"""What every command shares: bad input as one line and exit 2, advice for each hint, tables, dates.

The layers below say what is wrong with the data; `advice` adds what to do on the command line (a flag
to add, a command to run), which the window words its own way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from typing import NoReturn

from therapytimer.core.errors import Hint, TherapyTimerError

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input on the command line: reported as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def advice(error: TherapyTimerError) -> str:
    """What to do about `error` on the command line, or nothing."""
    subject = error.subject or "FILE"
    return {
        Hint.FORCE: "choose another name, or add --force to replace it",
        Hint.OTHER_FILE: "use --db (or THERAPYTIMER_DB) with another file",
        Hint.INIT: f"to start a new database in it, run: therapytimer init --db {subject}",
        Hint.DISCIPLINE: "give --discipline PT (CQ) or OT (CO)",
        None: "",
    }[error.hint]


def explained(error: TherapyTimerError, prefix: str = "therapytimer") -> str:
    """One line: the problem, then what to do about it here."""
    text = str(error).rstrip(".")
    todo = advice(error)
    return f"{prefix}: {text}" + (f"; {todo}" if todo else "")


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_USAGE


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Rows as aligned columns; columns in `right` are right-aligned (numbers)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
