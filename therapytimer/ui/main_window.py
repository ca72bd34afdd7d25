"""The main window: sessions toolbar, the bedside panel, the day, the week and the code catalog.

It wires widgets to the store and forwards; what to show comes from the core. A 250 ms ticker runs
only while a timer is running, and only cells whose text changed are repainted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

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
    QLabel,
    QLineEdit,
    QMainWindow,
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
from therapytimer.core.clock import Clock
from therapytimer.core.exchange import ExchangeError, parse_sessions
from therapytimer.core.live import note_text
from therapytimer.core.session import Session, SessionError
from therapytimer.core.settings import Settings
from therapytimer.storage.database import StoreError
from therapytimer.storage.store import Store
from therapytimer.ui.catalog_model import CatalogModel
from therapytimer.ui.day_view import DayView
from therapytimer.ui.dialogs import AboutDialog, NewSessionDialog, SettingsDialog, TextDialog
from therapytimer.ui.mini import MiniWindow
from therapytimer.ui.session_panel import SessionPanel
from therapytimer.ui.week_view import WeekView

TICK_MS = 250  # at most four repaints a second


def choose_import_path(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Import sessions", "", "TherapyTimer sessions (*.json)")
    return Path(name) if name else None


class MainWindow(QMainWindow):
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
        *,
        save_settings: Callable[[Settings], None] = lambda _s: None,
        base_catalog: Catalog | None = None,
    ) -> None:
        super().__init__()
        self.store, self.catalog, self.clock, self.settings = store, catalog, clock, settings
        self.base_catalog = base_catalog or catalog  # before the clinic's fee table was applied
        self.save_settings = save_settings
        self.ask_new_session = NewSessionDialog.ask
        self.ask_text = TextDialog.ask
        self.ask_settings = SettingsDialog.ask
        self.ask_import_path: Callable[[QWidget], Path | None] = choose_import_path
        self.setWindowTitle("TherapyTimer")

        self.panel = SessionPanel(store, catalog, clock, settings)
        self.panel.changed.connect(self._after_change)
        self.panel.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.panel.unit_reached.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.day = DayView(store, catalog, clock)
        self.day.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.week = WeekView(store, catalog, clock, settings)
        self.model = CatalogModel(catalog)
        codes = QTableView()
        codes.setModel(self.model)
        codes.verticalHeader().hide()
        codes.setWordWrap(False)
        codes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        codes.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table = codes

        self.tabs = QTabWidget()
        self.tabs.addTab(self.panel, "Session")
        self.tabs.addTab(self.day, "Day")
        self.tabs.addTab(self.week, "Week")
        self.tabs.addTab(codes, "Codes")
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
        self.mini = MiniWindow()
        self.mini.back.connect(self.leave_mini)
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self.tick)
        QApplication.instance().focusChanged.connect(self._focus_changed)  # type: ignore[union-attr]
        self.resize(1180, 760)
        if settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode()))
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
        self.pause_action = action("Pause all", self.pause_all, "Pause every running timer", "Space")
        self.mini_action = action("Mini mode", self.enter_mini, "A small always-on-top window")
        self.history_action = action("History…", self.show_history, "Starts, stops and corrections of this session")
        for act in (self.new_action, self.close_action, self.pause_action, self.mini_action):
            bar.addAction(act)
        self.pause_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        menu = self.menuBar()
        session_menu = menu.addMenu("&Session")
        for act in (self.new_action, self.close_action, self.history_action, self.pause_action, self.mini_action):
            session_menu.addAction(act)
        data = menu.addMenu("&Data")
        data.addAction(action("Export day…", self.day.export, "Save the day's billable lines as CSV"))
        data.addAction(action("Import sessions…", self.import_sessions, "Add sessions from a JSON file"))
        data.addAction(action("Settings…", self.edit_settings, "Payers, favorites, timers, week start, sound"))
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(
            action("About TherapyTimer", lambda: AboutDialog.show_for(self, version(), self.store.path), "Version")
        )
        self.number_keys = []
        for n in range(1, 10):
            shortcut = QShortcut(QKeySequence(str(n)), self)
            shortcut.activated.connect(lambda n=n: self.panel.toggle_nth(n))
            self.number_keys.append(shortcut)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Digits and Space are for typing while a text field has focus, for timers otherwise."""
        typing = isinstance(new, QLineEdit | QAbstractSpinBox | QPlainTextEdit)
        for shortcut in self.number_keys:
            shortcut.setEnabled(not typing)
        self.pause_action.setEnabled(not typing)

    # ---- sessions -----------------------------------------------------------------------------

    def _fill_sessions(self, select: str | None = None) -> None:
        current = select or (self.panel.session.id if self.panel.session else None)
        open_sessions = self.store.open_sessions()
        self.sessions.clear()
        for s in open_sessions:
            when = s.created_at.astimezone().strftime("%H:%M")
            self.sessions.addItem(f"{s.patient} · {s.discipline.value} · {s.date.isoformat()} {when}", s.id)
        ids = [s.id for s in open_sessions]
        if current not in ids:
            running = {seg.session_id for seg in self.store.running()}
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
        """After a crash or kill: say which timers came back; they go on from their stored start."""
        running = self.store.running()
        if not running:
            return
        by_session: dict[str, int] = {}
        for seg in running:
            by_session[seg.session_id] = by_session.get(seg.session_id, 0) + 1
        parts = []
        for session_id, count in by_session.items():
            s = self.store.session(session_id)
            parts.append(f"{count} running timer{'s' if count > 1 else ''} for {s.patient} ({s.discipline.value})")
        self.banner_text.setText("Recovered " + "; ".join(parts) + ". They go on with the right time.")
        self.banner.show()

    def new_session(self) -> Session | None:
        recent = sorted({s.patient for s in self.store.open_sessions()} | self._recent_patients())
        answer = self.ask_new_session(self, recent, sorted(self.store.payers()), self.settings)
        if answer is None:
            return None
        try:
            session = self.store.open_session(
                answer.patient, answer.discipline, payer=answer.payer, provider=answer.provider, role=answer.role
            )
        except (SessionError, StoreError) as exc:
            self.statusBar().showMessage(str(exc), 10000)
            self.panel.error.setText(str(exc))
            return None
        self.settings.last_discipline = answer.discipline.value
        self.settings.default_payer = answer.payer
        self.save_settings(self.settings)
        self.panel.set_session(session.id)
        self._fill_sessions(session.id)
        self.tabs.setCurrentWidget(self.panel)
        return session

    def _recent_patients(self) -> set[str]:
        today = self.clock.today()
        return {s.patient for s in self.store.sessions_between(today - timedelta(days=14), today)}

    def close_session(self) -> bool:
        view = self.panel.view
        if view is None:
            return False
        if not self.ask_text(
            self, f"Close session: {view.session.patient}", note_text(view), "Close session", copy=True
        ):
            return False
        try:
            self.store.close_session(view.session.id)
        except (SessionError, StoreError) as exc:
            self.statusBar().showMessage(str(exc), 10000)
            return False
        self.panel.set_session(None)
        self._fill_sessions()
        self._after_change()
        return True

    def show_history(self) -> None:
        session = self.panel.session
        if session is None:
            return
        events = self.store.session(session.id).history()
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
            added, skipped = self.store.import_sessions(
                parse_sessions(path.read_text(encoding="utf-8-sig"), self.catalog)
            )
        except ExchangeError as exc:
            self.ask_text(self, "Nothing was imported", "\n".join(exc.problems))
            return False
        except (OSError, UnicodeDecodeError, StoreError) as exc:
            self.ask_text(self, "Nothing was imported", str(exc))
            return False
        self.statusBar().showMessage(f"Imported {path.name}: {added} added, {skipped} skipped", 10000)
        self._after_change()
        return True

    def edit_settings(self) -> bool:
        accepted, payer = self.ask_settings(self, self.settings, self.store.payers())
        if not accepted:
            return False
        if payer is not None:
            try:
                self.store.set_payer(*payer)
            except (SessionError, StoreError) as exc:
                self.statusBar().showMessage(str(exc), 10000)
        self.save_settings(self.settings)
        catalog, problems = self.base_catalog.with_fees(self.settings.fees)
        if problems:
            self.statusBar().showMessage("; ".join(problems), 15000)
        for holder in (self, self.panel, self.day, self.week, self.store):
            holder.catalog = catalog
        self.panel.set_session(self.panel.session.id if self.panel.session else None)
        self.week.refresh()
        return True

    # ---- time ---------------------------------------------------------------------------------

    def _sync_ticker(self) -> None:
        """Tick only while something runs: an idle window costs no CPU."""
        if self.store.running():
            if not self.ticker.isActive():
                self.ticker.start()
        else:
            self.ticker.stop()

    def tick(self) -> None:
        self.panel.tick()
        if self.mini.isVisible():
            self.mini.show_view(self.panel.view)

    def _after_change(self) -> None:
        self._fill_sessions()
        if self.tabs.currentWidget() is self.day:
            self.day.refresh()
        if self.tabs.currentWidget() is self.week:
            self.week.refresh()
        self.mini.show_view(self.panel.view)

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.day:
            self.day.refresh()
        elif self.tabs.currentWidget() is self.week:
            self.week.refresh()

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
        self.save_settings(self.settings)
        self.ticker.stop()
        self.mini.close()
        super().closeEvent(event)
