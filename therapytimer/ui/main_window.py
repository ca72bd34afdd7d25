"""The main window: the session switcher and main actions, the bedside panel, the day, the week and the
code catalog.

It wires widgets to the use cases (`services`) and forwards; what to show comes from the core. A 250 ms
ticker runs only while a timer is running, reads no database, and only cells whose text changed are
repainted. Once a second the window asks whether another process (a second window, a command) wrote,
and shows it.

The frame fits any screen: it opens inside the screen's free area at any scale, takes its saved place back
only when that still fits, and works down to 360 px wide (below 900 px the less-used actions fold into
the "⋯" menu). Compact mode, the welcome panel, the tray icon and the pages other than the bedside one are
built when first used: the bedside panel is what must appear fast.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import timedelta
from enum import Enum
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QBoxLayout,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from therapytimer import version
from therapytimer.core.catalog import Catalog
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.session import Segment, Session
from therapytimer.core.settings import Settings
from therapytimer.core.words import plural
from therapytimer.services.workspace import Workspace
from therapytimer.ui.session_panel import SessionPanel
from therapytimer.ui.widgets import MAIN, TOUCH, action_button, explained, scaled_font, table_view, touch

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTableView

    from therapytimer.core.catalog import CodeSpec
    from therapytimer.core.rules import Rule
    from therapytimer.services.records import Records
    from therapytimer.ui.compact import CompactWindow
    from therapytimer.ui.day_view import DayView
    from therapytimer.ui.dialogs import NewSession, SettingsAnswer
    from therapytimer.ui.tray import Tray
    from therapytimer.ui.week_view import WeekView
    from therapytimer.ui.welcome import WelcomePanel

TICK_MS = 250  # at most four repaints a second
POLL_MS = 1000  # how soon another process's change shows
TRAY_AFTER_MS = 1000  # the tray icon comes after the first paint: start-up does not wait for it
PREFERRED = QSize(1180, 760)  # the size the window asks for where the screen has room
SCREEN_SHARE = 0.9  # at most this share of the screen's free area, so the window and its frame fit
MIN_SIZE = QSize(360, 360)  # half of a phone-sized screen; compact mode is 360 px wide too
SWITCHER_MAX = 420  # wide enough for "● " a long alias and " · PT 14:05"; the rest of the row stays free
NARROW = 900  # below this width the toolbar folds its less-used actions into the "⋯" menu
STACKED = 560  # below this width the session switcher takes a row of its own
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
BORDER_SLACK = 16  # a maximized window's frame may stick out this far (Windows draws it outside the screen)
PAGES = ("Session", "Day", "Week", "Codes")
MORE_SCALE = 1.6  # the "⋯" glyph is small in most fonts
MENU_STYLE = """
QMenu::item { min-height: 36px; padding: 4px 28px 4px 16px; }
QMenu::item:selected { background-color: palette(highlight); color: palette(highlighted-text); }
QMenu::item:disabled { color: palette(placeholder-text); }
"""  # 44 px rows for a finger
GEOMETRY_HEADER = struct.Struct(">IHH4i")  # Qt's saveGeometry: magic, version, then the frame rectangle
GEOMETRY_MAGIC = 0x1D9D0CB


def fitted(available: QRect, preferred: QSize, minimum: QSize) -> QRect:
    """The window's first rectangle on a screen whose free area (without panels and taskbars, in logical
    px: already divided by the scale factor) is `available`: the preferred size, but at most 90 % of the
    area each way, and at least `minimum` (what the window needs to be usable) unless the area itself is
    smaller; centred in the area."""
    width = min(preferred.width(), int(available.width() * SCREEN_SHARE))
    height = min(preferred.height(), int(available.height() * SCREEN_SHARE))
    width = min(max(width, minimum.width()), available.width())
    height = min(max(height, minimum.height()), available.height())
    rect = QRect(0, 0, width, height)
    rect.moveCenter(available.center())
    return rect


def saved_frame(saved: QByteArray) -> QRect | None:
    """The frame rectangle inside Qt's saved window geometry, or None if it is not one."""
    data = saved.data()
    if len(data) < GEOMETRY_HEADER.size:
        return None
    magic, major, _minor, left, top, right, bottom = GEOMETRY_HEADER.unpack_from(data)
    if magic != GEOMETRY_MAGIC or major not in (1, 2, 3):
        return None
    return QRect(QPoint(left, top), QPoint(right, bottom))


