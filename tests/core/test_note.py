"""The note matches the bill: every timed code (0 units too), each person's minutes on their own line,
untimed services, the rule, the clinician and the times; its line minutes add up to its totals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import CATALOG
from therapytimer.core.catalog import Discipline
from therapytimer.core.live import live_view
from therapytimer.core.note import Note, build_note
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Segment, Session, Who

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def session(sid: str, codes: tuple[CodeEntry, ...], segments: tuple[Segment, ...], provider: str = "") -> Session:
    return Session(
        sid, "MT", Discipline.PT, Rule.CMS, date(2026, 11, 23), T0, "Medicare", provider, codes=codes, segments=segments
    )


LATER = at(120)


def note_of(*sessions: Session, now: datetime = LATER) -> Note:
    view = live_view(sessions[-1], list(sessions), CATALOG, now)
    return build_note(view.bill, view.result, CATALOG, now, EST)


def test_a_therapist_and_an_assistant_on_97110_and_a_four_minute_97035() -> None:
    """The issue's case: 0.1's note said 66 total minutes while its lines added up to 57 (the 0-unit CQ line
    and the assistant's minutes left out). Benefit Policy Manual ch. 15 §220.3E: every timed code and its
    minutes, billed or not."""
    s = session(
        "pm",
        (CodeEntry("97110"), CodeEntry("97035"), CodeEntry("97161", 30)),
        (
            Segment(1, "pm", "97110", Who.THERAPIST, at(0), at(45)),
            Segment(2, "pm", "97110", Who.ASSISTANT, at(45), at(54)),
            Segment(3, "pm", "97035", Who.THERAPIST, at(54), at(58)),
        ),
        provider="Dana Lee",
    )
    note = note_of(s)
    timed = [ln for ln in note.lines if ln.timed]
    assert sum(ln.minutes for ln in timed) == note.total_timed_minutes == 58
    assert sum(ln.minutes for ln in note.lines) == note.total_treatment_minutes == 88
    assert {(ln.code, ln.who, ln.minutes, ln.units) for ln in timed} == {
        ("97110", "therapist", 45, 3),
        ("97110", "assistant", 9, 1),
        ("97035", "therapist", 4, 0),
    }
    cq = next(ln for ln in timed if ln.who == "assistant")
    assert "CQ" in cq.modifiers
    lines = note.text.splitlines()
    assert lines[:6] == [
        "2026-11-23 · MT · PT · Medicare 8-minute rule (pooled)",
        "Clinician: Dana Lee",
        "Treatment times: 09:00–09:58",
        "Total timed code treatment minutes: 58",
        "Total treatment time: 88 minutes",
        "Total units: 5",
    ]
    assert "  97035 GP: 4 min, therapist, alone or with the assistant, 0 units (Ultrasound)" in note.text
    assert "  97110 GP CQ: 9 min, assistant alone, 1 unit (Therapeutic exercise)" in note.text
    assert "Untimed services:\n  97161 GP: 30 min, 1 unit (PT evaluation: low complexity)" in note.text
    assert note.lines[0].to_dict() == {
        "code": "97110",
        "modifiers": ["GP"],
        "minutes": 45,
        "units": 3,
        "who": "therapist",
    }


def test_sessions_billed_together_show_each_ones_times_and_clinicians() -> None:
    morning = session(
        "am", (CodeEntry("97110"),), (Segment(1, "am", "97110", Who.THERAPIST, at(-300), at(-280)),), "Kim"
    )
    now = session("pm", (CodeEntry("97112"),), (Segment(2, "pm", "97112", Who.THERAPIST, at(0), None),), "Dana Lee")
    note = note_of(morning, now, now=at(10))
    assert "Clinician: Dana Lee, Kim" in note.text
    assert "Treatment times: 04:00–04:20, 09:00–09:10 (running)" in note.text
    assert "(The day's 2 sessions of this patient and discipline are billed together.)" in note.text
    untimed_only = session("x", (CodeEntry("97161", 20),), ())
    assert "Treatment times: not timed (minutes recorded by hand)" in note_of(untimed_only).text
    assert "Clinician: (not named)" in note_of(untimed_only).text


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["97110", "97112", "97140", "97530", "97035", "97129"]),
            st.sampled_from(list(Who)),
            st.integers(0, 40),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_note_lines_always_add_up_to_its_totals(runs: list[tuple[str, Who, int]]) -> None:
    segments = []
    start = 0
    for i, (code, who, minutes) in enumerate(runs):
        segments.append(Segment(i + 1, "s", code, who, at(start), at(start + minutes)))
        start += minutes
    codes = tuple(CodeEntry(c) for c in dict.fromkeys(code for code, _, _ in runs))
    s = Session("s", "MT", Discipline.OT, Rule.CMS, date(2026, 11, 23), T0, codes=codes, segments=tuple(segments))
    view = live_view(s, [s], CATALOG, at(start))
    note = build_note(view.bill, view.result, CATALOG, at(start))
    assert sum(ln.minutes for ln in note.lines if ln.timed) == note.total_timed_minutes
    assert sum(ln.minutes for ln in note.lines) == note.total_treatment_minutes
    assert sum(ln.units for ln in note.lines) == view.result.total_units
    for code in {c.code for c in codes}:
        assert any(ln.code == code or CATALOG.base_of(CATALOG.get(ln.code)).code == code for ln in note.lines)
