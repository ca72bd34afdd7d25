"""What a day's units are paid: RVUs per year, the multiple procedure payment reduction, thresholds.

Medicare pays a unit its relative value units (work, practice expense, malpractice) times the conversion
factor. Per patient and day, across disciplines, the therapy MPPR pays the unit with the highest
practice-expense RVU in full and every further unit of a code with MPPR indicator 5 with half its
practice expense; codes with indicator 0 are never reduced. CQ/CO units are then paid the share their
date of service's period pays. Amounts are per unit, to the cent. A fee in the clinic's own fee table
replaces the RVU amount of that code, without MPPR (for payers that do not reduce). The data, with its
sources, is in resources/fees/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from therapytimer.core.catalog import Catalog, Discipline
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.rules import ASSISTANT_MODIFIERS, Line
from therapytimer.paths import resource_dirs

CENT = Decimal("0.01")
REDUCED = 5  # the MPPR indicator of codes the therapy reduction applies to
PAYABLE = frozenset(
    {"A", "R"}
)  # active, or restricted coverage (paid when its conditions are met); B bundled, I invalid


class FeeDataError(TherapyTimerError):
    """The shipped fee data cannot be read (a damaged installation)."""


@dataclass(frozen=True)
class Rvu:
    code: str
    status: str
    work: Decimal
    pe: Decimal
    mp: Decimal
    mppr: int
    factor: Decimal  # the conversion factor, dollars per RVU

    def amount(self, reduced: bool) -> Decimal:
        """One unit, to the cent: in full, or with half its practice expense (a further unit under MPPR)."""
        if self.status not in PAYABLE:
            return Decimal("0.00")
        pe = self.pe / 2 if reduced else self.pe
        return ((self.work + pe + self.mp) * self.factor).quantize(CENT)


@dataclass(frozen=True)
class Schedule:
    year: int
    rvus: Mapping[str, Rvu]


@dataclass(frozen=True)
class Threshold:
    year: int
    amount: Decimal
    review: Decimal
    source: str


@dataclass(frozen=True)
class FeeData:
    schedules: tuple[Schedule, ...]  # by year, oldest first
    thresholds: Mapping[int, Threshold]

    def schedule(self, day: date) -> tuple[Schedule, str | None]:
        """The year's values for a date of service, or the nearest year's and a note saying so."""
        exact = next((s for s in self.schedules if s.year == day.year), None)
        if exact is not None:
            return exact, None
        nearest = min(self.schedules, key=lambda s: abs(s.year - day.year))
        return nearest, f"estimated at {nearest.year} rates"

    def threshold(self, year: int) -> tuple[Threshold, str | None]:
        """The therapy threshold of a calendar year, or the nearest year's and a note saying so."""
        if year in self.thresholds:
            return self.thresholds[year], None
        nearest = min(self.thresholds, key=lambda y: abs(y - year))
        return self.thresholds[nearest], f"the {nearest} threshold (none published here for {year})"


def _decimal(text: str, where: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        raise FeeDataError(f"{where}: {text!r} is not a number") from None


def parse_rvus(text: str, year: int, source: str) -> Schedule:
    rvus: dict[str, Rvu] = {}
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        where = f"{source} line {n}"
        rvus[row["code"]] = Rvu(
            row["code"],
            row["status"],
            _decimal(row["work_rvu"], where),
            _decimal(row["nonfacility_pe_rvu"], where),
            _decimal(row["mp_rvu"], where),
            int(row["mult_proc"]),
            _decimal(row["conversion_factor"], where),
        )
    return Schedule(year, rvus)


def parse_thresholds(text: str, source: str) -> dict[int, Threshold]:
    return {
        int(row["year"]): Threshold(
            int(row["year"]),
            _decimal(row["threshold_usd"], f"{source} line {n}"),
            _decimal(row["review_usd"], f"{source} line {n}"),
            row["source"],
        )
        for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2)
    }


@cache
def load_fee_data() -> FeeData:
    """The shipped fee data (read once): every resources/fees/rvuYYYY.csv and thresholds.csv."""
    folder = next(d / "fees" for d in resource_dirs() if (d / "fees" / "thresholds.csv").exists())
    schedules = [
        parse_rvus(path.read_text(encoding="utf-8"), int(path.stem[3:]), str(path))
        for path in sorted(folder.glob("rvu[0-9][0-9][0-9][0-9].csv"))
    ]
    thresholds = parse_thresholds((folder / "thresholds.csv").read_text(encoding="utf-8"), str(folder))
    return FeeData(tuple(schedules), thresholds)


# ---- a patient's day -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One billed unit, as a payer sees it: `share` is what it is paid of its amount (a CQ/CO unit under
    Medicare: 0.85 from 2022; otherwise 1)."""

    code: str
    discipline: Discipline
    share: Decimal = Decimal(1)


@dataclass(frozen=True)
class Paid:
    unit: Unit
    amount: Decimal
    how: str  # "full", "MPPR: half its practice expense", "clinic fee", "default fee", "not paid (status B)"


@dataclass(frozen=True)
class DayPay:
    paid: tuple[Paid, ...]
    missing: tuple[str, ...]  # codes with no fee data at all
    note: str | None  # "estimated at 2025 rates" when the date's year has no values

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.paid), Decimal("0.00"))

    def by_discipline(self) -> dict[Discipline, Decimal]:
        out: dict[Discipline, Decimal] = {}
        for p in self.paid:
            out[p.unit.discipline] = out.get(p.unit.discipline, Decimal("0.00")) + p.amount
        return out


def pay_day(
    day: date, units: Iterable[Unit], catalog: Catalog, data: FeeData, clinic_fees: Mapping[str, Decimal]
) -> DayPay:
    """What one patient's units on one date are paid, MPPR applied across all their disciplines."""
    schedule, note = data.schedule(day)
    units = list(units)
    reducible = [
        u
        for u in units
        if u.code not in clinic_fees
        and (rvu := schedule.rvus.get(u.code)) is not None
        and rvu.mppr == REDUCED
        and rvu.status in PAYABLE
    ]
    # The unit paid in full: the highest practice expense; a therapist's unit before an assistant's.
    first = max(reducible, key=lambda u: (schedule.rvus[u.code].pe, u.share), default=None)
    paid: list[Paid] = []
    missing: set[str] = set()
    first_taken = False
    for unit in units:
        if unit.code in clinic_fees:
            amount, how = clinic_fees[unit.code], "clinic fee"
        elif (rvu := schedule.rvus.get(unit.code)) is not None:
            reduced = rvu.mppr == REDUCED and not (unit == first and not first_taken)
            first_taken = first_taken or unit == first
            amount = rvu.amount(reduced)
            how = (
                f"not paid (status {rvu.status})"
                if rvu.status not in PAYABLE
                else "MPPR: half its practice expense"
                if reduced
                else "full"
            )
        elif (fee := catalog.get(unit.code).default_fee) is not None:
            amount, how = fee, "default fee"
        else:
            missing.add(unit.code)
            continue
        paid.append(Paid(unit, (amount * unit.share).quantize(CENT), how))
    return DayPay(tuple(paid), tuple(sorted(missing)), note)


def units_of(lines: Iterable[Line], discipline: Discipline, assistant_share: Decimal) -> list[Unit]:
    """The units of a bill's lines; a CQ/CO line's units are paid `assistant_share`."""
    return [
        Unit(ln.code, discipline, assistant_share if ASSISTANT_MODIFIERS & set(ln.modifiers) else Decimal(1))
        for ln in lines
        for _ in range(ln.units)
    ]
