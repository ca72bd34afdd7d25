"""case, plan-of-care and mark: the patient's case from a terminal, read where the window reads it."""

from __future__ import annotations

import argparse
import json
import sys

from therapytimer.cli.common import UsageError, explained, fail
from therapytimer.core.case import Case, allowed_line, plan_line, progress_line
from therapytimer.core.catalog import Discipline
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.session import Session, clean_patient
from therapytimer.core.words import plural
from therapytimer.services.workspace import Workspace


def _open(args: argparse.Namespace) -> Workspace:
    return Workspace.open(args.context)


def case_text(case: Case) -> list[str]:
    """What `case` prints: one line per count, then what the figures cover."""
    out = [f"{case.patient} · {case.year} (as of {case.as_of})"]
    for p in case.progress:
        out.append(f"  {progress_line(p, case.as_of)} ({plural(p.treatment_days, 'treatment day')} in {case.year})")
        out.append(f"  {plan_line(p, case.as_of)}")
        if p.outside_plan:
            days = ", ".join(str(d) for d in p.outside_plan)
            out.append(f"  {p.discipline.value} treatment days outside every certified period: {days}")
    if not case.progress:
        out.append(f"  no treatment days in {case.year}")
    out += [f"  {allowed_line(a)}" for a in case.allowed]
    out += [f"  note: {n}" for n in case.notes]
    return out


def cmd_case(args: argparse.Namespace) -> int:
    workspace = _open(args)
    try:
        case = workspace.cases.case(args.patient, args.year)
    except TherapyTimerError as exc:
        return fail(explained(exc, "case"))
    finally:
        workspace.close()
    if args.json:
        print(json.dumps(case.to_dict(), ensure_ascii=False))
    else:
        print("\n".join(case_text(case)))
    return 0


def cmd_plan_of_care(args: argparse.Namespace) -> int:
    """Enter (or correct, or remove) a certified period; without dates, list the patient's periods."""
    discipline = Discipline(args.discipline) if args.discipline else None
    if (args.start or args.end or args.remove) and discipline is None:
        raise UsageError("plan-of-care: give --discipline PT, OT or SLP")
    if args.remove and args.start is None:
        raise UsageError("plan-of-care: --remove needs --start (the period's first day)")
    if not args.remove and (args.start is None) != (args.end is None):
        raise UsageError("plan-of-care: give both --start and --end")
    workspace = Workspace.open(args.context, create=args.start is not None and not args.remove)
    try:
        cases = workspace.cases
        if args.remove:
            assert discipline is not None and args.start is not None
            if not cases.remove_plan(args.patient, discipline, args.start):
                return fail(f"plan-of-care: no {discipline.value} period starting {args.start} for {args.patient}")
            print(f"Removed the {discipline.value} plan of care starting {args.start}.")
        elif args.start is not None:
            assert discipline is not None
            plan = cases.set_plan(args.patient, discipline, args.start, args.end)
            print(
                f"{plan.patient} {plan.discipline.value} plan of care: {plan.start} to {plan.end} ({plan.days} days)."
            )
        plans = [p for p in cases.plans(args.patient) if discipline is None or p.discipline is discipline]
        if not plans:
            print(f"No plan of care entered for {clean_patient(args.patient)}.")
        for p in plans:
            print(f"  {p.discipline.value}  {p.start} to {p.end}  ({p.days} days)")
        return 0
    except TherapyTimerError as exc:
        return fail(explained(exc, "plan-of-care"))
    finally:
        workspace.close()


def _session_of(workspace: Workspace, args: argparse.Namespace) -> Session:
    timers = workspace.timers
    day = args.date or timers.clock.today()
    if args.patient is None:
        last = timers.last_session()
        if last is None:
            raise UsageError("mark: no open session; give --patient (and --date for an older day)")
        return last
    alias = clean_patient(args.patient)
    mine = [
        s
        for s in timers.sessions_on(day)
        if s.patient == alias and (args.discipline is None or s.discipline.value == args.discipline)
    ]
    if not mine:
        raise UsageError(f"mark: {alias} has no session on {day}")
    if len({s.discipline for s in mine}) > 1:
        raise UsageError(f"mark: {alias} has sessions of two disciplines on {day}: give --discipline")
    return mine[-1]


def cmd_mark(args: argparse.Namespace) -> int:
    """The visit's progress report written (or not), KX on its lines (or not), open or closed."""
    if args.progress_report is None and args.kx is None:
        raise UsageError("mark: say what: --progress-report, --no-progress-report, --kx or --no-kx")
    workspace = _open(args)
    try:
        session = _session_of(workspace, args)
        after = workspace.timers.mark(session.id, progress_report=args.progress_report, kx=args.kx)
        report = "written" if after.progress_report else "not written"
        kx = "on the lines" if after.kx else "not on the lines"
        print(f"{after.patient} · {after.discipline.value} · {after.date}: progress report {report}; KX {kx}.")
        header = workspace.cases.for_session(after)
        for line in header.lines:
            print(f"  {line}")
        return 0
    except TherapyTimerError as exc:
        return fail(explained(exc, "mark"))
    finally:
        workspace.close()


def print_case_lines(workspace: Workspace, session: Session, out: list[str]) -> None:
    """The case lines under a session in `status` (nothing for a patient with no count yet)."""
    try:
        header = workspace.cases.for_session(session)
    except TherapyTimerError as exc:  # a stored session the catalog no longer knows: said, not fatal
        print(f"note: {session.patient}: the case cannot be counted ({exc})", file=sys.stderr)
        return
    out += [f"  {line}" for line in header.lines]
