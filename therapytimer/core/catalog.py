"""The billing-code catalog: each code's time shape and effective dates, read from CSV data.

Shapes are data so that a new CPT year or a new kind of timed code needs a catalog row, not code:

* ``timed``: billed by minutes. The first unit is ``first_minutes`` long and every further unit
  ``each_minutes``; a unit is reached once more than half of it has passed (CPT's time convention:
  8 of 15 minutes, 16 of 30, 31 of 60). If ``addon_code`` is set, the code itself bills once and
  further units bill as that add-on (97129 + 97130, 92607 + 92608). Codes with 15-minute units
  (first and each) are the ones Medicare pools under the 8-minute rule.
* ``addon``: the "each additional" half of a pair; its minutes belong to its base code.
* ``untimed``: one unit per service; minutes, if any, count only toward total treatment time.

A ``note`` that starts with "Medicare:" is shown as a warning whenever the code is billed under the
Medicare rule (97014 is not valid for Medicare, 97010 is bundled).

The built-in catalog ships in ``resources/codes.csv``. A user may add codes with a file of the same
columns at ``<config folder>/codes.csv`` (see the README). A user row replaces the built-in row of its
code only when its ``replaces_builtin`` column says ``yes`` (and ``Catalog.notes`` then says so on every
load); a row that would change only a built-in code's fee is refused: fees belong in the fee table
(settings). Both files and the links between their rows are checked in one pass: every problem is
reported at once, each with the file and line of the row to fix (a user's row, never the built-in one).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.words import plural
from therapytimer.paths import resource_path, user_catalog_path


class Discipline(StrEnum):
    """Each discipline bills under its own plan of care and modifier."""

    PT = "PT"
    OT = "OT"
    SLP = "SLP"

    @property
    def modifier(self) -> str:
        """GP, GO or GN: the Medicare therapy modifier of this discipline."""
        return {"PT": "GP", "OT": "GO", "SLP": "GN"}[self.value]


class Kind(StrEnum):
    TIMED = "timed"
    ADDON = "addon"
    UNTIMED = "untimed"


POOL_UNIT_MINUTES = 15
CODE_PATTERN = re.compile(r"^(?:\d{5}|[A-Z]\d{4})$")
COLUMNS = (
    "code",
    "short_name",
    "kind",
    "disciplines",
    "first_minutes",
    "each_minutes",
    "addon_code",
    "valid_from",
    "valid_to",
    "default_fee_usd",
    "note",
    "replaces_builtin",
    "source",
)
REQUIRED_COLUMNS = ("code", "short_name", "kind")
MAX_SHAPE_MINUTES = 480
# The largest fee accepted: far above any real fee per unit, far below what could make a sum of cents
# overflow the 28 digits of Decimal arithmetic (which would raise in the middle of a revenue report).
MAX_FEE = Decimal(100_000)
BUILTIN_SOURCE = "built-in"
# Cells a row may fill besides these without changing what the catalog bills: the fee-table advice applies.
FEE_ONLY_CELLS = ("code", "default_fee_usd", "replaces_builtin", "source")


@dataclass(frozen=True)
class CodeSpec:
    """One billing code as the catalog describes it."""

    code: str
    short_name: str
    kind: Kind
    disciplines: frozenset[Discipline]
    first_minutes: int = POOL_UNIT_MINUTES
    each_minutes: int = POOL_UNIT_MINUTES
    addon_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    default_fee: Decimal | None = None
    note: str = ""
    source: str = BUILTIN_SOURCE  # the file the row comes from: BUILTIN_SOURCE or the user's file
    line: int = 0  # the row's line in `source` (0: not from a file)
    replaces: str | None = None  # BUILTIN_SOURCE when the user's row replaces the built-in row of its code
    citation: str = ""  # the `source` column: where the row's facts (dates, shape) come from

    @property
    def where(self) -> str:
        """The file and line of the row, for problems and notes: "/home/x/codes.csv line 4"."""
        return f"{self.source} line {self.line}" if self.line else self.source

    @property
    def timed(self) -> bool:
        return self.kind is not Kind.UNTIMED

    @property
    def pooled(self) -> bool:
        """True for 15-minute timed codes: the ones Medicare's 8-minute rule pools."""
        return (
            self.kind is Kind.TIMED
            and self.first_minutes == POOL_UNIT_MINUTES
            and self.each_minutes == POOL_UNIT_MINUTES
        )

    def discipline_text(self) -> str:
        """The disciplines in their usual order, e.g. "PT OT"."""
        return " ".join(d.value for d in Discipline if d in self.disciplines)

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def validity(self) -> str:
        """The effective dates in words, e.g. "valid through 2026-12-31"."""
        if self.valid_from and self.valid_to:
            return f"valid {self.valid_from} to {self.valid_to}"
        if self.valid_from:
            return f"valid from {self.valid_from}"
        if self.valid_to:
            return f"valid through {self.valid_to}"
        return "no end date"

    def shape(self) -> str:
        """The time shape in words, for tables and explanations."""
        if self.kind is Kind.UNTIMED:
            return "untimed (1 unit per service)"
        if self.kind is Kind.ADDON:
            return "add-on (minutes count under its base code)"
        if self.first_minutes == self.each_minutes and not self.addon_code:
            return f"timed, {self.each_minutes}-min units"
        extra = f" as {self.addon_code}" if self.addon_code else ""
        return f"timed, first {self.first_minutes} min, then each {self.each_minutes} min{extra}"


