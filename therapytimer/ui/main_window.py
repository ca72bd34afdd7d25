"""The main window: sessions toolbar, the bedside panel, the day, the week and the code catalog.

It wires widgets to the use cases (`services`) and forwards; what to show comes from the core. A 250 ms
ticker runs only while a timer is running, reads no database, and only cells whose text changed are
repainted. Once a second the window asks whether another process (a second window, a command) wrote,
and shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from therapytimer import version
from therapytimer.core.catalog import Catalog
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.exchange import ExchangeError
from therapytimer.core.session import Segment, Session
from therapytimer.core.settings import Settings
from therapytimer.core.words import plural
from therapytimer.services.workspace import Workspace
from therapytimer.ui.session_panel import SessionPanel
from therapytimer.ui.widgets import explained, table_view

if TYPE_CHECKING:
    from therapytimer.core.rules import Rule
    from therapytimer.ui.day_view import DayView
    from therapytimer.ui.dialogs import NewSession, SettingsAnswer
    from therapytimer.ui.mini import MiniWindow
    from therapytimer.ui.week_view import WeekView

TICK_MS = 250  # at most four repaints a second
POLL_MS = 1000  # how soon another process's change shows


def choose_import_path(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Choose a file", "", "TherapyTimer files (*.json *.db)")
    return Path(name) if name else None


def choose_backup_path(parent: QWidget, suggested: Path) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, "Back up", str(suggested), "TherapyTimer backups (*.db)")
    return Path(name) if name else None


def ask_clinician(parent: QWidget) -> str | None:
    """The clinician's name for the bill and the note (asked once; Settings changes it later)."""
    name, ok = QInputDialog.getText(
        parent,
        "Your name",
        "Your name as the bill and the treatment note should show it (you can change it in Settings):",
    )
    return name.strip() if ok and name.strip() else None


