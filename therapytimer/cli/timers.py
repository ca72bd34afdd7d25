"""start, pause, close and status: the timers from a terminal, a script, a hotkey tool or a foot pedal.

The same use cases as the window's buttons, so one-at-a-time holds between them: a `start` here pauses
the timer running in the window. `status --json` gives exact seconds and units to read back.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from therapytimer.cli.cases import print_case_lines
from therapytimer.cli.common import UsageError, explained, fail, table
from therapytimer.core import stopwatch
from therapytimer.core.catalog import CODE_PATTERN, Discipline
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.live import LiveView
from therapytimer.core.rules import Rule
from therapytimer.core.session import Segment, Session, SessionError, Who, clean_patient
from therapytimer.core.stopwatch import resume_as
from therapytimer.core.words import plural
from therapytimer.services.timers import Timers
from therapytimer.services.workspace import Workspace


def _run(args: argparse.Namespace, act: Callable[[Timers], int], *, create: bool = False) -> int:
    return _run_workspace(args, lambda workspace: act(workspace.timers), create=create)


def _run_workspace(args: argparse.Namespace, act: Callable[[Workspace], int], *, create: bool = False) -> int:
    workspace = Workspace.open(args.context, create=create)
    try:
        return act(workspace)
    except TherapyTimerError as exc:
        return fail(explained(exc, args.command))
    finally:
        workspace.close()


def _code(text: str) -> str:
    code = text.strip().upper()
    if not CODE_PATTERN.match(code):
        raise UsageError(f"{code!r} is not a code (five digits, or a letter and four digits)")
    return code


def find_session(
    timers: Timers, patient: str | None, discipline: str | None, day: date | None = None
) -> Session | None:
    """The patient's open session of `day` (default today; of `discipline`, if given); without a patient,
    the open session that ran last. None if there is none."""
    if patient is None:
        return timers.last_session()
    alias = clean_patient(patient)
    today = day or timers.clock.today()
    mine = [
        s
        for s in timers.open_sessions()
        if s.patient == alias and s.date == today and (discipline is None or s.discipline.value == discipline)
    ]
    if len({s.discipline for s in mine}) > 1:
        kinds = " and ".join(sorted({s.discipline.value for s in mine}))
        raise UsageError(f"{alias} has open {kinds} sessions today: give --discipline")
    return mine[-1] if mine else None


def _label(session: Session) -> str:
    return f"{session.patient} · {session.discipline.value} · session {session.id[:8]}"


def cmd_start(args: argparse.Namespace) -> int:
    code = _code(args.code)
    settings = args.context.prefs.settings
    who = Who(args.who) if args.who else None

    def run(timers: Timers) -> int:
        now = timers.clock.now()
        session = find_session(timers, args.patient, args.discipline)
        if session is not None and session.date != timers.clock.today():
            # Time lands on the session's date of service: never bill today's minutes on an older day.
            return fail(
                f"start: the session that ran last ({session.patient}, {session.date}) is not today's; "
                "give --patient ALIAS to start today's session"
            )
        if session is None:
            if args.patient is None:
                return fail("start: no open session; give --patient ALIAS (and --discipline) to open one")
            discipline = Discipline(args.discipline or settings.last_discipline)
            # Try the start on a draft first: a refused code must not leave a new, empty session behind.
            draft = stopwatch.new_session(
                args.patient, discipline, Rule.CMS, day=timers.clock.today(), at=now, role=settings.role
            )
            stopwatch.start(draft, code, timers.catalog, now, who=who)
            session = timers.open_session(
                args.patient,
                discipline,
                payer=args.payer or settings.default_payer,
                provider=settings.provider if args.provider is None else args.provider,
                role=settings.role,
            )
        after = timers.start(session.id, code, who)
        treating = next((s.who.value for s in after.running() if s.code == code), "")
        one_at_a_time = settings.exclusive_timers and len(timers.running()) == 1
        paused = " (every other timer is paused)" if one_at_a_time else ""
        print(f"Started {code} ({treating}) for {_label(after)}{paused}.")
        return 0

    return _run(args, run, create=True)


def _at(text: str, timers: Timers, session: Session) -> datetime:
    """--at HH:MM (on the session's date of service) or YYYY-MM-DDTHH:MM, in the clinic's time zone."""
    try:
        when = datetime.fromisoformat(text) if "-" in text else datetime.combine(session.date, time.fromisoformat(text))
    except ValueError:
        raise UsageError(f"--at {text!r} is not a time (use HH:MM, or YYYY-MM-DDTHH:MM)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timers.clock.tz) if timers.clock.tz is not None else when.astimezone()
    return when


def cmd_pause(args: argparse.Namespace) -> int:
    code = _code(args.code) if args.code else None
    if args.at and code is None:
        raise UsageError("pause: --at needs the CODE to stop, e.g. pause 97110 --at 10:30")

    def run(timers: Timers) -> int:
        if args.all:
            print(f"Paused {plural(timers.pause_all(), 'timer')}.")
            return 0
        session = find_session(timers, args.patient, args.discipline)
        if session is None:
            return fail("pause: no open session" + (f" for {args.patient} today" if args.patient else ""))
        was = [s for s in session.running() if code is None or s.code == code]
        if args.at and code is not None:
            after = timers.stop_at(session.id, code, _at(args.at, timers, session))
            print(f"Stopped {code} of {_label(after)} at {args.at}.")
            return 0
        after = timers.pause(session.id, code) if code else timers.pause_session(session.id)
        label = _label(after)
        if was:
            print(f"Paused {code or 'every timer'} of {label}.")
        else:
            print(f"{code} was not running in {label}." if code else f"No timer was running in {label}.")
        return 0

    return _run(args, run)


def cmd_close(args: argparse.Namespace) -> int:
    def run(timers: Timers) -> int:
        session = find_session(timers, args.patient, args.discipline, args.date)
        if session is None:
            when = f" on {args.date}" if args.date else " today"
            raise SessionError("no open session" + (f" for {args.patient}{when}" if args.patient else ""))
        closed = timers.close(session.id, progress_report=args.progress_report or None, kx=args.kx or None)
        marks = [m for m, on in (("progress report written", args.progress_report), ("KX", args.kx)) if on]
        said = f" ({', '.join(marks)})" if marks else ""
        print(f"Closed {_label(closed.session)}{said}. For the note:\n\n{closed.note}")
        return 0

    return _run(args, run)


def cmd_confirm(args: argparse.Namespace) -> int:
    """Still treating: a timer past the forgotten-timer limit counts on (kept in the history)."""
    code = _code(args.code) if args.code else None

    def run(timers: Timers) -> int:
        session = find_session(timers, args.patient, args.discipline)
        if session is None:
            return fail("confirm: no open session" + (f" for {args.patient} today" if args.patient else ""))
        after = timers.still_treating(session.id, code)
        print(f"Still treating: {code or 'the timers past the limit'} of {_label(after)} count on.")
        return 0

    return _run(args, run)


def cmd_note(args: argparse.Namespace) -> int:
    """What the treatment note must document for the patient's day: the same text as the window's."""

    def run(timers: Timers) -> int:
        day = args.date or timers.clock.today()
        if args.patient is None:
            last = timers.last_session()
            sessions = [last] if last is not None and last.date == day else []
        else:
            alias = clean_patient(args.patient)
            sessions = [s for s in timers.sessions_on(day) if s.patient == alias]
            if args.discipline:
                sessions = [s for s in sessions if s.discipline.value == args.discipline]
        if not sessions:
            who = f" for {args.patient}" if args.patient else ""
            return fail(f"note: no session{who} on {day}; give --patient ALIAS (and --date)")
        if len({s.discipline for s in sessions}) > 1:
            kinds = " and ".join(sorted({s.discipline.value for s in sessions}))
            return fail(f"note: {sessions[0].patient} has {kinds} sessions on {day}: give --discipline")
        note = timers.note(sessions[-1].id)
        print(json.dumps(note.to_dict(), ensure_ascii=False) if args.json else note.text)
        return 0

    return _run(args, run)


def _forgotten(timers: Timers, seg: Segment) -> str:
    """A timer named with the day and the time it started (what the clinician needs to recognise it)."""
    s = timers.session(seg.session_id)
    started = seg.start.astimezone(timers.clock.tz)
    return f"{seg.code} for {s.patient} ({s.discipline.value}), started {started:%Y-%m-%d %H:%M}"


def status_json(view: LiveView, limit: timedelta) -> dict[str, object]:
    """One session as `status --json` gives it: exact seconds per timer (a timer past the forgotten-timer
    `limit` counts up to it) and the day's bill."""
    s, r = view.session, view.result
    return {
        "id": s.id,
        "patient": s.patient,
        "discipline": s.discipline.value,
        "payer": s.payer,
        "rule": s.rule.value,
        "date": s.date.isoformat(),
        "state": s.state.value,
        "timers": [
            {
                "code": row.code,
                "running": row.running,
                "seconds": int(row.seconds),
                "who": (row.who or resume_as(s, row.code)).value,
                "over_limit": row.forgotten,
            }
            for row in view.rows
            if row.timed
        ],
        "total_units": r.total_units,
        "other_rule_units": r.other_rule_units,
        "lines": [
            {"code": ln.code, "modifiers": list(ln.modifiers), "minutes": ln.minutes, "units": ln.units}
            for ln in r.lines
        ],
        "next_unit": [h.to_dict() for h in view.hints],
    }


def cmd_status(args: argparse.Namespace) -> int:
    def run(workspace: Workspace) -> int:
        timers = workspace.timers
        day = args.date or timers.clock.today()
        stopped = timers.settle()
        limit = timers.prefs.forgotten_after
        views = [timers.live(s.id) for s in timers.sessions_on(day)]
        for seg in stopped:  # on stderr, so --json stays one object
            print(f"note: {_forgotten(timers, seg)}: its day is over, so it was stopped and flagged", file=sys.stderr)
        for seg in timers.over_limit():
            print(
                f"note: {_forgotten(timers, seg)}: past the limit; still treating? (therapytimer confirm)",
                file=sys.stderr,
            )
        if args.json:
            sessions = [
                {**status_json(v, limit), "case": list(workspace.cases.for_session(v.session).lines)} for v in views
            ]
            payload = {"now": timers.clock.now().isoformat(), "sessions": sessions}
            print(json.dumps(payload, ensure_ascii=False))
            return 0
        if not views:
            print(f"No sessions on {day}.")
            return 0
        out: list[str] = []
        for view in views:
            s, r = view.session, view.result
            out += [f"{_label(s)} · {s.payer or s.rule.value} · {s.state.value} · {plural(r.total_units, 'unit')}"]
            rows = [("CODE", "TIME", "STATE", "UNITS")]
            for row in view.rows:
                state = ("● running" if row.running else "paused") if row.timed else "service"
                rows.append((row.code, row.clock_text if row.timed else "-", state, str(row.units)))
            out += ["  " + line for line in table(rows, {1, 3})]
            print_case_lines(workspace, s, out)
            out.append("")
        sys.stdout.write("\n".join(out))
        return 0

    return _run_workspace(args, run)
