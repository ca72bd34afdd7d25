"""Compliance guards as data: who may furnish what, CQ/CO by date of service, and MUE warnings.

Four small files in ``resources/compliance/`` hold them, with their sources in the ``RULES.md`` beside them:

* ``assistant_excluded.csv``: codes an assistant (PTA/OTA) may not furnish: evaluations, re-evaluations
  and tests with interpretation (Pub. 100-02 ch. 15 §230.1: "PTAs may not provide evaluative or
  assessment services"). Assistant minutes on them are an entry error: the stopwatch, the import, the
  command line and the engine all refuse them.
* ``assistant_periods.csv``: which CQ/CO reading applies on a date of service and how CQ/CO units are
  paid: none before 2020, the CY2020 rule paid in full, the CY2022 rule at 85 %.
* ``mue.csv``: Medically Unlikely Edits, the most units of a code per patient per day on most claims; only
  values with a public source, each with its quarter. The CMS table changes every quarter, so a user adds
  or overrides values with ``<config folder>/mue.csv`` (same columns), checked with file:line problems like
  the user catalog.
* ``evaluations.csv``: the initial evaluation codes per discipline. The day one is billed begins an
  episode's first progress-report period (Pub. 100-02 ch. 15 §220.3D); re-evaluations are not in it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import pairwise
from pathlib import Path

from therapytimer.core.assistant import Reading
from therapytimer.core.catalog import BUILTIN_SOURCE, CODE_PATTERN, CatalogError
from therapytimer.core.words import plural
from therapytimer.paths import resource_path, user_mue_path

FOLDER = "compliance"
PERIOD_COLUMNS = ("from", "to", "name", "reading", "payment_factor", "source")
EXCLUDED_COLUMNS = ("code", "service", "source")
MUE_COLUMNS = ("code", "units", "mai", "quarter", "table", "source")
EVALUATION_COLUMNS = ("code", "discipline", "source")
DISCIPLINES = ("PT", "OT", "SLP")
MAX_MUE = 9999
QUARTER = re.compile(r"^\d{4}Q[1-4]$")
MAI_MEANING = {  # the MUE adjudication indicator: what happens to the units above the value
    "": "",
    "1": "; MAI 1: a claim-line edit",
    "2": "; MAI 2: an absolute per-day limit, not paid even on appeal",
    "3": "; MAI 3: the excess may be paid on appeal with documentation",
}


class ComplianceError(CatalogError):
    """A compliance file has problems; `problems` lists each one with its file and line. A CatalogError, so
    every face reports a broken MUE file the way it reports a broken code catalog."""


@dataclass(frozen=True)
class Period:
    """Dates of service from `start` to `end` (None: open), the CQ/CO `reading` then and the share of the
    payment CQ/CO units get."""

    start: date | None
    end: date | None
    name: str
    reading: Reading
    payment: Decimal
    source: str

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def span(self) -> str:
        """The dates in words: "through 2019-12-31", "from 2022-01-01" or "2020-01-01 to 2021-12-31"."""
        if self.start and self.end:
            return f"{self.start} to {self.end}"
        if self.start:
            return f"from {self.start}"
        return f"through {self.end}" if self.end else "on every date"


@dataclass(frozen=True)
class Exclusion:
    """A code an assistant may not furnish: `service` says what it is, `source` why."""

    code: str
    service: str
    source: str

    def refusal(self) -> str:
        return f"an assistant may not furnish {self.code} ({self.service}; {self.source})"


@dataclass(frozen=True)
class Mue:
    """The most `units` of `code` per patient per day on most claims, from `origin` (a file, or built-in)."""

    code: str
    units: int
    mai: str = ""
    quarter: str = ""
    table: str = ""
    source: str = ""
    origin: str = BUILTIN_SOURCE

    @property
    def label(self) -> str:
        """Where the value comes from, e.g. "CMS practitioner table 2025Q4"."""
        return " ".join(part for part in (self.table, self.quarter) if part) or f"from {self.origin}"

    def warning(self, units: int) -> str:
        return (
            f"{self.code}: {plural(units, 'unit')} is above its per-day limit (MUE {self.units}, {self.label}): "
            f"most payers deny the excess{MAI_MEANING[self.mai]}"
        )


@dataclass(frozen=True)
class Compliance:
    """The tables, looked up by date of service and code."""

    periods: tuple[Period, ...]
    excluded: Mapping[str, Exclusion]
    mue: Mapping[str, Mue]
    evaluations: Mapping[str, str] = field(default_factory=dict)  # initial evaluation code -> its discipline

    def period(self, day: date | None) -> Period:
        """The CQ/CO period of a date of service; None gives the newest, the reading in force today."""
        if day is None:
            return self.periods[-1]
        return next(p for p in self.periods if p.covers(day))

    def refusal(self, code: str) -> str | None:
        """Why an assistant may not furnish `code`, or None when they may."""
        exclusion = self.excluded.get(code)
        return exclusion.refusal() if exclusion else None

    def limit(self, code: str) -> Mue | None:
        """The MUE of `code`, if a value is known."""
        return self.mue.get(code)

    def with_mue(self, values: Iterable[Mue]) -> Compliance:
        """A copy with `values` added to the MUE table, replacing the values of the same codes."""
        return replace(self, mue={**self.mue, **{m.code: m for m in values}})


# ---- reading the files ------------------------------------------------------------------------------------


def _rows(
    text: str, source: str, columns: tuple[str, ...], required: tuple[str, ...], problems: list[str]
) -> list[tuple[str, dict[str, str]]]:
    """The rows of CSV `text` with their place ("file line 3"), values stripped and blank rows left out.
    A wrong header raises at once: no row can be read without it."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    if unknown or missing:
        if unknown:
            known = ", ".join(columns)
            problems.append(f"{source} line 1: unknown column(s) {', '.join(unknown)}; columns are {known}")
        if missing:
            problems.append(f"{source} line 1: missing column(s) {', '.join(missing)}")
        raise ComplianceError(problems)
    reader.fieldnames = header
    rows = []
    for row in reader:
        where = f"{source} line {reader.line_num}"
        if None in row:
            problems.append(f"{where}: more fields than the header has columns")
            continue
        clean = {k: (v or "").strip() for k, v in row.items()}
        if any(clean.values()):
            rows.append((where, clean))
    return rows


