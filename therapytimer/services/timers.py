"""Sessions and their timers: the flows both faces run, written once.

Each action decides inside its write transaction, from the session as stored then (`core.stopwatch`),
writes the plan and returns the new state, so a face never reads back what it was just given. Reads are
served from what this process last read or wrote, and `changed()` (SQLite's data_version, one cheap
query) says when another process has written, so the window polls it once a second and a display tick
costs no SQL at all. One timer at a time holds across processes: the stop of every other timer happens
in the same transaction as the start.

Time is read through a `StepWatch`: when the computer's clock is set by more than a minute while timers
this process saw run, they are split at the step, so the step is never counted as treatment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from therapytimer.core import stopwatch
from therapytimer.core.catalog import Catalog, Discipline
from therapytimer.core.clock import Clock, ClockStep, StepWatch
from therapytimer.core.live import LiveView, live_view
from therapytimer.core.rules import Rule
from therapytimer.core.session import PROVIDER_MAX, Role, Segment, Session, SessionError, Who, clean_text
from therapytimer.services.preferences import Preferences
from therapytimer.storage.store import Store

if TYPE_CHECKING:
    from therapytimer.core.note import Note

DEFAULT_PAYER = "Medicare"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Closed:
    session: Session
    note: str  # what the treatment note must document, as "Copy for note" gives it


class Timers:
    def __init__(self, store: Store, prefs: Preferences, clock: Clock) -> None:
        self._store = store
        self.prefs = prefs
        self.clock = clock
        self.watch = StepWatch(clock)
        self._known: dict[str, Session] = {}
        self._days: set[date] = set()  # days whose sessions are all in _known
        self._all_open = False  # every open session is in _known
        self._version: int | None = None  # data_version when _known was started
        self._seen_running: set[int] = set()  # segments running at this process's last clock reading
        self._pending_step: ClockStep | None = None  # noticed, not yet written (the database was busy)
        self._splitting = False
        # Bumped when sessions before today may have changed (another process, an import, a restore, a
        # write to an older day's session): what a patient's case keeps of their history is then read again.
        self.history_version = 0

    @property
    def catalog(self) -> Catalog:
        return self.prefs.catalog

    # ---- what this process knows ------------------------------------------------------------------

    def forget(self) -> None:
        """Drop everything read so far (another process wrote, or a backup was restored)."""
        self.history_version += 1
        self._known.clear()
        self._days.clear()
        self._all_open = False
        self._version = None

    def changed(self) -> bool:
        """Whether another process (a second window, a command) has written since this one last read; if
        so, what was read is dropped and the next read fetches it again."""
        version = self._store.version()
        if version == self._version:
            return False
        self.forget()
        self._version = version  # nothing read yet, or read before that write: either way, read again
        return True

    def _keep(self, sessions: Iterable[Session]) -> list[Session]:
        kept = []
        for s in sessions:
            self._known[s.id] = s
            for seg in s.segments:
                if seg.running:
                    self._seen_running.add(seg.id)
                else:
                    self._seen_running.discard(seg.id)
            kept.append(s)
        return kept

    def _load(self, fetch: Callable[[], list[Session]]) -> list[Session]:
        """Read through the store, noting the data version first (a write by another process after that
        moment makes `changed()` true, never the other way round); a clock step is handled first too."""
        self._now()
        if self._version is None:
            self._version = self._store.version()
        return self._keep(fetch())

    def _fresh(self) -> None:
        """Inside a write transaction: drop what was read if another process wrote since."""
        version = self._store.version()
        if version != self._version:
            self.forget()
            self._version = version

    # ---- reading ------------------------------------------------------------------------------------

    def session(self, session_id: str) -> Session:
        if session_id in self._known:
            return self._known[session_id]
        found = self._load(lambda: [s for s in [self._store.session(session_id)] if s is not None])
        if not found:
            raise SessionError(f"no session {session_id}")
        return found[0]

    def sessions_on(self, day: date) -> list[Session]:
        if day not in self._days:
            self._load(lambda: self._store.sessions_on(day))
            self._days.add(day)
        return _ordered(s for s in self._known.values() if s.date == day)

    def sessions_between(self, first: date, last: date) -> list[Session]:
        """A span of days (the week): read each time, it is not what a tick needs."""
        return self._load(lambda: self._store.sessions_between(first, last))

    def open_sessions(self) -> list[Session]:
        if not self._all_open:
            self._load(self._store.open_sessions)
            self._all_open = True
        return _ordered(s for s in self._known.values() if s.state.value == "open")

    def running(self) -> list[Segment]:
        """Every running timer, across sessions (a timer runs only in an open session)."""
        return sorted((seg for s in self.open_sessions() for seg in s.running()), key=lambda seg: seg.id)

    def live(self, session_id: str) -> LiveView:
        """What the window shows for a session, and what `status` prints: its timers and the day's bill."""
        session = self.session(session_id)
        return live_view(
            session,
            self.sessions_on(session.date),
            self.catalog,
            self.clock.now(),
            self.prefs.forgotten_after,
            compliance=self.prefs.compliance,
        )

    def note(self, session_id: str) -> Note:
        """What the treatment note must document for the session's day (its sessions billed together): the
        one text the close summary, "Copy for note", `close` and `note` give (loaded when first asked for:
        the window starts without it)."""
        from therapytimer.core.note import build_note

        view = self.live(session_id)
        return build_note(view.bill, view.result, self.catalog, self.clock.now(), self.clock.tz)

    def summary(self, session_id: str) -> str:
        return self.note(session_id).text

    def over_limit(self) -> list[Segment]:
        """Running timers past the forgotten-timer limit without a "still treating" (what the cue names)."""
        now, limit = self.clock.now(), self.prefs.forgotten_after
        return [seg for seg in self.running() if seg.over_limit(now, limit)]

    def payers(self) -> dict[str, Rule]:
        return self._store.payers()

    def last_session(self) -> Session | None:
        """The open session that ran last (the command line's default when no patient is named)."""
        opened = self.open_sessions()
        if not opened:
            return None
        return max(opened, key=lambda s: max([seg.start for seg in s.segments] + [s.created_at]))

    # ---- the clock ----------------------------------------------------------------------------------

    def _now(self) -> datetime:
        """The wall clock now. A step since the last reading splits the timers seen running before it."""
        wall, step = self.watch.read()
        step = self._pending_step or step
        if step is None or not self._seen_running or self._splitting:
            return wall
        self._pending_step, self._splitting = step, True
        try:
            with self._store.transaction():
                self._fresh()
                seen = set(self._seen_running)
                for session_id in sorted({seg.session_id for seg in self._store.running() if seg.id in seen}):
                    self._act(session_id, lambda s: stopwatch.split_at_step(s, seen, step))
        finally:
            self._splitting = False
        self._pending_step = None
        log.warning("clock step of %s noticed; running timers split", step.shift)
        return wall

    def check_clock(self) -> bool:
        """Read the clock (each display tick does; no SQL unless it stepped). True if timers were split."""
        seen = set(self._seen_running)
        self._now()
        return self._seen_running != seen

    def clock_behind(self) -> list[Segment]:
        """Running timers whose stored start is later than the clock now (it was set back while the app
        was closed): they count from that start, so they show 0 until the clock passes it. Each is noted
        in its session's history."""
        now = self._now()
        behind = [seg for seg in self.running() if seg.start > now]
        for seg in behind:
            text = (
                f"On restart the computer's clock ({now:%Y-%m-%d %H:%M} UTC) was earlier than {seg.code}'s "
                f"start ({seg.start:%Y-%m-%d %H:%M} UTC); it counts from that start"
            )
            self._store.add_event(seg.session_id, now, "clock", text)
            log.warning("session %s: clock behind the start of running %s", seg.session_id, seg.code)
        if behind:
            self.forget()
        return behind

    # ---- acting ---------------------------------------------------------------------------------------

    def _act(self, session_id: str, decide: Callable[[Session], stopwatch.Plan]) -> Session:
        """Decide from the session as stored now and write the plan, in one write transaction; return the
        session it leaves (and update every other session whose timer it stopped)."""
        with self._store.transaction():
            self._fresh()
            session = self.session(session_id)
            plan = decide(session)
            if not plan.changes:
                return session
            written, stopped = self._store.write(plan)
        after = stopwatch.apply(session, plan, written)
        if after.date < self.clock.today():
            self.history_version += 1
        self._keep([after])
        gone = {segment_id for segment_id, _ in stopped}
        self._seen_running -= gone
        for other in {session_id for _, session_id in stopped}:
            if other in self._known:
                self._known[other] = stopwatch.stop_elsewhere(self._known[other], gone, plan.at)
        return after

    def open_session(
        self,
        patient: str,
        discipline: Discipline,
        *,
        payer: str | None = DEFAULT_PAYER,
        rule: Rule | None = None,
        provider: str = "",
        role: Role = Role.THERAPIST,
        day: date | None = None,
        note: str = "",
    ) -> Session:
        """A session for today (local date) unless `day` is given; the payer's profile sets the rule."""
        if rule is None:
            profiles = self.payers()
            if payer not in profiles:
                raise SessionError(f"no payer profile named {payer!r}; known: {', '.join(profiles)}")
            rule = profiles[payer]
        at = self._now()
        session = stopwatch.new_session(
            patient,
            discipline,
            rule,
            day=day or self.clock.today(),
            at=at,
            payer=payer,
            provider=provider,
            role=role,
            note=note,
        )
        self._store.insert_session(session)
        log.info("session %s opened (%s, %s)", session.id, session.discipline.value, session.rule.value)
        return self._keep([session])[0]

    def start(self, session_id: str, code: str, who: Who | None = None, *, exclusive: bool | None = None) -> Session:
        """Start (or resume) a code's timer; one at a time (the setting, unless `exclusive` says otherwise)
        stops every other running timer, in any session and any process, at the same instant."""
        one_at_a_time = self.prefs.settings.exclusive_timers if exclusive is None else exclusive
        at = self._now()
        after = self._act(
            session_id, lambda s: stopwatch.start(s, code, self.catalog, at, who=who, exclusive=one_at_a_time)
        )
        log.info("session %s: %s started", session_id, code)
        return after

    def set_who(self, session_id: str, code: str, who: Who) -> Session:
        at = self._now()
        after = self._act(session_id, lambda s: stopwatch.set_who(s, code, who, at))
        log.info("session %s: %s now %s", session_id, code, who.value)
        return after

    def pause(self, session_id: str, code: str) -> Session:
        at = self._now()
        after = self._act(session_id, lambda s: stopwatch.pause(s, code, at))
        log.info("session %s: %s paused", session_id, code)
        return after

    def pause_session(self, session_id: str) -> Session:
        """Stop this session's running timers (other sessions' keep running)."""
        at = self._now()
        after = self._act(session_id, lambda s: stopwatch.pause(s, None, at))
        log.info("session %s: paused", session_id)
        return after

    def pause_all(self) -> int:
        """Stop every running timer, in every session; returns how many were running."""
        at = self._now()
        stopped = self._store.stop_all(at)
        gone = {segment_id for segment_id, _ in stopped}
        self._seen_running -= gone
        today = self.clock.today()
        for session_id in {session_id for _, session_id in stopped}:
            if session_id in self._known:
                self._known[session_id] = stopwatch.stop_elsewhere(self._known[session_id], gone, at)
            if session_id not in self._known or self._known[session_id].date < today:
                self.history_version += 1  # an older day's timer: its patient's history changed
        log.info("all timers paused (%d)", len(stopped))
        return len(stopped)

    def add_code(self, session_id: str, code: str) -> Session:
        at = self._now()
        return self._act(session_id, lambda s: stopwatch.add_code(s, code, self.catalog, at))

    def add_service(self, session_id: str, code: str, minutes: int | None = None) -> Session:
        at = self._now()
        after = self._act(session_id, lambda s: stopwatch.add_service(s, code, self.catalog, at, minutes))
        log.info("session %s: service %s", session_id, code)
        return after

    def remove_code(self, session_id: str, code: str) -> Session:
        at = self._now()
        return self._act(session_id, lambda s: stopwatch.remove_code(s, code, at))

    def correct(self, session_id: str, code: str, minutes: int, assistant_minutes: int = 0, *, reason: str) -> Session:
        """Set a code's minutes by hand, with the reason the audit history keeps."""
        at = self._now()
        after = self._act(
            session_id, lambda s: stopwatch.correct(s, code, self.catalog, at, minutes, assistant_minutes, reason)
        )
        log.info("session %s: %s corrected", session_id, code)
        return after

    def close(self, session_id: str, *, progress_report: bool | None = None, kx: bool | None = None) -> Closed:
        """Stop the session's timers and close it (with the close dialog's "progress report written" and
        "add KX", None: as they are); returns it with the note summary of its day."""
        at = self._now()
        after = self._act(session_id, lambda s: stopwatch.close(s, at, progress_report, kx))
        log.info("session %s closed", session_id)
        return Closed(after, self.summary(session_id))

    def mark(self, session_id: str, *, progress_report: bool | None = None, kx: bool | None = None) -> Session:
        """Say (or take back) that the visit's progress report was written, or KX on its lines; open or closed."""
        at = self._now()
        after = self._act(session_id, lambda s: stopwatch.mark(s, at, progress_report, kx))
        log.info("session %s: progress report %s, KX %s", session_id, after.progress_report, after.kx)
        return after

    def reopen(self, session_id: str) -> Session:
        at = self._now()
        after = self._act(session_id, lambda s: stopwatch.reopen(s, at))
        log.info("session %s reopened", session_id)
        return after

    def set_note(self, session_id: str, note: str) -> Session:
        at = self._now()
        return self._act(session_id, lambda s: stopwatch.set_note(s, note, at))

    # ---- the forgotten-timer limit ------------------------------------------------------------------

    def still_treating(self, session_id: str, code: str | None = None) -> Session:
        """The clinician says the timer(s) past the limit are still treating: they count on."""
        at = self._now()
        limit, tz = self.prefs.forgotten_after, self.clock.tz
        after = self._act(session_id, lambda s: stopwatch.still_treating(s, code, at, limit, tz))
        log.info("session %s: %s confirmed past the limit", session_id, code or "timers")
        return after

    def stop_at(self, session_id: str, code: str, when: datetime) -> Session:
        """Stop a running timer at a time the clinician picks (the limit cue offers when it was reached)."""
        at = self._now()
        limit, tz = self.prefs.forgotten_after, self.clock.tz
        after = self._act(session_id, lambda s: stopwatch.stop_at(s, code, when, at, limit, tz))
        log.info("session %s: %s stopped at a chosen time", session_id, code)
        return after

    def settle(self) -> list[Segment]:
        """No timer runs across the end of its session's day: stop those whose day is over (at the limit if
        never confirmed) and flag them in the history. Returns the timers stopped; no SQL when none."""
        now, limit, tz = self._now(), self.prefs.forgotten_after, self.clock.tz
        due = [seg for seg in self.running() if stopwatch.settle(self.session(seg.session_id), now, limit, tz)]
        for seg in due:
            segment_id = seg.id
            self._act(seg.session_id, lambda s: _settle_one(s, segment_id, now, limit, tz))  # noqa: B023 - used at once
            log.warning("session %s: %s stopped after its day of service", seg.session_id, seg.code)
        return due

    def set_payer(self, name: str, rule: Rule) -> str:
        """Add or change a payer profile (its name and the rule its sessions bill under)."""
        name = clean_text(name, "payer name", PROVIDER_MAX, required=True)
        self._store.set_payer(name, rule)
        return name


def _settle_one(
    session: Session, segment_id: int, now: datetime, limit: timedelta, tz: tzinfo | None
) -> stopwatch.Plan:
    """The end-of-day plan for one timer, decided again inside the write transaction."""
    plans = [p for p in stopwatch.settle(session, now, limit, tz) if segment_id in p.stop]
    return plans[0] if plans else stopwatch.Plan(session.id, now)


def _ordered(sessions: Iterable[Session]) -> list[Session]:
    """The store's order: by date, then when opened."""
    return sorted(sessions, key=lambda s: (s.date, s.created_at, s.id))
