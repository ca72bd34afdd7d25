"""The bedside panel, offscreen: Now timing pinned on top, live favorites, touch sizes, reasons for no
unit, the reflow from two columns to 360 px, the keyboard and what a screen reader hears.

Time passes by advancing a FakeClock and calling `tick()`; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFontInfo, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers import open_workspace
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.settings import DEFAULT_FAVORITES, DEFAULT_UNTIMED, Settings
from therapytimer.services.context import build_context
from therapytimer.services.workspace import Workspace
from therapytimer.ui import app
from therapytimer.ui.main_window import MainWindow
from therapytimer.ui.session_panel import NARROWEST, SessionPanel, TimerCard

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SIX = ("97110", "97112", "97140", "97530", "97116", "97535")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def workspace(tmp_path: Path, clock: FakeClock) -> Iterator[Workspace]:
    ws = open_workspace(tmp_path / "panel.db", clock, settings=Settings(assistants=True))
    yield ws
    ws.close()


@pytest.fixture
def panel(qtbot: QtBot, workspace: Workspace) -> SessionPanel:
    """The panel alone, as a window of its own, on a PT Medicare session."""
    widget = SessionPanel(workspace.timers, workspace.context.prefs, workspace.context.clock)
    qtbot.addWidget(widget)
    session = workspace.timers.open_session("MT", Discipline.PT, payer="Medicare")
    widget.set_session(session.id)
    widget.resize(1200, 800)
    widget.show()
    return widget


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, clock: FakeClock) -> Iterator[MainWindow]:
    context = build_context(str(tmp_path / "ui.db"), clock=clock, settings_file=tmp_path / "s.json")
    win = app.create_window(context)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.workspace.close()


def interactive(root: QWidget) -> list[QWidget]:
    """Every control a finger or the keyboard uses, as shown now."""
    found: list[QWidget] = [*root.findChildren(QAbstractButton), *root.findChildren(QComboBox)]
    found += root.findChildren(QLineEdit)
    return [w for w in found if w.isVisible()]


def settle(widget: QWidget) -> None:
    """Let the layouts apply a resize (no time passes: the clock is fake)."""
    QApplication.processEvents()
    layout = widget.layout()
    if layout is not None:
        layout.activate()
    QApplication.processEvents()


def within(widget: QWidget, root: QWidget) -> QRect:
    return QRect(widget.mapTo(root, QPoint(0, 0)), widget.size())


def run(panel: SessionPanel, clock: FakeClock, code: str, minutes: float) -> None:
    assert panel.start_code(code)
    clock.advance(minutes=minutes)
    panel.tick()


# ---- Now timing ---------------------------------------------------------------------------------


def test_now_timing_stays_in_sight_with_six_cards_at_1366x768(window: MainWindow, clock: FakeClock) -> None:
    from therapytimer.core.session import Role
    from therapytimer.ui.dialogs import NewSession

    window.ask_new_session = lambda *_a: NewSession("MT", Discipline.PT, "Medicare", "Dana Lee", Role.THERAPIST)
    window.new_session()
    window.resize(1366, 768)
    for code in SIX:
        assert window.panel.add_code(code)
    window.panel.start_code("97110")
    clock.advance(minutes=12, seconds=40)
    window.tick()
    settle(window)
    panel, now = window.panel, window.panel.now
    assert len(panel.cards) == 6 and panel.area.verticalScrollBar().maximum() > 0  # the cards do scroll
    panel.area.verticalScrollBar().setValue(panel.area.verticalScrollBar().maximum())
    settle(window)
    seen = QRect(0, 0, window.width(), window.height())
    assert now.button.isVisible() and seen.contains(within(now.button, window))
    assert within(panel, window).contains(within(now.button, window))
    assert now.button.text() == "❚❚  Pause" and now.button.height() >= 48
    assert now.clock.text() == "12:40" and QFontInfo(now.clock.font()).pixelSize() >= 48
    assert now.what.text() == "● Now timing 97110  Therapeutic exercise"
    assert now.units.text() == "1 unit · GP" and now.next.text() == "Next unit: 11 more min → 2 units"
    assert 0 < now.bar.value() < 1000


def test_now_timing_pauses_offers_the_last_code_and_shows_who(panel: SessionPanel, clock: FakeClock) -> None:
    now = panel.now
    assert now.what.text().startswith("Nothing is timing") and now.button.isHidden()
    run(panel, clock, "97110", 7.5)
    assert panel.heading.text() == "MT · PT · Medicare · open"
    assert now.clock.text() == "7:30" and now.units.text() == "0 units"
    assert now.next.text() == "Next unit: 1 more min → 1 unit"
    assert now.bar.value() == round(1000 * (1 - 30 / 480))  # 7:30 of the 8 minutes to the first unit
    assert now.who_box.isVisible() and now.who.accessibleName() == "Who is treating 97110"
    now.who.textActivated.emit("assistant")
    assert panel.view is not None and panel.view.rows[0].who is not None
    assert panel.view.rows[0].who.value == "assistant"
    now.button.click()  # Pause
    assert not panel.timers.running() and now.what.text().startswith("Nothing is timing")
    assert now.button.text() == "▶  Resume 97110" and not now.clock.isVisible() and not now.who_box.isVisible()
    now.button.click()
    assert [s.code for s in panel.timers.running()] == ["97110"]


# ---- favorites and cards repaint on every change ------------------------------------------------


def test_favorites_show_the_running_code_and_a_tap_pauses_it(panel: SessionPanel, clock: FakeClock) -> None:
    favorite = panel.favorite_buttons["97110"]
    assert favorite.text() == "▶ 97110\nTherapeutic exercise" and not favorite.isChecked()
    favorite.click()
    clock.advance(minutes=12, seconds=40)
    panel.tick()
    assert favorite.isChecked() and favorite.text() == "● 97110 running · 12:40\nTherapeutic exercise"
    assert favorite.accessibleName() == "Pause 97110 Therapeutic exercise"
    other = panel.favorite_buttons["97112"]
    assert not other.isChecked() and other.text().startswith("▶ 97112\n")
    favorite.click()  # the running favorite pauses
    assert not panel.timers.running() and not favorite.isChecked()
    assert favorite.text() == "▶ 97110 · 12:40\nTherapeutic exercise"
    other.click()
    assert [s.code for s in panel.timers.running()] == ["97112"] and other.isChecked()


def frame_colour(card: TimerCard) -> QColor:
    image = card.grab().toImage()
    return image.pixelColor(1, image.height() // 2)


def test_the_running_frame_is_painted_on_every_change_and_follows_the_palette(
    panel: SessionPanel, clock: FakeClock
) -> None:
    panel.add_code("97110")
    panel.add_code("97112")
    run(panel, clock, "97110", 1)
    first, second = panel.cards
    highlight = panel.palette().color(QPalette.ColorRole.Highlight)
    assert first.running and frame_colour(first) == highlight and frame_colour(second) != highlight
    panel.toggle("97112")  # one at a time: 97110 pauses, 97112 runs
    assert not first.running and second.running and first.property("running") is False
    assert frame_colour(first) != highlight and frame_colour(second) == highlight
    dark = QPalette(panel.palette())
    dark.setColor(QPalette.ColorRole.Highlight, QColor("#ff8800"))
    panel.setPalette(dark)  # a theme change restyles the frame with no stylesheet to re-apply
    assert frame_colour(second) == QColor("#ff8800")


def test_a_code_at_zero_units_says_why_and_every_card_follows(panel: SessionPanel, clock: FakeClock) -> None:
    panel.add_code("97110")
    panel.add_code("97112")
    run(panel, clock, "97110", 7)
    card = panel.cards[0]
    assert card.units.text() == "0 units" and card.why.text() == "No unit: pooled: 7 min, 8 needed for a unit"
    assert card.next.text() == "Next unit: 1 more min → 1 unit" and card.why.isVisible()
    run(panel, clock, "97112", 10)  # 97110's own minutes stay 7: its reason changes all the same
    assert card.why.text() == "No unit: pooled: the unit went to 97112"
    assert panel.cards[1].units.text() == "1 unit · GP" and not panel.cards[1].why.isVisible()


def test_remove_and_history_are_behind_the_cards_menu(panel: SessionPanel, clock: FakeClock) -> None:
    panel.add_code("97110")
    panel.add_code("97112")
    run(panel, clock, "97110", 2)
    card = panel.cards[0]
    assert card.more.menu() is not None and card.more.menu().actions() == [card.history_action, card.remove_action]
    shown: list[str] = []

    def ask_text(_parent: QWidget, title: str, text: str, *_a: object, **_k: object) -> bool:
        shown.append(f"{title}\n{text}")
        return True

    panel.ask_text = ask_text
    card.history_action.trigger()
    assert shown[0].startswith("History of 97110: MT\n") and "97110 started (therapist)" in shown[0]
    assert "97112" not in shown[0].split("\n", 1)[1]
    panel.cards[1].remove_action.trigger()
    assert [c.code for c in panel.cards] == ["97110"]


# ---- sizes and labels ---------------------------------------------------------------------------


def assert_touch_sizes(root: QWidget) -> None:
    small = [
        (type(w).__name__, w.accessibleName() or getattr(w, "text", lambda: "")(), w.width(), w.height())
        for w in interactive(root)
        if w.width() < 44 or w.height() < 44
    ]
    assert small == []


@pytest.mark.parametrize("width", [1200, 800, 360, NARROWEST])
def test_every_control_is_at_least_44_px_and_main_actions_48(panel: SessionPanel, clock: FakeClock, width: int) -> None:
    panel.add_service("97161")
    for code in SIX[:4]:
        panel.add_code(code)
    run(panel, clock, "97110", 3)
    panel.resize(width, 900)
    settle(panel)
    assert panel.width() == width
    assert_nothing_cut_off(panel)
    assert len(interactive(panel)) > 20
    assert_touch_sizes(panel)
    timed = [c for c in panel.cards if c.code != "97161"]
    assert all(c.button.height() >= 48 for c in timed) and panel.now.button.height() >= 48


@pytest.mark.parametrize("discipline", list(Discipline))
def test_no_button_cuts_the_word_that_tells_codes_apart(
    panel: SessionPanel, workspace: Workspace, discipline: Discipline
) -> None:
    session = workspace.timers.open_session("JK", discipline, payer="Medicare")
    panel.set_session(session.id)
    panel.resize(360, 900)
    settle(panel)
    buttons = [*panel.favorite_buttons.values(), *panel.untimed_buttons]
    assert len(buttons) == len(DEFAULT_FAVORITES[discipline.value]) + len(DEFAULT_UNTIMED[discipline.value])
    for button in buttons:
        assert not any(line.endswith("…") for line in button.text().splitlines()), button.text()
        assert button.width() >= button.sizeHint().width(), button.text()  # shown whole, not squeezed
    if discipline is not Discipline.SLP:
        evals = [b.text().splitlines()[1] for b in panel.untimed_buttons][:3]
        assert evals == [f"{discipline.value} eval {w}" for w in ("low", "mod", "high")]


def test_hints_units_and_state_are_at_least_the_body_size(panel: SessionPanel, clock: FakeClock) -> None:
    run(panel, clock, "97110", 7)
    body = QFontInfo(panel.font()).pixelSize()
    card = panel.cards[0]
    for label in (card.state, card.units, card.why, card.next, panel.hints, panel.now.next, panel.now.units):
        assert QFontInfo(label.font()).pixelSize() >= body, label.text()
    assert card.state.text() == "● RUNNING" and card.next.font().bold() and panel.now.next.font().bold()
    bigger = panel.font()
    bigger.setPixelSize(body * 2)  # the text-size setting at 200 %: every size follows the application's font
    panel.setFont(bigger)
    assert (
        QFontInfo(card.units.font()).pixelSize() >= 2 * body and QFontInfo(panel.hints.font()).pixelSize() >= 2 * body
    )
    assert QFontInfo(panel.now.clock.font()).pixelSize() >= 8 * body


# ---- reflow -------------------------------------------------------------------------------------


def assert_nothing_cut_off(panel: SessionPanel) -> None:
    """Every visible widget lies within the panel's width and is at least as wide as it needs."""
    for widget in panel.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not panel:
            continue
        rect = within(widget, panel)
        assert rect.left() >= 0 and rect.right() <= panel.width(), (type(widget).__name__, rect)
        if isinstance(widget, QLabel | QAbstractButton) and not (isinstance(widget, QLabel) and widget.wordWrap()):
            assert widget.width() >= widget.minimumSizeHint().width(), widget.text()


