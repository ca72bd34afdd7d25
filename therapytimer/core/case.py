"""The patient's case: progress reports, the plan of care and the therapy threshold, from the sessions.

Medicare wants a progress report at least once every 10 treatment days (the evaluation day is the first;
Pub. 100-02 ch. 15 §220.3D), a plan of care certified for at most 90 calendar days, and KX on the lines
once the year's allowed amounts pass the therapy threshold (PT and SLP together, OT apart). EMRs count
these on their servers; here they are counted from the sessions already stored for one patient alias,
nothing more, so every figure says it covers only this app's sessions.

A *treatment day* of a discipline is a date with at least one billed unit of it. Progress-report periods
run across the new year (a threshold does not): the count restarts after the day a report was written,
or at an initial evaluation (a new episode; `resources/compliance/evaluations.csv`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from therapytimer.core.catalog import Catalog, Discipline
from therapytimer.core.compliance import Compliance
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.fees import FeeData, Threshold
from therapytimer.core.reports import DayBill, bill_day, day_pay
from therapytimer.core.rules import Rule
from therapytimer.core.session import FORGOTTEN_AFTER, Session, SessionError, clean_patient
from therapytimer.core.words import plural

REPORT_EVERY = 10  # treatment days: a progress report at least once every 10
PLAN_MAX_DAYS = 90  # calendar days a plan of care may be certified for, both ends counted
THRESHOLD_GROUPS = ((Discipline.PT, Discipline.SLP), (Discipline.OT,))
ONLY_HERE = (
    "Counted from this app's sessions for this alias only: visits and amounts billed by another clinic or "
    "recorded elsewhere are not included."
)


class PlanError(TherapyTimerError, ValueError):
    """Plan-of-care dates that cannot be certified (the message says why)."""


@dataclass(frozen=True)
class PlanOfCare:
    """A certified period of one discipline's plan of care, as the clinician entered it."""

    patient: str
    discipline: Discipline
    start: date
    end: date

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def plan_of_care(patient: str, discipline: Discipline, start: date, end: date) -> PlanOfCare:
    """A plan of care to enter; PlanError when the dates cannot be a certified period."""
    try:
        alias = clean_patient(patient)
    except SessionError as exc:
        raise PlanError(str(exc)) from None
    if end < start:
        raise PlanError(f"the plan of care ends ({end}) before it starts ({start})")
    plan = PlanOfCare(alias, discipline, start, end)
    if plan.days > PLAN_MAX_DAYS:
        last = start + timedelta(days=PLAN_MAX_DAYS - 1)
        raise PlanError(
            f"a plan of care is certified for at most {PLAN_MAX_DAYS} calendar days; {start} to {end} is "
            f"{plan.days} (the latest end is {last})"
        )
    return plan


@dataclass(frozen=True)
class Progress:
    """One discipline's count of treatment days and progress reports, as of a date."""

    discipline: Discipline
    treatment_days: int  # in the calendar year, up to the date
    since_report: int  # treatment days after the last report (or from the last evaluation)
    last_report: date | None
    last_day: date | None  # the latest treatment day counted
    overdue: tuple[date, ...]  # treatment days in the year that were the 10th or later without a report
    plan: PlanOfCare | None  # the certified period in force (or the last one, or the next)
    outside_plan: tuple[date, ...]  # treatment days in the year outside every entered period

    @property
    def due(self) -> bool:
        """Whether the next treatment day would be the 10th without a report (or it is already late)."""
        return self.since_report >= REPORT_EVERY - 1

    def to_dict(self) -> dict[str, object]:
        return {
            "discipline": self.discipline.value,
            "treatment_days": self.treatment_days,
            "since_progress_report": self.since_report,
            "progress_report_due": self.due,
            "plan_of_care": self.plan.to_dict() if self.plan else None,
        }


@dataclass(frozen=True)
class Allowed:
    """A threshold group's estimated Medicare allowed amount in the year, day by day."""

    disciplines: tuple[Discipline, ...]
    threshold: Threshold
    running: tuple[tuple[date, Decimal], ...]  # (date of service, the year's total through it)

    @property
    def estimate(self) -> Decimal:
        return self.running[-1][1] if self.running else Decimal("0.00")

    @property
    def over(self) -> bool:
        return self.estimate > self.threshold.amount

    def through(self, day: date) -> Decimal:
        """The year's total up to and including `day`."""
        return next((total for d, total in reversed(self.running) if d <= day), Decimal("0.00"))

    def kx_due(self, day: date) -> bool:
        """Whether the services of `day` are past the threshold (the day that crosses it included)."""
        return self.through(day) > self.threshold.amount

    @property
    def crossed_on(self) -> date | None:
        return next((d for d, total in self.running if total > self.threshold.amount), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "disciplines": [d.value for d in self.disciplines],
            "threshold": str(self.threshold.amount),
            "allowed_estimate": str(self.estimate),
            "over": self.over,
        }


