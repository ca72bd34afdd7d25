"""What the treatment note must document, as one text: the close summary, "Copy for note", `close` and
`note` all give this, so the note and the bill can never disagree.

Medicare wants every timed code and its minutes in the note whether it bills or not, the total timed code
minutes and the total treatment time, and units consistent with those minutes (Benefit Policy Manual,
Pub. 100-02 ch. 15 §220.3E). So every line of the day's bill is listed, 0-unit lines included, the
therapist's and the assistant's minutes each on their own line (CQ/CO on the assistant's), and the line
minutes add up to the stated totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from therapytimer.core.catalog import Catalog
from therapytimer.core.rules import ASSISTANT_MODIFIERS, UnitResult
from therapytimer.core.session import Session
from therapytimer.core.words import plural


@dataclass(frozen=True)
class NoteLine:
    code: str
    modifiers: tuple[str, ...]
    minutes: int
    units: int
    who: str  # "therapist" (alone or with the assistant) or "assistant" (alone)
    timed: bool
    name: str

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "modifiers": list(self.modifiers),
            "minutes": self.minutes,
            "units": self.units,
            "who": self.who,
        }


@dataclass(frozen=True)
class Note:
    text: str
    total_timed_minutes: int
    total_treatment_minutes: int
    lines: tuple[NoteLine, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "total_timed_minutes": self.total_timed_minutes,
            "total_treatment_minutes": self.total_treatment_minutes,
            "lines": [ln.to_dict() for ln in self.lines],
        }


def _times(sessions: Sequence[Session], now: datetime, tz: tzinfo | None) -> str:
    spans = []
    for s in sessions:
        span = s.span
        if span is None:
            continue
        start, end = span
        running = "" if end else " (running)"
        spans.append(f"{start.astimezone(tz):%H:%M}–{(end or now).astimezone(tz):%H:%M}{running}")
    return ", ".join(spans) or "not timed (minutes recorded by hand)"


def build_note(
    sessions: Sequence[Session], result: UnitResult, catalog: Catalog, now: datetime, tz: tzinfo | None = None
) -> Note:
    """The note for the sessions billed together (one patient, discipline and rule on one date) and their bill."""
    first = sessions[0]
    lines = tuple(
        NoteLine(
            ln.code,
            ln.modifiers,
            ln.minutes,
            ln.units,
            "assistant" if ASSISTANT_MODIFIERS & set(ln.modifiers) else "therapist",
            catalog.get(ln.code).timed,
            ln.short_name,
        )
        for ln in result.lines
    )
    clinicians = ", ".join(sorted({s.provider for s in sessions if s.provider})) or "(not named)"
    text = [
        f"{first.date.isoformat()} · {first.patient} · {first.discipline.value} · {result.rule.long_name}",
        f"Clinician: {clinicians}",
        f"Treatment times: {_times(sessions, now, tz)}",
        f"Total timed code treatment minutes: {result.total_timed_minutes}",
        f"Total treatment time: {result.total_treatment_minutes} minutes",
        f"Total units: {result.total_units}",
    ]
    for title, timed in (("Timed codes (every one, billed or not):", True), ("Untimed services:", False)):
        chosen = [ln for ln in lines if ln.timed is timed]
        if not chosen:
            continue
        text.append(title)
        for ln in chosen:
            mods = f" {' '.join(ln.modifiers)}" if ln.modifiers else ""
            who = "assistant alone" if ln.who == "assistant" else "therapist, alone or with the assistant"
            person = f", {who}" if timed else ""
            text.append(f"  {ln.code}{mods}: {ln.minutes} min{person}, {plural(ln.units, 'unit')} ({ln.name})")
    if len(sessions) > 1:
        text.append(f"(The day's {len(sessions)} sessions of this patient and discipline are billed together.)")
    return Note("\n".join(text), result.total_timed_minutes, result.total_treatment_minutes, lines)