def confirm(parent: QWidget, title: str, text: str) -> bool:
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
    answer = QMessageBox.question(parent, title, text, buttons, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.timers, self.records = workspace.timers, workspace.records
        self.prefs, self.clock = workspace.context.prefs, workspace.context.clock
        self.ask_new_session: Callable[[QWidget | None, list[str], list[str], Settings], NewSession | None] = (
            _ask_new_session
        )
        self.ask_text: Callable[..., bool] = _ask_text
        self.ask_settings: Callable[[QWidget | None, Settings, dict[str, Rule]], SettingsAnswer] = _ask_settings
        self.ask_import_path: Callable[[QWidget], Path | None] = choose_import_path
        self.ask_backup_path: Callable[[QWidget, Path], Path | None] = choose_backup_path
        self.ask_confirm: Callable[[QWidget, str, str], bool] = confirm
        self.ask_name: Callable[[QWidget], str | None] = ask_clinician
        self.setWindowTitle("TherapyTimer")

        self.panel = SessionPanel(self.timers, self.prefs, self.clock)
        self.panel.changed.connect(self._after_change)
        self.panel.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.panel.unit_reached.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.panel.limit_reached.connect(self._limit_cue)
        # The day, the week and the catalog are built the first time they are shown: the bedside panel
        # is what must appear fast.
        self._day: DayView | None = None
        self._week: WeekView | None = None
        self._mini: MiniWindow | None = None
        self._codes: QTableView | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self.panel, "Session")
        for name in ("Day", "Week", "Codes"):
            self.tabs.addTab(QWidget(), name)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.banner = QFrame()
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner_text = QLabel()
        dismiss = QPushButton("OK")
        dismiss.clicked.connect(self.banner.hide)
        row = QHBoxLayout(self.banner)
        row.addWidget(self.banner_text, 1)
        row.addWidget(dismiss)
        self.banner.hide()

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs)
        self.setCentralWidget(body)

        self.sessions = QComboBox()
        self.sessions.setMinimumWidth(260)
        self.sessions.setToolTip("Open sessions: switch the active one in one click")
        self.sessions.activated.connect(self._session_chosen)
        self._build_toolbar_and_menus()
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self.tick)
        QApplication.instance().focusChanged.connect(self._focus_changed)  # type: ignore[union-attr]
        self.resize(1180, 760)
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))
        self.poller = QTimer(self)
        self.poller.setInterval(POLL_MS)
        self.poller.timeout.connect(self.poll)
        self.poller.start()
        self.prefs.subscribe(self._settings_changed)
        self._fill_sessions()
        self.recover()

    # ---- building -----------------------------------------------------------------------------

    def _build_toolbar_and_menus(self) -> None:
        bar = QToolBar("Session")
        bar.setMovable(False)
        self.addToolBar(bar)
        bar.addWidget(QLabel(" Session: "))
        bar.addWidget(self.sessions)

        def action(text: str, slot: Callable[[], object], tip: str, keys: str | None = None) -> QAction:
            act = QAction(text, self)
            act.setToolTip(f"{tip} ({keys})" if keys else tip)
            act.triggered.connect(slot)
            if keys:
                act.setShortcut(QKeySequence(keys))
            return act

        self.new_action = action("New session", self.new_session, "Start a session for a patient", "Ctrl+N")
        self.close_action = action("Close session…", self.close_session, "Close the active session with a summary")
        self.pause_action = action("Pause all", self.pause_all, "Pause every running timer (Space)")
        self.mini_action = action("Mini mode", self.enter_mini, "A small always-on-top window")
        self.history_action = action("History…", self.show_history, "Starts, stops and corrections of this session")
        for act in (self.new_action, self.close_action, self.pause_action, self.mini_action):
            bar.addAction(act)
        menu = self.menuBar()
        session_menu = menu.addMenu("&Session")
        for act in (self.new_action, self.close_action, self.history_action, self.pause_action, self.mini_action):
            session_menu.addAction(act)
        data = menu.addMenu("&Data")
        data.addAction(action("Export day…", lambda: self.day.export(), "Save the day's billable lines as CSV"))
        data.addAction(action("Import sessions…", self.import_sessions, "Add sessions from a JSON file"))
        data.addSeparator()
        data.addAction(action("Back up…", self.back_up, "Save a copy of all your data (safe while timers run)"))
        data.addAction(
            action("Restore…", self.restore, "Replace your data with a backup (the current data is saved first)")
        )
        data.addSeparator()
        data.addAction(action("Settings…", self.edit_settings, "Payers, favorites, timers, week start, sound"))
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(action("About TherapyTimer", self.show_about, "Version, licence, where your data lives"))
        self.space_key = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        self.space_key.activated.connect(self.pause_all)
        self.number_keys = [self.space_key]
        for n in range(1, 10):
            shortcut = QShortcut(QKeySequence(str(n)), self)
            shortcut.activated.connect(lambda n=n: self.panel.toggle_nth(n))
            self.number_keys.append(shortcut)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Digits and Space are for typing while a text field has focus, for timers otherwise."""
        typing = isinstance(new, QLineEdit | QAbstractSpinBox | QPlainTextEdit)
        for shortcut in self.number_keys:
            shortcut.setEnabled(not typing)

    # ---- pages built on first use -------------------------------------------------------------

    def _place(self, index: int, page: QWidget) -> None:
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        old = self.tabs.widget(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, page, ("Session", "Day", "Week", "Codes")[index])
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
            from therapytimer.ui.models import CatalogModel

            table = table_view(CatalogModel(self.catalog))
            table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            self._codes = table
            self._place(3, table)
        return self._codes

    @property
    def mini(self) -> MiniWindow:
        if self._mini is None:
            from therapytimer.ui.mini import MiniWindow

            self._mini = MiniWindow()
            self._mini.back.connect(self.leave_mini)
            self._mini.pause.connect(self.pause_all)
        return self._mini

    def show_about(self) -> None:
        from therapytimer.ui.dialogs import AboutDialog

        AboutDialog.show_for(self, version(), self.workspace.db_path, self.workspace.context.log_dir)

    # ---- sessions -----------------------------------------------------------------------------

    def _fill_sessions(self, select: str | None = None) -> None:
        current = select or (self.panel.session.id if self.panel.session else None)
        open_sessions = self.timers.open_sessions()
        self.sessions.clear()
        for s in open_sessions:
            when = s.created_at.astimezone().strftime("%H:%M")
            self.sessions.addItem(f"{s.discipline.value} {when} · {s.patient}", s.id)
            self.sessions.setItemData(
                self.sessions.count() - 1, f"{s.patient} · {s.date.isoformat()}", Qt.ItemDataRole.ToolTipRole
            )
        ids = [s.id for s in open_sessions]
        if current not in ids:
            running = {seg.session_id for seg in self.timers.running()}
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

    def ask_clinician_name(self) -> bool:
        """On the first start, ask for the clinician's name once: the bill and the note name it."""
        if self.settings.provider or self.settings.clinician_asked:
            return False
        name = self.ask_name(self)
        self.prefs.update(provider=name or "", clinician_asked=True)
        return bool(name)

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
        if not self.ask_text(self, title, self.timers.summary(view.session.id), "Close session", copy=True):
            return False
        try:
            self.timers.close(view.session.id)
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
        if self._mini is not None and self._mini.isVisible():
            self._mini.show_view(self.panel.view)

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
        if self._mini is not None:
            self._mini.show_view(self.panel.view)

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.day.refresh()
        elif index == 2:
            self.week.refresh()
        elif index == 3:
            self.codes.setFocus()

    # ---- mini mode and closing ----------------------------------------------------------------

    def enter_mini(self) -> None:
        self.mini.show_view(self.panel.view)
        self.mini.show()
        self.hide()

    def leave_mini(self) -> None:
        self.mini.hide()
        self.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        problem = self.prefs.save()
        if problem:
            self.statusBar().showMessage(problem, 10000)
        self.ticker.stop()
        self.poller.stop()
        if self._mini is not None:
            self._mini.back.disconnect(self.leave_mini)  # closing the app: do not bring the window back
            self._mini.close()
        super().closeEvent(event)


def _ask_new_session(
    parent: QWidget | None, recent: list[str], payers: list[str], settings: Settings
) -> NewSession | None:
    from therapytimer.ui.dialogs import NewSessionDialog

    return NewSessionDialog.ask(parent, recent, payers, settings)


def _ask_text(parent: QWidget | None, title: str, text: str, ok_text: str = "OK", *, copy: bool = False) -> bool:
    from therapytimer.ui.dialogs import TextDialog

    return TextDialog.ask(parent, title, text, ok_text, copy=copy)


def _ask_settings(parent: QWidget | None, settings: Settings, payers: dict[str, Rule]) -> SettingsAnswer:
    from therapytimer.ui.dialogs import SettingsDialog

    return SettingsDialog.ask(parent, settings, payers)
