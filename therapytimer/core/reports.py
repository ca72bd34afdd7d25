"""Day and week reports: the engine applied per patient, per discipline, per date of service.

Medicare pools the day, not the visit, so all of a patient's sessions of one discipline on one date are
billed together (and under one payer rule; a day with two rules for the same patient and discipline is
billed per rule). Each session's code time becomes whole minutes once, per session, so an exported
backup re-imports to exactly the same bill.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from therapytimer.core.catalog import Catalog, Discipline
from therapytimer.core.compliance import Compliance, builtin
from therapytimer.core.rules import ASSISTANT_MODIFIER, Rule, RuleInputError, Service, UnitResult, compute
from therapytimer.core.session import FORGOTTEN_AFTER, BillKey, Session

ASSISTANT_MODIFIERS = set(ASSISTANT_MODIFIER.values())  # CQ, CO: from the one table in rules


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

    def to_dict(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "sessions": self.sessions,
            "timed_minutes": self.timed_minutes,
            "units": self.units,
            "revenue": str(self.revenue),
            "codes": {c: {"minutes": t.minutes, "units": t.units} for c, t in sorted(self.codes.items())},
        }


def line_revenue(bill: DayBill, catalog: Catalog, compliance: Compliance | None = None) -> tuple[Decimal, set[str]]:
    """Estimated revenue of a bill from default fees; under Medicare, CQ/CO units at the share the date of
    service's period pays (85 % from 2022, in full in 2020-2021)."""
    payment = (compliance or builtin()).period(bill.date).payment
    total = Decimal(0)
    missing: set[str] = set()
    for line in bill.result.lines:
        if not line.units:
            continue
        fee = catalog.get(line.code).default_fee
        if fee is None:
            missing.add(line.code)
            continue
        factor = payment if bill.rule is Rule.CMS and ASSISTANT_MODIFIERS & set(line.modifiers) else 1
        total += fee * line.units * factor
    return total, missing


def day_totals(
    day: date,
    sessions: Sequence[Session],
    bills: Sequence[DayBill],
    catalog: Catalog,
    compliance: Compliance | None = None,
) -> DayTotals:
    codes: dict[str, CodeTotal] = {}
    revenue = Decimal(0)
    missing: set[str] = set()
    for bill in bills:
        money, lacking = line_revenue(bill, catalog, compliance)
        revenue += money
        missing |= lacking
        for line in bill.result.lines:
            codes[line.code] = codes.get(line.code, CodeTotal()) + CodeTotal(line.minutes, line.units)
    return DayTotals(
        day,
        len(sessions),
        sum(b.result.total_timed_minutes for b in bills),
        sum(b.result.total_units for b in bills),
        revenue.quantize(Decimal("0.01")),
        codes,
        tuple(sorted(missing)),
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
) -> WeekReport:
    days = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        todays = [s for s in sessions if s.date == day]
        days.append(day_totals(day, todays, bill_day(todays, catalog, now, limit, compliance), catalog, compliance))
    return WeekReport(start, end, tuple(days))
