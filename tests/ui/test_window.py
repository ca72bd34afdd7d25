"""The window, offscreen, driven by real clicks and keys against a fake clock and a temporary database.

Time passes by advancing the fake clock and calling `tick()`, never by waiting; dialogs are replaced
through their `ask` functions, so none blocks a test.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLayout, QMessageBox, QPushButton, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from tests.conftest import REPO
from tests.helpers import CATALOG, open_workspace
from therapytimer.core.catalog import Discipline, load_catalog
from therapytimer.core.checks import Finding
from therapytimer.core.clock import FakeClock
from therapytimer.core.reports import week_bounds, week_report
from therapytimer.core.rules import Rule
from therapytimer.core.session import Role, State, Who
from therapytimer.core.settings import Settings, WeekStart
from therapytimer.services.context import build_context
from therapytimer.ui import app, dialogs
from therapytimer.ui.dialogs import (
    MinutesDialog,
    NewSession,
    NewSessionDialog,
    SettingsAnswer,
    SettingsDialog,
    TextDialog,
)
from therapytimer.ui.main_window import MainWindow
from therapytimer.ui.models import CatalogModel, ExportRowsModel, LinesModel, TimersModel, WeekModel

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def make_window(db: Path, clock: FakeClock, settings: Path) -> MainWindow:
    """The window as `therapytimer --db DB` opens it, with the settings file at `settings`."""
    context = build_context(str(db), clock=clock, settings_file=settings, strict_catalog=False)
    return app.create_window(context)


def assert_cache_is_the_disk(win: MainWindow, clock: FakeClock) -> None:
    """What the window's use cases keep in memory is what a fresh reader finds in the file."""
    fresh = open_workspace(win.workspace.db_path, clock, create=False)
    try:
        assert win.timers.open_sessions() == fresh.timers.open_sessions()
        assert win.timers.sessions_on(clock.today()) == fresh.timers.sessions_on(clock.today())
    finally:
        fresh.close()


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, clock: FakeClock) -> Iterator[MainWindow]:
    win = make_window(tmp_path / "ui.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(win)
    win.show()
    yield win
    assert_cache_is_the_disk(win, clock)
    win.workspace.close()


def start_session(win: MainWindow, patient: str = "MT", discipline: Discipline = Discipline.PT) -> str:
    win.ask_new_session = lambda *_a: NewSession(patient, discipline, "Medicare", "Dana Lee", Role.THERAPIST)
    session = win.new_session()
    assert session is not None
    return session.id


def buttons(layout: QLayout) -> list[QPushButton]:
    found = [layout.itemAt(i) for i in range(layout.count())]
    return [w for w in (item.widget() if item else None for item in found) if isinstance(w, QPushButton)]


def favorite(win: MainWindow, code: str) -> QPushButton:
    return next(b for b in buttons(win.panel.favorites) if code in b.text())


def recorder(seen: list[str], answer: bool = True) -> Callable[..., bool]:
    """Stands in for a dialog: remembers the title and text it was asked to show."""

    def ask(_parent: object, title: str, text: str = "", *_a: object, **_k: object) -> bool:
        seen.append(f"{title}: {text}")
        return answer

    return ask


def closer(seen: list[str], written: bool | None = False) -> Callable[..., bool | None]:
    """Stands in for the close dialog: remembers its title and summary; None is Cancel, else the tick box."""

    def ask(_parent: object, title: str, text: str, _report: bool, due: str) -> bool | None:
        seen.append(f"{title}: {text}" + (f" [{due}]" if due else ""))
        return written

    return ask


def card_texts(win: MainWindow) -> dict[str, tuple[str, str, str]]:
    return {c.code: (c.clock.text(), c.units.text(), c.state.text()) for c in win.panel.cards}


# ---- models -------------------------------------------------------------------------------------


def test_catalog_model_is_a_well_behaved_qt_model(qtmodeltester: ModelTester) -> None:
    model = CatalogModel(load_catalog(include_user=False))
    qtmodeltester.check(model)
    row = next(r for r in range(model.rowCount()) if model.spec(r).code == "97110")
    cells = [model.index(row, c).data() for c in range(model.columnCount())]
    assert cells == ["97110", "Therapeutic exercise", "timed, 15-min units", "PT OT", "$28.79", "no end date"]
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Code"
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.data(QModelIndex()) is None
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(model.index(0, 0)) == 0
    no_fee = next(r for r in range(model.rowCount()) if model.spec(r).default_fee is None)
    assert model.index(no_fee, 4).data() == "—"
    noted = next(r for r in range(model.rowCount()) if model.spec(r).code == "97014")
    assert "G0283" in model.index(noted, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) is None
    assert model.index(row, 4).data(Qt.ItemDataRole.TextAlignmentRole)
    assert model.index(row, 0).data(Qt.ItemDataRole.TextAlignmentRole) is None


def test_table_models_are_well_behaved(qtmodeltester: ModelTester, window: MainWindow, clock: FakeClock) -> None:
    sid = start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=23)
    window.tick()
    for model in (window.panel.model, window.panel.lines, window.day.model, window.week.model):
        qtmodeltester.check(model)
    timers: TimersModel = window.panel.model
    assert [timers.index(0, c).data() for c in range(timers.columnCount())] == [
        "97110",
        "Therapeutic exercise",
        "23:00",
        "2",
        "RUNNING",
        "therapist",
        "15 more min → 3 units",
        "",
    ]
    assert timers.index(0, 0).data(Qt.ItemDataRole.UserRole + 1).code == "97110"
    assert timers.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is None
    lines: LinesModel = window.panel.lines
    assert lines.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "Therapeutic exercise"
    assert lines.index(0, 3).data(Qt.ItemDataRole.TextAlignmentRole)
    assert window.timers.session(sid).running()


def test_only_changed_cells_are_repainted(window: MainWindow, clock: FakeClock, qtbot: QtBot) -> None:
    start_session(window)
    window.panel.add_code("97112")
    window.panel.start_code("97110")
    changes: list[tuple[int, int, int, int]] = []
    window.panel.model.dataChanged.connect(lambda a, b: changes.append((a.row(), a.column(), b.row(), b.column())))
    clock.advance(seconds=1)
    window.tick()
    assert changes == [(1, 2, 1, 2)]  # only the running timer's clock
    changes.clear()
    window.tick()
    assert changes == []


