"""The patient's case in the session header, offscreen: the countdown, the plan of care and the threshold as
`services.cases` says them, the progress-report tick box and KX added only on the clinician's say-so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from tests.helpers import open_workspace
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.services.workspace import Workspace
from therapytimer.ui.session_panel import SessionPanel

START = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)  # a Monday in 2025
pytestmark = pytest.mark.gui


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def workspace(tmp_path: Path, clock: FakeClock) -> Iterator[Workspace]:
    ws = open_workspace(tmp_path / "case.db", clock)
    yield ws
    ws.close()


def history(ws: Workspace, days: int, first: date = date(2025, 1, 6)) -> None:
    """`days` earlier Medicare PT visits of MT (the first an evaluation), each $71.32 after the first."""
    sessions = []
    for n in range(days):
        codes = [{"code": "97110", "minutes": 23}, {"code": "97140", "minutes": 15}]
        if n == 0:
            codes.insert(0, {"code": "97161"})
        day = first + timedelta(days=n)
        sessions.append({"patient": "MT", "discipline": "PT", "rule": "cms", "date": day.isoformat(), "codes": codes})
    ws.records.import_text(json.dumps({"format": "therapytimer-sessions/1", "sessions": sessions}))


def panel_on_today(qtbot: QtBot, ws: Workspace) -> SessionPanel:
    panel = SessionPanel(ws.timers, ws.context.prefs, ws.context.clock, ws.cases)
    qtbot.addWidget(panel)
    session = ws.timers.open_session("MT", Discipline.PT, payer="Medicare")
    panel.set_session(session.id)
    panel.resize(1000, 800)
    panel.show()
    return panel


def test_the_header_says_the_10th_visit_needs_its_report_and_the_tick_box_records_it(
    qtbot: QtBot, workspace: Workspace
) -> None:
    history(workspace, 9)
    panel = panel_on_today(qtbot, workspace)
    assert panel.case.isVisible()
    text = panel.case.text.text()
    assert "<b>PT visit 10 without a progress report: due at this visit</b>" in text
    assert "PT plan of care: not entered" in text and "of $2,410 (2025 therapy threshold)" in text
    assert "this app's sessions" in panel.case.text.accessibleDescription()
    assert not panel.case.kx.isVisible()  # far below the threshold: nothing to suggest
    panel.case.report.click()
    assert workspace.timers.session(panel._session_id()).progress_report
    assert "PT progress report written 2025-03-03" in panel.case.text.text()
    panel.case.report.click()
    assert not workspace.timers.session(panel._session_id()).progress_report


def test_past_the_threshold_kx_is_suggested_and_added_only_when_confirmed(
    qtbot: QtBot, workspace: Workspace, clock: FakeClock
) -> None:
    history(workspace, 34)  # $162.37 + 33 x $71.32: past $2,410
    panel = panel_on_today(qtbot, workspace)
    panel.start_code("97110")
    clock.advance(minutes=10)
    panel.tick()  # the first unit: the amount moves, the case is read again
    assert panel.case.kx.isVisible() and panel.case.kx.text() == "Add KX to this visit's lines"
    asked: list[str] = []

    def refuse(_parent: object, title: str, text: str, ok: str = "OK", **_kw: object) -> bool:
        asked.append(text)
        return False

    panel.ask_text = refuse
    panel.case.kx.click()
    assert asked and "medically necessary" in asked[0] and "only this app's sessions" in asked[0]
    assert not workspace.timers.session(panel._session_id()).kx  # refused: nothing added
    panel.ask_text = lambda *_a, **_kw: True
    panel.case.kx.click()
    assert workspace.timers.session(panel._session_id()).kx
    assert panel.case.kx.text() == "Remove KX"
    panel.pause_all()
    lines = workspace.records.day(clock.today()).lines
    assert {row[7] for row in lines} == {"GP KX"}
    panel.case.kx.click()  # removing asks nothing
    assert not workspace.timers.session(panel._session_id()).kx


def test_the_controls_are_touch_sized_and_hidden_without_a_session(qtbot: QtBot, workspace: Workspace) -> None:
    panel = panel_on_today(qtbot, workspace)
    buttons = [w for w in panel.case.findChildren(QAbstractButton) if w.isVisible()]
    assert buttons and all(w.height() >= 44 for w in buttons)
    panel.set_session(None)
    assert not panel.case.isVisible()


def test_without_the_case_use_case_the_strip_stays_hidden(qtbot: QtBot, workspace: Workspace) -> None:
    panel = SessionPanel(workspace.timers, workspace.context.prefs, workspace.context.clock)
    qtbot.addWidget(panel)
    panel.set_session(workspace.timers.open_session("MT", Discipline.PT).id)
    panel.show()
    assert not panel.case.isVisible()


def test_plan_of_care_is_entered_from_the_header_and_checked_as_typed(qtbot: QtBot, workspace: Workspace) -> None:
    from therapytimer.ui.dialogs import PlanOfCareDialog

    panel = panel_on_today(qtbot, workspace)
    offered: list[tuple[date, date]] = []

    def ask(_parent: object, patient: str, discipline: str, start: date, end: date) -> tuple[date, date] | None:
        offered.append((start, end))
        return (date(2025, 3, 3), date(2025, 5, 31))

    panel.ask_plan = ask
    assert panel.case.plan.height() >= 44
    panel.case.plan.click()
    assert offered == [(date(2025, 3, 3), date(2025, 5, 31))]  # the visit's day, 90 days both ends counted
    assert "PT plan of care ends in 89 days (2025-05-31)" in panel.case.text.text()
    dialog = PlanOfCareDialog(None, "MT", "PT", date(2025, 3, 3), date(2025, 5, 31))
    qtbot.addWidget(dialog)
    assert dialog.save.isEnabled()
    dialog.end.setDate(dialog.end.date().addDays(1))
    assert not dialog.save.isEnabled()
    messages = [label.text() for label in dialog.findChildren(QLabel) if label.isVisibleTo(dialog)]
    assert "⚠ 91 days: a plan of care is certified for at most 90 calendar days" in messages


def test_the_close_dialog_reminds_of_a_due_report_and_keeps_the_tick(qtbot: QtBot, workspace: Workspace) -> None:
    from therapytimer.ui.dialogs import CloseDialog

    dialog = CloseDialog(
        None, "Close session: MT", "summary", False, "PT visit 10 without a progress report: due at this visit"
    )
    qtbot.addWidget(dialog)
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert "⚠ PT visit 10 without a progress report: due at this visit" in labels
    assert not dialog.report.isChecked() and dialog.report.minimumHeight() >= 44
    ticked = CloseDialog(None, "Close session: MT", "summary", True, "")
    qtbot.addWidget(ticked)
    assert ticked.report.isChecked()
    assert not any(label.text().startswith("⚠") for label in ticked.findChildren(QLabel))
