"""The stopwatch rules: what an action on a session does, decided from the session as it is stored.

Pure: each function takes the session (as read inside the write transaction), the catalog and the time,
and returns a `Plan` of row changes, or raises SessionError saying why not. The store writes a plan as it
is, and `apply` gives the session it leaves behind, so the faces get the new state without reading it
back. One place holds each rule: one timer at a time, who resumes a code, add-on and untimed codes that
cannot be timed, assistant minutes only where CQ/CO can carry them, no change to a closed session, and
the limits on what is typed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo

from therapytimer.core.catalog import Catalog, CodeError, CodeSpec, Discipline, Kind
from therapytimer.core.clock import ClockStep
from therapytimer.core.compliance import builtin
from therapytimer.core.rules import ASSISTANT_MODIFIER, MAX_MINUTES, Rule
from therapytimer.core.session import (
    NOTE_MAX,
    PROVIDER_MAX,
    CodeEntry,
    Correction,
    Event,
    Role,
    Segment,
    Session,
    SessionError,
    State,
    Who,
    clean_patient,
    clean_text,
)

REASON_MAX = 200
AUTO_STOP = "auto-stop"  # the event of a timer stopped by itself after its day: the day checks name it


@dataclass(frozen=True)
class NewSegment:
    code: str
    who: Who
    start: datetime


@dataclass(frozen=True)
class NewCode:
    code: str
    position: int


@dataclass(frozen=True)
class NewCorrection:
    code: str
    old_minutes: int
    old_assistant_minutes: int
    minutes: int
    assistant_minutes: int
    reason: str


@dataclass(frozen=True)
class NewEvent:
    kind: str
    text: str


@dataclass(frozen=True)
class Plan:
    """The row changes one action makes to one session at `at` (new segments carry their own start).

    `stop` ends those running segments at `stop_at` (default `at`), never before they began.
    `stop_others`: one timer at a time also stops every running timer of every other session; which ones
    is for the store to find inside the same transaction, since another process may have started one a
    moment ago.
    """

    session_id: str
    at: datetime
    stop: tuple[int, ...] = ()
    stop_at: datetime | None = None
    confirm: tuple[int, ...] = ()  # timers the clinician vouches for up to `confirm_at` (default `at`)
    confirm_at: datetime | None = None
    stop_others: bool = False
    add_code: NewCode | None = None
    service_minutes: tuple[str, int | None] | None = None
    remove_code: str | None = None
    start: tuple[NewSegment, ...] = ()
    correction: NewCorrection | None = None
    state: State | None = None
    note: str | None = None
    progress_report: bool | None = None
    kx: bool | None = None
    events: tuple[NewEvent, ...] = field(default=())

    @property
    def changes(self) -> bool:
        """Whether there is anything to write (starting a running timer again, say, has nothing)."""
        return self != Plan(self.session_id, self.at)


@dataclass(frozen=True)
class Written:
    """The ids the store gave the rows a plan added, in the plan's order."""

    segment_ids: tuple[int, ...] = ()
    correction_id: int = 0
    event_ids: tuple[int, ...] = ()


# ---- what may be added -----------------------------------------------------------------------------


def codes_for(session: Session, catalog: Catalog) -> list[CodeSpec]:
    """The codes this session may add: valid on its date and billed by its discipline."""
    return [s for s in catalog if s.valid_on(session.date) and session.discipline in s.disciplines]


def check_code(session: Session, code: str, catalog: Catalog, *, timed: bool) -> CodeSpec:
    """The code's spec if it may be added to `session` as a timer (`timed`) or a service; else why not."""
    try:
        spec = catalog.lookup(code, session.date)
    except CodeError as exc:
        raise SessionError(str(exc)) from None
    if spec.kind is Kind.ADDON:
        base = catalog.base_of(spec).code
        raise SessionError(f"{code} is billed from {base}'s minutes: time {base} instead")
    if session.discipline not in spec.disciplines:
        raise SessionError(f"{code} is billed by {spec.discipline_text()}, not {session.discipline.value}")
    if timed and not spec.timed:
        raise SessionError(f"{code} is untimed: add it as a service (one unit), not a timer")
    if not timed and spec.timed:
        raise SessionError(f"{code} is a timed code: time it with a stopwatch")
    return spec


def check_open(session: Session) -> None:
    if session.state is not State.OPEN:
        raise SessionError(f"the session for {session.patient} is closed; reopen it to change it")