def test_export_rows_and_week_models() -> None:
    rows = ExportRowsModel()
    rows.set_rows(
        [("2026-11-23", "MT", "PT", "", "cms", "97110", "Therapeutic exercise", "GP", "23", "2", "23", "23", "")]
    )
    assert rows.index(0, 0).data() == "MT" and rows.columnCount() == 12
    week = WeekModel()
    first, last = week_bounds(START.date())
    week.set_report(week_report([], CATALOG, START, first, last))
    assert week.rowCount() == 0 and week.headerData(1, Qt.Orientation.Horizontal) == "Mon 23"


# ---- the bedside flow ---------------------------------------------------------------------------


def test_a_session_with_timers_by_click_and_key(window: MainWindow, clock: FakeClock, qtbot: QtBot) -> None:
    sid = start_session(window)
    assert window.sessions.currentData() == sid and window.panel.heading.text() == "MT · PT · Medicare · open"
    qtbot.mouseClick(favorite(window, "97110"), Qt.MouseButton.LeftButton)
    assert window.ticker.isActive()
    clock.advance(minutes=8)
    window.tick()
    assert card_texts(window)["97110"] == ("8:00", "1 unit · GP", "● RUNNING")
    running_card = window.panel.cards[0]
    assert running_card.property("running") is True and running_card.button.text() == "❚❚  Pause"
    qtbot.mouseClick(favorite(window, "97140"), Qt.MouseButton.LeftButton)  # one at a time: 97110 pauses
    clock.advance(minutes=15)
    window.tick()
    assert card_texts(window)["97110"] == ("8:00", "1 unit · GP", "❚❚ paused")
    assert card_texts(window)["97140"][0] == "15:00"
    assert window.panel.total.text() == "2 units"
    window.panel.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_1)  # key 1 toggles the first card: 97110 runs again
    assert [s.code for s in window.timers.running()] == ["97110"]
    qtbot.keyClick(window, Qt.Key.Key_Space)  # Space pauses everything
    assert window.timers.running() == [] and not window.ticker.isActive()
    assert window.panel.cards[0].property("running") is False


def test_digits_type_into_the_search_field_instead_of_toggling(window: MainWindow, qtbot: QtBot) -> None:
    start_session(window)
    window.panel.add_code("97110")
    window.panel.search.setFocus()
    QApplication.processEvents()
    qtbot.keyClicks(window.panel.search, "97530")
    qtbot.keyClick(window.panel.search, Qt.Key.Key_Return)  # the number starts its code; no digit toggled a card
    assert [s.code for s in window.timers.running()] == ["97530"]
    assert [c.code for c in window.panel.cards] == ["97110", "97530"]
    window.panel.search.setText("manual")
    assert window.panel._add_from_search()
    window.panel.search.setText("therap")  # several codes match: ask to pick one
    assert not window.panel._add_from_search() and "No single code matches" in window.panel.error.text()
    assert not window.panel._add_from_search("   ")
    assert window.panel._add_from_search("97161 PT evaluation")


def test_ctrl_n_opens_a_new_session(window: MainWindow, qtbot: QtBot) -> None:
    asked: list[list[str]] = []

    def ask(parent: QWidget | None, recent: list[str], payers: list[str], settings: Settings) -> NewSession | None:
        asked.append(payers)
        return None

    window.ask_new_session = ask
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert asked == [["Commercial (per-code rule)", "Medicare"]]


def test_sessions_switch_in_one_click_and_units_pool_the_day(window: MainWindow, clock: FakeClock) -> None:
    first = start_session(window, "MT")
    window.panel.start_code("97110")
    clock.advance(minutes=10)
    second = start_session(window, "JK")
    assert window.sessions.count() == 2 and window.sessions.currentData() == second
    window.sessions.activated.emit(0)
    assert window.panel.session is not None and window.panel.session.id == first
    window.timers.close(first)
    third = start_session(window, "MT")  # an afternoon visit: the day's minutes pool
    window.panel.start_code("97110")
    clock.advance(minutes=13)
    window.tick()
    assert window.panel.total.text() == "2 units"
    assert "2 sessions today" in window.panel.detail.text()
    assert window.timers.session(third).state is State.OPEN


def test_untimed_services_and_corrections(window: MainWindow, clock: FakeClock, qtbot: QtBot) -> None:
    sid = start_session(window)
    button = buttons(window.panel.untimed)[0]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert card_texts(window)["97161"] == ("1 unit", "1 unit · GP", "service (untimed)")
    window.panel.ask_minutes = lambda *_a, **_k: (45, 0, "")
    qtbot.mouseClick(window.panel.cards[0].button, Qt.MouseButton.LeftButton)
    assert window.timers.session(sid).codes[0].minutes == 45
    window.panel.add_code("97110")
    window.panel.ask_minutes = lambda *_a, **_k: (23, 0, "timer was not started")
    qtbot.mouseClick(window.panel.cards[1].edit, Qt.MouseButton.LeftButton)
    (correction,) = window.timers.session(sid).corrections
    assert (correction.minutes, correction.reason) == (23, "timer was not started")
    assert card_texts(window)["97110"][:2] == ("23:00", "2 units · GP")
    window.panel.ask_minutes = lambda *_a, **_k: (5, 0, " ")  # no reason: refused, state kept
    assert not window.panel.edit_minutes("97110")
    assert "needs a reason" in window.panel.error.text() and len(window.timers.session(sid).corrections) == 1
    window.panel.ask_minutes = lambda *_a, **_k: None
    assert not window.panel.edit_minutes("97110") and not window.panel.edit_minutes("97161")
    shown: list[str] = []
    window.ask_text = recorder(shown)
    window.show_history()
    assert "97110 set from 0+0 to 23+0 min (therapist+assistant): timer was not started" in shown[0]


def test_who_is_treating_and_cq_live(window: MainWindow, clock: FakeClock) -> None:
    window.settings.assistants = True
    sid = start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=5)
    card = window.panel.cards[0]
    assert card.who.isVisible() and card.who.isEnabled()
    card.who.textActivated.emit("assistant")
    clock.advance(minutes=10)
    window.tick()
    assert [s.who for s in window.timers.session(sid).segments] == [Who.THERAPIST, Who.ASSISTANT]
    assert card_texts(window)["97110"][1] == "1 unit · GP CQ"


def test_errors_are_shown_and_nothing_changes(window: MainWindow) -> None:
    assert not window.panel.toggle("97110")  # no session yet
    assert "start a session first" in window.panel.error.text()
    assert not window.panel.edit_minutes("97110")
    start_session(window, "SLP1", Discipline.SLP)
    assert not window.panel.set_who("97129", "assistant")
    assert not window.panel.add_code("97130")
    assert "billed from 97129" in window.panel.error.text()
    assert not window.panel.toggle_nth(5)
    window.ask_new_session = lambda *_a: NewSession("", Discipline.PT, "Medicare", "", Role.THERAPIST)
    assert window.new_session() is None and "1 to 40 characters" in window.panel.error.text()