def fits(frame: QRect, areas: list[QRect]) -> bool:
    """Whether the frame lies inside one screen's free area (a few px of a maximized window's border aside)."""
    slack = BORDER_SLACK
    return any(area.adjusted(-slack, -slack, slack, slack).contains(frame) for area in areas)


def choose_import_path(parent: QWidget) -> Path | None:
    from PySide6.QtWidgets import QFileDialog

    name, _ = QFileDialog.getOpenFileName(parent, "Choose a file", "", "TherapyTimer files (*.json *.db)")
    return Path(name) if name else None


def choose_backup_path(parent: QWidget, suggested: Path) -> Path | None:
    from PySide6.QtWidgets import QFileDialog

    name, _ = QFileDialog.getSaveFileName(parent, "Back up", str(suggested), "TherapyTimer backups (*.db)")
    return Path(name) if name else None


def confirm(parent: QWidget, title: str, text: str) -> bool:
    from PySide6.QtWidgets import QMessageBox

    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
    answer = QMessageBox.question(parent, title, text, buttons, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def ask_quit_running(parent: QWidget, text: str) -> str | None:
    """A timer runs and the window is closing: "pause" (pause it and quit), "keep" (quit, it keeps
    counting from its stored start), or None (stay)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("A timer is running")
    box.setText(text)
    pause = box.addButton("Pause it and quit", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep it running and quit", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(pause)
    box.exec()
    clicked = box.clickedButton()
    return "pause" if clicked is pause else "keep" if clicked is keep else None


def tray_available() -> bool:
    from therapytimer.ui.tray import tray_available as available

    return available()


class Fold(Enum):
    """How much of the toolbar the window's width shows."""

    WIDE = "wide"
    NARROW = "narrow"
    STACKED = "stacked"


class TallTabBar(QTabBar):
    """Tabs a finger can hit: at least 44 px each way, whatever the style draws."""

    def tabSizeHint(self, index: int) -> QSize:
        return super().tabSizeHint(index).expandedTo(QSize(TOUCH, TOUCH))


class Pages(QTabWidget):
    def __init__(self) -> None:
        super().__init__()
        bar = TallTabBar()
        bar.setExpanding(False)
        bar.setElideMode(Qt.TextElideMode.ElideNone)
        bar.setUsesScrollButtons(True)
        self.setTabBar(bar)
        bar.setAccessibleName("Pages")


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.timers = workspace.timers
        self.prefs, self.clock = workspace.context.prefs, workspace.context.clock
        self.ask_new_session: Callable[[QWidget | None, list[str], list[str], Settings], NewSession | None] = (
            _ask_new_session
        )
        self.ask_text: Callable[..., bool] = _ask_text
        self.ask_close: Callable[[QWidget, str, str, bool, str], bool | None] = _ask_close
        self.ask_settings: Callable[[QWidget | None, Settings, dict[str, Rule]], SettingsAnswer] = _ask_settings
        self.ask_import_path: Callable[[QWidget], Path | None] = choose_import_path
        self.ask_backup_path: Callable[[QWidget, Path], Path | None] = choose_backup_path
        self.ask_confirm: Callable[[QWidget, str, str], bool] = confirm
        self.ask_quit: Callable[[QWidget, str], str | None] = ask_quit_running
        self.tray_available: Callable[[], bool] = tray_available
        self.setWindowTitle("TherapyTimer")

        # The frame first, then what it holds: under the application's stylesheet a widget put into another
        # is restyled with everything inside it, so each part goes once into a frame already in its place
        # (built from the inside out, the bedside panel was restyled four times: some 3 ms at start-up).
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.body = QWidget()
        self.stack.addWidget(self.body)
        self.tabs = Pages()

        self.banner = QFrame()
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_text.setAccessibleName("Notice")
        self.dismiss = touch(QPushButton("OK"), TOUCH, "Dismiss the notice")
        self.dismiss.clicked.connect(self.banner.hide)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(8, 2, 2, 2)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.dismiss)
        self.banner.hide()

        self.sessions = touch(QComboBox(), MAIN, "Open sessions")
        self.sessions.setAccessibleDescription("The active session; ● marks a session with a timer running")
        self.sessions.setToolTip("Open sessions: switch the active one in one click (● a timer runs)")
        self.sessions.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.sessions.setMinimumContentsLength(8)  # long names are shortened: the box never widens the window
        self.sessions.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.sessions.activated.connect(self._session_chosen)
        self._build_actions()
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(6, 6, 6, 0)  # height is short at 125 % and 200 %: no more frame than needed
        layout.setSpacing(6)
        layout.addLayout(self._build_toolbar())
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)

        self.panel = SessionPanel(self.timers, self.prefs, self.clock, workspace.cases)
        self.panel.changed.connect(self._after_change)
        self.panel.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.panel.unit_reached.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.panel.limit_reached.connect(self._limit_cue)
        # The day, the week, the catalog, compact mode, the welcome panel and the tray are built the first
        # time they are needed: the bedside panel is what must appear fast.
        self._day: DayView | None = None
        self._week: WeekView | None = None
        self._compact: CompactWindow | None = None
        self._codes: QTableView | None = None
        self.tray: Tray | None = None
        self.welcome_panel: WelcomePanel | None = None
        self.tabs.addTab(self.panel, PAGES[0])
        for name in PAGES[1:]:
            self.tabs.addTab(QWidget(), name)
        self.tabs.currentChanged.connect(self._tab_changed)
        self._set_tab_order()
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self.tick)
        QApplication.instance().focusChanged.connect(self._focus_changed)  # type: ignore[union-attr]
        self.setMinimumSize(MIN_SIZE)
        self._place_on_screen()
        self.poller = QTimer(self)
        self.poller.setInterval(POLL_MS)
        self.poller.timeout.connect(self.poll)
        self.poller.start()
        self.prefs.subscribe(self._settings_changed)
        self._fill_sessions()
        self.recover()
        self.panel.setFocus()  # Space and the digit keys work the timers from the start

    # ---- building -----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        """Every action, with its shortcut: on the body (so none fires while the welcome panel is shown) and
        in the "⋯" menu; the main ones also as large buttons."""

        def action(text: str, slot: Callable[[], object], tip: str, keys: str | None = None) -> QAction:
            act = QAction(text, self.body)
            act.setToolTip(f"{tip} ({keys})" if keys else tip)
            act.triggered.connect(slot)
            if keys:
                act.setShortcut(QKeySequence(keys))
            self.body.addAction(act)
            return act

        self.new_action = action("New session", self.new_session, "Start a session for a patient", "Ctrl+N")
        self.close_action = action("Close session…", self.close_session, "Close the active session with a summary")
        self.pause_action = action("Pause all", self.pause_all, "Pause every running timer (Space)")
        self.compact_action = action(
            "Compact mode", self.enter_compact, "A window 360 px wide to keep beside the EMR", "Ctrl+M"
        )
        self.history_action = action("History…", self.show_history, "Starts, stops and corrections of this session")
        self.export_action = action("Export day…", lambda: self.day.export(), "Save the day's billable lines as CSV")
        self.import_action = action("Import sessions…", self.import_sessions, "Add sessions from a JSON file")
        self.backup_action = action("Back up…", self.back_up, "Save a copy of all your data (safe while timers run)")
        self.restore_action = action(
            "Restore…", self.restore, "Replace your data with a backup (the current data is saved first)"
        )
        self.settings_action = action("Settings…", self.edit_settings, "Payers, favorites, timers, week start, sound")
        self.about_action = action("About TherapyTimer", self.show_about, "Version, licence, where your data lives")
        self.quit_action = action("Quit", self.quit, "Close TherapyTimer (asks first if a timer runs)", "Ctrl+Q")
        self.more_menu = QMenu(self)
        self.more_menu.setStyleSheet(MENU_STYLE)
        groups = (
            (self.close_action, self.history_action, self.compact_action),
            (self.export_action, self.import_action, self.backup_action, self.restore_action),
            (self.settings_action, self.about_action, self.quit_action),
        )
        for group in groups:
            if not self.more_menu.isEmpty():
                self.more_menu.addSeparator()
            self.more_menu.addActions(list(group))
        self.space_key = QShortcut(QKeySequence(Qt.Key.Key_Space), self.body)
        self.space_key.activated.connect(self.pause_all)
        self.number_keys = [self.space_key]
        for n in range(1, 10):
            shortcut = QShortcut(QKeySequence(str(n)), self.body)
            shortcut.activated.connect(lambda n=n: self.panel.toggle_nth(n))
            self.number_keys.append(shortcut)
        menu_key = QShortcut(QKeySequence(Qt.Key.Key_F10), self.body)
        menu_key.activated.connect(self.show_more)

    def _build_toolbar(self) -> QBoxLayout:
        """The session switcher and the main actions as large buttons; the rest in the "⋯" menu."""
        self.new_button = action_button(self.new_action, "+ New session", "New session")
        self.pause_button = action_button(self.pause_action, "❚❚ Pause all", "Pause all timers")
        self.close_button = action_button(self.close_action, "Close session…", "Close session")
        self.compact_button = action_button(self.compact_action, "Compact", "Compact mode")
        self.more = touch(QToolButton(), MAIN, "More actions")
        self.more.setText("⋯")
        self.more.setToolTip("More: close the session, history, compact mode, export, back up, settings (F10)")
        self.more.clicked.connect(self.show_more)  # no menu arrow: the button is the "⋯" and nothing else
        self.more.setFont(scaled_font(MORE_SCALE))
        self.sessions.setMaximumWidth(SWITCHER_MAX)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch()
        for button in (self.pause_button, self.close_button, self.compact_button, self.more):
            buttons.addWidget(button)
        self.toolbar = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.toolbar.addWidget(self.sessions, 1)
        self.toolbar.addLayout(buttons, 1)
        self.fold = Fold.WIDE
        return self.toolbar

    def show_more(self) -> None:
        self.more_menu.popup(self.more.mapToGlobal(QPoint(0, self.more.height())))

    def _set_tab_order(self) -> None:
        """Tab walks the frame in reading order, then into the page."""
        chain: list[QWidget] = [
            self.sessions,
            self.new_button,
            self.pause_button,
            self.close_button,
            self.compact_button,
            self.more,
            self.dismiss,
            self.tabs.tabBar(),
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _fold(self, width: int) -> None:
        """Below 900 px the less-used buttons fold into the "⋯" menu (where they always are too); below 560 px
        the session switcher takes a row of its own, so the patient's name stays readable."""
        fold = Fold.WIDE if width >= NARROW else Fold.NARROW if width >= STACKED else Fold.STACKED
        if fold == self.fold:
            return
        self.fold = fold
        self.close_button.setVisible(fold is Fold.WIDE)
        self.compact_button.setVisible(fold is Fold.WIDE)
        self.new_button.setText("+ New" if fold is Fold.NARROW else "+ New session")
        stacked = fold is Fold.STACKED
        self.toolbar.setDirection(QBoxLayout.Direction.TopToBottom if stacked else QBoxLayout.Direction.LeftToRight)
        self.sessions.setMaximumWidth(QWIDGETSIZE_MAX if stacked else SWITCHER_MAX)

    def changeEvent(self, event: QEvent) -> None:
        """The text size changed in Settings: the "⋯" follows it (the rest takes the application's font)."""
        if event.type() == QEvent.Type.FontChange:
            self.more.setFont(scaled_font(MORE_SCALE))
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fold(event.size().width())
        super().resizeEvent(event)

    def _place_on_screen(self) -> None:
        """Take the saved place back only if it lies inside a screen's free area now (a screen may have been
        unplugged, or the scale raised); else open at the preferred size fitted to this screen."""
        saved = QByteArray.fromBase64(self.settings.window_geometry.encode())
        frame = saved_frame(saved)
        areas = [screen.availableGeometry() for screen in QGuiApplication.screens()]
        if frame is not None and fits(frame, areas) and self.restoreGeometry(saved):
            return
        rect = fitted(self.screen().availableGeometry(), PREFERRED, self.minimumSizeHint().expandedTo(MIN_SIZE))
        self.resize(rect.size())
        self.move(rect.topLeft())

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Digits and Space are for typing while a text field has focus, for timers otherwise; on a button
        or a list reached with Tab, Space presses it."""
        typing = isinstance(new, QLineEdit | QAbstractSpinBox | QPlainTextEdit)
        pressing = isinstance(new, QAbstractButton | QComboBox | QTabBar)
        for shortcut in self.number_keys:
            shortcut.setEnabled(not typing)
        self.space_key.setEnabled(not typing and not pressing)

    # ---- pages built on first use -------------------------------------------------------------

    def _place(self, index: int, page: QWidget) -> None:
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        old = self.tabs.widget(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, page, PAGES[index])
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        if old is not None:
            old.deleteLater()

    @property
    def day(self) -> DayView:
        if self._day is None:
            from therapytimer.ui.day_view import DayView

            self._day = DayView(self.records, self.clock)
            self._day.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
            self._place(1, self._day)
        return self._day

    @property
    def week(self) -> WeekView:
        if self._week is None:
            from therapytimer.ui.week_view import WeekView

            self._week = WeekView(self.records, self.prefs, self.clock)
            self._place(2, self._week)
        return self._week

    @property
    def codes(self) -> QTableView:
        if self._codes is None:
            from PySide6.QtWidgets import QHeaderView

            from therapytimer.ui.models import CatalogModel

            table = table_view(CatalogModel(self.catalog))
            table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            table.setAccessibleName("Code catalog")
            self._codes = table
            self._place(3, table)
        return self._codes

    @property
    def compact(self) -> CompactWindow:
        if self._compact is None:
            from therapytimer.ui.compact import CompactWindow

            self._compact = CompactWindow(on_top=self.settings.compact_on_top)
            self._compact.on_top.toggled.connect(self._remember_on_top)
            self._compact.back.connect(self.leave_compact)
            self._compact.pause.connect(self.pause_all)
            self._compact.toggle.connect(self.panel.toggle)
        return self._compact

    def _remember_on_top(self, on: bool) -> None:
        self.settings.compact_on_top = on
        problem = self.prefs.save()
        if problem:
            self.statusBar().showMessage(problem, 10000)

    def show_about(self) -> None:
        from therapytimer.ui.dialogs import AboutDialog

        AboutDialog.show_for(self, version(), self.workspace.db_path, self.workspace.context.log_dir)

    # ---- first start --------------------------------------------------------------------------

    def welcome(self) -> bool:
        """On the first start (no name saved and never asked): the welcome panel in place of the bedside
        one, until the clinician answers or skips."""
        if self.settings.provider or self.settings.clinician_asked:
            return False
        from therapytimer.ui.welcome import WelcomePanel

        panel = WelcomePanel(self.settings, sorted(self.timers.payers()))
        panel.done.connect(self._welcomed)
        self.welcome_panel = panel
        self.stack.addWidget(panel)
        self.stack.setCurrentWidget(panel)
        panel.name.setFocus()
        return True

    def _welcomed(self) -> None:
        panel = self.welcome_panel
        if panel is None:  # a second click on a panel already answered
            return
        problems = self.prefs.update(**panel.answers)  # saved, and every page told
        self.stack.setCurrentWidget(self.body)
        self.stack.removeWidget(panel)
        panel.deleteLater()
        self.welcome_panel = None
        name = self.settings.provider
        greeting = f"Welcome, {name}. " if name else ""
        self.statusBar().showMessage(
            "; ".join(problems) or f"{greeting}Start a session with New session (Ctrl+N).", 15000
        )
        self.panel.setFocus()

    # ---- sessions -----------------------------------------------------------------------------

    def _fill_sessions(self, select: str | None = None) -> None:
        current = select or (self.panel.session.id if self.panel.session else None)
        open_sessions = self.timers.open_sessions()
        running = {seg.session_id for seg in self.timers.running()}
        self.sessions.clear()
        for s in open_sessions:
            when = s.created_at.astimezone().strftime("%H:%M")
            mark, state = ("● ", ", a timer running") if s.id in running else ("", "")
            self.sessions.addItem(f"{mark}{s.patient} · {s.discipline.value} {when}", s.id)  # the patient first
            self.sessions.setItemData(
                self.sessions.count() - 1,
                f"{s.patient} · {s.discipline.value} · {s.date.isoformat()}{state}",
                Qt.ItemDataRole.ToolTipRole,
            )
        ids = [s.id for s in open_sessions]
        if current not in ids:
            current = next((i for i in reversed(ids) if i in running), ids[-1] if ids else None)
        if current:
            self.sessions.setCurrentIndex(ids.index(current))
        if (self.panel.session.id if self.panel.session else None) != current:
            self.panel.set_session(current)
        self.close_action.setEnabled(current is not None)
        self._sync_ticker()

    def _session_chosen(self, index: int) -> None:
        self.panel.set_session(self.sessions.itemData(index))
        self._sync_ticker()

    def recover(self) -> None:
        """After a crash or kill: say which timers came back; they go on from their stored start. Timers
        whose day is over are stopped first (at the limit, if never confirmed), and timers past the limit
        are named with the day and the time they started."""
        notes = self._settle()
        over = [self._named(seg) for seg in self.timers.over_limit()]
        if over:
            notes.append("Past the forgotten-timer limit, counting no further: " + "; ".join(over) + ".")
        running = self.timers.running()
        if not running:
            if notes:
                self.banner_text.setText(" ".join(notes))
                self.banner.show()
            return
        by_session: dict[str, int] = {}
        for seg in running:
            by_session[seg.session_id] = by_session.get(seg.session_id, 0) + 1
        parts = []
        for session_id, count in by_session.items():
            s = self.timers.session(session_id)
            parts.append(f"{plural(count, 'running timer')} for {s.patient} ({s.discipline.value})")
        text = "Recovered " + "; ".join(parts) + ". They go on with the right time."
        behind = self.timers.clock_behind()
        if behind:
            # It wrote to the history and dropped what was read: read again, or the poll stays blind to
            # other processes (`changed()` is False until something is read).
            self.panel.reload()
            first = min(seg.start for seg in behind).astimezone().strftime("%H:%M")
            text = (
                "Recovered " + "; ".join(parts) + f". The computer's clock is earlier than when they started "
                f"({first}): they count from that start, so they show 0:00 until then. Check the clock, and "
                "correct the minutes with Set minutes… if needed."
            )
        self.banner_text.setText(" ".join([text, *notes]))
        self.banner.show()

    def _named(self, seg: Segment) -> str:
        """A timer as a clinician recognises it: the patient, the code, the day and the time it started."""
        s = self.timers.session(seg.session_id)
        return f"{seg.code} for {s.patient} ({s.discipline.value}), started {seg.start.astimezone():%a %Y-%m-%d %H:%M}"

    def _settle(self) -> list[str]:
        """No timer runs across the end of its day: stop those whose day is over, and say which."""
        try:
            stopped = self.timers.settle()
        except TherapyTimerError as exc:
            return [explained(exc)]
        if not stopped:
            return []
        self.panel.reload()
        named = "; ".join(self._named(seg) for seg in stopped)
        return [f"Stopped after their day of service (at the limit if never confirmed; see History): {named}."]

    def _limit_cue(self, text: str) -> None:
        self.banner_text.setText(f"⚠ {text}.")
        self.banner.show()

    def new_session(self) -> Session | None:
        recent = sorted({s.patient for s in self.timers.open_sessions()} | self._recent_patients())
        answer = self.ask_new_session(self, recent, sorted(self.timers.payers()), self.settings)
        if answer is None:
            return None
        try:
            session = self.timers.open_session(
                answer.patient, answer.discipline, payer=answer.payer, provider=answer.provider, role=answer.role
            )
        except TherapyTimerError as exc:
            self.statusBar().showMessage(explained(exc), 10000)
            self.panel.error.setText(explained(exc))
            return None
        self.settings.last_discipline, self.settings.default_payer = answer.discipline, answer.payer
        problem = self.prefs.save()  # remembered for the next session; no page shows them, so none is told
        if problem:
            self.statusBar().showMessage(problem, 10000)
        self.panel.set_session(session.id)
        self._fill_sessions(session.id)
        self.tabs.setCurrentWidget(self.panel)
        return session

    def _recent_patients(self) -> set[str]:
        today = self.clock.today()
        return {s.patient for s in self.timers.sessions_between(today - timedelta(days=14), today)}

    def close_session(self) -> bool:
        if self.panel.view is None:
            return False
        session_id = self.panel.view.session.id
        try:  # the summary must be what is billed: stop this session's timers first
            self.timers.pause_session(session_id)
        except TherapyTimerError as exc:
            self.statusBar().showMessage(explained(exc), 10000)
            return False
        self.panel.reload()
        self._sync_ticker()
        view = self.panel.view
        assert view is not None
        title = f"Close session: {view.session.patient} (its timers are paused)"
        header = self.panel.header
        due = header.lines[0] if header is not None and header.report_due else ""
        summary = self.timers.summary(view.session.id)
        written = self.ask_close(self, title, summary, view.session.progress_report, due)
        if written is None:
            return False
        try:
            self.timers.close(view.session.id, progress_report=written)
        except TherapyTimerError as exc:
            self.statusBar().showMessage(explained(exc), 10000)
            return False
        self.panel.set_session(None)
        self._fill_sessions()
        self._after_change()
        return True

    def show_history(self) -> None:
        session = self.panel.session
        if session is None:
            return
        events = self.timers.session(session.id).history()
        text = (
            "\n".join(f"{when.astimezone().strftime('%H:%M:%S')}  {what}" for when, what in events) or "No events yet."
        )
        self.ask_text(self, f"History: {session.patient}", text)

    def pause_all(self) -> None:
        self.panel.pause_all()

    def import_sessions(self) -> bool:
        from therapytimer.core.exchange import ExchangeError

        path = self.ask_import_path(self)
        if path is None:
            return False
        try:
            done = self.records.import_file(path)
        except ExchangeError as exc:
            self.ask_text(self, "Nothing was imported", "\n".join(exc.problems))
            return False
        except TherapyTimerError as exc:
            self.ask_text(self, "Nothing was imported", explained(exc))
            return False
        self.statusBar().showMessage(f"Imported {path.name}: {done.added} added, {done.skipped} skipped", 10000)
        self._after_change()
        return True

    def back_up(self) -> bool:
        suggested = Path.home() / f"therapytimer-backup-{self.clock.today().isoformat()}.db"
        path = self.ask_backup_path(self, suggested)
        if path is None:
            return False
        try:
            self.records.backup(path, force=True)  # the save dialog already asked before replacing
        except TherapyTimerError as exc:
            self.ask_text(self, "Not backed up", explained(exc))
            return False
        self.statusBar().showMessage(f"Backed up to {path}", 10000)
        return True

    def restore(self) -> bool:
        path = self.ask_import_path(self)
        if path is None:
            return False
        question = (
            f"Replace all your TherapyTimer data with the backup {path.name}?\n\n"
            "Every timer is paused, and your current data is saved first in the backups folder beside it."
        )
        if not self.ask_confirm(self, "Restore a backup", question):
            return False
        try:
            safety = self.records.restore(path)
        except TherapyTimerError as exc:
            self.ask_text(self, "Nothing was restored", explained(exc))
            return False
        self.panel.set_session(None)
        self._after_change()
        self.statusBar().showMessage(f"Restored {path.name}; your previous data is in {safety}", 15000)
        return True

    def edit_settings(self) -> bool:
        answer = self.ask_settings(self, self.settings, self.timers.payers())
        if not answer.accepted:
            return False
        problems = list(answer.problems)  # entries the dialog left out; shown together, none hides another
        if answer.payer is not None:
            try:
                self.timers.set_payer(*answer.payer)
            except TherapyTimerError as exc:
                problems.append(explained(exc))
        problems += self.prefs.update()  # the fee table applied, saved, and every view told
        catalog = self.prefs.catalog
        unknown = sorted({c for codes in self.settings.favorites.values() for c in codes if c not in catalog})
        if unknown:
            problems.append(f"Favorites not in the code catalog, left out: {', '.join(unknown)}")
        if problems:
            self.statusBar().showMessage("; ".join(problems), 15000)
        return True

    @property
    def settings(self) -> Settings:
        return self.prefs.settings

    @property
    def catalog(self) -> Catalog:
        return self.prefs.catalog

    @property
    def records(self) -> Records:
        return self.workspace.records

    def _settings_changed(self) -> None:
        """The settings' owner says they changed: every page shows them (new fees, favorites, week start)."""
        self.panel.set_session(self.panel.session.id if self.panel.session else None)
        self.panel.rebuild_cards()
        if self._week is not None:
            self._week.refresh()
        if self._day is not None:
            self._day.refresh()

    # ---- time ---------------------------------------------------------------------------------

    def _sync_ticker(self) -> None:
        """Tick only while something runs: an idle window costs no CPU."""
        if self.timers.running():
            if not self.ticker.isActive():
                self.ticker.start()
        else:
            self.ticker.stop()

    def tick(self) -> None:
        try:
            stepped = self.timers.check_clock()  # no SQL unless the computer's clock was just set
        except TherapyTimerError as exc:
            self.statusBar().showMessage(explained(exc), 10000)
            stepped = False
        if stepped:
            self.panel.reload()
            self.banner_text.setText(
                "The computer's clock was just set. The running timers count only the time that really passed "
                "(see Session → History…)."
            )
            self.banner.show()
        self.panel.tick()
        if self._compact is not None and self._compact.isVisible():
            self._show_compact()
        self._show_tray()

    def poll(self) -> bool:
        """Once a second: if another process (a second window, a command) wrote, show what it did. One
        cheap query (SQLite's data_version); nothing is read again unless it changed."""
        try:
            notes = self._settle()  # a day may have ended while the window was open: no SQL unless one did
            if notes:
                self.banner_text.setText(" ".join(notes))
                self.banner.show()
            if not self.timers.changed():
                return bool(notes)
            current = self.panel.session.id if self.panel.session else None
            self.panel.set_session(current if current in {s.id for s in self.timers.open_sessions()} else None)
        except TherapyTimerError as exc:
            self.statusBar().showMessage(explained(exc), 10000)
            return False
        self._after_change()
        return True

    def _after_change(self) -> None:
        self._fill_sessions()
        self._tab_changed(self.tabs.currentIndex())
        if self._compact is not None:
            self._show_compact()
        self._show_tray()

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.day.refresh()
        elif index == 2:
            self.week.refresh()
        elif index == 3:
            self.codes.setFocus()

    # ---- compact mode, the tray and closing -----------------------------------------------------

    def compact_favorites(self) -> list[CodeSpec]:
        """The four favorites compact mode shows for the active session's discipline."""
        from therapytimer.ui.compact import compact_favorites

        view = self.panel.view
        if view is None:
            return []
        return compact_favorites(self.settings.favorites.get(view.session.discipline.value, []), self.catalog, view)

    def _show_compact(self) -> None:
        self.compact.show_view(self.panel.view, self.compact_favorites())

    def enter_compact(self) -> None:
        self._show_compact()
        self.compact.show()
        self.hide()

    def leave_compact(self) -> None:
        self.compact.hide()
        self.show()

    def _show_tray(self) -> None:
        if self.tray is None:
            return
        from therapytimer.ui.tray import tray_text

        running = [(seg.code, self.timers.session(seg.session_id).patient) for seg in self.timers.running()]
        self.tray.show_text(tray_text(self.panel.view, running))

    def make_tray(self) -> bool:
        """The tray icon, where the desktop has a tray: made once, after the first paint."""
        if self.tray is not None or not self.tray_available():
            return False
        from therapytimer.ui.tray import Tray

        self.tray = Tray()
        self.tray.pause.connect(self.pause_all)
        self.tray.show_window.connect(self.show_full)
        self.tray.quit.connect(self.quit)
        self._show_tray()
        self.tray.icon.show()
        return True

    def show_full(self) -> None:
        """Bring the full window to the front (from the tray, or from compact mode)."""
        if self._compact is not None and self._compact.isVisible():
            self.leave_compact()
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def showEvent(self, event: QShowEvent) -> None:
        if self.tray is None:
            QTimer.singleShot(TRAY_AFTER_MS, self, self.make_tray)  # dropped if the window is gone by then
        super().showEvent(event)

    def may_quit(self) -> bool:
        """With a timer running, ask first: pause it and quit, keep it running and quit, or stay. Either way
        nothing is lost: a timer's start is on disk, and the next start shows it running."""
        running = self.timers.running()
        if not running:
            return True
        text = (
            f"{'; '.join(self._named(seg) for seg in running)}: "
            f"{'it is' if len(running) == 1 else 'they are'} still timing.\n\n"
            "Quitting never loses a timer: its start is saved. Kept running, it goes on counting and "
            "TherapyTimer shows it when it opens again; paused, it stops now."
        )
        answer = self.ask_quit(self, text)
        if answer == "pause":
            self.pause_all()
            return not self.timers.running()
        return answer == "keep"

    def quit(self) -> bool:
        """Quit from the menu or the tray: asks first if a timer runs."""
        if not self.may_quit():
            return False
        self.close()
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        """The window's close button asks first if a timer runs (a close by the program, as when quitting
        from the menu after asking, does not ask again)."""
        if event.spontaneous() and not self.may_quit():
            event.ignore()
            return
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        problem = self.prefs.save()
        if problem:
            self.statusBar().showMessage(problem, 10000)
        self.ticker.stop()
        self.poller.stop()
        if self._compact is not None:
            self._compact.blockSignals(True)  # closing the app: its close must not bring the window back
            self._compact.close()
            self._compact.blockSignals(False)
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)


def _ask_new_session(
    parent: QWidget | None, recent: list[str], payers: list[str], settings: Settings
) -> NewSession | None:
    from therapytimer.ui.dialogs import NewSessionDialog

    return NewSessionDialog.ask(parent, recent, payers, settings)


def _ask_text(parent: QWidget | None, title: str, text: str, ok_text: str = "OK", *, copy: bool = False) -> bool:
    from therapytimer.ui.dialogs import TextDialog

    return TextDialog.ask(parent, title, text, ok_text, copy=copy)


def _ask_close(parent: QWidget, title: str, text: str, report: bool, due: str) -> bool | None:
    from therapytimer.ui.dialogs import CloseDialog

    return CloseDialog.ask_close(parent, title, text, report, due)


def _ask_settings(parent: QWidget | None, settings: Settings, payers: dict[str, Rule]) -> SettingsAnswer:
    from therapytimer.ui.dialogs import SettingsDialog

    return SettingsDialog.ask(parent, settings, payers)
