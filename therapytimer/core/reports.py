"""Day and week reports: the engine applied per patient, per discipline, per date of service.

Medicare pools the day, not the visit, so all of a patient's sessions of one discipline on one date are
billed together (and under one payer rule; a day with two rules for the same patient and discipline is
billed per rule). Each session's code time becomes whole minutes once, per session, so an exported
backup re-imports to exactly the same bill.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from therapytimer.core.catalog import Catalog, Discipline
from therapytimer.core.compliance import Compliance, builtin
from therapytimer.core.fees import DayPay, FeeData, load_fee_data, pay_day, units_of
from therapytimer.core.rules import Rule, RuleInputError, Service, UnitResult, compute
from therapytimer.core.session import FORGOTTEN_AFTER, BillKey, Session

KX = "KX"  # medically necessary therapy past the year's threshold


@dataclass(frozen=True)
class DayBill:
    """One patient's billing for one discipline and rule on one date."""

    date: date
    patient: str
    discipline: Discipline
    rule: Rule
    providers: tuple[str, ...]
    payers: tuple[str, ...]
    session_ids: tuple[str, ...]
    result: UnitResult


def session_minutes(session: Session, now: datetime, limit: timedelta = FORGOTTEN_AFTER) -> dict[str, tuple[int, int]]:
    """Whole minutes per code of one session: (therapist incl. together, assistant alone); a running timer
    counts at most up to the forgotten-timer `limit`."""
    return {code: (t.minutes, t.assistant_minutes) for code, t in session.times(now, limit).items()}


def day_services(
    sessions: Iterable[Session], catalog: Catalog, now: datetime, limit: timedelta = FORGOTTEN_AFTER
) -> list[Service]:
    """The engine's input for sessions billed together: whole minutes per session, summed per code."""
    minutes: dict[str, list[int]] = {}
    for s in sessions:
        for code, (t, a) in session_minutes(s, now, limit).items():
            acc = minutes.setdefault(code, [0, 0])
            acc[0] += t
            acc[1] += a
    return [Service(catalog.get(code), t, a) for code, (t, a) in minutes.items()]


def bill_day(
    sessions: Iterable[Session],
    catalog: Catalog,
    now: datetime,
    limit: timedelta = FORGOTTEN_AFTER,
    compliance: Compliance | None = None,
) -> list[DayBill]:
    """Billing per (date, patient, discipline, rule), in a stable order (running timers up to `limit`)."""
    groups: dict[BillKey, list[Session]] = {}
    for s in sessions:
        groups.setdefault(s.bill_key, []).append(s)
    bills = []
    for key in sorted(groups, key=lambda k: (k[0], k[1].casefold(), k[1], k[2].value, k[3].value)):
        day, patient, discipline, rule = key
        members = groups[key]
        services = day_services(members, catalog, now, limit)
        result = compute(services, rule, catalog, discipline=discipline, day=day, compliance=compliance)
        if any(s.kx for s in members):  # confirmed by the clinician, never added on a suggestion alone
            lines = tuple(replace(line, modifiers=(*line.modifiers, KX)) for line in result.lines)
            result = replace(result, lines=lines)
        bills.append(
            DayBill(
                day,
                patient,
                discipline,
                rule,
                tuple(sorted({s.provider for s in members if s.provider})),
                tuple(sorted({s.payer for s in members if s.payer})),
                tuple(s.id for s in members),
                result,
            )
        )
    return bills


@dataclass(frozen=True)
class CodeTotal:
    minutes: int = 0
    units: int = 0

    def __add__(self, other: CodeTotal) -> CodeTotal:
        return CodeTotal(self.minutes + other.minutes, self.units + other.units)


@dataclass(frozen=True)
class DayTotals:
    date: date
    sessions: int
    timed_minutes: int
    units: int
    revenue: Decimal
    codes: dict[str, CodeTotal]
    missing_fees: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # "estimated at 2025 rates" where a date's year has no fee values

    def to_dict(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "sessions": self.sessions,
            "timed_minutes": self.timed_minutes,
            "units": self.units,
            "revenue": str(self.revenue),
            "codes": {c: {"minutes": t.minutes, "units": t.units} for c, t in sorted(self.codes.items())},
        }