def test_cues_when_a_unit_is_reached_and_a_timer_runs_long(
    window: MainWindow, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    beeps: list[bool] = []
    monkeypatch.setattr(QApplication, "beep", lambda: beeps.append(True))
    window.settings.sound = True
    start_session(window)
    window.panel.start_code("97110")
    cues: list[str] = []
    window.panel.unit_reached.connect(cues.append)
    clock.advance(minutes=7, seconds=59)
    window.tick()
    assert cues == []
    clock.advance(seconds=1)
    window.tick()
    assert cues == ["97110 reached 1 unit", "Total: 1 unit"] and beeps == [True, True]
    clock.advance(minutes=83)
    window.tick()
    assert any("has run past the 90-minute limit and counts no further" in c for c in cues)
    card = window.panel.cards[0]
    assert card.warning.isVisibleTo(card) and card.keep.isVisibleTo(card) and card.stop.isVisibleTo(card)
    assert window.banner.isVisibleTo(window) and "Still treating, or Stop at… on its card" in window.banner_text.text()
    window.settings.sound = False
    beeps.clear()
    clock.advance(minutes=30)
    window.tick()
    assert card.clock.text() == "90:00"  # it counts no further without the clinician's say-so
    sid = window.panel.session.id if window.panel.session else ""
    qtbot_click(card.keep)
    assert not card.keep.isVisibleTo(card) and "Still treating" in window.timers.session(sid).history()[-1][1]
    clock.advance(minutes=91)
    window.tick()
    assert beeps == [True]  # loud whatever the sound setting: it may be billing nothing now
    stopped_at: list[datetime] = []

    def choose(_parent: QWidget, code: str, earliest: datetime, offered: datetime, latest: datetime) -> datetime:
        stopped_at.append(offered)
        return offered

    window.panel.ask_stop_time = choose
    qtbot_click(card.stop)
    session = window.timers.session(sid)
    assert session.running() == [] and session.segments[0].end == stopped_at[0]
    assert session.code_time("97110", clock.now()).minutes == 211  # 121 until "still treating", then the limit: 90


def qtbot_click(button: QPushButton) -> None:
    button.click()


def test_close_session_shows_what_the_note_needs(window: MainWindow, clock: FakeClock) -> None:
    sid = start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=23)
    window.tick()
    shown: list[str] = []
    window.ask_close = closer(shown, None)
    assert not window.close_session()
    assert window.timers.session(sid).state is State.OPEN
    assert "Total timed code treatment minutes: 23" in shown[0]
    assert "97110 GP: 23 min, therapist, alone or with the assistant, 2 units" in shown[0]
    assert "Clinician: Dana Lee" in shown[0]
    window.ask_close = closer(shown, True)  # closed with the progress report ticked
    assert window.close_session()
    closed = window.timers.session(sid)
    assert closed.state is State.CLOSED and closed.progress_report and window.sessions.count() == 0
    assert not window.close_session()  # nothing left to close


def test_copy_for_note_puts_plain_text_on_the_clipboard(qtbot: QtBot) -> None:
    dialog = TextDialog(None, "Close", "Total units: 3", "Close session", True)
    qtbot.addWidget(dialog)
    copy = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Copy for note")
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "Total units: 3"


def test_recovered_timers_are_announced_and_go_on(tmp_path: Path, clock: FakeClock, qtbot: QtBot) -> None:
    db = tmp_path / "crash.db"
    other = open_workspace(db, clock)
    s = other.timers.open_session("MT", Discipline.PT)
    other.timers.start(s.id, "97112")
    other.close()  # the app was killed here
    clock.advance(minutes=12)
    win = make_window(db, clock, tmp_path / "settings.json")
    qtbot.addWidget(win)
    win.show()
    assert win.banner.isVisible()
    assert win.banner_text.text() == "Recovered 1 running timer for MT (PT). They go on with the right time."
    assert win.ticker.isActive() and card_texts(win)["97112"][0] == "12:00"
    win.workspace.close()


def test_day_view_and_export(window: MainWindow, clock: FakeClock, tmp_path: Path) -> None:
    start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=23)
    window.panel.pause_all()
    window.tabs.setCurrentWidget(window.day)
    assert window.day.model.rowCount() == 1 and window.day.model.index(0, 4).data() == "97110"
    assert "MT: session open" not in window.day.findings.text()
    assert "MT (PT): session open" in window.day.findings.text()  # the day checks, listed on the page
    assert window.day.model.index(0, 3).data() == "Medicare 8-minute rule (pooled)"  # plain words, not cms
    target = tmp_path / "out" / "day.csv"
    target.parent.mkdir()
    window.day.choose_path = lambda _w, suggested: target if suggested.name == "therapytimer-2026-11-23.csv" else None
    asked: list[list[str]] = []

    def unfinished(answer: str | None) -> Callable[[QWidget, list[Finding]], str | None]:
        def ask(_parent: QWidget, findings: list[Finding]) -> str | None:
            asked.append([f.message for f in findings])
            return answer

        return ask

    window.day.ask_unfinished = unfinished(None)  # the day is not finished: listed first, nothing exported
    assert not window.day.export() and not target.exists()
    assert asked == [["MT (PT): session open"]] and "the day is not finished" in window.day.status.text()
    window.day.ask_unfinished = unfinished("export")  # export anyway: the session stays open
    assert window.day.export() and target.exists()
    assert window.timers.open_sessions() != []
    target.unlink()
    window.day.ask_unfinished = unfinished("close")  # close it, then export
    assert window.day.export()
    assert window.timers.open_sessions() == [] and "session open" not in window.day.findings.text()
    assert target.read_bytes().startswith(b"\xef\xbb\xbfdate,patient")
    assert "Exported 1 line to" in window.day.status.text()
    window.day.choose_path = lambda _w, _s: tmp_path  # a folder: refused with the reason
    assert not window.day.export() and "is a folder" in window.day.status.text()
    window.day.choose_path = lambda _w, _s: None
    assert not window.day.export()
    window.day.go(-1)
    assert window.day.model.rowCount() == 0 and "No sessions" in window.day.summary.text()
    window.day.go(0)
    assert window.day.model.rowCount() == 1