@dataclass(frozen=True)
class Case:
    patient: str
    year: int
    as_of: date
    progress: tuple[Progress, ...]
    allowed: tuple[Allowed, ...]
    notes: tuple[str, ...]

    def of(self, discipline: Discipline) -> Progress | None:
        return next((p for p in self.progress if p.discipline is discipline), None)

    def allowed_of(self, discipline: Discipline) -> Allowed:
        return next(a for a in self.allowed if discipline in a.disciplines)

    def to_dict(self) -> dict[str, object]:
        return {
            "patient": self.patient,
            "year": self.year,
            "disciplines": [p.to_dict() for p in self.progress],
            "thresholds": [a.to_dict() for a in self.allowed],
            "notes": list(self.notes),
        }


def _treatment_days(bills: Iterable[DayBill]) -> dict[Discipline, set[date]]:
    out: dict[Discipline, set[date]] = {}
    for bill in bills:
        if any(line.units for line in bill.result.lines):
            out.setdefault(bill.discipline, set()).add(bill.date)
    return out


def _evaluation_days(bills: Iterable[DayBill], compliance: Compliance) -> dict[Discipline, set[date]]:
    out: dict[Discipline, set[date]] = {}
    for bill in bills:
        for line in bill.result.lines:
            if line.units and compliance.evaluations.get(line.code) == bill.discipline.value:
                out.setdefault(bill.discipline, set()).add(bill.date)
    return out


def _progress(
    discipline: Discipline,
    billed: set[date],
    under_way: set[date],
    reports: set[date],
    evaluations: set[date],
    plans: Sequence[PlanOfCare],
    year: int,
    as_of: date,
) -> Progress:
    """Walk the discipline's days in order: an evaluation starts a period at 1, a report ends one. A visit
    `under_way` counts as a treatment day, but is not late before it has billed."""
    treated = billed | under_way
    count, overdue, last_report = 0, [], None
    for day in sorted(treated | reports | evaluations):
        if day in evaluations:
            count = 0
        if day in treated:
            count += 1
            if count >= REPORT_EVERY and day not in reports and day in billed and day.year == year:
                overdue.append(day)
        if day in reports:
            count, last_report = 0, day
    in_year = sorted(d for d in treated if d.year == year)
    mine = [p for p in plans if p.discipline is discipline]
    outside = tuple(d for d in in_year if mine and not any(p.covers(d) for p in mine))
    last_day = max(treated, default=None)
    plan = _current(mine, as_of)
    return Progress(discipline, len(in_year), count, last_report, last_day, tuple(overdue), plan, outside)


def _current(plans: Sequence[PlanOfCare], as_of: date) -> PlanOfCare | None:
    """The period covering `as_of`; else the last one that ended; else the next one to begin."""
    covering = [p for p in plans if p.covers(as_of)]
    if covering:
        return max(covering, key=lambda p: p.start)
    ended = [p for p in plans if p.end < as_of]
    if ended:
        return max(ended, key=lambda p: p.end)
    return min(plans, key=lambda p: p.start, default=None)


def _allowed(
    bills: Sequence[DayBill], catalog: Catalog, compliance: Compliance, fees: FeeData, year: int
) -> tuple[list[Allowed], set[str], set[str]]:
    """Each threshold group's running total: Medicare's amounts (MPPR across the day's disciplines, CQ/CO at
    their share), never the clinic's own fees, which are what other payers pay."""
    medicare = [b for b in bills if b.rule is Rule.CMS and b.date.year == year]
    by_day: dict[date, list[DayBill]] = {}
    for bill in medicare:
        by_day.setdefault(bill.date, []).append(bill)
    totals = {group: Decimal("0.00") for group in THRESHOLD_GROUPS}
    running: dict[tuple[Discipline, ...], list[tuple[date, Decimal]]] = {group: [] for group in THRESHOLD_GROUPS}
    notes: set[str] = set()
    missing: set[str] = set()
    for day in sorted(by_day):
        for _, pay in day_pay(by_day[day], catalog, compliance, fees, clinic_fees={}):
            missing.update(pay.missing)
            if pay.note:
                notes.add(pay.note)
            amounts = pay.by_discipline()
            for group in THRESHOLD_GROUPS:
                if any(d in amounts for d in group):
                    totals[group] += sum((amounts.get(d, Decimal(0)) for d in group), Decimal("0.00"))
                    running[group].append((day, totals[group]))
    threshold, threshold_note = fees.threshold(year)
    if threshold_note:
        notes.add(threshold_note)
    return [Allowed(group, threshold, tuple(running[group])) for group in THRESHOLD_GROUPS], notes, missing