def test_two_columns_become_one_below_900_px_and_work_at_360(panel: SessionPanel, clock: FakeClock) -> None:
    for code in SIX:
        panel.add_code(code)
    run(panel, clock, "97110", 12)
    settle(panel)
    area, summary = within(panel.area, panel), within(panel.summary, panel)
    assert summary.left() >= area.right() and summary.width() == 360  # beside the cards, not scrolled away
    assert not panel.left.isAncestorOf(panel.summary)
    cards = [within(c, panel) for c in panel.cards]
    assert cards[0].top() == cards[1].top() and cards[1].left() > cards[0].right()  # two a row
    assert_nothing_cut_off(panel)

    panel.resize(880, 800)
    settle(panel)
    last_card, summary = within(panel.cards[-1], panel), within(panel.summary, panel)
    assert panel.left.isAncestorOf(panel.summary)  # under the cards, scrolling with them
    assert summary.top() >= last_card.bottom() and summary.width() > 800
    assert_nothing_cut_off(panel)

    panel.resize(360, 800)
    settle(panel)
    cards = [within(c, panel) for c in panel.cards]
    assert len({c.left() for c in cards}) == 1 and cards[1].top() > cards[0].bottom()  # one a row
    favorites = [within(b, panel) for b in panel.favorite_buttons.values()]
    assert len({f.left() for f in favorites}) == 2  # two columns of favorites
    assert panel.favorite_buttons["97110"].text() == "● 97110 · 12:00\nTherapeutic exercise"
    assert not panel.now.roomy and panel.now.button.isVisible()
    assert_nothing_cut_off(panel)
    assert_touch_sizes(panel)

    panel.resize(1200, 800)  # and back
    settle(panel)
    assert within(panel.summary, panel).left() >= within(panel.area, panel).right()
    assert panel.favorite_buttons["97110"].text().startswith("● 97110 running · 12:00")