def check_assistant(discipline: Discipline, code: str) -> None:
    """Assistant-alone minutes exist only where a modifier carries them (CQ for PT, CO for OT), and never on a
    code an assistant may not furnish, such as an evaluation (the compliance data, keyed by code: `set_who`
    has the code, not the catalog)."""
    refusal = builtin().refusal(code)
    if refusal:
        raise SessionError(f"{refusal}: record the time as the therapist's")
    if discipline not in ASSISTANT_MODIFIER:
        raise SessionError(
            f"{discipline.value} has no assistant modifier (CQ is PT, CO is OT): "
            "record the time as the therapist's or together"
        )


def check_minutes(minutes: int | None) -> None:
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)):
        raise SessionError(f"minutes must be a whole number from 0 to {MAX_MINUTES}")
    if minutes is not None and not 0 <= minutes <= MAX_MINUTES:
        raise SessionError(f"minutes must be a whole number from 0 to {MAX_MINUTES}")


def _new_code(session: Session, code: str) -> NewCode | None:
    """`code` as the session's next code, unless it is on the session already."""
    if any(c.code == code for c in session.codes):
        return None
    return NewCode(code, len(session.codes))


# ---- opening ---------------------------------------------------------------------------------------


def new_session(
    patient: str,
    discipline: Discipline,
    rule: Rule,
    *,
    day: date,
    at: datetime,
    payer: str | None = None,
    provider: str = "",
    role: Role = Role.THERAPIST,
    note: str = "",
    session_id: str | None = None,
) -> Session:
    """A new, open session with its fields checked (alias, clinician and note limits)."""
    return Session(
        id=session_id or uuid.uuid4().hex,
        patient=clean_patient(patient),
        discipline=Discipline(discipline),
        rule=rule,
        date=day,
        created_at=at,
        payer=(clean_text(payer, "payer name", PROVIDER_MAX) or None) if payer is not None else None,
        provider=clean_text(provider, "clinician name", PROVIDER_MAX),
        role=Role(role),
        note=clean_text(note, "note", NOTE_MAX, multiline=True),
    )


# ---- timers ----------------------------------------------------------------------------------------


def resume_as(session: Session, code: str) -> Who:
    """Who a code resumes as: whoever was treating last on it, else the clinician's role."""
    last = [s.who for s in session.segments if s.code == code]
    if last:
        return last[-1]
    return Who.ASSISTANT if session.role is Role.ASSISTANT else Who.THERAPIST


def start(
    session: Session, code: str, catalog: Catalog, at: datetime, *, who: Who | None = None, exclusive: bool = True
) -> Plan:
    """Start (or resume) a code's timer. One at a time (`exclusive`, one-on-one care): every other running
    timer, in any session, stops at the same instant, even when this one already runs."""
    check_open(session)
    check_code(session, code, catalog, timed=True)
    who = who or resume_as(session, code)
    if who is Who.ASSISTANT:
        check_assistant(session.discipline, code)
    running = session.running()
    if any(s.code == code and s.who is who for s in running):
        if not exclusive:
            return Plan(session.id, at)
        others = tuple(s.id for s in running if s.code != code)
        return Plan(session.id, at, stop=others, stop_others=True)
    stop = tuple(s.id for s in running if exclusive or s.code == code)
    return Plan(
        session.id,
        at,
        stop=stop,
        stop_others=exclusive,
        start=(NewSegment(code, who, at),),
        add_code=_new_code(session, code),
    )


def set_who(session: Session, code: str, who: Who, at: datetime) -> Plan:
    """Who is treating now on a running timer: its segment ends and one for `who` begins."""
    check_open(session)
    running = [s for s in session.running() if s.code == code]
    if not running:
        raise SessionError(f"{code} is not running")
    if who is Who.ASSISTANT:
        check_assistant(session.discipline, code)
    if all(s.who is who for s in running):
        return Plan(session.id, at)
    return Plan(session.id, at, stop=tuple(s.id for s in running), start=(NewSegment(code, who, at),))


def pause(session: Session, code: str | None, at: datetime) -> Plan:
    """Stop a code's timer, or every timer of the session (`code` None)."""
    stop = tuple(s.id for s in session.running() if code is None or s.code == code)
    return Plan(session.id, at, stop=stop)


def add_code(session: Session, code: str, catalog: Catalog, at: datetime) -> Plan:
    """A timed code's card, stopped."""
    check_open(session)
    check_code(session, code, catalog, timed=True)
    return Plan(session.id, at, add_code=_new_code(session, code))


def add_service(session: Session, code: str, catalog: Catalog, at: datetime, minutes: int | None = None) -> Plan:
    """An untimed service (evaluation, group therapy): one unit; its minutes, if given, count toward the
    total treatment time only. Adding it again sets its minutes."""
    check_open(session)
    check_code(session, code, catalog, timed=False)
    check_minutes(minutes)
    return Plan(session.id, at, service_minutes=(code, minutes), add_code=_new_code(session, code))


