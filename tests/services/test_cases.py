"""The case use cases: the progress report and KX recorded on a session (kept, in the history, in the
backup), plan-of-care dates entered and corrected, the case read the same way by every face, and KX on the
exported lines only once the clinician confirmed it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.helpers import open_workspace
from therapytimer.core.case import PlanError
from therapytimer.core.catalog import Discipline
from therapytimer.core.checks import Kind
from therapytimer.core.clock import FakeClock
from therapytimer.core.exchange import ExchangeError
from therapytimer.services.workspace import Workspace

START = datetime(2025, 1, 6, 14, 0, tzinfo=UTC)  # a Monday in 2025: the 2025 fee year and threshold


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def ws(tmp_path: Path, clock: FakeClock) -> Iterator[Workspace]:
    workspace = open_workspace(tmp_path / "live" / "t.db", clock)
    yield workspace
    workspace.close()


def treat(ws: Workspace, clock: FakeClock, patient: str = "AB", **close: bool) -> str:
    """One visit: 97110 for 23 minutes and 97140 for 15, timed, then closed."""
    s = ws.timers.open_session(patient, Discipline.PT)
    ws.timers.start(s.id, "97110")
    clock.advance(minutes=23)
    ws.timers.start(s.id, "97140")
    clock.advance(minutes=15)
    ws.timers.close(s.id, **close)
    return s.id


def next_day(clock: FakeClock) -> None:
    clock.advance(minutes=24 * 60 - 38)  # the next morning at the same time


def test_a_progress_report_ticked_at_close_is_stored_counted_and_kept_in_the_history(
    ws: Workspace, clock: FakeClock
) -> None:
    for _ in range(9):
        treat(ws, clock)
        next_day(clock)
    case = ws.cases.case("AB")
    progress = case.of(Discipline.PT)
    assert progress is not None and (progress.treatment_days, progress.since_report, progress.due) == (9, 9, True)
    sid = treat(ws, clock, progress_report=True)
    stored = ws.timers.session(sid)
    assert stored.progress_report and stored.events[-1].text == "PT progress report written"
    progress = ws.cases.case("AB").of(Discipline.PT)
    assert progress is not None and (progress.since_report, progress.due) == (0, False)


def test_a_forgotten_tick_is_added_afterwards_and_can_be_taken_back(ws: Workspace, clock: FakeClock) -> None:
    sid = treat(ws, clock)
    after = ws.timers.mark(sid, progress_report=True)
    assert after.progress_report
    reread = open_workspace(ws.db_path, clock)
    try:
        assert reread.timers.session(sid).progress_report
    finally:
        reread.close()
    taken_back = ws.timers.mark(sid, progress_report=False)
    assert not taken_back.progress_report
    assert [e.text for e in taken_back.events if e.kind == "case"] == [
        "PT progress report written",
        "PT progress report taken back: not written at this visit",
    ]
    assert ws.timers.mark(sid, progress_report=False).events == taken_back.events  # no change, no event


def test_kx_reaches_the_export_only_once_confirmed(ws: Workspace, clock: FakeClock) -> None:
    sid = treat(ws, clock)
    _, csv = ws.records.export_csv(START.date())
    assert b"GP KX" not in csv
    ws.timers.mark(sid, kx=True)
    _, csv = ws.records.export_csv(START.date())
    lines = csv.decode("utf-8-sig").splitlines()
    assert [ln.split(",")[7] for ln in lines[1:]] == ["GP KX", "GP KX"]
    _, backup = ws.records.export_json(START.date())
    assert json.loads(backup)["sessions"][0]["kx"] is True


def test_plan_of_care_dates_are_entered_corrected_and_removed(ws: Workspace) -> None:
    plan = ws.cases.set_plan("AB", Discipline.PT, date(2025, 1, 6), date(2025, 3, 31))
    assert ws.cases.plans("AB") == [plan]
    corrected = ws.cases.set_plan("AB", Discipline.PT, date(2025, 1, 6), date(2025, 2, 28))
    assert ws.cases.plans("AB") == [corrected]
    with pytest.raises(PlanError, match="at most 90 calendar days"):
        ws.cases.set_plan("AB", Discipline.PT, date(2025, 1, 6), date(2025, 4, 6))
    assert ws.cases.plans("AB") == [corrected]  # a refused entry changes nothing
    assert ws.cases.remove_plan("AB", Discipline.PT, date(2025, 1, 6))
    assert not ws.cases.remove_plan("AB", Discipline.PT, date(2025, 1, 6))
    assert ws.cases.plans("AB") == []


def test_the_session_header_and_the_day_checks_read_the_same_case(ws: Workspace, clock: FakeClock) -> None:
    ws.cases.set_plan("AB", Discipline.PT, date(2025, 1, 6), date(2025, 1, 14))
    for _ in range(9):
        treat(ws, clock)
        next_day(clock)
    s = ws.timers.open_session("AB", Discipline.PT)  # the 10th visit, 2025-01-15
    ws.timers.start(s.id, "97110")
    clock.advance(minutes=20)
    header = ws.cases.for_session(ws.timers.session(s.id))
    assert header.lines[0] == "PT visit 10 without a progress report: due at this visit"
    assert header.lines[1] == "PT plan of care ENDED 2025-01-14 (1 day ago): recertify"
    assert header.lines[2].startswith("PT+SLP $") and header.lines[2].endswith("of $2,410 (2025 therapy threshold)")
    assert header.report_due and not header.kx_suggested
    kinds = [f.kind for f in ws.records.findings(clock.today())]
    assert Kind.PROGRESS_REPORT in kinds and Kind.PLAN_OF_CARE in kinds and Kind.THRESHOLD not in kinds


def test_only_medicare_sessions_count_toward_the_threshold(ws: Workspace) -> None:
    def session(sid: str, rule: str, day: str) -> dict[str, object]:
        codes = [{"code": "97110", "minutes": 23}, {"code": "97140", "minutes": 15}]
        return {"id": sid, "patient": "AB", "discipline": "PT", "rule": rule, "date": day, "codes": codes}

    doc = {"format": "therapytimer-sessions/1", "sessions": [session("m", "cms", "2025-01-06")]}
    ws.records.import_text(json.dumps(doc))
    assert str(ws.cases.case("AB").allowed_of(Discipline.PT).estimate) == "71.32"
    doc["sessions"] = [session("c", "ama", "2025-01-06")]  # a commercial payer's visit: not Medicare's amount
    ws.records.import_text(json.dumps(doc))
    case = ws.cases.case("AB")
    assert str(case.allowed_of(Discipline.PT).estimate) == "71.32"
    progress = case.of(Discipline.PT)
    assert progress is not None and progress.treatment_days == 1  # but it is the same treatment day


def test_import_keeps_the_flags(ws: Workspace) -> None:
    doc = {
        "format": "therapytimer-sessions/1",
        "sessions": [
            {
                "id": "x1",
                "patient": "AB",
                "discipline": "PT",
                "rule": "cms",
                "date": "2025-01-06",
                "codes": [{"code": "97161"}, {"code": "97110", "minutes": 23}],
                "progress_report": True,
                "kx": True,
            }
        ],
    }
    ws.records.import_text(json.dumps(doc))
    stored = ws.timers.session("x1")
    assert stored.progress_report and stored.kx
    bad = {**doc, "sessions": [{**doc["sessions"][0], "id": "x2", "progress_report": "yes"}]}  # type: ignore[dict-item]
    with pytest.raises(ExchangeError, match=r"sessions\[0\]\.progress_report: must be true or false"):
        ws.records.import_text(json.dumps(bad))
