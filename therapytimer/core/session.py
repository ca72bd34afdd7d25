"""The session model: who was treated, per-code stopwatch segments, corrections, and their minutes.

A session belongs to one date of service (local) and one discipline. Each run of a code's stopwatch is
a `Segment` with a UTC start and end and who was treating, so CQ/CO follows from real minutes. A
running segment has no end: its elapsed time is `now - start`, which is why a restart, a crash or
midnight changes nothing (the session keeps its date).

A manual `Correction` sets a code's minutes by hand; it replaces what was measured up to that moment,
and any timing after it adds on top. Original segments are never changed.

A timer never bills more than the forgotten-timer limit past its start (or past the clinician's last "still
treating" or chosen stop time, `confirmed_at`) without the clinician's say-so: a timer left running on
Monday counts 90 minutes on Friday, not 96 units, and pausing it then does not change that.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from therapytimer.core.catalog import Discipline
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.rules import Rule, whole_minutes

PATIENT_MAX = 40
NOTE_MAX = 2000
PROVIDER_MAX = 80
FORGOTTEN_AFTER = timedelta(minutes=90)
DAY_SECONDS = 1440 * 60.0


class Who(StrEnum):
    """Who was treating during a segment. Time together counts as the therapist's."""

    THERAPIST = "therapist"
    ASSISTANT = "assistant"
    TOGETHER = "together"


class Role(StrEnum):
    THERAPIST = "therapist"
    ASSISTANT = "assistant"