# ---- keyboard and screen readers ----------------------------------------------------------------


def test_ctrl_f_and_slash_go_to_add_a_code_and_a_number_starts_it(
    window: MainWindow, clock: FakeClock, qtbot: QtBot
) -> None:
    from therapytimer.core.session import Role
    from therapytimer.ui.dialogs import NewSession

    window.ask_new_session = lambda *_a: NewSession("MT", Discipline.PT, "Medicare", "Dana Lee", Role.THERAPIST)
    window.new_session()
    panel = window.panel
    window.activateWindow()
    panel.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.search
    panel.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Slash)
    assert QApplication.focusWidget() is panel.search and panel.search.text() == ""
    qtbot.keyClicks(panel.search, "97110")
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert [s.code for s in window.timers.running()] == ["97110"]
    assert panel.search.text() == "" and QApplication.focusWidget() is not panel.search
    panel.focus_search()
    qtbot.keyClicks(panel.search, "97110")  # typing the running code again never pauses it
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert [s.code for s in window.timers.running()] == ["97110"]
    qtbot.keyClicks(panel.search, "97162")  # an untimed code is added, and the timer runs on
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert [c.code for c in panel.cards] == ["97110", "97162"] and window.timers.running()


def test_a_card_reads_aloud_and_every_control_has_a_name(panel: SessionPanel, clock: FakeClock) -> None:
    panel.add_service("97161")
    run(panel, clock, "97110", 12 + 40 / 60)
    card = next(c for c in panel.cards if c.code == "97110")
    assert card.accessibleName() == "97110 Therapeutic exercise, running, 12 minutes 40 seconds, 1 unit"
    assert card.button.accessibleName() == "Pause 97110" and card.button.accessibleDescription() == (
        card.accessibleName()
    )
    assert card.who.accessibleName() == "Who is treating 97110" and card.more.accessibleName() == (
        "More actions for 97110"
    )
    assert panel.search.accessibleName() == "Add a code"
    clock.advance(seconds=1)
    panel.tick()
    assert card.accessibleName().startswith("97110 Therapeutic exercise, running, 12 minutes 41 seconds")
    unnamed = [w for w in interactive(panel) if not w.accessibleName()]
    assert unnamed == []