def build_case(
    patient: str,
    sessions: Sequence[Session],
    plans: Sequence[PlanOfCare],
    year: int,
    as_of: date,
    catalog: Catalog,
    compliance: Compliance,
    fees: FeeData,
    now: datetime,
    limit: timedelta = FORGOTTEN_AFTER,
    visit: Discipline | None = None,
) -> Case:
    """The case of `patient` in `year` as of `as_of` (that year's last day, or an earlier one), from their
    stored sessions (a running timer counted up to now, within the forgotten-timer limit). `visit`: a visit
    of that discipline is under way on `as_of`, so it counts as a treatment day before its first unit (the
    header must say "due at this visit" when it starts, not once it has billed)."""
    mine = [s for s in sessions if s.patient == patient and s.date <= as_of]
    bills = bill_day(mine, catalog, now, limit, compliance)
    treated = _treatment_days(bills)
    under_way = {visit: {as_of}} if visit is not None else {}
    evaluations = _evaluation_days(bills, compliance)
    reports: dict[Discipline, set[date]] = {}
    for s in mine:
        if s.progress_report:
            reports.setdefault(s.discipline, set()).add(s.date)
    shown = [
        d
        for d in Discipline
        if d in under_way
        or any(day.year == year for day in treated.get(d, ()))
        or any(p.discipline is d and p.start.year <= year <= p.end.year for p in plans)
    ]
    progress = tuple(
        _progress(
            d,
            treated.get(d, set()),
            under_way.get(d, set()),
            reports.get(d, set()),
            evaluations.get(d, set()),
            plans,
            year,
            as_of,
        )
        for d in shown
    )
    allowed, fee_notes, missing = _allowed(bills, catalog, compliance, fees, year)
    notes = [ONLY_HERE, *sorted(fee_notes)]
    if missing:
        notes.append(f"No fee data for {', '.join(sorted(missing))}: not counted in the allowed amounts")
    return Case(patient, year, as_of, progress, tuple(allowed), tuple(notes))


def money(amount: Decimal) -> str:
    """$2,310 for a figure read at a glance (cents shown only when there are any)."""
    whole = amount == amount.to_integral_value()
    return f"${amount:,.0f}" if whole else f"${amount:,.2f}"


# ---- the lines the faces show -------------------------------------------------------------------------


def progress_line(p: Progress, today: date) -> str:
    """ "PT visit 9 since the last progress report: due next visit" (the header, status, the Day view and
    `case`); `today` a treatment day counts as the visit under way."""
    d = p.discipline.value
    n = p.since_report
    if n == 0:
        when = f"written {p.last_report}" if p.last_report else "no treatment days yet"
        return f"{d} progress report {when}"
    since = "since the last progress report" if p.last_report else "without a progress report"
    head = f"{d} visit {n} {since}"
    at_visit = p.last_day == today
    if n == REPORT_EVERY and at_visit:
        return f"{head}: due at this visit"
    if n >= REPORT_EVERY:
        return f"{head}: OVERDUE, write it at {'this' if at_visit else 'the next'} visit"
    if n == REPORT_EVERY - 1:
        return f"{head}: due next visit"
    return f"{head}: due in {plural(REPORT_EVERY - n, 'visit')}"


def plan_line(p: Progress, today: date) -> str:
    """ "PT plan of care ends in 6 days" (or ended, or not entered)."""
    d = p.discipline.value
    plan = p.plan
    if plan is None:
        return f"{d} plan of care: not entered"
    if plan.start > today:
        return f"{d} plan of care starts {plan.start} (in {plural((plan.start - today).days, 'day')})"
    left = (plan.end - today).days
    if left < 0:
        return f"{d} plan of care ENDED {plan.end} ({plural(-left, 'day')} ago): recertify"
    if left == 0:
        return f"{d} plan of care ends today"
    return f"{d} plan of care ends in {plural(left, 'day')} ({plan.end})"


def allowed_line(a: Allowed) -> str:
    """ "PT+SLP $2,310 of $2,410 (2025 therapy threshold)" and what passing it means."""
    group = "+".join(d.value for d in a.disciplines)
    head = f"{group} {money(a.estimate)} of {money(a.threshold.amount)} ({a.threshold.year} therapy threshold)"
    if a.estimate > a.threshold.review:
        return f"{head}: past it, KX on the lines; past {money(a.threshold.review)}: targeted medical review possible"
    if a.over:
        return f"{head}: past it since {a.crossed_on}, KX on the lines"
    return head