def day_pay(
    bills: Sequence[DayBill],
    catalog: Catalog,
    compliance: Compliance | None = None,
    fees: FeeData | None = None,
    clinic_fees: Mapping[str, Decimal] | None = None,
) -> list[tuple[str, DayPay]]:
    """What each patient's day is paid (MPPR across the patient's disciplines that day): (patient, pay)."""
    data = fees or load_fee_data()
    patients: dict[tuple[date, str], list[DayBill]] = {}
    for bill in bills:
        patients.setdefault((bill.date, bill.patient), []).append(bill)
    out = []
    for (day, patient), theirs in patients.items():
        share = (compliance or builtin()).period(day).payment
        units = [
            unit
            for bill in theirs
            for unit in units_of(bill.result.lines, bill.discipline, share if bill.rule is Rule.CMS else Decimal(1))
        ]
        out.append((patient, pay_day(day, units, catalog, data, clinic_fees or {})))
    return out


def day_totals(
    day: date,
    sessions: Sequence[Session],
    bills: Sequence[DayBill],
    catalog: Catalog,
    compliance: Compliance | None = None,
    fees: FeeData | None = None,
    clinic_fees: Mapping[str, Decimal] | None = None,
) -> DayTotals:
    """The day's totals; revenue is what Medicare pays (RVUs, MPPR per patient across disciplines, CQ/CO at
    their period's share), a clinic fee replacing the RVU amount of its code."""
    codes: dict[str, CodeTotal] = {}
    for bill in bills:
        for line in bill.result.lines:
            codes[line.code] = codes.get(line.code, CodeTotal()) + CodeTotal(line.minutes, line.units)
    pays = [pay for _, pay in day_pay(bills, catalog, compliance, fees, clinic_fees)]
    return DayTotals(
        day,
        len(sessions),
        sum(b.result.total_timed_minutes for b in bills),
        sum(b.result.total_units for b in bills),
        sum((p.total for p in pays), Decimal("0.00")),
        codes,
        tuple(sorted({c for p in pays for c in p.missing})),
        tuple(sorted({p.note for p in pays if p.note})),
    )


@dataclass(frozen=True)
class WeekReport:
    week_start: date
    week_end: date
    days: tuple[DayTotals, ...]

    @property
    def totals(self) -> DayTotals:
        codes: dict[str, CodeTotal] = {}
        for d in self.days:
            for code, t in d.codes.items():
                codes[code] = codes.get(code, CodeTotal()) + t
        return DayTotals(
            self.week_start,
            sum(d.sessions for d in self.days),
            sum(d.timed_minutes for d in self.days),
            sum(d.units for d in self.days),
            sum((d.revenue for d in self.days), Decimal("0.00")),
            codes,
            tuple(sorted({c for d in self.days for c in d.missing_fees})),
            tuple(sorted({n for d in self.days for n in d.notes})),
        )

    def to_dict(self) -> dict[str, object]:
        totals = self.totals.to_dict()
        del totals["date"]
        return {
            "week_start": self.week_start.isoformat(),
            "week_end": self.week_end.isoformat(),
            "days": [d.to_dict() for d in self.days],
            "totals": totals,
            "missing_fees": list(self.totals.missing_fees),
            "notes": list(self.totals.notes),
        }


def week_bounds(day: date, week_start: str = "monday") -> tuple[date, date]:
    """The first and last date of the week containing `day` (weeks start Monday or Sunday)."""
    start_day = week_start.lower()
    if start_day not in ("monday", "sunday"):
        raise ValueError(f"week_start must be monday or sunday, not {week_start!r}")
    offset = day.weekday() if start_day == "monday" else (day.weekday() + 1) % 7
    try:
        start = day - timedelta(days=offset)
        return start, start + timedelta(days=6)
    except OverflowError:
        raise RuleInputError(f"the week of {day.isoformat()} runs past the calendar's first or last day") from None


def week_report(
    sessions: Sequence[Session],
    catalog: Catalog,
    now: datetime,
    start: date,
    end: date,
    limit: timedelta = FORGOTTEN_AFTER,
    compliance: Compliance | None = None,
    fees: FeeData | None = None,
    clinic_fees: Mapping[str, Decimal] | None = None,
) -> WeekReport:
    days = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        todays = [s for s in sessions if s.date == day]
        bills = bill_day(todays, catalog, now, limit, compliance)
        days.append(day_totals(day, todays, bills, catalog, compliance, fees, clinic_fees))
    return WeekReport(start, end, tuple(days))
