"""The active session at the bedside: big timer cards, one-tap favorites, and the live units.

The panel forwards taps to the timers use cases and shows what the core computes (`core.live`). An
action returns the new state and a tick only recomputes times from it and the clock: neither reads the
database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from therapytimer.core import stopwatch
from therapytimer.core.catalog import Catalog
from therapytimer.core.clock import Clock
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.live import LiveView, TimerRow, live_view
from therapytimer.core.rules import ASSISTANT_MODIFIER
from therapytimer.core.session import Session, SessionError, Who
from therapytimer.core.settings import Settings
from therapytimer.core.words import plural
from therapytimer.services.preferences import Preferences
from therapytimer.services.timers import Timers
from therapytimer.ui.models import LinesModel, TimersModel
from therapytimer.ui.widgets import bold_font, explained, table_view

CARD_STYLE = """
QFrame#card { border: 1px solid palette(mid); border-radius: 10px; }
QFrame#card[running="true"] { border: 4px solid palette(highlight); }
QLabel#warning { font-weight: bold; }
"""


def _discard(widget: QWidget | None) -> None:
    """Take a widget off screen now (deleteLater alone leaves it painted until the loop runs)."""
    if widget is not None:
        widget.hide()
        widget.setParent(None)
        widget.deleteLater()


class TimerCard(QFrame):
    """One code: number, name, elapsed m:ss, units, and a large start/pause button."""

    toggled = Signal(str)
    edit_requested = Signal(str)
    who_changed = Signal(str, str)
    remove_requested = Signal(str)
    still_treating = Signal(str)
    stop_at_requested = Signal(str)

    def __init__(self, row: TimerRow, position: int, show_who: bool) -> None:
        super().__init__()
        self.setObjectName("card")
        self.code = row.code
        self.title = QLabel()
        self.title.setFont(bold_font(13))
        self.title.setWordWrap(True)
        self.clock = QLabel()
        self.clock.setFont(bold_font(28, QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)))
        self.state = QLabel()
        self.units = QLabel()
        self.warning = QLabel()
        self.warning.setObjectName("warning")
        self.warning.setWordWrap(True)
        self.button = QPushButton()
        self.button.setMinimumHeight(56)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.clicked.connect(lambda: self.toggled.emit(self.code))
        self.edit = QPushButton("Set minutes…")
        self.edit.setToolTip("Set this code's minutes by hand (kept in the audit log with your reason)")
        self.edit.clicked.connect(lambda: self.edit_requested.emit(self.code))
        self.who = QComboBox()
        self.who.addItems([w.value for w in Who])
        self.who.setToolTip("Who is treating now: CQ/CO follow from the assistant's minutes alone")
        self.who.textActivated.connect(lambda text: self.who_changed.emit(self.code, text))
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.clock)
        line = QHBoxLayout()
        line.addWidget(self.state)
        line.addStretch()
        line.addWidget(self.units)
        layout.addLayout(line)
        layout.addWidget(self.warning)
        self.keep = QPushButton("Still treating")
        self.keep.setToolTip("Past the forgotten-timer limit: say the treatment goes on, so the timer counts on")
        self.keep.clicked.connect(lambda: self.still_treating.emit(self.code))
        self.stop = QPushButton("Stop at…")
        self.stop.setToolTip("Stop the timer when the treatment really ended (the limit's time is offered)")
        self.stop.clicked.connect(lambda: self.stop_at_requested.emit(self.code))
        answer = QHBoxLayout()
        answer.addWidget(self.keep)
        answer.addWidget(self.stop)
        layout.addLayout(answer)
        layout.addWidget(self.button)
        self.remove = QPushButton("Remove")
        self.remove.setToolTip("Take off a code added by mistake (codes with recorded time are kept for the audit)")
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self.code))
        bottom = QHBoxLayout()
        bottom.addWidget(self.edit)
        bottom.addWidget(self.who)
        bottom.addWidget(self.remove)
        layout.addLayout(bottom)
        self.position = position
        self.who.setHidden(not (show_who and row.timed))  # after the layout owns it: never a stray window
        self.show_row(row)

    def show_row(self, row: TimerRow) -> None:
        key = f"key {self.position}" if self.position <= 9 else "no key"
        badge = f"[{self.position}] " if self.position <= 9 else ""
        self.title.setText(f"{badge}{row.code}  {row.short_name}")
        self.clock.setText(row.clock_text if row.timed else "1 unit")
        self.units.setText(row.units_text + (f" · {' '.join(row.modifiers)}" if row.modifiers else ""))
        self.warning.setText(
            "⚠ Past the forgotten-timer limit: it counts no further until you say. Still treating?"
            if row.forgotten
            else ""
        )
        self.warning.setVisible(row.forgotten)
        self.keep.setVisible(row.forgotten)
        self.stop.setVisible(row.forgotten)
        if row.timed:
            self.state.setText("● RUNNING" if row.running else "❚❚ paused")
            self.button.setText("❚❚  Pause" if row.running else "▶  Start")
            self.button.setToolTip(f"{'Pause' if row.running else 'Start'} {row.code} ({key})")
        else:
            self.state.setText("service (untimed)")
            self.button.setText("Set minutes…")
            self.button.setToolTip("Minutes of an untimed service count toward total treatment time only")
            self.edit.hide()
        self.button.setEnabled(True)
        if row.who and self.who.currentText() != row.who.value:
            self.who.setCurrentText(row.who.value)
        self.who.setEnabled(row.running)
        if self.property("running") != row.running:
            self.setProperty("running", row.running)
            self.style().unpolish(self)
            self.style().polish(self)


class SessionPanel(QWidget):
    """Timer cards, favorites, search, untimed services and the live summary of the active session."""

    changed = Signal()
    message = Signal(str)
    unit_reached = Signal(str)
    limit_reached = Signal(str)

    def __init__(self, timers: Timers, prefs: Preferences, clock: Clock) -> None:
        super().__init__()
        self.timers, self.prefs, self.clock = timers, prefs, clock
        self.session: Session | None = None
        self.day_sessions: list[Session] = []
        self.view: LiveView | None = None
        self.ask_minutes: Callable[..., tuple[int, int, str] | None] = _ask_minutes
        self.ask_stop_time: Callable[[QWidget, str, datetime, datetime, datetime], datetime | None] = _ask_stop_time
        self.model = TimersModel()
        self.model.modelReset.connect(self._rebuild_cards)
        self.model.dataChanged.connect(self._update_cards)
        self.lines = LinesModel()
        self.cards: list[TimerCard] = []
        self.setStyleSheet(CARD_STYLE)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.heading = QLabel("No session yet: start one with New session (Ctrl+N).")
        self.heading.setFont(bold_font(15))
        self.error = QLabel()
        self.error.setObjectName("warning")
        self.error.setWordWrap(True)
        self.favorites = QGridLayout()
        self.untimed = QGridLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Add a code: type its number or name…")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self._add_from_search)
        self.grid = QGridLayout()
        grid_host = QWidget()
        grid_host.setLayout(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(grid_host)

        self.total = QLabel()
        self.total.setFont(bold_font(22))
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.cue = QLabel()
        self.cue.setObjectName("warning")
        table = table_view(self.lines)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.horizontalHeader().setStretchLastSection(True)
        self.lines_view = table
        summary = QFrame()
        summary.setFrameShape(QFrame.Shape.StyledPanel)
        side = QVBoxLayout(summary)
        for widget in (self.total, self.detail, self.cue, QLabel("<b>Next unit</b>"), self.hints, table):
            side.addWidget(widget)
        summary.setFixedWidth(380)

        left = QVBoxLayout()
        left.addWidget(self.heading)
        left.addWidget(self.error)
        left.addLayout(self.favorites)
        left.addWidget(self.search)
        left.addLayout(self.untimed)
        left.addWidget(scroll, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(summary)
        self._show_empty()

    @property
    def catalog(self) -> Catalog:
        return self.prefs.catalog

    @property
    def settings(self) -> Settings:
        return self.prefs.settings

    def changeEvent(self, event: QEvent) -> None:
        """Light/dark switched while running: re-apply the card style so the digits stay readable."""
        if event.type() == QEvent.Type.PaletteChange:
            self.setStyleSheet("")
            self.setStyleSheet(CARD_STYLE)
        super().changeEvent(event)

    # ---- what is shown ------------------------------------------------------------------------

    def set_session(self, session_id: str | None) -> None:
        self.session = self.timers.session(session_id) if session_id else None
        self._fill_buttons()
        self.reload()

    def reload(self) -> None:
        """Take the active session (and the patient's other sessions today) as the timers know them now,
        then redraw (after an action, what it returned: no database read)."""
        if self.session is not None:
            self.session = self.timers.session(self.session.id)
            self.day_sessions = self.timers.sessions_on(self.session.date)
        self.tick()

    def tick(self) -> None:
        """Recompute from stored timestamps and the clock: no database access."""
        if self.session is None:
            self.view = None
            self.model.set_rows([])
            self._show_empty()
            return
        before = self.view
        after = live_view(
            self.session,
            self.day_sessions,
            self.catalog,
            self.clock.now(),
            self.prefs.forgotten_after,
            before if before is not None and before.session.id == self.session.id else None,
            compliance=self.prefs.compliance,
        )
        self.view = after
        self.model.set_rows(after.rows)
        self.lines.set_lines(after.result.lines)
        s, r = self.session, after.result
        state = "open" if s.state.value == "open" else "closed"
        alias = s.patient if len(s.patient) <= 20 else s.patient[:19] + "…"  # the full alias is in the tooltip
        self.heading.setText(f"{alias} · {s.discipline.value} · {s.payer or r.rule.value} · {state}")
        self.heading.setToolTip(f"{s.patient} · {s.discipline.value} · {s.payer or r.rule.value} · {state}")
        self.total.setText(plural(r.total_units, "unit"))
        other = r.other_rule_units or 0
        today = f" · {after.sessions_today} sessions today" if after.sessions_today > 1 else ""
        self.detail.setText(
            f"{r.rule.long_name}{today}<br>Timed minutes <b>{r.total_timed_minutes}</b> · treatment minutes "
            f"<b>{r.total_treatment_minutes}</b><br>{r.rule.other.long_name}: {plural(other, 'unit')}"
        )
        self.hints.setText("<br>".join(h.text() for h in after.hints[:4]) or "—")
        self._check_cues(before, after)

    def _check_cues(self, before: LiveView | None, after: LiveView) -> None:
        """A visible cue (and optional sound) when the total or a code reaches a new unit, or a timer
        has run suspiciously long."""
        if before is None or before.session.id != after.session.id:
            return
        was = {r.code: r.units for r in before.rows}
        for row in after.rows:
            if row.units > was.get(row.code, 0):
                self._cue(f"{row.code} reached {plural(row.units, 'unit')}")
            if row.forgotten and not any(r.forgotten for r in before.rows if r.code == row.code):
                text = (
                    f"{row.code} has run past the {self.settings.forgotten_minutes}-minute limit and counts no "
                    "further: Still treating, or Stop at… on its card"
                )
                self._cue(text)
                self.limit_reached.emit(text)
                QApplication.beep()  # loud, whatever the sound setting: a timer may be billing nothing now
        if after.result.total_units > before.result.total_units:
            self._cue(f"Total: {plural(after.result.total_units, 'unit')}")

    def _cue(self, text: str) -> None:
        self.cue.setText(f"★ {text}")
        self.unit_reached.emit(text)
        if self.settings.sound:
            QApplication.beep()

    def _show_empty(self) -> None:
        if self.session is None:
            self.heading.setText("No session yet: start one with New session (Ctrl+N).")
            self.total.setText("—")
            self.detail.setText("")
            self.hints.setText("")
            self.lines.set_lines([])

    def _fill_buttons(self) -> None:
        for layout in (self.favorites, self.untimed):
            while layout.count():
                item = layout.takeAt(0)
                _discard(item.widget() if item else None)
        if self.session is None:
            return
        discipline = self.session.discipline.value
        for code in self.settings.favorites.get(discipline, []):
            if code in self.catalog and self.catalog.get(code).valid_on(self.session.date):
                spec = self.catalog.get(code)
                name = spec.short_name if len(spec.short_name) <= 24 else spec.short_name[:23] + "…"
                button = QPushButton(f"{'▶' if spec.timed else '+'} {code}\n{name}")
                button.setMinimumHeight(52)
                button.setToolTip(
                    f"{'Start timing' if spec.timed else 'Add the untimed service'} {code} {spec.short_name}"
                )
                action = self.start_code if spec.timed else self.add_service
                button.clicked.connect(lambda _=False, c=code, act=action: act(c))
                position = self.favorites.count()
                self.favorites.addWidget(button, position // 3, position % 3)
        for code in self.settings.untimed.get(discipline, []):
            if code in self.catalog and self.catalog.get(code).valid_on(self.session.date):
                spec = self.catalog.get(code)
                name = spec.short_name if len(spec.short_name) <= 18 else spec.short_name[:17] + "…"
                button = QPushButton(f"+ {code} {name}")
                button.setToolTip(f"Add the untimed service {code} {spec.short_name} (1 unit)")
                button.clicked.connect(lambda _=False, c=code: self.add_service(c))
                position = self.untimed.count()
                self.untimed.addWidget(button, position // 3, position % 3)
        timed = [s for s in stopwatch.codes_for(self.session, self.catalog) if s.kind.value == "timed"]
        completer = QCompleter([f"{s.code} {s.short_name}" for s in timed])
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._add_from_search)
        self.search.setCompleter(completer)

    def rebuild_cards(self) -> None:
        self._rebuild_cards()

    def _rebuild_cards(self) -> None:
        for card in self.cards:
            self.grid.removeWidget(card)
            _discard(card)
        self.cards = []
        show_who = (
            self.settings.assistants and self.session is not None and self.session.discipline in ASSISTANT_MODIFIER
        )
        for i in range(self.model.rowCount()):
            card = TimerCard(self.model.timer(i), i + 1, show_who)
            card.toggled.connect(self.toggle)
            card.edit_requested.connect(self.edit_minutes)
            card.who_changed.connect(self.set_who)
            card.remove_requested.connect(self.remove_code)
            card.still_treating.connect(self.still_treating)
            card.stop_at_requested.connect(self.stop_at)
            self.grid.addWidget(card, i // 2, i % 2)
            card.show()  # now, not when the event loop next runs
            self.cards.append(card)

    def _update_cards(
        self, top: QModelIndex | QPersistentModelIndex, bottom: QModelIndex | QPersistentModelIndex
    ) -> None:
        for i in range(top.row(), bottom.row() + 1):
            self.cards[i].show_row(self.model.timer(i))

    # ---- what the user does -------------------------------------------------------------------

    def _act(self, action: Callable[[], object]) -> bool:
        """Run a use case; on failure show why and keep the previous state on screen."""
        try:
            action()
        except TherapyTimerError as exc:
            self.error.setText(explained(exc))
            self.message.emit(explained(exc))
            return False
        self.error.setText("")
        self.reload()
        self.changed.emit()
        return True

    def _session_id(self) -> str:
        if self.session is None:
            raise SessionError("start a session first (Ctrl+N)")
        return self.session.id

    def toggle(self, code: str) -> bool:
        """Start or pause a timed code; an untimed card opens its minutes instead."""
        if self.session is None:
            return self._act(self._session_id)
        row = next((r for r in self.view.rows if r.code == code), None) if self.view else None
        if row is not None and not row.timed:
            return self.edit_minutes(code)
        if row is not None and row.running:
            return self._act(lambda: self.timers.pause(self._session_id(), code))
        return self.start_code(code)

    def toggle_nth(self, n: int) -> bool:
        """Keys 1-9: toggle the nth card."""
        return self.toggle(self.model.timer(n - 1).code) if 0 < n <= self.model.rowCount() else False

    def start_code(self, code: str) -> bool:
        return self._act(lambda: self.timers.start(self._session_id(), code))

    def add_code(self, code: str) -> bool:
        return self._act(lambda: self.timers.add_code(self._session_id(), code))

    def add_service(self, code: str) -> bool:
        """Add an untimed service once; tapping it again keeps the minutes already recorded."""
        if self.session is not None and any(c.code == code for c in self.session.codes):
            self.error.setText(f"{code} is already on this session: use Set minutes… on its card")
            return False
        return self._act(lambda: self.timers.add_service(self._session_id(), code))

    def remove_code(self, code: str) -> bool:
        return self._act(lambda: self.timers.remove_code(self._session_id(), code))

    def set_who(self, code: str, who: str) -> bool:
        return self._act(lambda: self.timers.set_who(self._session_id(), code, Who(who)))

    def still_treating(self, code: str) -> bool:
        """The clinician answers the limit cue: the treatment goes on (kept in the history)."""
        return self._act(lambda: self.timers.still_treating(self._session_id(), code))

    def stop_at(self, code: str) -> bool:
        """The clinician answers the limit cue: stop the timer when the treatment ended (the limit's time is
        offered; kept in the history)."""
        if self.session is None:
            return self._act(self._session_id)
        running = [s for s in self.session.running() if s.code == code]
        if not running:
            return self._act(lambda: self.timers.stop_at(self._session_id(), code, self.clock.now()))
        first = min(s.start for s in running)
        offered = min(running[-1].limit_end(self.prefs.forgotten_after), self.clock.now())
        when = self.ask_stop_time(self, code, first, offered, self.clock.now())
        if when is None:
            return False
        return self._act(lambda: self.timers.stop_at(self._session_id(), code, when))

    def pause_all(self) -> bool:
        return self._act(self.timers.pause_all)

    def edit_minutes(self, code: str) -> bool:
        if self.session is None:
            return self._act(self._session_id)
        time = self.session.code_time(code, self.clock.now())
        spec = self.catalog.get(code)
        if not spec.timed:
            answer = self.ask_minutes(self, code, time.minutes, None, reason=False)
            if answer is None:
                return False
            service_minutes = answer[0]
            return self._act(lambda: self.timers.add_service(self._session_id(), code, service_minutes))
        assistant = time.assistant_minutes if self.session.discipline in ASSISTANT_MODIFIER else None
        answer = self.ask_minutes(self, code, time.minutes, assistant)
        if answer is None:
            return False
        minutes, assistant_minutes, reason = answer
        return self._act(
            lambda: self.timers.correct(self._session_id(), code, minutes, assistant_minutes, reason=reason)
        )

    def _add_from_search(self, text: str | None = None) -> bool:
        """A code's number adds it (the core says why not, if it may not be added); a name adds the one
        code this session may add that matches it."""
        words = (text if isinstance(text, str) else self.search.text()).split()
        if not words:
            return False
        if self.session is None:
            return self._act(self._session_id)
        code = words[0].upper()
        if code not in self.catalog:
            needle = " ".join(words).lower()
            allowed = stopwatch.codes_for(self.session, self.catalog)
            matches = [s for s in allowed if needle in f"{s.code} {s.short_name}".lower()]
            if len(matches) != 1:
                self.error.setText(f"No single code matches {' '.join(words)!r}; pick one from the list")
                return False
            code = matches[0].code
        QTimer.singleShot(0, self.search.clear)  # after the completer has written its choice
        self.search.clear()
        done = self.add_code(code) if self.catalog.get(code).timed else self.add_service(code)
        if done:
            self.setFocus()  # keys 1-9 and Space work again
        return done


def _ask_minutes(
    parent: QWidget | None, code: str, minutes: int, assistant: int | None, *, reason: bool = True
) -> tuple[int, int, str] | None:
    from therapytimer.ui.dialogs import MinutesDialog

    return MinutesDialog.ask(parent, code, minutes, assistant, reason=reason)


def _ask_stop_time(
    parent: QWidget, code: str, earliest: datetime, offered: datetime, latest: datetime
) -> datetime | None:
    from therapytimer.ui.dialogs import StopTimeDialog

    return StopTimeDialog.ask(parent, code, earliest, offered, latest)
