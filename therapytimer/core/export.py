"""The day export for the biller: CSV rows, safe for Excel, written atomically.

One row per date × patient × discipline × code × modifier set, in a stable order, so the same data
always gives the same bytes and two exports can be compared. Cells that a spreadsheet would run as a
formula are made inert. Files are written to a temporary file and renamed into place, never over an
existing file unless asked.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

from therapytimer.core.errors import Hint, TherapyTimerError
from therapytimer.core.files import TargetError, discard, open_elsewhere, place, temp_beside
from therapytimer.core.reports import DayBill

HEADER = (
    "date",
    "patient",
    "discipline",
    "provider",
    "rule",
    "code",
    "description",
    "modifiers",
    "minutes",
    "units",
    "total_timed_minutes",
    "total_treatment_minutes",
    "payer",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(TherapyTimerError):
    """The export could not be written (the message names the file and why)."""


def safe_cell(value: str) -> str:
    """Make a cell inert in Excel/LibreOffice: a leading = + - @ tab or CR gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def rows(bills: Sequence[DayBill]) -> list[tuple[str, ...]]:
    """Billable lines (units > 0) ordered by patient, discipline, code, modifiers."""
    out = []
    for bill in bills:
        result = bill.result
        for line in result.lines:
            if not line.units:
                continue
            out.append(
                (
                    bill.date.isoformat(),
                    bill.patient,
                    bill.discipline.value,
                    "; ".join(bill.providers),
                    bill.rule.value,
                    line.code,
                    line.short_name,
                    " ".join(line.modifiers),
                    str(line.minutes),
                    str(line.units),
                    str(result.total_timed_minutes),
                    str(result.total_treatment_minutes),
                    "; ".join(bill.payers),
                )
            )
    return sorted(out, key=lambda r: (r[1].casefold(), r[1], r[2], r[5], r[7], r[4], r[0]))


def to_csv(table: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with a BOM (so Excel reads accents), standard quoting, CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in table:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_atomic(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write `data` to `path` via a temporary file in the same folder, then rename (see core.files).

    Without `force` an existing file is never replaced. The file is readable by the owner only. A file
    another program holds open (Excel, on Windows) is left as it was, with a message saying to close it.
    """
    try:
        tmp = temp_beside(path, force=force, example="therapytimer-day.csv")
    except TargetError as exc:
        raise ExportError(str(exc), exc.hint, exc.subject) from None
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        place(tmp, path, force=force)
    except FileExistsError:
        discard(tmp)
        raise ExportError(f"{path} already exists", Hint.FORCE, str(path)) from None
    except OSError as exc:
        discard(tmp)
        message = open_elsewhere(path, exc) or f"cannot write {path} ({exc.strerror}); nothing was written"
        raise ExportError(message) from None
