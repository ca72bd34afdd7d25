"""The patient's case, for both faces: `therapytimer case` and `plan-of-care`, the session header, the Day
view, `status` and `check` all read it here, so the countdown and the threshold say the same everywhere."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from therapytimer.core.case import (
    REPORT_EVERY,
    Case,
    PlanOfCare,
    allowed_line,
    build_case,
    plan_line,
    plan_of_care,
    progress_line,
)
from therapytimer.core.catalog import Discipline
from therapytimer.core.fees import load_fee_data
from therapytimer.core.rules import Rule
from therapytimer.core.session import Session, clean_patient
from therapytimer.services.context import Context
from therapytimer.services.timers import Timers
from therapytimer.storage.store import Store

if TYPE_CHECKING:
    from therapytimer.core.checks import Finding

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionCase:
    """What a session's header shows of its patient's case in its discipline, as of its date."""

    lines: tuple[str, ...]  # progress report, plan of care, threshold: each one line
    report_due: bool  # the progress report is due at this visit (the 10th) or already late
    kx_suggested: bool  # Medicare, past the threshold, KX not yet confirmed


class Cases:
    def __init__(self, store: Store, timers: Timers, context: Context) -> None:
        self._store = store
        self.timers = timers
        self.context = context
        self._history: dict[tuple[str, date], tuple[int, list[Session], list[PlanOfCare]]] = {}

    def case(self, patient: str, year: int | None = None) -> Case:
        """The patient's case in `year` (default this year), as of today or that year's last day."""
        alias = _alias(patient)
        self.timers.settle()
        today = self.context.clock.today()
        year = year or today.year
        as_of = min(today, date(year, 12, 31))
        return self._build(alias, year, as_of)

    def _build(self, alias: str, year: int, as_of: date, visit: Discipline | None = None) -> Case:
        ctx = self.context
        sessions = self._store.sessions_of(alias, as_of)
        return build_case(
            alias,
            sessions,
            self._store.plans_of_care(alias),
            year,
            as_of,
            ctx.catalog,
            ctx.compliance,
            load_fee_data(),
            ctx.clock.now(),
            ctx.prefs.forgotten_after,
            visit,
        )

    def for_session(self, session: Session) -> SessionCase:
        """The header lines of a session: its discipline's count as of its date, its plan of care, and its
        threshold group's total through that date. The window asks after every action and at each new
        unit, so the patient's earlier days and plans are read once and kept until they may have changed
        (`Timers.history_version`); the day itself comes from what the timers already hold."""
        key = (session.patient, session.date)
        kept = self._history.get(key)
        if kept is None or kept[0] != self.timers.history_version:
            earlier = self._store.sessions_of(session.patient, session.date - timedelta(days=1))
            kept = (self.timers.history_version, earlier, self._store.plans_of_care(session.patient))
            self._history = {key: kept}  # one patient at a time at the bedside
        _, earlier, plans = kept
        day = [s for s in self.timers.sessions_on(session.date) if s.patient == session.patient]
        ctx = self.context
        case = build_case(
            session.patient,
            [*earlier, *day],
            plans,
            session.date.year,
            session.date,
            ctx.catalog,
            ctx.compliance,
            load_fee_data(),
            ctx.clock.now(),
            ctx.prefs.forgotten_after,
            session.discipline,
        )
        return session_case(case, session)

    def plans(self, patient: str) -> list[PlanOfCare]:
        return self._store.plans_of_care(_alias(patient))

    def set_plan(self, patient: str, discipline: Discipline, start: date, end: date) -> PlanOfCare:
        """Enter a certified period (PlanError when it cannot be one); the same start replaces the end."""
        plan = plan_of_care(patient, discipline, start, end)
        self._store.set_plan_of_care(plan, self.context.clock.now())
        self._history.clear()
        log.info("plan of care entered (%s, %d days)", discipline.value, plan.days)
        return plan

    def remove_plan(self, patient: str, discipline: Discipline, start: date) -> bool:
        removed = self._store.remove_plan_of_care(_alias(patient), discipline, start)
        self._history.clear()
        log.info("plan of care removed: %s", removed)
        return removed

    def findings(self, day: date, sessions: list[Session]) -> list[Finding]:
        """The case checks of each patient seen on `day` (`core.checks.case_findings`, loaded when first
        used: the window starts without it)."""
        from therapytimer.core.checks import case_findings

        found: list[Finding] = []
        for patient in sorted({s.patient for s in sessions if s.date == day}, key=str.casefold):
            found += case_findings(day, sessions, self._build(patient, day.year, day))
        return found


def session_case(case: Case, session: Session) -> SessionCase:
    progress = case.of(session.discipline)
    allowed = case.allowed_of(session.discipline)
    lines = []
    due = False
    if progress is not None:
        lines.append(progress_line(progress, session.date))
        lines.append(plan_line(progress, session.date))
        due = progress.since_report >= REPORT_EVERY and not session.progress_report
    medicare = session.rule is Rule.CMS
    if medicare:
        lines.append(allowed_line(allowed))
    suggest = medicare and allowed.kx_due(session.date) and not session.kx
    return SessionCase(tuple(lines), due, suggest)


def _alias(patient: str) -> str:
    return clean_patient(patient)  # SessionError says what an alias may hold