def test_week_view_navigates_and_totals(window: MainWindow, clock: FakeClock) -> None:
    start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=38)
    window.panel.pause_all()
    window.tabs.setCurrentWidget(window.week)
    assert window.week.model.rowCount() == 2 and "3</b> units" in window.week.totals.text()
    assert (
        window.week.model.index(1, 0).data() == "All codes" and window.week.model.index(1, 8).data() == "3 u · 38 min"
    )
    assert window.week.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "Therapeutic exercise"
    assert len(window.week.bars.barSets()) == 1
    window.week.go(-7)
    assert window.week.model.rowCount() == 0 and "Week Mon 2026-11-16" in window.week.title.text()
    window.week.go(0)
    assert window.week.model.rowCount() == 2


def test_settings_and_payer_profiles(window: MainWindow, clock: FakeClock, tmp_path: Path) -> None:
    start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=38)
    window.panel.pause_all()
    window.tabs.setCurrentWidget(window.week)  # built before the change: it must be told of it
    assert "Week Mon" in window.week.title.text() and "estimated revenue <b>$72.45</b>" in window.week.totals.text()
    assert "<b>$72.45</b> (estimated at 2025 rates)" in window.week.totals.text()  # a 2026 week, 2025 RVUs

    def ask(parent: QWidget | None, settings: Settings, payers: dict[str, Rule]) -> SettingsAnswer:
        settings.week_start = WeekStart.SUNDAY
        settings.fees = {"97110": Decimal("40.00"), "NOPE1": Decimal(1)}
        return SettingsAnswer(True, ("Aetna", Rule.AMA))

    window.ask_settings = ask
    assert window.edit_settings()
    assert window.timers.payers()["Aetna"] is Rule.AMA
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["week_start"] == "sunday" and saved["fees"] == {"97110": "40.00", "NOPE1": "1"}
    assert "Week Sun" in window.week.title.text()
    assert window.week.prefs.catalog.get("97110").default_fee == 40 and window.panel.catalog is window.prefs.catalog
    assert "estimated revenue <b>$120.00</b>" in window.week.totals.text()  # 3 × 40.00, without a refresh by hand
    assert "fees for 1 code not in the code catalog, left out: NOPE1" in window.statusBar().currentMessage()
    window.ask_settings = lambda *_a: SettingsAnswer(False)
    assert not window.edit_settings()


def test_a_settings_change_is_saved_and_reaches_every_page(
    window: MainWindow, clock: FakeClock, tmp_path: Path
) -> None:
    """The settings have one owner: `prefs.update()` saves them and every page built so far shows them."""
    start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=38)
    window.panel.pause_all()
    window.tabs.setCurrentWidget(window.week)
    window.tabs.setCurrentWidget(window.day)
    assert "$72.45" in window.week.totals.text() and favorite(window, "97140")
    assert window.prefs.update(week_start=WeekStart.SUNDAY, fees={"97110": Decimal("40.00")}) == []
    window.prefs.update(favorites=dict(window.settings.favorites, PT=["97530"]))
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["week_start"] == "sunday" and saved["fees"] == {"97110": "40.00"}
    assert saved["favorites"]["PT"] == ["97530"]
    assert "Week Sun" in window.week.title.text() and "estimated revenue <b>$120.00</b>" in window.week.totals.text()
    assert [b.text().split()[1] for b in buttons(window.panel.favorites)] == ["97530"]
    assert window.day.model.rowCount() == 1 and window.panel.view is not None
    assert window.panel.view.rows[0].clock_text == "38:00"
    with pytest.raises(AttributeError, match="no setting named nope"):
        window.prefs.update(nope=1)


def test_import_from_the_window(window: MainWindow, tmp_path: Path) -> None:
    good = tmp_path / "in.json"
    good.write_text(
        json.dumps(
            {
                "format": "therapytimer-sessions/1",
                "sessions": [
                    {
                        "patient": "AB",
                        "discipline": "OT",
                        "rule": "ama",
                        "date": "2026-11-23",
                        "codes": [{"code": "97530", "minutes": 30}],
                    }
                ],
            }
        )
    )
    window.ask_import_path = lambda _w: good
    assert window.import_sessions()
    shown: list[str] = []
    window.ask_text = recorder(shown)
    good.write_text("{broken")
    assert not window.import_sessions() and shown[-1].startswith("Nothing was imported: not valid JSON")
    window.ask_import_path = lambda _w: tmp_path / "missing.json"
    assert not window.import_sessions() and "No such file" in shown[-1]
    window.ask_import_path = lambda _w: None
    assert not window.import_sessions()


