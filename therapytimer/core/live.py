"""What the bedside window shows for the active session, computed without Qt.

The units on screen are the day's: a patient's sessions of one discipline and rule on one date are
billed together, so a second visit in the afternoon shows the units of the whole day. The window
recomputes this a few times a second from stored timestamps and the clock; nothing is counted in ticks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from therapytimer.core.catalog import Catalog
from therapytimer.core.compliance import Compliance
from therapytimer.core.guidance import Hint, next_units
from therapytimer.core.reports import day_services
from therapytimer.core.rules import Service, UnitResult, compute
from therapytimer.core.session import FORGOTTEN_AFTER, Session, Who
from therapytimer.core.words import plural


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


@dataclass(frozen=True)
class LiveView:
    session: Session
    rows: tuple[TimerRow, ...]
    result: UnitResult  # the day's bill for this patient, discipline and rule
    hints: tuple[Hint, ...]
    sessions_today: int
    services: tuple[Service, ...] = ()
    bill: tuple[Session, ...] = ()  # the sessions billed together with this one (itself included)

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
    the bill and the hints of `previous` are reused while the minutes are the same (a tick is cheap).
    The session's date of service picks the CQ/CO reading; `compliance` as in `rules.compute`."""
    together = same_bill(session, day_sessions)
    services = tuple(day_services(together, catalog, now, forgotten_after))
    if previous is not None and previous.services == services and previous.session.rule is session.rule:
        result, hints = previous.result, previous.hints
    else:
        day, who = session.date, session.discipline
        result = compute(services, session.rule, catalog, discipline=who, day=day, compliance=compliance)
        hints = tuple(next_units(services, session.rule, catalog, discipline=who, day=day, compliance=compliance))
    forgotten = {seg.code for seg in session.forgotten(now, forgotten_after)}
    rows = []
    for code, time in session.times(now, forgotten_after).items():
        spec = catalog.get(code)
        base = catalog.base_of(spec).code
        running = [seg for seg in session.running() if seg.code == code]
        modifiers = tuple(dict.fromkeys(m for ln in result.lines if ln.code == code and ln.units for m in ln.modifiers))
        rows.append(
            TimerRow(
                code=code,
                short_name=spec.short_name,
                timed=spec.timed,
                seconds=time.therapist_seconds + time.assistant_seconds,
                running=bool(running),
                who=running[0].who if running else None,
                units=result.service_units.get(base, 0),
                forgotten=code in forgotten,
                modifiers=modifiers,
                addon=spec.addon_code,
            )
        )
    return LiveView(session, tuple(rows), result, hints, len(together), services, tuple(together))
