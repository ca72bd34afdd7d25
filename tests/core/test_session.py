"""The session model: code time from segments and corrections, in whole minutes."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

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
    clean_text,
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


def test_clean_patient_keeps_refusing_hidden_characters_and_folding_whitespace() -> None:
    """Sharing its character check with clean_text changed nothing: a tab between initials is still a space."""
    assert clean_patient("M\tT") == "M T"
    for bad in ("M\x00T", "M\u202eT", "\x1b[31mMT", "M\u200bT", "M\ud800"):
        with pytest.raises(SessionError, match=r"^patient alias must not contain control or formatting characters$"):
            clean_patient(bad)


HIDDEN = ["\x00", "\x1b", "\x7f", "\x85", "\u200b", "\u202e", "\u2066", "\ufeff", "\u00ad", "\ud800"]


@pytest.mark.parametrize("bad", HIDDEN)
@pytest.mark.parametrize("multiline", [False, True])
def test_clean_text_refuses_control_and_formatting_characters(bad: str, multiline: bool) -> None:
    """NUL, ESC, DEL, NEL, zero-width space, RTL override, isolates, BOM, soft hyphen, a lone surrogate."""
    with pytest.raises(SessionError, match=r"^clinician name must not contain control or formatting characters$"):
        clean_text(f"Dana{bad} Lee", "clinician name", 80, multiline=multiline)


@pytest.mark.parametrize("bad", ["\n", "\t", "\r", "\r\n", "\x0b", "\x0c", "\x1f"])
def test_one_line_refuses_line_breaks_and_tabs(bad: str) -> None:
    """Whitespace that is a control character is refused, not folded into a space: it is not a name."""
    with pytest.raises(SessionError, match=r"^payer must not contain control or formatting characters$"):
        clean_text(f"Aetna{bad}PPO", "payer", 80)


def test_a_note_keeps_its_lines_and_tabs_and_crlf_becomes_lf() -> None:
    note = "Pain 3/10.\r\n\tHEP reviewed:\n  - bridges  \n"
    assert clean_text(note, "note", 2000, multiline=True) == "Pain 3/10.\n\tHEP reviewed:\n  - bridges  \n"
    for bad in ("a\rb", "a\r", "a\r\rb", "a\n\rb", "a\x0bb", "a\x1cb"):  # a CR outside CRLF, other breaks
        with pytest.raises(SessionError, match=r"^note must not contain control or formatting characters$"):
            clean_text(bad, "note", 2000, multiline=True)


def test_one_line_is_normalised_trimmed_and_collapsed() -> None:
    assert clean_text("  Zoe\u0308   Ng,\u00a0PT ", "clinician name", 80) == "Zo\u00eb Ng, PT"
    assert clean_text("", "clinician name", 80) == ""
    assert clean_text("   ", "clinician name", 80) == ""


def test_clean_text_limits_count_what_is_kept() -> None:
    assert clean_text(" " + "x" * 80 + " ", "payer name", 80) == "x" * 80
    assert clean_text("x" * 1999 + "\r\n", "note", 2000, multiline=True) == "x" * 1999 + "\n"
    with pytest.raises(SessionError, match=r"^clinician name must be at most 80 characters$"):
        clean_text("x" * 81, "clinician name", 80)
    with pytest.raises(SessionError, match=r"^note must be at most 2000 characters$"):
        clean_text("x\n" * 1001, "note", 2000, multiline=True)


def test_required_text() -> None:
    assert clean_text(" Aetna ", "payer name", 80, required=True) == "Aetna"
    assert clean_text("x" * 80, "payer name", 80, required=True) == "x" * 80
    for bad in ("", "  ", "x" * 81):
        with pytest.raises(SessionError, match=r"^payer name must be 1 to 80 characters$"):
            clean_text(bad, "payer name", 80, required=True)
    for bad in ("", " \n\t\r\n"):
        with pytest.raises(SessionError, match=r"^reason must be 1 to 200 characters$"):
            clean_text(bad, "reason", 200, multiline=True, required=True)
    with pytest.raises(SessionError, match="control or formatting"):  # the characters are checked first
        clean_text("\x00", "payer name", 80, required=True)


hidden_char = st.characters(categories=["Cc", "Cf", "Cs"])
visible_char = st.characters(exclude_categories=["Cc", "Cf", "Cs"])


@given(st.text(), hidden_char, st.text(), st.booleans())
def test_any_hidden_character_is_refused(before: str, bad: str, after: str, multiline: bool) -> None:
    """Anywhere, in any text: only a note's line feed, tab and the CR of a CRLF are let through."""
    if multiline:
        assume(bad not in "\n\t" and not (bad == "\r" and after.startswith("\n")))
    with pytest.raises(SessionError, match="control or formatting characters"):
        clean_text(before + bad + after, "note", 100_000, multiline=multiline)


@given(st.text(visible_char))
def test_one_line_without_hidden_characters_is_kept_but_for_its_spacing(text: str) -> None:
    cleaned = clean_text(text, "clinician name", 100_000)
    assert cleaned == " ".join(unicodedata.normalize("NFC", text).split())
    assert clean_text(cleaned, "clinician name", 100_000) == cleaned


@given(st.lists(st.one_of(visible_char, st.sampled_from(["\n", "\t", "\r\n"]))).map("".join))
def test_a_note_without_hidden_characters_is_kept_as_written(text: str) -> None:
    assert clean_text(text, "note", 100_000, multiline=True) == text.replace("\r\n", "\n")


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