def test_window_geometry_is_saved_and_restored(
    window: MainWindow, tmp_path: Path, clock: FakeClock, qtbot: QtBot
) -> None:
    window.resize(700, 500)  # the offscreen screen is 800 × 600
    before = window.size()
    window.close()
    saved = json.loads((tmp_path / "settings.json").read_text())["window_geometry"]
    assert saved
    again = make_window(tmp_path / "ui.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(again)
    assert again.settings.window_geometry == saved and again.size().height() == before.height()
    again.workspace.close()


# ---- dialogs, composition root and self-test -----------------------------------------------------


def accept(monkeypatch: pytest.MonkeyPatch, accepted: bool = True) -> None:
    code = QDialog.DialogCode.Accepted if accepted else QDialog.DialogCode.Rejected
    monkeypatch.setattr(QDialog, "exec", lambda self: code)


def test_dialog_values(monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> None:
    accept(monkeypatch)
    settings = Settings(provider="Dana", last_discipline=Discipline.OT)
    new = NewSessionDialog(None, ["MT"], ["Commercial (per-code rule)", "Medicare"], settings)
    qtbot.addWidget(new)
    new.patient.setText("JK")
    assert new.result_value() == NewSession("JK", Discipline.OT, "Medicare", "Dana", Role.THERAPIST)
    assert NewSessionDialog.ask(None, [], ["Medicare"], settings) is not None
    assert MinutesDialog.ask(None, "97110", 12, 3) == (12, 3, "")
    assert MinutesDialog.ask(None, "97161", 30, None, reason=False) == (30, 0, "")
    assert TextDialog.ask(None, "t", "x")
    assert SettingsDialog.ask(None, settings, {"Medicare": Rule.CMS}) == SettingsAnswer(True)
    assert settings.provider == "Dana"
    editor = SettingsDialog(None, settings, {"Medicare": Rule.CMS})
    qtbot.addWidget(editor)
    editor.favorites["PT"].setText("97110, 97530")
    editor.fees.setText("97110=30.00, 97112 = 33")
    editor.new_payer.setText("BCBS")
    assert editor.apply() == SettingsAnswer(True, ("BCBS", Rule.CMS)) and settings.favorites["PT"] == ["97110", "97530"]
    assert settings.fees == {"97110": Decimal("30.00"), "97112": Decimal("33.00")}
    again = SettingsDialog(None, settings, {"Medicare": Rule.CMS})
    qtbot.addWidget(again)
    assert again.fees.text() == "97110=30.00 97112=33.00"  # shown as the amounts they are
    accept(monkeypatch, False)
    assert NewSessionDialog.ask(None, [], ["Medicare"], settings) is None
    assert MinutesDialog.ask(None, "97110", 1, None) is None
    assert SettingsDialog.ask(None, settings, {}) == SettingsAnswer(False)


def test_about_dialog(monkeypatch: pytest.MonkeyPatch, qtbot: QtBot, tmp_path: Path) -> None:
    opened: list[str] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    about = dialogs.AboutDialog(None, "0.1.0", tmp_path / "therapytimer.db", tmp_path / "log")
    qtbot.addWidget(about)
    assert "TherapyTimer 0.1.0" in about.findChildren(QLabel)[0].text()
    assert about.open_folder() and opened == [str(tmp_path)]
    accept(monkeypatch)
    dialogs.AboutDialog.show_for(None, "0.1.0", tmp_path / "x.db", tmp_path / "log")


def test_broken_user_catalog_and_settings_are_reported(
    monkeypatch: pytest.MonkeyPatch, user_dirs: Path, tmp_path: Path, clock: FakeClock, qtbot: QtBot
) -> None:
    (user_dirs / "codes.csv").write_text("code,short_name,kind\n123,x,timed\n")
    (tmp_path / "settings.json").write_text("{nope")
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    win = make_window(tmp_path / "w.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(win)
    (shown,) = warnings  # every problem in one warning, the catalog's first
    catalog_part, settings_part = shown.split("\n\n")
    assert "line 2: code '123'" in catalog_part and "default settings" in settings_part
    win.tabs.setCurrentIndex(3)  # the catalog page is built when first shown
    model = win.codes.model()
    assert isinstance(model, CatalogModel) and win.tabs.widget(3) is win.codes
    assert "97110" in {model.spec(r).code for r in range(model.rowCount())}
    win.workspace.close()


def test_a_hostile_settings_file_still_opens_the_window(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FakeClock, qtbot: QtBot
) -> None:
    """A fee of 1e400 once broke every revenue sum, favorites {"PT": 5} every PT session, a field nested
    100,000 deep and a saved geometry holding a lone surrogate the start itself. Each now costs only its own
    field, named in one warning, and the rest of the file is kept."""
    (tmp_path / "settings.json").write_text(
        '{"fees": {"97110": "1e400", "97112": "40.00"}, "favorites": {"PT": 5, "OT": ["97530"]}, '
        f'"untimed": {"[" * 100_000 + "]" * 100_000}, "window_geometry": "\\ud800", "provider": "Kim"}}'
    )
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    win = make_window(tmp_path / "w.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(win)
    assert len(warnings) == 1
    assert [line.split(": ")[1] for line in warnings[0].split("\n\n")] == [
        "fees",
        "favorites.PT",
        "untimed",
        "window_geometry",
    ]
    assert win.settings.provider == "Kim" and win.settings.favorites["OT"] == ["97530"]
    assert win.catalog.get("97112").default_fee == Decimal("40.00")
    assert win.catalog.get("97110").default_fee == Decimal("28.79")
    start_session(win)
    assert favorite(win, "97140").text().startswith("▶ 97140")  # the default PT favorites are back
    win.panel.start_code("97110")
    clock.advance(minutes=38)
    win.panel.pause_all()
    win.tabs.setCurrentWidget(win.week)
    assert "estimated revenue <b>$72.45</b>" in win.week.totals.text()  # 97110 × 3 under MPPR: 28.79 + 2 × 21.83
    win.workspace.close()


def test_bad_entries_typed_in_the_settings_dialog_are_left_out_and_reported(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    def ask(parent: QWidget | None, settings: Settings, payers: dict[str, Rule]) -> SettingsAnswer:
        dialog = SettingsDialog(parent, settings, payers)
        qtbot.addWidget(dialog)
        dialog.fees.setText("97110=1e400, 97112=33.50; 97140=-1 junk")
        dialog.favorites["PT"].setText("97110 nope 97530")
        dialog.provider.setText("Kim\u202e")
        return dialog.apply()

    window.ask_settings = ask
    assert window.edit_settings()
    assert window.settings.fees == {"97112": Decimal("33.50")} and window.settings.provider == ""
    assert window.settings.favorites["PT"] == ["97110", "97530"]
    message = window.statusBar().currentMessage()
    assert "Fee table entries left out: 97110=1e400, 97140=-1, junk (" in message
    assert "PT favorites left out: nope (" in message and "Clinician name not changed" in message
    assert Settings.load(tmp_path / "settings.json") == (window.settings, [])  # what was saved loads cleanly


def test_app_main_shows_the_window_or_explains(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown: list[MainWindow] = []
    monkeypatch.setattr(MainWindow, "show", lambda self: shown.append(self))
    monkeypatch.setattr(QApplication, "exec", lambda *_: 0)
    dressed: list[bool] = []
    monkeypatch.setattr(app, "dress", lambda *_: dressed.append(True))  # the look is tests/ui/test_theme.py's
    settings = tmp_path / "settings.json"
    assert app.main(build_context(str(tmp_path / "main.db"), settings_file=settings, strict_catalog=False)) == 0
    first = shown[0]  # the first start asks inside the window: the welcome panel, nothing modal
    welcome = first.welcome_panel
    assert welcome is not None and first.stack.currentWidget() is welcome
    welcome.name.setText("Dana Lee")
    welcome.start.click()
    saved = json.loads(settings.read_text())
    assert saved["provider"] == "Dana Lee" and saved["clinician_asked"] is True
    assert first.stack.currentWidget() is first.body and first.welcome_panel is None
    assert app.main(build_context(str(tmp_path / "main.db"), settings_file=settings, strict_catalog=False)) == 0
    assert shown[1].welcome_panel is None and dressed == [True, True]  # asked once; themed at each start
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    assert app.main(build_context(str(tmp_path), settings_file=settings, strict_catalog=False)) == 2
    assert "is a folder" in warnings[0]
    for w in qapp.topLevelWidgets():
        if isinstance(w, MainWindow):
            w.workspace.close()


def test_has_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    assert app.has_screen()
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert app.has_screen()
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not app.has_screen() and app.self_test() == 2


@pytest.mark.slow
def test_self_test_runs_the_real_app_offscreen() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "therapytimer", "--self-test"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("self-test ok: first painted window after ")
    assert not list(Path(tempfile.gettempdir()).glob("therapytimer-selftest-*"))  # cleaned up
    assert app.process_start() > 0


# ---- found in a clinician's review ----------------------------------------------------------------


def test_close_session_pauses_first_so_the_note_is_the_bill(window: MainWindow, clock: FakeClock) -> None:
    sid = start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=7, seconds=50)
    shown: list[str] = []
    window.ask_close = closer(shown, None)
    assert not window.close_session()
    clock.advance(minutes=4)  # the dialog stays open a while: nothing more is counted
    assert window.timers.running() == [] and not window.ticker.isActive()
    assert "Total units: 0" in shown[0] and "(its timers are paused)" in shown[0]
    window.ask_close = closer(shown)
    assert window.close_session()
    assert not window.timers.session(sid).progress_report
    assert window.timers.session(sid).times(clock.now())["97110"].minutes == 7


def test_untimed_services_are_added_once_and_mistakes_removed(window: MainWindow, qtbot: QtBot) -> None:
    sid = start_session(window)
    window.panel.add_service("97161")
    window.panel.ask_minutes = lambda *_a, **_k: (20, 0, "")
    window.panel.edit_minutes("97161")
    assert not window.panel.add_service("97161")  # a second tap keeps the 20 minutes
    assert "already on this session" in window.panel.error.text()
    assert window.timers.session(sid).codes[-1].minutes == 20
    card = next(c for c in window.panel.cards if c.code == "97161")
    card.remove_action.trigger()  # behind the card's "⋯" menu
    assert "97161" not in [c.code for c in window.timers.session(sid).codes]


def test_codes_of_another_discipline_are_not_offered(window: MainWindow) -> None:
    start_session(window)
    assert not window.panel._add_from_search("92507")
    assert window.panel.error.text() == "92507 is billed by SLP, not PT."
    assert not window.panel._add_from_search("97533 sensory")  # OT only
    completer = window.panel.search.completer()
    assert completer is not None
    offered = {completer.model().index(i, 0).data().split()[0] for i in range(completer.model().rowCount())}
    assert "97110" in offered and "92507" not in offered and "97533" not in offered


def test_untimed_favorites_add_a_service(window: MainWindow, qtbot: QtBot) -> None:
    window.settings.favorites["SLP"] = ["97129", "92526"]
    start_session(window, "AB", Discipline.SLP)
    qtbot.mouseClick(favorite(window, "92526"), Qt.MouseButton.LeftButton)
    assert card_texts(window)["92526"][2] == "service (untimed)"
    qtbot.mouseClick(favorite(window, "97129"), Qt.MouseButton.LeftButton)
    assert [s.code for s in window.timers.running()] == ["97129"]


def test_resuming_keeps_who_was_treating(window: MainWindow, clock: FakeClock) -> None:
    window.settings.assistants = True
    sid = start_session(window)
    window.panel.start_code("97112")
    window.panel.set_who("97112", "assistant")
    window.panel.pause_all()
    window.panel.toggle("97112")
    assert [s.who for s in window.timers.session(sid).segments][-1] is Who.ASSISTANT


def test_pause_all_stays_available_while_typing(window: MainWindow) -> None:
    start_session(window)
    window.panel.start_code("97110")
    window.panel.search.setFocus()
    window._focus_changed(None, window.panel.search)
    assert window.pause_action.isEnabled() and not window.space_key.isEnabled()
    window.pause_action.trigger()
    assert window.timers.running() == []
    assert window.panel._add_from_search("97112")
    assert window.panel.search.text() == ""


def test_closing_the_compact_window_brings_the_full_one_back(window: MainWindow) -> None:
    start_session(window)
    window.panel.start_code("97110")
    window.enter_compact()
    window.compact.pause.emit()
    assert window.timers.running() == []
    window.compact.close()
    assert window.isVisible() and not window.compact.isVisible()


def test_turning_on_assistants_shows_who_on_existing_cards(window: MainWindow) -> None:
    start_session(window)
    window.panel.start_code("97110")
    assert window.panel.cards[0].who.isHidden()

    def ask(parent: QWidget | None, settings: Settings, payers: dict[str, Rule]) -> SettingsAnswer:
        settings.assistants = True
        settings.favorites["PT"].append("99999")
        return SettingsAnswer(True)

    window.ask_settings = ask
    assert window.edit_settings()
    assert not window.panel.cards[0].who.isHidden()
    assert "Favorites not in the code catalog, left out: 99999" in window.statusBar().currentMessage()


def test_cards_show_their_key_and_pairs_their_split(window: MainWindow, clock: FakeClock) -> None:
    start_session(window, "AB", Discipline.SLP)
    window.panel.start_code("97129")
    clock.advance(minutes=53)
    window.tick()
    card = window.panel.cards[0]
    assert card.title.text().startswith("[1] 97129")
    assert card.units.text() == "4 units: 1 × 97129 + 3 × 97130 · GN"


def test_the_day_status_clears_when_the_day_changes(window: MainWindow) -> None:
    window.day.status.setText("Not exported: disk full")
    window.day.go(-1)
    assert window.day.status.text() == ""


def test_back_up_and_restore_from_the_menu(window: MainWindow, clock: FakeClock, tmp_path: Path) -> None:
    start_session(window)
    window.panel.start_code("97110")
    clock.advance(minutes=10)
    target = tmp_path / "menu-backup.db"
    window.ask_backup_path = lambda _w, suggested: target if suggested.name.startswith("therapytimer-backup-") else None
    assert window.back_up() and target.exists()
    start_session(window, "JK")
    asked: list[str] = []

    def confirm(_parent: QWidget, title: str, text: str) -> bool:
        asked.append(text)
        return len(asked) > 1  # no the first time, yes the second

    window.ask_confirm = confirm
    window.ask_import_path = lambda _w: target
    assert not window.restore() and len(window.timers.open_sessions()) == 2
    assert window.restore()
    assert [s.patient for s in window.timers.open_sessions()] == ["MT"]
    assert "your previous data is in" in window.statusBar().currentMessage()
    shown: list[str] = []
    window.ask_text = recorder(shown)
    window.ask_import_path = lambda _w: tmp_path
    assert not window.restore() and "Nothing was restored" in shown[-1]
    window.ask_backup_path = lambda _w, _s: tmp_path  # a folder
    assert not window.back_up() and "Not backed up" in shown[-1]
    window.ask_backup_path = lambda _w, _s: None
    window.ask_import_path = lambda _w: None
    assert not window.back_up() and not window.restore()


# ---- hardening: a Qt binding that drops references to None ---------------------------------------


def test_ten_thousand_display_ticks_lose_no_reference_to_none(window: MainWindow, clock: FakeClock) -> None:
    """PySide6 6.12.0 on Python 3.11 lost one reference to None per call and aborted the window after six
    minutes of timing. Checked every 500 ticks, so a leaking binding fails here before it can abort."""
    start_session(window)
    favorite(window, "97110").click()
    window.enter_compact()  # the compact window updates on every tick too
    gc.collect()
    before = sys.getrefcount(None)
    for done in range(500, 10_001, 500):
        for _ in range(500):
            clock.advance(0.25)
            window.tick()
        gc.collect()
        assert sys.getrefcount(None) >= before - app.NONE_SLACK, f"references to None lost after {done} ticks"
    assert window.timers.running() and window.panel.view is not None
    assert window.panel.view.rows[0].clock_text == "41:40"
    window.leave_compact()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: nothing can leak")
def test_the_self_test_check_catches_a_binding_that_leaks_none(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand in for the faulty binding: each tick drops one reference to None (given back afterwards)."""
    import ctypes

    dropped = [0]
    real_tick = window.tick

    def leaking_tick() -> None:
        real_tick()
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))
        dropped[0] += 1

    monkeypatch.setattr(window, "tick", leaking_tick)
    try:
        assert app.none_references_lost(window, 300) >= 300 - app.NONE_SLACK
    finally:
        for _ in range(dropped[0]):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    monkeypatch.setattr(window, "tick", real_tick)
    assert app.none_references_lost(window, 300) <= app.NONE_SLACK


@pytest.mark.slow
def test_soak_keeps_the_real_window_alive_for_twenty_minutes_of_timing() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "tests/soak.py"], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("soak: alive after 4800 display updates, 20.0 min timed, 1 timer running")


def test_backing_up_onto_the_database_itself_is_refused_from_the_menu(window: MainWindow, tmp_path: Path) -> None:
    """0.1 said "Backed up" when the save dialog chose the database file, and the data was later malformed."""
    sid = start_session(window)
    window.panel.start_code("97110")
    shown: list[str] = []
    window.ask_text = recorder(shown)
    for target in (window.workspace.db_path, Path(f"{window.workspace.db_path}-wal")):

        def choose(_w: QWidget, _s: Path, chosen: Path = target) -> Path:
            return chosen

        window.ask_backup_path = choose
        assert not window.back_up()
        assert "Not backed up" in shown[-1] and "is your database itself" in shown[-1]
    assert window.workspace._store.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert window.timers.session(sid).running()


def test_the_window_keeps_a_clock_step_out_of_the_timer(window: MainWindow, clock: FakeClock) -> None:
    sid = start_session(window)
    favorite(window, "97110").click()
    clock.advance(seconds=30)
    window.tick()
    clock.set_wall(minutes=-10)  # the clinician's computer is set back while the timer runs
    clock.advance(seconds=0.25)
    window.tick()
    assert window.banner.isVisibleTo(window) and "clock was just set" in window.banner_text.text()
    clock.advance(seconds=34.75)
    window.tick()
    assert window.panel.view is not None and window.panel.view.rows[0].clock_text == "1:05"
    history = " ".join(text for _, text in window.timers.session(sid).history())
    assert "set back 10 min" in history


def test_a_restart_with_the_clock_behind_a_timer_says_so(qtbot: QtBot, tmp_path: Path, clock: FakeClock) -> None:
    first = make_window(tmp_path / "ui.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(first)
    start_session(first)
    first.panel.start_code("97110")
    first.workspace.close()
    clock.set_wall(minutes=-30)
    again = make_window(tmp_path / "ui.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(again)
    assert "The computer's clock is earlier than when they started" in again.banner_text.text()
    assert again.panel.view is not None and again.panel.view.rows[0].clock_text == "0:00"
    assert "earlier than 97110's start" in again.panel.view.session.history()[0][1]  # noted, and shown
    other = open_workspace(tmp_path / "ui.db", clock)  # the window still sees what another process does
    other.timers.open_session("JK", Discipline.OT)
    other.close()
    assert again.poll() and again.sessions.count() == 2
    again.workspace.close()


# ---- the use cases below the window: other processes, and what an action costs -------------------


def traced(win: MainWindow, action: Callable[[], object]) -> list[str]:
    """The SQL statements `action` runs on the window's database connection."""
    statements: list[str] = []
    conn = win.workspace._store.db.conn
    conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    return statements


def test_the_window_shows_within_one_poll_what_another_process_did(
    window: MainWindow, clock: FakeClock, qtbot: QtBot, tmp_path: Path
) -> None:
    assert window.sessions.count() == 0 and not window.ticker.isActive()
    assert not window.poll()  # nothing written elsewhere: nothing is read again
    other = open_workspace(tmp_path / "ui.db", clock)  # a second window or a command, on the same file
    session = other.timers.open_session("JK", Discipline.OT)
    other.timers.start(session.id, "97530")
    assert window.poll()
    assert window.sessions.count() == 1 and window.sessions.currentData() == session.id
    assert window.panel.session is not None and window.panel.session.id == session.id
    assert window.ticker.isActive()
    clock.advance(minutes=9, seconds=5)
    window.tick()
    assert card_texts(window)["97530"] == ("9:05", "1 unit · GO", "● RUNNING")
    assert [seg.code for seg in window.timers.running()] == ["97530"]
    assert not window.poll()
    other.timers.pause_all()  # now the window's own poller, once a second, shows the pause
    qtbot.waitUntil(lambda: not window.ticker.isActive(), timeout=3000)
    assert card_texts(window)["97530"] == ("9:05", "1 unit · GO", "❚❚ paused")
    window.tabs.setCurrentWidget(window.day)
    other.timers.close(session.id)  # closed elsewhere: the window stops showing it as open
    assert window.poll()
    assert window.sessions.count() == 0 and window.panel.session is None and window.panel.cards == []
    assert window.day.summary.text() == "JK · OT · Medicare 8-minute rule (pooled)" and window.day.model.rowCount() == 1
    other.close()


def test_one_timer_at_a_time_holds_across_two_windows(
    window: MainWindow, clock: FakeClock, qtbot: QtBot, tmp_path: Path
) -> None:
    first = start_session(window, "MT")
    favorite(window, "97110").click()
    clock.advance(minutes=8)
    second = make_window(tmp_path / "ui.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(second)
    assert second.panel.session is not None and second.panel.session.id == first  # the running session
    other = start_session(second, "JK")
    favorite(second, "97140").click()  # stops the first window's 97110 in the same transaction
    assert [seg.code for seg in second.timers.running()] == ["97140"]
    clock.advance(minutes=3)
    assert window.poll()
    assert window.panel.session is not None and window.panel.session.id == first  # still the one shown
    assert card_texts(window)["97110"] == ("8:00", "1 unit · GP", "❚❚ paused")
    assert [seg.code for seg in window.timers.running()] == ["97140"] and window.ticker.isActive()
    assert [window.sessions.itemData(i) for i in range(window.sessions.count())] == [first, other]
    favorite(window, "97110").click()  # and back: the second window's 97140 stops
    clock.advance(minutes=1)
    assert second.poll()
    assert card_texts(second)["97140"] == ("3:00", "0 units", "❚❚ paused")
    assert [seg.code for seg in second.timers.running()] == ["97110"]
    window.tick()
    assert card_texts(window)["97110"] == ("9:00", "1 unit · GP", "● RUNNING")
    assert_cache_is_the_disk(second, clock)
    second.workspace.close()


def test_a_display_tick_runs_no_sql(window: MainWindow, clock: FakeClock) -> None:
    start_session(window)
    favorite(window, "97110").click()
    clock.advance(minutes=7, seconds=50)
    window.enter_compact()  # the compact window is updated on every tick too
    cues: list[str] = []
    window.panel.unit_reached.connect(cues.append)

    def ticks() -> None:
        for _ in range(100):
            clock.advance(0.25)
            window.tick()

    assert traced(window, ticks) == []
    assert cues == ["97110 reached 1 unit", "Total: 1 unit"]  # a unit was reached in those 25 seconds
    assert (window.compact.code.text(), window.compact.clock.text()) == ("● 97110 Therapeutic exercise", "8:15")
    assert traced(window, window.poll) == ["PRAGMA data_version"]  # the once-a-second check: one cheap query
    window.leave_compact()


def test_a_start_click_runs_at_most_eight_sql_statements(window: MainWindow, clock: FakeClock) -> None:
    start_session(window)
    first = traced(window, favorite(window, "97110").click)  # adds the code, starts its timer
    clock.advance(minutes=2)
    switch = traced(window, favorite(window, "97140").click)  # stops 97110, adds and starts 97140
    clock.advance(minutes=2)
    again = traced(window, favorite(window, "97110").click)  # resumes 97110, stops 97140
    clock.advance(minutes=2)
    pause = traced(window, window.panel.cards[0].button.click)
    print(
        f"SQL statements per click: first start {len(first)}, start stopping another {len(switch)}, "
        f"resume {len(again)}, pause {len(pause)}"
    )
    assert len(first) <= 8 and len(switch) <= 8 and len(again) <= 8, (first, switch, again)
    assert window.timers.running() == [] and card_texts(window)["97110"][0] == "4:00"


def test_about_shows_the_data_file_and_the_log_folder(
    monkeypatch: pytest.MonkeyPatch, qtbot: QtBot, tmp_path: Path, clock: FakeClock
) -> None:
    monkeypatch.setenv("THERAPYTIMER_LOG_DIR", str(tmp_path / "the-logs"))
    win = make_window(tmp_path / "about.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(win)
    shown: list[str] = []

    def exec_(dialog: QDialog) -> QDialog.DialogCode:
        shown.extend(label.text() for label in dialog.findChildren(QLabel))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QDialog, "exec", exec_)
    win.show_about()
    assert win.workspace.context.log_dir == tmp_path / "the-logs"
    assert f"<code>{tmp_path / 'the-logs'}</code>" in shown[0] and f"<code>{tmp_path / 'about.db'}</code>" in shown[0]
    for place in ("Settings", "Your own codes (optional)", "Your MUE values (optional)", "before a restore"):
        assert place in shown[0]
    assert f"<code>{tmp_path / 'backups'}</code>" in shown[0]
    win.workspace.close()


def test_the_window_opens_the_database_the_context_names(qtbot: QtBot, tmp_path: Path, clock: FakeClock) -> None:
    chosen = tmp_path / "chosen.db"
    win = make_window(chosen, clock, tmp_path / "settings.json")
    qtbot.addWidget(win)
    assert win.workspace.db_path == chosen
    sid = start_session(win, "AB")
    win.workspace.close()
    reader = open_workspace(chosen, clock, create=False)
    assert reader.timers.session(sid).patient == "AB"
    reader.close()
    default = tmp_path / "data" / "therapytimer.db"  # THERAPYTIMER_DB (conftest): not touched by --db
    assert not default.exists()
    from_env = app.create_window(build_context(None, clock=clock, settings_file=tmp_path / "settings.json"))
    qtbot.addWidget(from_env)
    assert from_env.workspace.db_path == default and default.exists() and from_env.sessions.count() == 0
    from_env.workspace.close()


def test_a_failed_settings_save_is_shown_when_a_session_starts(window: MainWindow, tmp_path: Path) -> None:
    """The new session remembers its discipline and payer for the next one; if the settings file cannot
    be written the window says so instead of forgetting silently."""
    start_session(window, "JK", Discipline.OT)
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["last_discipline"] == "OT" and saved["default_payer"] == "Medicare"
    assert window.statusBar().currentMessage() == ""
    window.prefs.path = tmp_path  # a folder: the settings cannot be written there
    start_session(window, "AB", Discipline.SLP)
    assert window.settings.last_discipline == Discipline.SLP
    assert f"Settings not saved: {tmp_path}" in window.statusBar().currentMessage()


def test_pausing_a_timer_whose_start_is_ahead_of_the_clock_shows_what_is_stored(
    qtbot: QtBot, tmp_path: Path, clock: FakeClock
) -> None:
    first = make_window(tmp_path / "ui.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(first)
    sid = start_session(first)
    first.panel.start_code("97110")
    first.workspace.close()
    clock.set_wall(minutes=-30)
    again = make_window(tmp_path / "ui.db", clock, tmp_path / "settings.json")
    qtbot.addWidget(again)
    again.sessions.activated.emit(0)  # the clinician picks the session, then pauses everything
    again.pause_all()
    shown: list[str] = []
    again.ask_text = recorder(shown)
    again.show_history()
    try:
        stored = open_workspace(tmp_path / "ui.db", clock, create=False)
        (segment,) = stored.timers.session(sid).segments
        assert segment.end == segment.start  # stopped, never before it began
        assert again.timers.session(sid) == stored.timers.session(sid)
        assert f"{segment.start.astimezone():%H:%M:%S}  97110 stopped" in shown[0]  # History: as stored
        stored.close()
    finally:
        again.workspace.close()