def remove_code(session: Session, code: str, at: datetime) -> Plan:
    """Take off a code added by mistake; one with recorded time stays for the audit."""
    check_open(session)
    if any(s.code == code for s in session.segments) or any(c.code == code for c in session.corrections):
        raise SessionError(f"{code} has recorded time; set its minutes to 0 with a reason instead")
    if not any(c.code == code for c in session.codes):
        raise SessionError(f"{code} is not on this session")
    return Plan(session.id, at, remove_code=code)


def correct(
    session: Session, code: str, catalog: Catalog, at: datetime, minutes: int, assistant_minutes: int, reason: str
) -> Plan:
    """Set a code's minutes by hand (a timer was forgotten). The reason is required; the old and new values
    go to the audit history and the recorded timer runs stay as they were."""
    check_open(session)
    reason = clean_text(reason, "the reason", REASON_MAX)
    if not reason:
        raise SessionError("a correction needs a reason (for the audit log)")
    check_minutes(minutes)
    check_minutes(assistant_minutes)
    if assistant_minutes:
        check_assistant(session.discipline, code)
    check_code(session, code, catalog, timed=True)
    old = session.code_time(code, at)
    change = NewCorrection(code, old.minutes, old.assistant_minutes, minutes, assistant_minutes, reason)
    return Plan(session.id, at, correction=change, add_code=_new_code(session, code))


def close(session: Session, at: datetime, progress_report: bool | None = None, kx: bool | None = None) -> Plan:
    """Close the session; its running timers stop first, so the note summary is what is billed. The
    close dialog's "progress report written" and "add KX" come with it (None: left as they are)."""
    check_open(session)
    marks = mark(session, at, progress_report, kx)
    return replace(marks, stop=tuple(s.id for s in session.running()), state=State.CLOSED)


def mark(session: Session, at: datetime, progress_report: bool | None = None, kx: bool | None = None) -> Plan:
    """Say (or unsay) that this visit's progress report was written, or that KX goes on its lines; open
    or closed, since either is often remembered afterwards. Each change is kept in the history."""
    events = []
    if progress_report is not None and progress_report != session.progress_report:
        said = "written" if progress_report else "taken back: not written at this visit"
        events.append(NewEvent("case", f"{session.discipline.value} progress report {said}"))
    if kx is not None and kx != session.kx:
        said = "confirmed: KX added to the lines" if kx else "taken off the lines"
        events.append(NewEvent("case", f"KX (past the therapy threshold) {said}"))
    if not events:
        return Plan(session.id, at)
    pr = progress_report if progress_report != session.progress_report else None
    return Plan(session.id, at, progress_report=pr, kx=kx if kx != session.kx else None, events=tuple(events))


def reopen(session: Session, at: datetime) -> Plan:
    if session.state is State.OPEN:
        return Plan(session.id, at)
    return Plan(session.id, at, state=State.OPEN)


def set_note(session: Session, note: str, at: datetime) -> Plan:
    return Plan(session.id, at, note=clean_text(note, "note", NOTE_MAX, multiline=True))


# ---- the forgotten-timer limit -----------------------------------------------------------------------