def test_the_summary_table_is_one_tab_stop(panel: SessionPanel, clock: FakeClock, qtbot: QtBot) -> None:
    run(panel, clock, "97110", 23)
    table = panel.lines_view
    assert not table.tabKeyNavigation() and table.accessibleName() == "Billing lines"
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table


def test_a_tick_reads_no_database(panel: SessionPanel, workspace: Workspace, clock: FakeClock) -> None:
    """Now timing, the favorites, the cards and the summary all move on a tick from memory alone."""
    for code in SIX:
        panel.add_code(code)
    run(panel, clock, "97110", 7.5)
    statements: list[str] = []
    conn = workspace._store.db.conn
    conn.set_trace_callback(statements.append)
    try:
        for _ in range(200):
            clock.advance(0.25)
            panel.tick()
    finally:
        conn.set_trace_callback(None)
    assert statements == []
    assert panel.now.clock.text() == "8:20" and panel.now.units.text() == "1 unit · GP"
    assert panel.favorite_buttons["97110"].text().startswith("● 97110 running · 8:20")


def test_tab_reaches_every_control_in_reading_order_and_leaves(panel: SessionPanel, clock: FakeClock) -> None:
    panel.add_service("97161")
    panel.add_code("97112")
    run(panel, clock, "97110", 3)
    settle(panel)
    panel.now.button.setFocus()
    seen: list[QWidget] = []
    for _ in range(80):
        widget = QApplication.focusWidget()
        assert widget is not None
        if widget in seen:
            break
        seen.append(widget)
        panel.focusNextChild()
    reachable = [w for w in interactive(panel) if w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus]
    assert len(reachable) > 15 and set(reachable) <= set(seen) and panel.lines_view in seen
    order = [seen.index(w) for w in (panel.now.button, panel.favorite_buttons["97110"], panel.search)]
    order += [seen.index(panel.untimed_buttons[0]), seen.index(panel.cards[0].button), seen.index(panel.lines_view)]
    assert order == sorted(order)


def test_now_timing_says_when_more_timers_run(workspace: Workspace, panel: SessionPanel, clock: FakeClock) -> None:
    workspace.context.prefs.settings.exclusive_timers = False  # group sessions: several codes at once
    run(panel, clock, "97110", 2)
    run(panel, clock, "97112", 1)
    assert panel.now.what.text() == "● Now timing 97112  Neuromuscular re-education  (+1 more running)"
    assert panel.favorite_buttons["97110"].isChecked() and panel.favorite_buttons["97112"].isChecked()
