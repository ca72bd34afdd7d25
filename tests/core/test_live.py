"""What the bedside window shows, computed without Qt."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.helpers import CATALOG
from therapytimer.core.catalog import Discipline
from therapytimer.core.live import live_view, same_bill
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Segment, Session, Who

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make(sid: str, codes: tuple[CodeEntry, ...], segments: tuple[Segment, ...], **kw: object) -> Session:
    base: dict[str, object] = {
        "id": sid,
        "patient": "MT",
        "discipline": Discipline.PT,
        "rule": Rule.CMS,
        "date": date(2026, 11, 23),
        "created_at": T0,
        "codes": codes,
        "segments": segments,
    }
    return Session(**(base | kw))  # type: ignore[arg-type]


MORNING = make("am", (CodeEntry("97110"),), (Segment(1, "am", "97110", Who.THERAPIST, at(-300), at(-290)),))
NOW = make(
    "pm",
    (CodeEntry("97110"), CodeEntry("97112"), CodeEntry("97161", 30)),
    (
        Segment(2, "pm", "97112", Who.THERAPIST, at(0), at(9)),
        Segment(3, "pm", "97110", Who.ASSISTANT, at(9), None),
    ),
)


def test_rows_show_this_session_and_units_show_the_day() -> None:
    view = live_view(NOW, [MORNING, NOW], CATALOG, at(14.5), forgotten_after=timedelta(minutes=90))
    rows = {r.code: r for r in view.rows}
    assert rows["97110"].clock_text == "5:30" and rows["97110"].running and rows["97110"].who is Who.ASSISTANT
    assert rows["97112"].clock_text == "9:00" and not rows["97112"].running
    assert not rows["97161"].timed and rows["97161"].units == 1
    # the day pools 10 (morning) + 5 + 9 = 24 timed min → 2 units
    assert view.result.total_units == 3 and view.result.total_timed_minutes == 24
    assert view.sessions_today == 2
    assert [r.code for r in view.running] == ["97110"]
    assert view.hints and view.hints[0].code is None


def test_other_patients_and_disciplines_are_billed_apart() -> None:
    other = make("x", (CodeEntry("97110"),), (), patient="JK")
    ot = make("y", (CodeEntry("97530"),), (), discipline=Discipline.OT)
    assert [s.id for s in same_bill(NOW, [MORNING, other, ot, NOW])] == ["am", "pm"]


def test_the_bill_is_reused_while_the_minutes_are_the_same() -> None:
    first = live_view(NOW, [NOW], CATALOG, at(14.5))
    same_minute = live_view(NOW, [NOW], CATALOG, at(14.9), previous=first)
    assert same_minute.result is first.result and same_minute.hints is first.hints
    assert same_minute.rows != first.rows  # the clocks still move
    next_minute = live_view(NOW, [NOW], CATALOG, at(15.1), previous=first)
    assert next_minute.result is not first.result


def test_forgotten_timers_are_flagged_on_their_row() -> None:
    view = live_view(NOW, [NOW], CATALOG, at(100), forgotten_after=timedelta(minutes=90))
    assert {r.code: r.forgotten for r in view.rows} == {"97110": True, "97112": False, "97161": False}