def _code(text: str, where: str, problems: list[str]) -> str | None:
    code = text.upper()
    if not CODE_PATTERN.match(code):
        problems.append(f"{where}: code {text!r} must be 5 characters: five digits, or a letter and four digits")
        return None
    return code


def _date(text: str, where: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{where}: {text!r} is not a date (use YYYY-MM-DD)")
        return None


def _needed(row: dict[str, str], key: str, where: str, problems: list[str]) -> str:
    value = row.get(key, "")
    if not value:
        problems.append(f"{where}: {key} is required")
    return value


def parse_periods(text: str, source: str) -> tuple[Period, ...]:
    """The CQ/CO periods, in date order, covering every date exactly once; ComplianceError lists every problem."""
    problems: list[str] = []
    placed: list[tuple[str, Period]] = []
    for where, row in _rows(text, source, PERIOD_COLUMNS, PERIOD_COLUMNS, problems):
        before = len(problems)
        start = _date(row["from"], f"{where}, from", problems)
        end = _date(row["to"], f"{where}, to", problems)
        if start and end and end < start:
            problems.append(f"{where}: to {end} is before from {start}")
        name = _needed(row, "name", where, problems)
        source_text = _needed(row, "source", where, problems)
        readings = ", ".join(r.value for r in Reading)
        reading = Reading(row["reading"]) if row["reading"] in set(Reading) else None
        if reading is None:
            problems.append(f"{where}: reading {row['reading']!r} must be one of {readings}")
        try:
            factor = Decimal(row["payment_factor"])
        except InvalidOperation:
            factor = Decimal("NaN")
        if not (factor.is_finite() and 0 < factor <= 1):
            problems.append(f"{where}: payment_factor {row['payment_factor']!r} must be a number above 0, at most 1")
        if len(problems) == before and reading is not None:
            placed.append((where, Period(start, end, name, reading, factor, source_text)))
    if not problems:
        _check_cover(placed, source, problems)
    if problems:
        raise ComplianceError(problems)
    return tuple(p for _, p in placed)


def _check_cover(placed: list[tuple[str, Period]], source: str, problems: list[str]) -> None:
    """The periods follow each other day after day, from no start to no end, so every date has one."""
    if not placed:
        problems.append(f"{source}: no period is given")
        return
    if placed[0][1].start is not None:
        problems.append(f"{placed[0][0]}: the first period must have no start (leave from empty)")
    if placed[-1][1].end is not None:
        problems.append(f"{placed[-1][0]}: the last period must have no end (leave to empty)")
    for (_, before), (where, period) in pairwise(placed):
        after = before.end + timedelta(days=1) if before.end else None
        if period.start is None or period.start != after:
            wanted = f"on {after}" if after else "never: the period before it has no end"
            problems.append(f"{where}: must start the day after the period before it ends ({wanted})")


def parse_exclusions(text: str, source: str) -> dict[str, Exclusion]:
    """The codes an assistant may not furnish; ComplianceError lists every problem."""
    problems: list[str] = []
    out: dict[str, Exclusion] = {}
    for where, row in _rows(text, source, EXCLUDED_COLUMNS, EXCLUDED_COLUMNS, problems):
        code = _code(row["code"], where, problems)
        service = _needed(row, "service", where, problems)
        why = _needed(row, "source", where, problems)
        if code in out:
            problems.append(f"{where}: code {code} appears twice in this file")
        elif code and service and why:
            out[code] = Exclusion(code, service, why)
    if problems:
        raise ComplianceError(problems)
    return out


def parse_mue(text: str, source: str) -> list[Mue]:
    """MUE values (code and units required; MAI, quarter, table and source as known); ComplianceError lists
    every problem, each with its line."""
    problems: list[str] = []
    out: list[Mue] = []
    seen: set[str] = set()
    for where, row in _rows(text, source, MUE_COLUMNS, ("code", "units"), problems):
        before = len(problems)
        code = _code(row["code"], where, problems)
        units = row["units"]
        if not (units.isascii() and units.isdigit() and int(units) <= MAX_MUE):
            problems.append(f"{where}: units {units!r} must be a whole number from 0 to {MAX_MUE}")
        mai = row.get("mai", "")
        if mai not in MAI_MEANING:
            problems.append(f"{where}: mai {mai!r} must be 1, 2 or 3 (or empty when not known)")
        quarter = row.get("quarter", "").upper()
        if quarter and not QUARTER.match(quarter):
            problems.append(f"{where}: quarter {quarter!r} must look like 2025Q4")
        if code in seen:
            problems.append(f"{where}: code {code} appears twice in this file")
        if code:
            seen.add(code)
        if len(problems) == before and code:
            out.append(Mue(code, int(units), mai, quarter, row.get("table", ""), row.get("source", ""), source))
    if problems:
        raise ComplianceError(problems)
    return out


def parse_evaluations(text: str, source: str) -> dict[str, str]:
    """The initial evaluation codes and their disciplines; ComplianceError lists every problem."""
    problems: list[str] = []
    out: dict[str, str] = {}
    for where, row in _rows(text, source, EVALUATION_COLUMNS, EVALUATION_COLUMNS, problems):
        code = _code(row["code"], where, problems)
        discipline = row["discipline"].upper()
        if discipline not in DISCIPLINES:
            problems.append(f"{where}: discipline {row['discipline']!r} must be PT, OT or SLP")
        _needed(row, "source", where, problems)
        if code in out:
            problems.append(f"{where}: code {code} appears twice in this file")
        elif code:
            out[code] = discipline
    if problems:
        raise ComplianceError(problems)
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ComplianceError([f"{path}: not UTF-8 text; save it as CSV (UTF-8)"]) from None
    except OSError as exc:
        raise ComplianceError([f"{path}: cannot be read ({exc.strerror})"]) from None


@cache
def builtin() -> Compliance:
    """The tables shipped in resources/compliance/ (read once)."""

    def text(name: str) -> str:
        return _read(resource_path(f"{FOLDER}/{name}"))

    return Compliance(
        periods=parse_periods(text("assistant_periods.csv"), BUILTIN_SOURCE),
        excluded=parse_exclusions(text("assistant_excluded.csv"), BUILTIN_SOURCE),
        mue={m.code: m for m in parse_mue(text("mue.csv"), BUILTIN_SOURCE)},
        evaluations=parse_evaluations(text("evaluations.csv"), BUILTIN_SOURCE),
    )


def load_compliance(user_path: Path | None = None, *, include_user: bool = True) -> Compliance:
    """The built-in tables, with the user's MUE file (if present) adding or overriding values."""
    path = user_path if user_path is not None else user_mue_path()
    try:
        present = include_user and path.exists()
    except OSError as exc:  # the config folder cannot be looked into
        raise ComplianceError([f"{path}: cannot be read ({exc.strerror})"]) from None
    if not present:
        return builtin()
    return builtin().with_mue(parse_mue(_read(path), str(path)))