class State(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SessionError(TherapyTimerError, ValueError):
    """A session action that cannot be done as asked (the message says why)."""


HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs")  # control, formatting (bidi overrides, zero-width), lone surrogates


def _hidden(text: str, allowed: str = "") -> bool:
    """Whether `text` holds a control or formatting character other than those `allowed`."""
    if text.isprintable():  # the common case, at C speed: printable excludes every C category (and Z but space)
        return False
    return any(ch not in allowed and unicodedata.category(ch) in HIDDEN_CATEGORIES for ch in text)


def clean_patient(alias: str) -> str:
    """Patient alias: initials or a short ID, 1-40 characters after trimming. Nothing else is stored.

    Normalised to NFC, so "Zoë" typed two ways is one patient (and one pooled bill); control and
    formatting characters (NUL, escapes, bidi overrides) are refused: they hide what a biller sees.
    """
    text = " ".join(unicodedata.normalize("NFC", alias).split())
    if not 1 <= len(text) <= PATIENT_MAX:
        raise SessionError(f"patient alias must be 1 to {PATIENT_MAX} characters (initials or a short ID)")
    if _hidden(text):
        raise SessionError("patient alias must not contain control or formatting characters")
    return text


def clean_text(value: str, what: str, limit: int, *, multiline: bool = False, required: bool = False) -> str:
    """Free text such as a clinician's or payer's name (one line) or a note (`multiline`), checked before it is
    stored; raises SessionError starting with `what` ("note must be at most 2000 characters").

    Control and formatting characters (Unicode categories Cc, Cf, Cs: NUL, escapes, bidi overrides, zero-width
    spaces, lone surrogates) are refused: they hide or reorder what a biller sees. A note keeps its line feeds and
    tabs, and a CRLF becomes a line feed; any other control character, a lone CR included, is refused. One line is
    normalised to NFC, trimmed and its runs of spaces collapsed to one; a note is otherwise kept as written. At most
    `limit` characters after that; `required` text must also hold something besides spaces.
    """
    text = value.replace("\r\n", "\n") if multiline else value
    subject = f"{what} " if what else ""
    if _hidden(text, "\n\t" if multiline else ""):
        raise SessionError(f"{subject}must not contain control or formatting characters")
    if not multiline:
        text = " ".join(unicodedata.normalize("NFC", text).split())
    if required and (not text.strip() or len(text) > limit):
        raise SessionError(f"{subject}must be 1 to {limit} characters")
    if len(text) > limit:
        raise SessionError(f"{subject}must be at most {limit} characters")
    return text


@dataclass(frozen=True)
class Segment:
    id: int
    session_id: str
    code: str
    who: Who
    start: datetime
    end: datetime | None = None
    confirmed_at: datetime | None = None  # the clinician's last "still treating" past the limit

    @property
    def running(self) -> bool:
        return self.end is None

    def limit_end(self, limit: timedelta) -> datetime:
        """When a running timer reaches the forgotten-timer limit (counted again from each confirmation)."""
        return (self.confirmed_at or self.start) + limit

    def over_limit(self, now: datetime, limit: timedelta) -> bool:
        """Running past the limit without the clinician's say-so: probably a timer nobody stopped."""
        return self.running and now > self.limit_end(limit)

    def seconds(self, now: datetime, since: datetime | None = None, limit: timedelta | None = None) -> float:
        """Length in seconds up to its end (or `now`, if still running), counting only the part after `since`,
        and never past the forgotten-timer `limit` after its start or last confirmation: a timer paused
        hours after the limit cue, without "still treating", still counts only up to the limit."""
        start = max(self.start, since) if since else self.start
        end = self.end or now
        if limit is not None:
            end = min(end, self.limit_end(limit))
        return max((end - start).total_seconds(), 0.0)


@dataclass(frozen=True)
class Correction:
    id: int
    session_id: str
    code: str
    at: datetime
    old_minutes: int
    old_assistant_minutes: int
    minutes: int
    assistant_minutes: int
    reason: str


@dataclass(frozen=True)
class Event:
    """Something the audit keeps beside starts, stops and corrections (a clock step, for one)."""

    id: int
    session_id: str
    at: datetime
    kind: str
    text: str


@dataclass(frozen=True)
class CodeEntry:
    """A code added to a session; `minutes` are recorded ones (imported, or an untimed service's)."""

    code: str
    minutes: int | None = None
    assistant_minutes: int | None = None


@dataclass(frozen=True)
class CodeTime:
    """A code's time in a session, split the way CQ/CO needs it."""

    therapist_seconds: float
    assistant_seconds: float

    @property
    def minutes(self) -> int:
        """Therapist (alone or together) whole minutes."""
        return whole_minutes(self.therapist_seconds)

    @property
    def assistant_minutes(self) -> int:
        return whole_minutes(self.assistant_seconds)


BillKey = tuple[date, str, Discipline, Rule]  # date of service, patient, discipline, payer rule


@dataclass(frozen=True)
class Session:
    id: str
    patient: str
    discipline: Discipline
    rule: Rule
    date: date
    created_at: datetime
    payer: str | None = None
    provider: str = ""
    role: Role = Role.THERAPIST
    note: str = ""
    state: State = State.OPEN
    codes: tuple[CodeEntry, ...] = ()
    segments: tuple[Segment, ...] = ()
    corrections: tuple[Correction, ...] = field(default=())
    events: tuple[Event, ...] = ()
    progress_report: bool = False  # the clinician wrote the discipline's progress report at this visit
    kx: bool = False  # the clinician confirmed KX (past the therapy threshold) on this session's lines

    @property
    def bill_key(self) -> BillKey:
        """What bills together: a patient's sessions of one discipline and rule on one date of service
        (Medicare pools the day, not the visit). The one place this is decided."""
        return (self.date, self.patient, self.discipline, self.rule)

    def code_time(self, code: str, now: datetime, limit: timedelta | None = FORGOTTEN_AFTER) -> CodeTime:
        """Elapsed time of `code` from the stored segments, after its latest correction if any; a running
        timer counts at most up to the forgotten-timer `limit` (None: no limit, for what a screen shows)."""
        entry = next((c for c in self.codes if c.code == code), CodeEntry(code))
        corrected = [c for c in self.corrections if c.code == code]
        since = corrected[-1].at if corrected else None
        if corrected:
            therapist, assistant = corrected[-1].minutes * 60.0, corrected[-1].assistant_minutes * 60.0
        else:
            therapist, assistant = (entry.minutes or 0) * 60.0, (entry.assistant_minutes or 0) * 60.0
        for seg in self.segments:
            if seg.code != code:
                continue
            if seg.who is Who.ASSISTANT:
                assistant += seg.seconds(now, since, limit)
            else:
                therapist += seg.seconds(now, since, limit)
        # A date of service has 1440 minutes: more can only be a timer left running (flagged as
        # forgotten); capping keeps every bill and backup within what import accepts.
        return CodeTime(min(therapist, DAY_SECONDS), min(assistant, DAY_SECONDS))

    def times(self, now: datetime, limit: timedelta | None = FORGOTTEN_AFTER) -> dict[str, CodeTime]:
        """Every code of the session, in the order they were added (running timers up to the `limit`)."""
        return {c.code: self.code_time(c.code, now, limit) for c in self.codes}

    def running(self) -> list[Segment]:
        return [s for s in self.segments if s.running]

    def forgotten(self, now: datetime, after: timedelta = FORGOTTEN_AFTER) -> list[Segment]:
        """Running segments past the limit `after` without a "still treating": probably forgotten."""
        return [s for s in self.running() if s.over_limit(now, after)]

    @property
    def span(self) -> tuple[datetime, datetime | None] | None:
        """When the session's timing began and ended (None while a timer runs); None if never timed."""
        if not self.segments:
            return None
        ends = [s.end for s in self.segments]
        return min(s.start for s in self.segments), None if None in ends else max(e for e in ends if e is not None)

    def history(self) -> list[tuple[datetime, str]]:
        """Starts, stops, corrections and other events in time order, in words, for the audit view. At
        the same instant a stop comes first, then a correction or event, then a start (the order they
        happen in)."""
        events: list[tuple[datetime, int, str]] = []
        for seg in self.segments:
            events.append((seg.start, 2, f"{seg.code} started ({seg.who.value})"))
            if seg.end:
                events.append((seg.end, 0, f"{seg.code} stopped"))
        for c in self.corrections:
            change = f"{c.old_minutes}+{c.old_assistant_minutes} to {c.minutes}+{c.assistant_minutes}"
            events.append((c.at, 1, f"{c.code} set from {change} min (therapist+assistant): {c.reason}"))
        for e in self.events:
            events.append((e.at, 1, e.text))
        return [(when, text) for when, _, text in sorted(events, key=lambda e: (e[0], e[1]))]
