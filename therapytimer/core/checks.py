"""Day checks: what could make a day's bill wrong without anyone being told, found in one place.

The Day view, `export` and `therapytimer check` all call `day_findings`, so what blocks an export is what
the window lists and what `check` reports. Errors make the day unfinished (an open session, a running
timer, a timer past the forgotten-timer limit); warnings are for a person to look at before billing
(minutes above the clock time they fit in, units above a code's per-day limit, more than four timed units
an hour, a session with no clinician named) and, from the patient's case, a progress report past its 10th
treatment day, a visit outside the certified plan of care, Medicare lines past the threshold without KX.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from therapytimer.core.case import REPORT_EVERY, Case, allowed_line
from therapytimer.core.catalog import Catalog
from therapytimer.core.compliance import Mue
from therapytimer.core.reports import bill_day
from therapytimer.core.rules import Rule
from therapytimer.core.session import Session, State
from therapytimer.core.stopwatch import AUTO_STOP
from therapytimer.core.words import plural

UNITS_PER_HOUR = 4  # 60 minutes hold four 15-minute units


class Severity(StrEnum):
    ERROR = "error"  # the day is unfinished: not exported by accident
    WARNING = "warning"  # look before billing


class Kind(StrEnum):
    OPEN_SESSION = "open-session"
    RUNNING_TIMER = "running-timer"
    OVER_LIMIT = "over-limit"
    STOPPED_BY_ITSELF = "stopped-by-itself"
    DOUBLE_COUNTING = "double-counting"
    MUE = "mue"
    UNITS_PER_HOUR = "units-per-hour"
    NO_PROVIDER = "no-provider"
    PROGRESS_REPORT = "progress-report"
    PLAN_OF_CARE = "plan-of-care"
    THRESHOLD = "threshold"


@dataclass(frozen=True)
class Finding:
    kind: Kind
    severity: Severity
    message: str
    session: str | None = None
    code: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "session": self.session,
            "code": self.code,
            "message": self.message,
        }


def _at(moment: datetime, tz: tzinfo | None) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def unfinished(sessions: Sequence[Session], now: datetime, limit: timedelta, tz: tzinfo | None) -> list[Finding]:
    """Open sessions (with any timer that stopped by itself after its day), running timers and timers past
    the limit without a "still treating": the day is not done, and exporting it would bill what is not
    finished."""
    found: list[Finding] = []
    for s in sessions:
        if s.state is State.OPEN:
            found.append(
                Finding(Kind.OPEN_SESSION, Severity.ERROR, f"{s.patient} ({s.discipline.value}): session open", s.id)
            )
            for event in s.events:  # a timer its day outlived: until the session is closed, someone must look
                if event.kind == AUTO_STOP:
                    text = f"{s.patient}: {event.text}; check its minutes before closing the session"
                    found.append(Finding(Kind.STOPPED_BY_ITSELF, Severity.ERROR, text, s.id))
        for seg in s.running():
            started = f"started {seg.start.astimezone(tz):%Y-%m-%d} {_at(seg.start, tz)}"
            if seg.over_limit(now, limit):
                minutes = int(limit.total_seconds() // 60)
                text = f"{s.patient}: {seg.code} {started}, past the {minutes}-minute limit and not confirmed"
                found.append(Finding(Kind.OVER_LIMIT, Severity.ERROR, text, s.id, seg.code))
            else:
                text = f"{s.patient}: {seg.code} running ({started})"
                found.append(Finding(Kind.RUNNING_TIMER, Severity.ERROR, text, s.id, seg.code))
    return found


def _merged(intervals: list[tuple[datetime, datetime]]) -> float:
    """Minutes covered by the union of the (one or more) intervals."""
    ordered = sorted(intervals)
    total = 0.0
    start, end = ordered[0]
    for begins, ends in ordered[1:]:
        if begins > end:
            total += (end - start).total_seconds()
            start, end = begins, ends
        else:
            end = max(end, ends)
    return (total + (end - start).total_seconds()) / 60


def day_findings(
    day: date,
    sessions: Sequence[Session],
    catalog: Catalog,
    now: datetime,
    limit: timedelta,
    tz: tzinfo | None = None,
    mue: Callable[[str], Mue | None] = lambda _code: None,
) -> list[Finding]:
    """Every finding of `day` (its sessions as stored), errors first. `mue` gives a code's per-day unit
    limit (`Compliance.limit`) where one is known."""
    todays = [s for s in sessions if s.date == day]
    found = unfinished(todays, now, limit, tz)
    bills = bill_day(todays, catalog, now, limit)
    for bill in bills:
        for code, units in bill.result.service_units.items():
            cap = mue(code)
            if cap is not None and units > cap.units:
                text = f"{bill.patient} ({bill.discipline.value}): {cap.warning(units)}"
                found.append(Finding(Kind.MUE, Severity.WARNING, text, bill.session_ids[0], code))
    by_provider: dict[str, list[Session]] = {}
    for s in todays:
        if not s.provider:
            text = f"{s.patient} ({s.discipline.value}): no clinician named on the session"
            found.append(Finding(Kind.NO_PROVIDER, Severity.WARNING, text, s.id))
        else:
            by_provider.setdefault(s.provider, []).append(s)
    for provider, theirs in sorted(by_provider.items()):
        timed = [s for s in theirs if s.segments]  # only timed sessions have a clock span to compare with
        if not timed:
            continue
        intervals = [(seg.start, min(seg.end or now, seg.limit_end(limit))) for s in timed for seg in s.segments]
        spanned = _merged(intervals)
        minutes = sum(
            t.minutes + t.assistant_minutes
            for s in timed
            for code, t in s.times(now, limit).items()
            if catalog.get(code).timed
        )
        if minutes > math.ceil(spanned):
            text = (
                f"{provider}: {minutes} timed minutes recorded in {math.ceil(spanned)} minutes of clock time: "
                "some minutes are counted twice"
            )
            found.append(Finding(Kind.DOUBLE_COUNTING, Severity.WARNING, text))
        ids = {s.id for s in timed}
        units = sum(  # the timed units of the bills that are this clinician's alone
            ln.units
            for bill in bills
            if set(bill.session_ids) <= ids
            for ln in bill.result.lines
            if catalog.get(ln.code).timed
        )
        hours = math.ceil(spanned / 60)
        if units > UNITS_PER_HOUR * hours:
            text = (
                f"{provider}: {plural(units, 'timed unit')} in {plural(hours, 'clinic hour')}: more than "
                f"{UNITS_PER_HOUR} an hour"
            )
            found.append(Finding(Kind.UNITS_PER_HOUR, Severity.WARNING, text))
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    return sorted(found, key=lambda f: order[f.severity])


def case_findings(day: date, sessions: Sequence[Session], case: Case) -> list[Finding]:
    """The warnings of one patient's case on `day` (`case` built as of that day from their sessions)."""
    found: list[Finding] = []
    theirs = [s for s in sessions if s.date == day and s.patient == case.patient]
    for discipline in sorted({s.discipline for s in theirs}, key=lambda d: d.value):
        mine = [s for s in theirs if s.discipline is discipline]
        who = f"{case.patient} ({discipline.value})"
        progress = case.of(discipline)
        if progress is not None and day in progress.overdue:
            text = (
                f"{who}: treatment day {progress.since_report} without a progress report (one is "
                f"due at least every {REPORT_EVERY}); write it and tick it on the session"
            )
            found.append(Finding(Kind.PROGRESS_REPORT, Severity.WARNING, text, mine[0].id))
        if progress is not None and day in progress.outside_plan:
            text = f"{who}: {day} is outside every certified plan-of-care period entered for this patient"
            found.append(Finding(Kind.PLAN_OF_CARE, Severity.WARNING, text, mine[0].id))
        medicare = [s for s in mine if s.rule is Rule.CMS]
        allowed = case.allowed_of(discipline)
        if medicare and allowed.kx_due(day) and not any(s.kx for s in medicare):
            text = f"{who}: {allowed_line(allowed)}; KX is not confirmed on the day's lines"
            found.append(Finding(Kind.THRESHOLD, Severity.WARNING, text, medicare[0].id))
    return found