def _clock(moment: datetime, tz: tzinfo | None) -> str:
    """A time as the clinic reads it (`tz` None: this computer's zone)."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def day_end(day: date, tz: tzinfo | None) -> datetime:
    """The instant a date of service ends in the clinic's time zone (`tz` None: this computer's)."""
    midnight = datetime.combine(day + timedelta(days=1), time())
    return midnight.replace(tzinfo=tz) if tz is not None else midnight.astimezone()


def still_treating(session: Session, code: str | None, at: datetime, limit: timedelta, tz: tzinfo | None) -> Plan:
    """The clinician says a timer past the limit is still treating: it counts on, and another limit's
    worth of time from now before it is flagged again. Kept in the audit history."""
    over = [s for s in session.running() if (code is None or s.code == code) and s.over_limit(at, limit)]
    if not over:
        raise SessionError(f"{code or 'no timer'} is not running past the {_minutes(limit)} limit")
    text = ", ".join(f"{s.code} (started {_clock(s.start, tz)})" for s in over)
    event = NewEvent("limit", f"Still treating, past the {_minutes(limit)} limit: {text}")
    return Plan(session.id, at, confirm=tuple(s.id for s in over), events=(event,))


def stop_at(session: Session, code: str, when: datetime, at: datetime, limit: timedelta, tz: tzinfo | None) -> Plan:
    """Stop a running timer at a time the clinician picks (the cue offers when the limit was reached),
    not later than now and not before it began. Kept in the audit history."""
    running = [s for s in session.running() if s.code == code]
    if not running:
        raise SessionError(f"{code} is not running")
    first = min(s.start for s in running)
    if not first <= when <= at:
        raise SessionError(
            f"{code} can stop between its start ({_clock(first, tz)}) and now ({_clock(at, tz)}), "
            f"not at {_clock(when, tz)}"
        )
    event = NewEvent("limit", f"{code} stopped at {_clock(when, tz)}, the time the clinician chose after the limit cue")
    ids = tuple(s.id for s in running)  # the clinician vouches for the time up to then: it all counts
    return Plan(session.id, at, stop=ids, stop_at=when, confirm=ids, confirm_at=when, events=(event,))


def settle(session: Session, now: datetime, limit: timedelta, tz: tzinfo | None) -> list[Plan]:
    """No timer runs across the end of its session's day. Once the day is over, a timer never confirmed
    past the limit stops where the limit was reached; any other stops at the day's end. Each is flagged
    in the history. One plan per timer (their stop times differ)."""
    end = day_end(session.date, tz)
    if now < end:
        return []
    plans = []
    for seg in session.running():
        if seg.over_limit(end, limit):
            when = seg.limit_end(limit)
            why = f"not confirmed past the {_minutes(limit)} limit: stopped where the limit was reached"
        else:
            when = end
            why = "stopped at the end of its day of service"
        text = f"{seg.code} (started {_clock(seg.start, tz)}) was still running after {session.date}: {why}"
        plans.append(Plan(session.id, now, stop=(seg.id,), stop_at=when, events=(NewEvent(AUTO_STOP, text),)))
    return plans


def _minutes(limit: timedelta) -> str:
    return f"{int(limit.total_seconds() // 60)}-minute"


def split_at_step(session: Session, seen: set[int], step: ClockStep) -> Plan:
    """The computer's clock was set while timers ran: the timers of this session that were seen running
    before the step stop where the old time was and go on from the new, so the step is never counted."""
    running = [s for s in session.running() if s.id in seen]
    if not running:
        return Plan(session.id, step.after)
    codes = ", ".join(dict.fromkeys(s.code for s in running))
    text = f"{step.describe()}: {codes} counted only the time that really passed"
    return Plan(
        session.id,
        step.after,
        stop=tuple(s.id for s in running),
        stop_at=step.before,
        start=tuple(NewSegment(s.code, s.who, step.after) for s in running),
        events=(NewEvent("clock", text),),
    )


# ---- the state a plan leaves -----------------------------------------------------------------------


def apply(session: Session, plan: Plan, written: Written) -> Session:
    """The session after the store wrote `plan`; `written` holds the ids of the rows it added."""
    end = plan.stop_at or plan.at
    segments = [
        replace(s, end=max(end, s.start)) if s.id in plan.stop and s.end is None else s for s in session.segments
    ]
    vouched = plan.confirm_at or plan.at
    segments = [replace(s, confirmed_at=vouched) if s.id in plan.confirm else s for s in segments]
    segments += [
        Segment(new_id, session.id, new.code, new.who, new.start)
        for new_id, new in zip(written.segment_ids, plan.start, strict=True)
    ]
    codes = list(session.codes)
    if plan.add_code is not None:
        codes.append(CodeEntry(plan.add_code.code))
    if plan.service_minutes is not None:
        code, minutes = plan.service_minutes
        codes = [replace(c, minutes=minutes) if c.code == code else c for c in codes]
    if plan.remove_code is not None:
        codes = [c for c in codes if c.code != plan.remove_code]
    corrections = session.corrections
    if plan.correction is not None:
        c = plan.correction
        correction = Correction(
            written.correction_id,
            session.id,
            c.code,
            plan.at,
            c.old_minutes,
            c.old_assistant_minutes,
            c.minutes,
            c.assistant_minutes,
            c.reason,
        )
        corrections = (*corrections, correction)
    events = session.events + tuple(
        Event(event_id, session.id, plan.at, e.kind, e.text)
        for event_id, e in zip(written.event_ids, plan.events, strict=True)
    )
    return replace(
        session,
        segments=tuple(segments),
        codes=tuple(codes),
        corrections=corrections,
        events=events,
        state=plan.state or session.state,
        note=session.note if plan.note is None else plan.note,
        progress_report=session.progress_report if plan.progress_report is None else plan.progress_report,
        kx=session.kx if plan.kx is None else plan.kx,
    )


def stop_elsewhere(session: Session, stopped: set[int], at: datetime) -> Session:
    """A session whose timers `stopped` were stopped by another session's one-at-a-time start."""
    if not any(s.id in stopped for s in session.segments):
        return session
    segments = tuple(
        replace(s, end=max(at, s.start)) if s.id in stopped and s.end is None else s for s in session.segments
    )
    return replace(session, segments=segments)
