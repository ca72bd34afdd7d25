"""What the bedside window shows for the active session, computed without Qt.

The units on screen are the day's: a patient's sessions of one discipline and rule on one date are
billed together, so a second visit in the afternoon shows the units of the whole day. The window
recomputes this a few times a second from stored timestamps and the clock; nothing is counted in ticks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from therapytimer.core.catalog import Catalog, CodeSpec
from therapytimer.core.compliance import Compliance
from therapytimer.core.guidance import Hint, next_units
from therapytimer.core.reports import day_services
from therapytimer.core.rules import Rule, Service, UnitResult, compute
from therapytimer.core.session import FORGOTTEN_AFTER, Session, Who
from therapytimer.core.words import plural

# Deliberate abbreviations for one-tap buttons, so the word that tells two codes apart always shows
# ("PT eval low" / "PT eval mod" / "PT eval high"); the full name stays in the tooltip.
ABBREVIATIONS = (
    (": low complexity", " low"),
    (": moderate complexity", " mod"),
    (": high complexity", " high"),
    ("evaluation", "eval"),
    ("management", "mgmt"),
    ("electrical stimulation", "e-stim"),
    ("re-education", "re-ed"),
)


@dataclass(frozen=True)
class TimerRow:
    """One code of the session as its card shows it."""

    code: str
    short_name: str
    timed: bool
    seconds: float  # this session's time on the code (therapist + assistant)
    running: bool
    who: Who | None
    units: int  # the code's units in the day's bill (first + add-on for a pair)
    forgotten: bool
    modifiers: tuple[str, ...]
    addon: str | None = None  # a first/add-on pair bills 1 × code + the rest as `addon`
    next_hint: Hint | None = None  # the fewest more minutes of this code that raise its units (timed codes)
    to_next: float | None = None  # seconds until that unit, while the code runs
    step_seconds: float | None = None  # the nominal seconds from its last unit to its next (its shape's)
    why_none: str | None = None  # why a timed code bills no unit yet, in one short line

    @property
    def units_text(self) -> str:
        """ "2 units", or for a pair "4 units: 1 × 97129 + 3 × 97130"."""
        text = plural(self.units, "unit")
        if self.addon and self.units > 1:
            text += f": 1 × {self.code} + {self.units - 1} × {self.addon}"
        return text

    @property
    def clock_text(self) -> str:
        """Elapsed time as m:ss (seconds visible, so the next minute is in sight)."""
        whole = int(self.seconds)
        return f"{whole // 60}:{whole % 60:02d}"

    @property
    def next_text(self) -> str | None:
        """ "3 more min → 2 units" (the hint's own words in the tooltip say where the unit comes from)."""
        hint = self.next_hint
        if hint is None:
            return None
        return f"{hint.more_minutes} more min → {plural(hint.code_units, 'unit')}"

    @property
    def progress(self) -> float | None:
        """How far the running code is from its last unit to its next, 0 to 1 (None while it does not run).
        Under the pool another code's leftover can move the next unit nearer or farther: the bar then
        starts fuller or emptier, and is full exactly when the unit is reached."""
        if self.to_next is None or self.step_seconds is None:
            return None
        return min(1.0, max(0.0, 1 - self.to_next / self.step_seconds))

    @property
    def spoken(self) -> str:
        """The card as a screen reader says it: "97110 Therapeutic exercise, running, 12 minutes 40
        seconds, 1 unit" (and why no unit, or the forgotten-timer limit, when that applies)."""
        parts = [f"{self.code} {self.short_name}"]
        if self.timed:
            whole = int(self.seconds)
            state = "running" if self.running else "paused"
            parts += [state, f"{plural(whole // 60, 'minute')} {plural(whole % 60, 'second')}"]
        else:
            parts.append("untimed service")
        parts.append(self.units_text)
        if self.why_none:
            parts.append(f"no unit: {self.why_none}")
        if self.forgotten:
            parts.append("past the forgotten-timer limit")
        return ", ".join(parts)


@dataclass(frozen=True)
class LiveView:
    session: Session
    rows: tuple[TimerRow, ...]
    result: UnitResult  # the day's bill for this patient, discipline and rule
    hints: tuple[Hint, ...]
    sessions_today: int
    services: tuple[Service, ...] = ()
    bill: tuple[Session, ...] = ()  # the sessions billed together with this one (itself included)
    reasons: Mapping[str, str] = field(default_factory=dict)  # base code at 0 units → why, in one line
    last_code: str | None = None  # the code timed last in this session, to offer when nothing runs
    now_code: str | None = None  # the running code started last: the one "Now timing" shows

    @property
    def now_row(self) -> TimerRow | None:
        return next((r for r in self.rows if r.code == self.now_code), None)

    @property
    def running(self) -> tuple[TimerRow, ...]:
        return tuple(r for r in self.rows if r.running)


def same_bill(session: Session, day_sessions: Sequence[Session]) -> list[Session]:
    """The sessions billed together with `session` (itself included, as given)."""
    others = [s for s in day_sessions if s.id != session.id and s.bill_key == session.bill_key]
    return [*others, session]


def live_view(
    session: Session,
    day_sessions: Sequence[Session],
    catalog: Catalog,
    now: datetime,
    forgotten_after: timedelta = FORGOTTEN_AFTER,
    previous: LiveView | None = None,
    compliance: Compliance | None = None,
) -> LiveView:
    """The active session's cards and the day's bill. Units change only when a whole minute does, so
    the bill, the hints and the reasons of `previous` are reused while the minutes are the same (a tick is
    cheap). The session's date of service picks the CQ/CO reading; `compliance` as in `rules.compute`."""
    together = same_bill(session, day_sessions)
    services = tuple(day_services(together, catalog, now, forgotten_after))
    if previous is not None and previous.services == services and previous.session.rule is session.rule:
        result, hints, reasons = previous.result, previous.hints, previous.reasons
    else:
        day, discipline = session.date, session.discipline
        result = compute(services, session.rule, catalog, discipline=discipline, day=day, compliance=compliance)
        hints = tuple(
            next_units(services, session.rule, catalog, discipline=discipline, day=day, compliance=compliance)
        )
        reasons = no_unit_reasons(services, result, catalog)
    by_code = {h.code: h for h in hints if h.code}
    forgotten = {seg.code for seg in session.forgotten(now, forgotten_after)}
    rows = []
    for code, time in session.times(now, forgotten_after).items():
        spec = catalog.get(code)
        base = catalog.base_of(spec)
        running = [seg for seg in session.running() if seg.code == code]
        who = running[0].who if running else None
        modifiers = tuple(dict.fromkeys(m for ln in result.lines if ln.code == code and ln.units for m in ln.modifiers))
        units = result.service_units.get(base.code, 0)
        hint = by_code.get(base.code)
        to_next = step = None
        if hint is not None and running:
            # Units move with whole minutes of the running clinician's time: the part of a minute already
            # on the clock counts toward the hint's first minute.
            own = time.assistant_seconds if who is Who.ASSISTANT else time.therapist_seconds
            to_next = hint.more_minutes * 60 - own % 60
            step = 60.0 * (unit_threshold(units + 1, base) - unit_threshold(units, base))
        rows.append(
            TimerRow(
                code=code,
                short_name=spec.short_name,
                timed=spec.timed,
                seconds=time.therapist_seconds + time.assistant_seconds,
                running=bool(running),
                who=who,
                units=units,
                forgotten=code in forgotten,
                modifiers=modifiers,
                addon=spec.addon_code,
                next_hint=hint,
                to_next=to_next,
                step_seconds=step,
                why_none=reasons.get(base.code) if spec.timed and not units else None,
            )
        )
    ended = [seg for seg in session.segments if seg.end is not None]
    last = max(ended, key=lambda seg: (seg.end, seg.id)).code if ended else None
    running_now = session.running()
    now_code = max(running_now, key=lambda seg: (seg.start, seg.id)).code if running_now else None
    bill = tuple(together)
    return LiveView(session, tuple(rows), result, hints, len(bill), services, bill, reasons, last, now_code)


def unit_threshold(units: int, spec: CodeSpec) -> int:
    """The fewest minutes of `spec` alone that bill `units` units: past the midpoint of the first unit,
    then of each further one (15-minute codes: 0, 8, 23, 38, ...)."""
    if units <= 0:
        return 0
    if units == 1:
        return spec.first_minutes // 2 + 1
    return spec.first_minutes + (units - 2) * spec.each_minutes + spec.each_minutes // 2 + 1


def no_unit_reasons(services: Sequence[Service], result: UnitResult, catalog: Catalog) -> dict[str, str]:
    """Why each timed code of the day with minutes bills no unit, in one line a clinician reads at a glance
    (base code → reason): the pool gave the unit to other codes, a tie went the other way, or too few
    minutes."""
    minutes: dict[str, int] = {}
    specs: dict[str, CodeSpec] = {}
    for service in services:
        base = catalog.base_of(service.spec)
        specs[base.code] = base
        minutes[base.code] = minutes.get(base.code, 0) + service.minutes + service.assistant_minutes
    pooled = result.rule is Rule.CMS
    reasons: dict[str, str] = {}
    for code, spec in specs.items():
        if not spec.timed or result.service_units.get(code, 0):
            continue
        m = minutes[code]
        if not m:
            continue  # its 0:00 says it all
        if pooled and spec.pooled:
            tie = next((t for t in result.ties if code in t.codes), None)
            winners = [c for c, s in specs.items() if s.pooled and result.service_units.get(c)]
            if tie is not None:
                reasons[code] = f"tie: the unit went to {', '.join(tie.chosen)} (either is correct)"
            elif winners:
                unit = "unit" if sum(result.service_units[c] for c in winners) == 1 else "units"
                reasons[code] = f"pooled: the {unit} went to {', '.join(winners)}"
            else:
                need = unit_threshold(1, spec)
                reasons[code] = f"pooled: {result.pooled_minutes} min, {need} needed for a unit"
        else:
            reasons[code] = f"{m} min: {unit_threshold(1, spec)} needed for a unit"
    return reasons


def short_label(name: str) -> str:
    """A code's name for a one-tap button: deliberate abbreviations (see ABBREVIATIONS), never cut off."""
    for long, short in ABBREVIATIONS:
        name = name.replace(long, short)
    return name


def code_history(session: Session, code: str) -> list[tuple[datetime, str]]:
    """The session's history lines that name `code` (its starts, stops, corrections and events)."""
    word = re.compile(rf"\b{re.escape(code)}\b")
    return [(when, text) for when, text in session.history() if word.search(text)]