class CatalogError(TherapyTimerError, ValueError):
    """A catalog file has problems; `problems` lists each one with its file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class CodeError(TherapyTimerError, ValueError):
    """A code is not in the catalog, or not valid on the date of service."""


class Catalog:
    """All known codes, looked up by code and date of service."""

    def __init__(self, specs: Iterable[CodeSpec]) -> None:
        self._specs: dict[str, CodeSpec] = {}
        for spec in specs:
            self._specs[spec.code] = spec
        self._base_of = {s.addon_code: s.code for s in self._specs.values() if s.addon_code}

    def __iter__(self) -> Iterator[CodeSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, code: object) -> bool:
        return code in self._specs

    def get(self, code: str) -> CodeSpec:
        """The spec of `code`; raises CodeError with a clear message when unknown."""
        try:
            return self._specs[code]
        except KeyError:
            raise CodeError(f"{code} is not in the code catalog") from None

    def lookup(self, code: str, on: date) -> CodeSpec:
        """The spec of `code` if it may be billed on `on`, else CodeError saying why."""
        spec = self.get(code)
        if not spec.valid_on(on):
            raise CodeError(f"{code} is not valid on {on.isoformat()} ({spec.validity()})")
        base = self.base_of(spec)
        if not base.valid_on(on):  # an add-on bills only with its base code
            raise CodeError(
                f"{code} bills under {base.code}, which is not valid on {on.isoformat()} ({base.validity()})"
            )
        return spec

    @property
    def notes(self) -> list[str]:
        """Warnings (not errors) to show whenever the catalog is loaded: each built-in code a user's row
        replaces, and where, e.g. "built-in 92507 replaced by /home/x/codes.csv line 4"."""
        return [f"{s.replaces} {s.code} replaced by {s.where}" for s in self._specs.values() if s.replaces]

    def base_of(self, spec: CodeSpec) -> CodeSpec:
        """The code whose minutes an add-on's minutes join (97130 → 97129); itself otherwise."""
        base = self._base_of.get(spec.code)
        return self._specs[base] if base else spec

    def with_fees(self, fees: Mapping[str, Decimal]) -> tuple[Catalog, list[str]]:
        """A copy whose default fees are the clinic's own (code → amount, already checked by the settings);
        returns one line per kind of entry ignored, so a typo in the fee table is reported, not guessed at."""
        specs = dict(self._specs)
        unknown: list[str] = []
        unusable: list[str] = []
        for code, fee in fees.items():
            if code not in specs:
                unknown.append(code)
            elif not _usable_fee(fee):  # never let an amount make a revenue sum raise later
                unusable.append(code)
            else:
                specs[code] = replace(specs[code], default_fee=fee)
        problems: list[str] = []
        if unknown:
            codes = plural(len(unknown), "code")
            problems.append(f"fees for {codes} not in the code catalog, left out: {_some(unknown)}")
        if unusable:
            problems.append(f"fees for {_some(unusable)}: not an amount from 0 to {MAX_FEE}, left out")
        return Catalog(specs.values()), problems

    def search(self, text: str, on: date | None = None) -> list[CodeSpec]:
        """Codes whose number or name contains `text` (case-insensitive), optionally valid on `on`."""
        needle = text.strip().lower()
        return [
            s
            for s in self._specs.values()
            if (needle in s.code.lower() or needle in s.short_name.lower()) and (on is None or s.valid_on(on))
        ]


