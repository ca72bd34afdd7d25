"""The session model: code time from segments and corrections, in whole minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from therapytimer.core.catalog import Discipline
from therapytimer.core.rules import Rule
from therapytimer.core.session import (
    CodeEntry,
    Correction,
    Segment,
    Session,
    SessionError,
    Who,
    clean_patient,
)

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def session(**kw: object) -> Session:
    base: dict[str, object] = {
        "id": "s1",
        "patient": "MT",
        "discipline": Discipline.PT,
        "rule": Rule.CMS,
        "date": date(2026, 11, 23),
        "created_at": T0,
    }
    return Session(**(base | kw))  # type: ignore[arg-type]


def test_clean_patient() -> None:
    assert clean_patient("  M  T ") == "M T"
    assert clean_patient("x" * 40) == "x" * 40
    for bad in ("", "   ", "x" * 41):
        with pytest.raises(SessionError, match="1 to 40 characters"):
            clean_patient(bad)


def test_segment_seconds() -> None:
    done = Segment(1, "s1", "97110", Who.THERAPIST, at(0), at(10))
    running = Segment(2, "s1", "97110", Who.THERAPIST, at(20))
    assert done.seconds(at(99)) == 600 and not done.running
    assert running.seconds(at(25)) == 300 and running.running
    assert done.seconds(at(99), since=at(4)) == 360
    assert done.seconds(at(99), since=at(30)) == 0


def test_code_time_splits_therapist_together_and_assistant() -> None:
    s = session(
        codes=(CodeEntry("97110"), CodeEntry("97161", 45)),
        segments=(
            Segment(1, "s1", "97110", Who.THERAPIST, at(0), at(10)),
            Segment(2, "s1", "97110", Who.ASSISTANT, at(10), at(22)),
            Segment(3, "s1", "97110", Who.TOGETHER, at(22), None),
            Segment(4, "s1", "97140", Who.THERAPIST, at(40), at(45)),
        ),
    )
    times = s.times(at(25.5))
    assert list(times) == ["97110", "97161"]
    assert (times["97110"].minutes, times["97110"].assistant_minutes) == (13, 12)
    assert (times["97161"].minutes, times["97161"].assistant_minutes) == (45, 0)
    assert [g.id for g in s.running()] == [3]


def test_a_correction_replaces_time_before_it_and_later_time_adds() -> None:
    s = session(
        codes=(CodeEntry("97110"),),
        segments=(
            Segment(1, "s1", "97110", Who.THERAPIST, at(0), at(30)),
            Segment(2, "s1", "97110", Who.ASSISTANT, at(40), None),
        ),
        corrections=(
            Correction(1, "s1", "97110", at(10), 10, 0, 99, 0, "first"),
            Correction(2, "s1", "97110", at(20), 99, 0, 12, 3, "second thoughts"),
        ),
    )
    t = s.code_time("97110", at(45))
    assert (t.minutes, t.assistant_minutes) == (12 + 10, 3 + 5)


def test_forgotten_and_history() -> None:
    s = session(
        codes=(CodeEntry("97110"),),
        segments=(
            Segment(1, "s1", "97110", Who.THERAPIST, at(0), at(5)),
            Segment(2, "s1", "97110", Who.ASSISTANT, at(5), None),
        ),
        corrections=(Correction(1, "s1", "97110", at(5), 5, 0, 8, 0, "late start"),),
    )
    assert s.forgotten(at(95)) == []
    assert [g.id for g in s.forgotten(at(95.1))] == [2]
    assert [text for _, text in s.history()] == [
        "97110 started (therapist)",
        "97110 stopped",
        "97110 set from 5+0 to 8+0 min (therapist+assistant): late start",
        "97110 started (assistant)",
    ]
