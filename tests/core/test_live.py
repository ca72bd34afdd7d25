"""What the bedside window shows, computed without Qt."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.helpers import CATALOG
from therapytimer.core.catalog import Discipline
from therapytimer.core.live import (
    TimerRow,
    code_history,
    live_view,
    no_unit_reasons,
    same_bill,
    short_label,
    unit_threshold,
)
from therapytimer.core.rules import Rule, Service, compute, units_for
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


# ---- what the bedside panel shows beyond the clock: the next unit, why none, the card read aloud ----


def reasons(minutes: dict[str, int], rule: Rule = Rule.CMS) -> dict[str, str]:
    services = [Service(CATALOG.get(code), m) for code, m in minutes.items()]
    return no_unit_reasons(services, compute(services, rule, CATALOG), CATALOG)


def test_a_code_at_zero_units_says_why_in_one_line() -> None:
    assert reasons({"97110": 10, "97112": 6}) == {"97112": "pooled: the unit went to 97110"}
    assert reasons({"97110": 30, "97112": 7}) == {"97112": "pooled: the units went to 97110"}
    assert reasons({"97110": 5}) == {"97110": "pooled: 5 min, 8 needed for a unit"}
    tied = compute([Service(CATALOG.get("97110"), 7), Service(CATALOG.get("97112"), 7)], Rule.CMS, CATALOG)
    (tie,) = tied.ties
    loser = next(c for c in tie.codes if c not in tie.chosen)
    assert reasons({"97110": 7, "97112": 7}) == {loser: f"tie: the unit went to {tie.chosen[0]} (either is correct)"}
    assert reasons({"97110": 7, "97112": 7}, Rule.AMA) == {
        "97110": "7 min: 8 needed for a unit",
        "97112": "7 min: 8 needed for a unit",
    }
    # a per-hour code never pools; untimed services and codes with units need no reason
    assert reasons({"96105": 20, "97161": 0, "97140": 8, "97530": 0}) == {
        "96105": "20 min: 31 needed for a unit"
    }  # 97530 has no minutes yet: its 0:00 says why


def test_unit_thresholds_are_where_the_units_change() -> None:
    for code in ("97110", "96105", "92607", "97545"):
        spec = CATALOG.get(code)
        assert unit_threshold(0, spec) == 0
        for units in range(1, 6):
            at_threshold = unit_threshold(units, spec)
            first, each = spec.first_minutes, spec.each_minutes
            assert units_for(at_threshold, first, each) == units
            assert units_for(at_threshold - 1, first, each) == units - 1
    assert [unit_threshold(u, CATALOG.get("97110")) for u in range(4)] == [0, 8, 23, 38]


def test_the_running_code_shows_its_next_unit_and_the_bar_toward_it() -> None:
    view = live_view(NOW, [NOW], CATALOG, at(14.5))  # 97112 9 min (paused), 97110 5:30 by the assistant
    rows = {r.code: r for r in view.rows}
    running, paused, service = rows["97110"], rows["97112"], rows["97161"]
    assert running.units == 0 and running.why_none == "pooled: the unit went to 97112"
    assert running.next_hint is not None and running.next_hint.more_minutes == 5  # 10 min beat 97112's 9
    assert running.to_next == 5 * 60 - 30 and running.step_seconds == 8 * 60  # 0 → 1 unit: 8 minutes
    assert running.progress == 1 - 270 / 480 and running.next_text == "5 more min → 1 unit"
    assert paused.next_hint is not None and paused.to_next is None and paused.progress is None
    assert paused.why_none is None and paused.next_text == "11 more min → 2 units"
    assert service.next_hint is None and service.next_text is None and service.why_none is None
    by_therapist = make("t", (CodeEntry("97110"),), (Segment(4, "t", "97110", Who.THERAPIST, at(0), None),))
    (row,) = live_view(by_therapist, [by_therapist], CATALOG, at(20.25)).rows
    assert row.units == 1 and row.to_next == 3 * 60 - 15 and row.step_seconds == 15 * 60  # 23 min: 2 units
    assert row.progress == 1 - 165 / 900
    assert TimerRow("x", "X", True, 0, True, None, 0, False, (), to_next=-5.0, step_seconds=60.0).progress == 1.0
    assert TimerRow("x", "X", True, 0, True, None, 0, False, (), to_next=90.0, step_seconds=60.0).progress == 0.0


def test_a_card_reads_aloud_as_a_clinician_would_say_it() -> None:
    rows = {r.code: r for r in live_view(NOW, [NOW], CATALOG, at(12) + timedelta(seconds=40)).rows}
    assert rows["97110"].spoken == (
        "97110 Therapeutic exercise, running, 3 minutes 40 seconds, 0 units, no unit: pooled: the unit went to 97112"
    )
    assert rows["97112"].spoken == "97112 Neuromuscular re-education, paused, 9 minutes 0 seconds, 1 unit"
    assert rows["97161"].spoken == "97161 PT evaluation: low complexity, untimed service, 1 unit"
    late = {r.code: r for r in live_view(NOW, [NOW], CATALOG, at(100), forgotten_after=timedelta(minutes=60)).rows}
    assert late["97110"].spoken.endswith("past the forgotten-timer limit")


def test_the_reasons_are_reused_with_the_bill_and_the_last_code_is_offered() -> None:
    first = live_view(NOW, [NOW], CATALOG, at(14.5))
    assert live_view(NOW, [NOW], CATALOG, at(14.9), previous=first).reasons is first.reasons
    assert first.last_code == "97112"  # the one stopped last; 97110 still runs
    assert live_view(make("n", (CodeEntry("97110"),), ()), [], CATALOG, at(1)).last_code is None


def test_buttons_abbreviate_deliberately_and_keep_the_word_that_differs() -> None:
    labels = [short_label(CATALOG.get(c).short_name) for c in ("97161", "97162", "97163", "97164")]
    assert labels == ["PT eval low", "PT eval mod", "PT eval high", "PT re-eval"]
    assert short_label("Attended electrical stimulation") == "Attended e-stim"
    assert short_label("Therapeutic exercise") == "Therapeutic exercise"


def test_a_codes_history_names_only_that_code() -> None:
    lines = [text for _, text in code_history(NOW, "97110")]
    assert lines == ["97110 started (assistant)"]
    assert [text for _, text in code_history(NOW, "97112")] == ["97112 started (therapist)", "97112 stopped"]


def test_now_timing_shows_the_timer_started_last() -> None:
    both = make(
        "b",
        (CodeEntry("97110"), CodeEntry("97112")),
        (
            Segment(5, "b", "97112", Who.THERAPIST, at(0), None),
            Segment(6, "b", "97110", Who.ASSISTANT, at(3), None),
        ),
    )
    view = live_view(both, [both], CATALOG, at(5))
    assert view.now_code == "97110" and view.now_row is not None and view.now_row.code == "97110"
    assert live_view(MORNING, [MORNING], CATALOG, at(5)).now_row is None
