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
import tempfile
from collections.abc import Sequence
from pathlib import Path

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


class ExportError(Exception):
    """The export could not be written (message names the file and what to do)."""


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


def _place_new(tmp: str, path: Path) -> None:
    """Move `tmp` to `path` only if `path` does not exist, even if it appears meanwhile."""
    try:
        os.link(tmp, path)  # atomic and never overwrites
    except FileExistsError:
        raise
    except OSError:  # no hard links here (FAT/exFAT sticks, some network shares): claim the name first
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.replace(tmp, path)
    else:
        os.unlink(tmp)


def write_atomic(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write `data` to `path` via a temporary file in the same folder, then rename.

    Without `force` an existing file is never replaced (the final link fails instead of overwriting).
    The file is readable by the owner only: it holds patient aliases.
    """
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name such as {path / 'therapytimer-day.csv'}")
    if path.exists() and not force:
        raise ExportError(f"{path} already exists; choose another name or add --force to replace it")
    if path.exists() and not path.is_file():
        raise ExportError(f"{path} is not a regular file; choose another name")
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write in {folder} ({exc.strerror}); choose another folder") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, path)
        else:
            _place_new(tmp, path)
    except FileExistsError:
        os.unlink(tmp)
        raise ExportError(f"{path} already exists; choose another name or add --force to replace it") from None
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise ExportError(f"cannot write {path} ({exc.strerror}); nothing was written") from None