def _usable_fee(fee: object) -> bool:
    return isinstance(fee, Decimal) and fee.is_finite() and 0 <= fee <= MAX_FEE


def _some(codes: list[str], shown: int = 5) -> str:
    """A few codes and how many more: one readable line even for thousands."""
    more = f" and {len(codes) - shown} more" if len(codes) > shown else ""
    return ", ".join(codes[:shown]) + more


def _parse_date(text: str, problems: list[str], where: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{where}: {text!r} is not a date (use YYYY-MM-DD)")
        return None


def _parse_minutes(text: str, problems: list[str], where: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_SHAPE_MINUTES:
        problems.append(f"{where}: {text!r} must be a whole number of minutes from 1 to {MAX_SHAPE_MINUTES}")
        return None
    return int(text)


def _parse_row(row: dict[str, str], where: str, line: int, source: str, problems: list[str]) -> CodeSpec | None:
    """One CSV row → CodeSpec, appending every problem found (so a user fixes them all at once)."""
    before = len(problems)
    code = row["code"].upper()
    if not CODE_PATTERN.match(code):
        problems.append(f"{where}: code {row['code']!r} must be 5 characters: five digits, or a letter and four digits")
    name = row["short_name"]
    if not name or len(name) > 80:
        problems.append(f"{where}: short_name must be 1 to 80 characters")
    kinds = ", ".join(k.value for k in Kind)
    kind = Kind(row["kind"].lower()) if row["kind"].lower() in set(Kind) else None
    if kind is None:
        problems.append(f"{where}: kind {row['kind']!r} must be one of {kinds}")
    words = row.get("disciplines", "").upper().split() or [d.value for d in Discipline]
    bad = [w for w in words if w not in set(Discipline)]
    if bad:
        problems.append(f"{where}: disciplines {' '.join(bad)!r} must be PT, OT or SLP (space-separated)")
    first = _parse_minutes(row.get("first_minutes", ""), problems, f"{where}, first_minutes")
    each = _parse_minutes(row.get("each_minutes", ""), problems, f"{where}, each_minutes")
    addon = row.get("addon_code", "").upper() or None
    if kind is not Kind.TIMED and (first or each or addon):
        problems.append(f"{where}: first_minutes, each_minutes and addon_code apply to timed codes only")
    if addon and not CODE_PATTERN.match(addon):
        problems.append(f"{where}: addon_code {addon!r} is not a 5-character code")
    valid_from = _parse_date(row.get("valid_from", ""), problems, f"{where}, valid_from")
    valid_to = _parse_date(row.get("valid_to", ""), problems, f"{where}, valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        problems.append(f"{where}: valid_to {valid_to} is before valid_from {valid_from}")
    fee_text = row.get("default_fee_usd", "")
    fee: Decimal | None = None
    if fee_text:
        try:
            fee = Decimal(fee_text)
        except InvalidOperation:
            fee = None
        if fee is None or not _usable_fee(fee):
            problems.append(f"{where}: default_fee_usd {fee_text!r} must be an amount such as 28.79")
    replaces = row.get("replaces_builtin", "")
    if replaces.lower() not in ("", "yes", "no"):
        problems.append(f"{where}: replaces_builtin {replaces!r} must be yes, no or empty")
    if len(problems) > before or kind is None:
        return None
    first = first or POOL_UNIT_MINUTES
    return CodeSpec(
        code=code,
        short_name=name,
        kind=kind,
        disciplines=frozenset(Discipline(w) for w in words),
        first_minutes=first,
        each_minutes=each or first,
        addon_code=addon,
        valid_from=valid_from,
        valid_to=valid_to,
        default_fee=fee,
        note=row.get("note", ""),
        source=source,
        line=line,
        replaces=BUILTIN_SOURCE if replaces.lower() == "yes" else None,
        citation=row.get("source", ""),
    )


def _fee_advice(where: str, code: str) -> str:
    return f"{where}: to change {code}'s fee, use the fee table in Settings (fees), not codes.csv"


def _fee_only(row: Mapping[str, str], builtin: Mapping[str, CodeSpec]) -> bool:
    """A row that names a built-in code and gives nothing but a fee (the other cells empty or absent)."""
    others = any(value for column, value in row.items() if column not in FEE_ONLY_CELLS)
    return row["code"].upper() in builtin and bool(row.get("default_fee_usd")) and not others


def _same_but_fee(spec: CodeSpec, row: Mapping[str, str], builtin: CodeSpec) -> bool:
    """True when a row gives a fee other than the built-in row's and every other cell it fills agrees with
    the built-in row (an empty cell counts as agreeing: "97110,Therapeutic exercise,timed,,,,,,,31.00")."""
    same = {c: getattr(builtin, c) for c in COLUMNS if c not in FEE_ONLY_CELLS and not row.get(c)}
    alike = replace(spec, **same, default_fee=builtin.default_fee, source=builtin.source, line=builtin.line)
    return (
        spec.default_fee not in (None, builtin.default_fee)
        and replace(alike, replaces=None, citation=builtin.citation) == builtin
    )


def _check_builtin(
    spec: CodeSpec, row: Mapping[str, str], where: str, builtin: Mapping[str, CodeSpec], problems: list[str]
) -> bool:
    """A user's row against the built-in catalog: a fee alone belongs in the fee table, and a built-in code
    is replaced only on request. False when the row is refused outright (it adds nothing to check)."""
    base = builtin.get(spec.code)
    if base is None:
        if spec.replaces:
            problems.append(
                f"{where}: replaces_builtin is yes, but {spec.code} is not a built-in code (a typo in the code?)"
            )
        return True
    if _same_but_fee(spec, row, base):
        problems.append(_fee_advice(where, spec.code))
        return False
    if not spec.replaces:
        problems.append(
            f"{where}: {spec.code} is a built-in code; to replace its built-in row with this one, add a "
            f"replaces_builtin column and write yes in it (to change only its fee, use the fee table in Settings)"
        )
    return True


@dataclass(frozen=True)
class _Read:
    """One catalog file read: its codes, its problems, and the codes named by rows with problems (whose
    consequences, a missing add-on say, are not reported again)."""

    specs: list[CodeSpec]
    problems: list[str]
    failed: frozenset[str] = frozenset()


def _read(text: str, source: str, builtin: Mapping[str, CodeSpec] | None) -> _Read:
    """Parse catalog CSV text, collecting every problem with its line. `builtin`: the built-in codes when
    `text` is a user's file (its rows are then checked against them), None for the built-in file itself."""
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    columns = f"{source} line 1: missing column(s) {', '.join(missing)}"
    if unknown or "code" in missing:
        if unknown:
            problems.append(
                f"{source} line 1: unknown column(s) {', '.join(unknown)}; columns are {', '.join(COLUMNS)}"
            )
        if missing:
            problems.append(columns)
        return _Read([], problems)
    reader.fieldnames = header
    specs: list[CodeSpec] = []
    seen: set[str] = set()
    failed: set[str] = set()
    fee_rows = other_rows = 0
    for row in reader:
        where = f"{source} line {reader.line_num}"
        if None in row:
            problems.append(f"{where}: more fields than the header has columns")
            other_rows += 1
            continue
        clean = {k: (v or "").strip() for k, v in row.items()}
        if not any(clean.values()):
            continue
        if _fee_only(clean, builtin or {}):  # "97110,31.00": no name or kind needed to say where a fee goes
            problems.append(_fee_advice(where, clean["code"].upper()))
            fee_rows += 1
            continue
        other_rows += 1
        if missing:
            continue
        spec = _parse_row(clean, where, reader.line_num, source, problems)
        if spec is None:
            failed |= {clean["code"].upper(), clean.get("addon_code", "").upper()}
            continue
        if builtin is not None and not _check_builtin(spec, clean, where, builtin, problems):
            continue
        if spec.code in seen:
            problems.append(f"{where}: code {spec.code} appears twice in this file")
        seen.add(spec.code)
        specs.append(spec)
    if missing and (other_rows or not fee_rows):
        problems.insert(0, columns)
    return _Read(specs, problems, frozenset(failed - {""}))


def parse_catalog(text: str, source: str) -> list[CodeSpec]:
    """Parse catalog CSV text; raises CatalogError listing every problem with its line."""
    read = _read(text, source, None)
    if read.problems:
        raise CatalogError(read.problems)
    return read.specs


def _blame(first: CodeSpec, *others: CodeSpec) -> CodeSpec:
    """The row a problem between rows is reported on: the first user's row among them (that row is what
    changed; the built-in catalog is checked by the project's tests), else `first`."""
    return next((s for s in (first, *others) if s.source != BUILTIN_SOURCE), first)


def _check_links(specs: Mapping[str, CodeSpec], builtin: Mapping[str, CodeSpec], failed: frozenset[str]) -> list[str]:
    """Every add-on must belong to exactly one timed base code and have its dates, and every named add-on
    must exist. Problems that only repeat a row's own (`failed`) are left out."""
    problems: list[str] = []
    owners: dict[str, list[CodeSpec]] = {}
    for spec in specs.values():
        if not spec.addon_code:
            continue
        owners.setdefault(spec.addon_code, []).append(spec)
        if {spec.code, spec.addon_code} & failed:
            continue
        addon = specs.get(spec.addon_code)
        if addon is None or addon.kind is not Kind.ADDON:
            at = _blame(spec, *([addon] if addon else []))
            problems.append(
                f"{at.where}: {spec.code} names add-on {spec.addon_code}, which is not a code of kind addon"
            )
        elif (addon.valid_from, addon.valid_to) != (spec.valid_from, spec.valid_to):
            at = _blame(addon, spec)
            problems.append(
                f"{at.where}: add-on {addon.code} ({addon.validity()}) must have the dates of its base code "
                f"{spec.code} ({spec.validity()}): it bills only with {spec.code}, and {spec.code}'s units after "
                f"the first bill as {addon.code}"
            )
    for spec in specs.values():
        bases = owners.get(spec.code, [])
        if spec.kind is Kind.ADDON and len(bases) != 1 and spec.code not in failed:
            former = [specs[b.code] for b in builtin.values() if b.addon_code == spec.code]
            at = _blame(*bases, spec, *former)
            found = f"{len(bases)}{': ' + ', '.join(b.code for b in bases) if bases else ''}"
            problems.append(
                f"{at.where}: add-on {spec.code} must be named as addon_code by exactly one timed code (found {found})"
            )
    return problems


def _read_text(path: Path) -> str:
    """A catalog file's text; an unreadable file is a CatalogError that names it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogError([f"{path}: not UTF-8 text; save it as CSV (UTF-8)"]) from None
    except OSError as exc:
        raise CatalogError([f"{path}: cannot be read ({exc.strerror})"]) from None


def load_catalog(user_path: Path | None = None, *, include_user: bool = True) -> Catalog:
    """The built-in catalog with the user's catalog file (if present): its new codes added, and a built-in
    code replaced only by a row that says so (`Catalog.notes` names each). Every problem of both files and
    of the links between their rows raises one CatalogError, each with the file and line to fix."""
    own = _read(_read_text(resource_path("codes.csv")), BUILTIN_SOURCE, None)
    builtin = {s.code: s for s in own.specs}
    path = user_path if user_path is not None else user_catalog_path()
    try:
        present = include_user and path.exists()
    except OSError as exc:  # the config folder cannot be looked into
        raise CatalogError([f"{path}: cannot be read ({exc.strerror})"]) from None
    user = _read(_read_text(path), str(path), builtin) if present else _Read([], [])
    specs = builtin | {s.code: s for s in user.specs}
    problems = own.problems + user.problems + _check_links(specs, builtin, user.failed)
    if problems:
        raise CatalogError(problems)
    return Catalog(specs.values())
