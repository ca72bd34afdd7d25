"""The active session at the bedside: "Now timing" pinned on top, big timer cards, one-tap favorites, and
the live units.

The panel forwards taps to the timers use cases and shows what the core computes (`core.live`). An
action returns the new state and a tick only recomputes times from it and the clock: neither reads the
database, and a tick sets only the texts that changed. The patient's case (progress reports, plan of care,
threshold) is read after an action and when the day's units change.

Sizes are for a gloved finger at arm's length: every control is at least 44 px (48 for Start/Pause),
the running time at least 48 px tall, and fonts follow the application's (a larger text size in Settings
scales them). Below ~900 px the summary moves under the cards; at 360 px the cards stack one per row.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from functools import cache
from itertools import pairwise

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontDatabase,
    QFontInfo,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from therapytimer.core import stopwatch
from therapytimer.core.case import PLAN_MAX_DAYS
from therapytimer.core.catalog import Catalog
from therapytimer.core.clock import Clock
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.live import LiveView, TimerRow, code_history, live_view, short_label
from therapytimer.core.rules import ASSISTANT_MODIFIER
from therapytimer.core.session import Session, SessionError, Who
from therapytimer.core.settings import Settings
from therapytimer.core.words import plural
from therapytimer.services.cases import Cases, SessionCase
from therapytimer.services.preferences import Preferences
from therapytimer.services.timers import Timers
from therapytimer.ui.case_strip import CaseStrip
from therapytimer.ui.models import LinesModel, TimersModel
from therapytimer.ui.widgets import escaped, explained, table_view

TOUCH = 44  # px: the smallest control a gloved finger hits (about 10 mm)
MAIN_HEIGHT = 56  # px: Start/Pause, the main actions (48 is their floor)
WIDE = 900  # px: narrower panels put the summary under the cards
NARROWEST = 340  # px: the panel works down to this width (a 360 px window, less its frame)
SUMMARY_WIDTH = 360  # px: the summary column beside the cards
TWO_CARDS = 620  # px: a cards column at least this wide shows two cards a row
THREE_BUTTONS = 520  # px: ... and three favorites a row (two below)
SIX_SERVICES = 900  # px: ... and the untimed services in one row of six
ROOMY_NOW = 640  # px: "Now timing" puts its time, units and Pause on one line from this width
LABEL_WIDTH = 20  # characters per line of a favorite's or service's name (wrapped, never cut)


def _discard(widget: QWidget | None) -> None:
    """Take a widget off screen now (deleteLater alone leaves it painted until the loop runs)."""
    if widget is not None:
        widget.hide()
        widget.setParent(None)
        widget.deleteLater()


def _put(widget: QLabel | QAbstractButton, text: str) -> None:
    """Set a text only when it changed: a tick touches nothing else."""
    if widget.text() != text:
        widget.setText(text)


def _speak(widget: QWidget, name: str, description: str | None = None) -> None:
    """Accessible name (and description) for a screen reader, set only when they changed."""
    if widget.accessibleName() != name:
        widget.setAccessibleName(name)
    if description is not None and widget.accessibleDescription() != description:
        widget.setAccessibleDescription(description)


def _scaled(base: QFont, factor: float, *, bold: bool = False, at_least: int = 0, fixed: bool = False) -> QFont:
    """`base` (the application's font, which the text-size setting scales) times `factor`, in pixels."""
    font = QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)) if fixed else QFont(base)
    font.setPixelSize(max(at_least, round(QFontInfo(base).pixelSize() * factor)))
    font.setBold(bold)
    return font


@cache
def _wrapped(name: str) -> str:
    """A code's name for a button: abbreviated on purpose, then wrapped at words, never cut off (kept: every
    tick shows each favorite's name again)."""
    return textwrap.fill(short_label(name), LABEL_WIDTH, break_long_words=False, break_on_hyphens=False)


def _touch(widget: QWidget) -> None:
    widget.setMinimumSize(TOUCH, TOUCH)


def _regrid(grid: QGridLayout, widgets: Sequence[QWidget], columns: int) -> None:
    """Lay `widgets` out `columns` a row, each column as wide as the others."""
    for widget in widgets:
        grid.removeWidget(widget)
    for i, widget in enumerate(widgets):
        grid.addWidget(widget, i // columns, i % columns)
    for column in range(6):
        grid.setColumnStretch(column, 1 if column < columns else 0)


class TimerCard(QFrame):
    """One code: number and name, elapsed m:ss, units (or why none) and the next unit, a large start/pause
    button; setting minutes and who is treating below it; Remove and History behind "⋯"."""

    toggled = Signal(str)
    edit_requested = Signal(str)
    who_changed = Signal(str, str)
    remove_requested = Signal(str)
    history_requested = Signal(str)
    still_treating = Signal(str)
    stop_at_requested = Signal(str)

    def __init__(self, row: TimerRow, position: int, show_who: bool) -> None:
        super().__init__()
        self.setObjectName("card")
        self.code = row.code
        self.running = False
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.more = QToolButton()
        self.more.setText("⋯")
        _touch(self.more)
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more.setToolTip(f"More for {row.code}: its history, or remove it")
        self.more.setAccessibleName(f"More actions for {row.code}")
        menu = QMenu(self.more)
        self.history_action = QAction(f"History of {row.code}…", menu)
        self.history_action.triggered.connect(lambda: self.history_requested.emit(self.code))
        self.remove_action = QAction(f"Remove {row.code}", menu)
        self.remove_action.setToolTip("Take off a code added by mistake (codes with recorded time are kept)")
        self.remove_action.triggered.connect(lambda: self.remove_requested.emit(self.code))
        menu.addActions([self.history_action, self.remove_action])
        self.more.setMenu(menu)
        self.clock = QLabel()
        self.state = QLabel()
        self.units = QLabel()
        self.units.setWordWrap(True)
        self.units.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.why = QLabel()  # why no unit yet, under the units
        self.why.setWordWrap(True)
        self.next = QLabel()  # the next unit, prominent
        self.next.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.keep = QPushButton("Still treating")
        self.keep.setToolTip("Past the forgotten-timer limit: say the treatment goes on, so the timer counts on")
        self.keep.setAccessibleName(f"Still treating {row.code}")
        self.keep.clicked.connect(lambda: self.still_treating.emit(self.code))
        self.stop = QPushButton("Stop at…")
        self.stop.setToolTip("Stop the timer when the treatment really ended (the limit's time is offered)")
        self.stop.setAccessibleName(f"Stop {row.code} at a time")
        self.stop.clicked.connect(lambda: self.stop_at_requested.emit(self.code))
        self.button = QPushButton()
        self.button.setMinimumSize(TOUCH, MAIN_HEIGHT)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.clicked.connect(lambda: self.toggled.emit(self.code))
        self.edit = QPushButton("Set minutes…")
        self.edit.setToolTip("Set this code's minutes by hand (kept in the audit log with your reason)")
        self.edit.setAccessibleName(f"Set the minutes of {row.code}")
        self.edit.clicked.connect(lambda: self.edit_requested.emit(self.code))
        for widget in (self.keep, self.stop, self.edit):
            _touch(widget)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)  # inside the 4 px frame of a running card
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.more, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addWidget(self.clock)
        line = QHBoxLayout()
        line.addWidget(self.state)
        line.addWidget(self.units, 1)
        layout.addLayout(line)
        layout.addWidget(self.why)
        layout.addWidget(self.next)
        layout.addWidget(self.warning)
        answer = QHBoxLayout()
        answer.addWidget(self.keep)
        answer.addWidget(self.stop)
        layout.addLayout(answer)
        layout.addWidget(self.button)
        self.bottom = QHBoxLayout()
        self.bottom.addWidget(self.edit)
        layout.addLayout(self.bottom)
        self.position = position
        self.row = row
        self._who: QComboBox | None = None
        if show_who and row.timed:
            self.who.show()
        self._apply_fonts()
        self.show_row(row)

    @property
    def who(self) -> QComboBox:
        """Who is treating, beside Set minutes…: made when first shown or asked for, hidden until shown. It
        shows only when the settings say assistants treat (off by default), and a list field costs some 2 ms
        at start-up."""
        if self._who is None:
            who = self._who = QComboBox()
            who.addItems([w.value for w in Who])
            who.setToolTip("Who is treating now: CQ/CO follow from the assistant's minutes alone")
            who.setAccessibleName(f"Who is treating {self.code}")
            who.textActivated.connect(lambda text: self.who_changed.emit(self.code, text))
            _touch(who)
            self.bottom.addWidget(who, 1)
            who.hide()  # after the layout owns it: never a stray window
            self._show_who(self.row)
        return self._who

    def _show_who(self, row: TimerRow) -> None:
        who = self._who
        if who is None:
            return
        if row.who and who.currentText() != row.who.value:
            who.setCurrentText(row.who.value)
        who.setEnabled(row.running)

    def tab_chain(self) -> list[QWidget]:
        """The card's controls in Tab order (who is treating only once it exists)."""
        chain: list[QWidget] = [self.more, self.keep, self.stop, self.button, self.edit]
        return chain if self._who is None else [*chain, self._who]

    def _apply_fonts(self) -> None:
        base = self.font()
        self.title.setFont(_scaled(base, 1.3, bold=True))
        self.clock.setFont(_scaled(base, 2.4, bold=True, fixed=True))
        self.state.setFont(_scaled(base, 1.0, bold=True))
        self.units.setFont(_scaled(base, 1.2, bold=True))
        self.next.setFont(_scaled(base, 1.1, bold=True))
        self.warning.setFont(_scaled(base, 1.0, bold=True))
        self.button.setFont(_scaled(base, 1.2, bold=True))
        self.more.setFont(_scaled(base, 1.6, bold=True))

    def changeEvent(self, event: QEvent) -> None:
        """The text size changed: the card's sizes follow it."""
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """A thin frame, or a thick one in the highlight colour while the code runs: painted from the palette
        on every repaint, so it follows every state change and the theme (no dynamic-property stylesheet)."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = 4 if self.running else 1
        role = QPalette.ColorRole.Highlight if self.running else QPalette.ColorRole.Mid
        painter.setPen(QPen(self.palette().color(role), width))
        inset = width / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(inset, inset, -inset, -inset), 10, 10)

    def show_row(self, row: TimerRow) -> None:
        key = f"key {self.position}" if self.position <= 9 else "no key"
        badge = f"[{self.position}] " if self.position <= 9 else ""
        _put(self.title, f"{badge}{row.code}  {row.short_name}")
        _put(self.clock, row.clock_text if row.timed else "1 unit")
        _put(self.units, row.units_text + (f" · {' '.join(row.modifiers)}" if row.modifiers else ""))
        _put(self.why, f"No unit: {row.why_none}" if row.why_none else "")
        self.why.setVisible(bool(row.why_none))
        _put(self.next, f"Next unit: {row.next_text}" if row.next_text else "")
        self.next.setVisible(bool(row.next_text))
        if row.next_hint is not None and self.next.toolTip() != row.next_hint.text():
            self.next.setToolTip(row.next_hint.text())
        _put(
            self.warning,
            "⚠ Past the forgotten-timer limit: it counts no further until you say. Still treating?"
            if row.forgotten
            else "",
        )
        self.warning.setVisible(row.forgotten)
        self.keep.setVisible(row.forgotten)
        self.stop.setVisible(row.forgotten)
        if row.timed:
            _put(self.state, "● RUNNING" if row.running else "❚❚ paused")
            _put(self.button, "❚❚  Pause" if row.running else "▶  Start")
            verb = "Pause" if row.running else "Start"
            self.button.setToolTip(f"{verb} {row.code} ({key})")
            _speak(self.button, f"{verb} {row.code}", row.spoken)
        else:
            _put(self.state, "service (untimed)")
            _put(self.button, "Set minutes…")
            self.button.setToolTip("Minutes of an untimed service count toward total treatment time only")
            _speak(self.button, f"Set the minutes of {row.code}", row.spoken)
            self.edit.hide()
        _speak(self, row.spoken)
        self.button.setEnabled(True)
        self.row = row
        self._show_who(row)
        if self.running != row.running:
            self.running = row.running
            self.setProperty("running", row.running)  # for the theme and for tests; the frame is painted
            self.update()


class NowTiming(QFrame):
    """Pinned above everything that scrolls: the patient, the running code, its time in large digits, its
    units, a bar to its next unit, Pause and who is treating. With nothing running it says so and offers
    the code timed last."""

    toggled = Signal(str)
    who_changed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("now")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.code: str | None = None
        self.heading = QLabel("No session yet: start one with New session (Ctrl+N).")
        self.heading.setWordWrap(True)
        self.what = QLabel()
        self.what.setWordWrap(True)
        self.clock = QLabel()
        self.clock.setAccessibleName("Elapsed time")
        self.units = QLabel()
        self.units.setWordWrap(True)
        self.next = QLabel()
        self.next.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(18)
        self.bar.setAccessibleName("Progress to the next unit")
        self.button = QPushButton()
        self.button.setMinimumSize(100, MAIN_HEIGHT)
        self.button.clicked.connect(lambda: self.toggled.emit(self.code) if self.code else None)
        self.who_label = QLabel("Who is treating")
        self._who: QComboBox | None = None
        self.row: TimerRow | None = None
        self.stats = QWidget()  # units and next unit, one under the other
        stats = QVBoxLayout(self.stats)
        stats.setContentsMargins(0, 0, 0, 0)
        stats.addWidget(self.units)
        stats.addWidget(self.next)
        self.who_box = QWidget()
        self.who_row = QHBoxLayout(self.who_box)
        self.who_row.setContentsMargins(0, 0, 0, 0)
        self.who_row.addWidget(self.who_label)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(10, 8, 10, 10)
        self.roomy: bool | None = None
        self.set_roomy(True)
        self._apply_fonts()
        self.show_view(None, show_who=False)

    @property
    def who(self) -> QComboBox:
        """Who is treating: made when first shown or asked for, as on a card (TimerCard.who)."""
        if self._who is None:
            who = self._who = QComboBox()
            who.addItems([w.value for w in Who])
            who.setToolTip("Who is treating now: CQ/CO follow from the assistant's minutes alone")
            _touch(who)
            who.textActivated.connect(lambda text: self.who_changed.emit(self.code, text) if self.code else None)
            self.who_label.setBuddy(who)
            self.who_row.addWidget(who)
            self._show_who(self.row)
        return self._who

    def _show_who(self, row: TimerRow | None) -> None:
        who = self._who
        if who is None or row is None:
            return
        _speak(who, f"Who is treating {row.code}")
        if row.who and who.currentText() != row.who.value:
            who.setCurrentText(row.who.value)

    def tab_chain(self) -> list[QWidget]:
        """Pause, then who is treating once it exists."""
        return [self.button] if self._who is None else [self.button, self._who]

    def _apply_fonts(self) -> None:
        base = self.font()
        self.heading.setFont(_scaled(base, 1.15, bold=True))
        self.what.setFont(_scaled(base, 1.4, bold=True))
        self.clock.setFont(_scaled(base, 4.5, bold=True, at_least=48, fixed=True))
        self.units.setFont(_scaled(base, 1.5, bold=True))
        self.next.setFont(_scaled(base, 1.2, bold=True))
        self.button.setFont(_scaled(base, 1.3, bold=True))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    def set_roomy(self, roomy: bool) -> None:
        """Time, units, who and Pause on one line; or, narrow, time and Pause with the rest below."""
        if roomy == self.roomy:
            return
        self.roomy = roomy
        parts = (self.heading, self.what, self.clock, self.stats, self.who_box, self.button, self.bar)
        for widget in parts:
            self.grid.removeWidget(widget)
        g = self.grid
        if roomy:
            g.addWidget(self.heading, 0, 0, 1, 4)
            g.addWidget(self.what, 1, 0, 1, 4)
            g.addWidget(self.clock, 2, 0)
            g.addWidget(self.stats, 2, 1)
            g.addWidget(self.who_box, 2, 2)
            g.addWidget(self.button, 2, 3)
            g.addWidget(self.bar, 3, 0, 1, 4)
            g.setColumnStretch(1, 1)
        else:
            g.addWidget(self.heading, 0, 0, 1, 2)
            g.addWidget(self.what, 1, 0, 1, 2)
            g.addWidget(self.clock, 2, 0)
            g.addWidget(self.button, 2, 1)
            g.addWidget(self.stats, 3, 0, 1, 2)
            g.addWidget(self.bar, 4, 0, 1, 2)
            g.addWidget(self.who_box, 5, 0, 1, 2)
            g.setColumnStretch(1, 0)

    def show_view(self, view: LiveView | None, *, show_who: bool) -> None:
        """What runs now, from the live view (texts set only when they changed)."""
        row = view.now_row if view else None
        resumable = view is not None and view.session.state.value == "open"
        self.code = row.code if row else (view.last_code if view and resumable else None)
        for widget in (self.clock, self.stats, self.bar):
            widget.setVisible(row is not None)
        if row is not None:
            self.row = row
            if row.timed and show_who:
                self.who.show()
        self.who_box.setVisible(row is not None and row.timed and show_who)
        self.button.setVisible(self.code is not None)
        if view is None:
            _put(self.what, "")
            self.what.hide()
            return
        self.what.show()
        if row is None:
            _put(self.what, "Nothing is timing: tap a favorite, a card's Start, or type a code below")
            if self.code:
                _put(self.button, f"▶  Resume {self.code}")
                _speak(self.button, f"Resume {self.code}", "Start timing the code timed last again")
            return
        others = len(view.running) - 1
        also = f"  (+{others} more running)" if others else ""
        _put(self.what, f"● Now timing {row.code}  {row.short_name}{also}")
        _put(self.clock, row.clock_text)
        _put(self.units, row.units_text + (f" · {' '.join(row.modifiers)}" if row.modifiers else ""))
        _put(self.next, f"Next unit: {row.next_text}" if row.next_text else (row.why_none or ""))
        progress = row.progress
        self.bar.setVisible(progress is not None)
        value = round(1000 * progress) if progress is not None else 0
        if self.bar.value() != value:
            self.bar.setValue(value)
        _put(self.button, "❚❚  Pause")
        _speak(self.button, f"Pause {row.code}", row.spoken)
        self._show_who(row)


class SessionPanel(QWidget):
    """Now timing, favorites, search, untimed services, timer cards and the live summary of the active
    session."""

    changed = Signal()
    message = Signal(str)
    unit_reached = Signal(str)
    limit_reached = Signal(str)

    def __init__(self, timers: Timers, prefs: Preferences, clock: Clock, cases: Cases | None = None) -> None:
        super().__init__()
        self.timers, self.prefs, self.clock = timers, prefs, clock
        self.cases = cases
        self.session: Session | None = None
        self.day_sessions: list[Session] = []
        self.view: LiveView | None = None
        self.ask_minutes: Callable[..., tuple[int, int, str] | None] = _ask_minutes
        self.ask_stop_time: Callable[[QWidget, str, datetime, datetime, datetime], datetime | None] = _ask_stop_time
        self.ask_text: Callable[..., bool] = _ask_text
        self.model = TimersModel()
        self.model.modelReset.connect(self._rebuild_cards)
        self.model.dataChanged.connect(self._update_cards)
        self.lines = LinesModel()
        self.cards: list[TimerCard] = []
        self.favorite_buttons: dict[str, QPushButton] = {}
        self.untimed_buttons: list[QPushButton] = []
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.now = NowTiming()
        self.now.toggled.connect(self.toggle)
        self.now.who_changed.connect(self.set_who)
        self.heading = self.now.heading
        self.case = CaseStrip()
        self.case.report_changed.connect(self.set_progress_report)
        self.case.kx_changed.connect(self.set_kx)
        self.case.plan_requested.connect(self.edit_plan_of_care)
        self.header: SessionCase | None = None
        self.ask_plan: Callable[[QWidget, str, str, date, date], tuple[date, date] | None] = _ask_plan
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.favorites = QGridLayout()
        self.untimed = QGridLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Add a code: type a number or name")
        self.search.setToolTip("Enter starts a timed code or adds an untimed service (Ctrl+F or / to come here)")
        self.search.setAccessibleName("Add a code")
        self.search.setAccessibleDescription(
            "Type a code's number or name; Enter starts a timed code or adds an untimed service"
        )
        _touch(self.search)
        self.search.returnPressed.connect(self._add_from_search)
        self.find_keys = [QShortcut(QKeySequence(keys), self) for keys in ("Ctrl+F", "/")]
        for shortcut in self.find_keys:
            shortcut.activated.connect(self.focus_search)
        self.grid = QGridLayout()

        self.total = QLabel()
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.next_caption = QLabel("Next unit")
        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.hints.setTextFormat(Qt.TextFormat.RichText)
        self.cue = QLabel()
        self.cue.setWordWrap(True)
        table = table_view(self.lines)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setTabKeyNavigation(False)  # one Tab stop: Tab goes on to the next control
        table.horizontalHeader().setStretchLastSection(True)
        table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)  # as tall as its lines
        table.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        table.setAccessibleName("Billing lines")
        table.setAccessibleDescription("The day's claim lines for this patient: code, modifiers, minutes, units")
        self.lines_view = table
        self.summary = QFrame()
        self.summary.setFrameShape(QFrame.Shape.StyledPanel)
        side = QVBoxLayout(self.summary)
        for widget in (self.total, self.detail, self.cue, self.next_caption, self.hints, table):
            side.addWidget(widget)
        side.addStretch(1)

        self.left = QWidget()  # what scrolls: favorites, search, services, cards (and, narrow, the summary)
        self.column = QVBoxLayout(self.left)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.addLayout(self.favorites)
        self.column.addWidget(self.search)
        self.column.addLayout(self.untimed)
        self.column.addLayout(self.grid)
        self.column.addStretch(1)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its controls are the stops, not the area
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.area.setWidget(self.left)
        self.side = QScrollArea()  # the summary beside the cards when wide: scrolls on its own if short
        self.side.setWidgetResizable(True)
        self.side.setFrameShape(QFrame.Shape.NoFrame)
        self.side.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.side.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.side.setFixedWidth(SUMMARY_WIDTH)
        self.row = QHBoxLayout()  # the scrolling cards | the summary
        self.row.addWidget(self.area, 1)
        self.row.addWidget(self.side)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.now)
        layout.addWidget(self.case)
        layout.addWidget(self.error)
        layout.addLayout(self.row, 1)
        # Any layout may be squeezed to the narrowest width: the resize that squeezes it reflows it at once
        # (a two-column minimum would otherwise keep the window too wide to ever reach one column).
        self.setMinimumWidth(NARROWEST)
        self.wide: bool | None = None
        self.card_columns = 2
        self.button_columns = 3
        self.service_columns = 3
        self._apply_fonts()
        self._reflow(self.width())
        self._show_empty()

    @property
    def catalog(self) -> Catalog:
        return self.prefs.catalog

    @property
    def settings(self) -> Settings:
        return self.prefs.settings

    @property
    def show_who(self) -> bool:
        return self.settings.assistants and self.session is not None and self.session.discipline in ASSISTANT_MODIFIER

    def _apply_fonts(self) -> None:
        base = self.font()
        self.error.setFont(_scaled(base, 1.0, bold=True))
        self.total.setFont(_scaled(base, 2.2, bold=True))
        self.next_caption.setFont(_scaled(base, 1.1, bold=True))
        self.hints.setFont(_scaled(base, 1.1))
        self.cue.setFont(_scaled(base, 1.0, bold=True))

    def changeEvent(self, event: QEvent) -> None:
        """The text size changed: the panel's sizes follow it (the palette needs nothing: frames are
        painted from it)."""
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    # ---- layout that follows the width --------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._reflow(event.size().width())
        super().resizeEvent(event)

    def _reflow(self, width: int) -> None:
        """Two columns (cards | summary) from WIDE px, else one with the summary below; cards two a row
        when their column is wide enough, favorites three a row, else two."""
        wide = width >= WIDE
        if wide != self.wide:
            self.wide = wide
            if wide:  # beside the cards: it does not scroll with them
                self.column.removeWidget(self.summary)
                self.side.setWidget(self.summary)
            else:  # under the cards, scrolling with them
                self.side.takeWidget()
                self.column.insertWidget(self.column.count() - 1, self.summary)
            self.side.setVisible(wide)
        cards_width = width - (SUMMARY_WIDTH if wide else 0)
        self.now.set_roomy(width >= ROOMY_NOW)
        card_columns = 2 if cards_width >= TWO_CARDS else 1
        button_columns = 3 if cards_width >= THREE_BUTTONS else 2
        if card_columns != self.card_columns:
            self.card_columns = card_columns
            _regrid(self.grid, self.cards, card_columns)
        service_columns = 6 if cards_width >= SIX_SERVICES else button_columns
        if button_columns != self.button_columns:
            self.button_columns = button_columns
            _regrid(self.favorites, list(self.favorite_buttons.values()), button_columns)
            self._update_favorites()
        if service_columns != self.service_columns:
            self.service_columns = service_columns
            _regrid(self.untimed, self.untimed_buttons, service_columns)

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
        self._refresh_case()

    def _refresh_case(self) -> None:
        """The patient's case as of this session (read from the database: after an action, or when the
        day's units change, never on a plain tick)."""
        self.header = None
        if self.cases is None or self.session is None:
            self.case.show_case(None, None)
            return
        try:
            self.header = self.cases.for_session(self.session)
        except TherapyTimerError as exc:  # a stored session the catalog no longer knows, say
            self.case.show_case(None, None)
            self.error.setText(explained(exc))
            return
        self.case.show_case(self.header, self.session)

    def tick(self) -> None:
        """Recompute from stored timestamps and the clock: no database access, and only texts that changed
        are set."""
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
        self.now.show_view(after, show_who=self.show_who)
        self._update_favorites()
        s, r = self.session, after.result
        state = "open" if s.state.value == "open" else "closed"
        alias = s.patient if len(s.patient) <= 20 else s.patient[:19] + "…"  # the full alias is in the tooltip
        _put(self.heading, f"{alias} · {s.discipline.value} · {s.payer or r.rule.value} · {state}")
        full = f"{s.patient} · {s.discipline.value} · {s.payer or r.rule.value} · {state}"
        if self.heading.toolTip() != full:
            self.heading.setToolTip(full)
        _put(self.total, plural(r.total_units, "unit"))
        other = r.other_rule_units or 0
        today = f" · {after.sessions_today} sessions today" if after.sessions_today > 1 else ""
        _put(
            self.detail,
            f"{r.rule.long_name}{today}<br>Timed minutes <b>{r.total_timed_minutes}</b> · treatment minutes "
            f"<b>{r.total_treatment_minutes}</b><br>{r.rule.other.long_name}: {plural(other, 'unit')}",
        )
        hints = [escaped(h.text()) for h in after.hints[:4]]
        _put(self.hints, "<br>".join([f"<b>{hints[0]}</b>", *hints[1:]]) if hints else "—")
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
        if after.result.total_units != before.result.total_units:
            self._refresh_case()  # the threshold's amount moves with the units

    def _cue(self, text: str) -> None:
        self.cue.setText(f"★ {text}")
        self.unit_reached.emit(text)
        if self.settings.sound:
            QApplication.beep()

    def _show_empty(self) -> None:
        if self.session is None:
            self.heading.setText("No session yet: start one with New session (Ctrl+N).")
            self.now.show_view(None, show_who=False)
            self.total.setText("—")
            self.detail.setText("")
            self.hints.setText("")
            self.lines.set_lines([])

    def _fill_buttons(self) -> None:
        for layout in (self.favorites, self.untimed):
            while layout.count():
                item = layout.takeAt(0)
                _discard(item.widget() if item else None)
        self.favorite_buttons, self.untimed_buttons = {}, []
        if self.session is None:
            return
        discipline, day = self.session.discipline.value, self.session.date
        for code in self.settings.favorites.get(discipline, []):
            if code in self.catalog and self.catalog.get(code).valid_on(day) and code not in self.favorite_buttons:
                button = QPushButton()
                button.setCheckable(self.catalog.get(code).timed)  # checked while it runs
                button.setMinimumSize(TOUCH, 60)  # three lines: its state, then its name on two
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                button.clicked.connect(lambda _=False, c=code: self.tap_favorite(c))
                self.favorite_buttons[code] = button
        for code in self.settings.untimed.get(discipline, []):
            if code in self.catalog and self.catalog.get(code).valid_on(day):
                spec = self.catalog.get(code)
                button = QPushButton(f"+ {code}\n{_wrapped(spec.short_name)}")
                button.setToolTip(f"Add the untimed service {code} {spec.short_name} (1 unit)")
                button.setAccessibleName(f"Add {code} {spec.short_name}")
                button.setAccessibleDescription("An untimed service: 1 unit")
                button.setMinimumSize(TOUCH, TOUCH)
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                button.clicked.connect(lambda _=False, c=code: self.add_service(c))
                self.untimed_buttons.append(button)
        _regrid(self.favorites, list(self.favorite_buttons.values()), self.button_columns)
        _regrid(self.untimed, self.untimed_buttons, self.service_columns)
        self._update_favorites()
        self._tab_order()
        timed = [s for s in stopwatch.codes_for(self.session, self.catalog) if s.kind.value == "timed"]
        completer = QCompleter([f"{s.code} {s.short_name}" for s in timed])
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._add_from_search)
        self.search.setCompleter(completer)

    def _update_favorites(self) -> None:
        """Each favorite shows its live state: "● 97110 running · 12:40" while it runs (checked), its time
        once timed, else what a tap does. Only a text that changed is set."""
        rows = {r.code: r for r in self.view.rows} if self.view else {}
        roomy = self.button_columns == 3
        for code, button in self.favorite_buttons.items():
            spec = self.catalog.get(code)
            row = rows.get(code)
            if row is not None and row.running:
                head = f"● {code} running · {row.clock_text}" if roomy else f"● {code} · {row.clock_text}"
                name = f"Pause {code} {spec.short_name}"
            elif row is not None and row.timed and row.seconds:
                head, name = f"▶ {code} · {row.clock_text}", f"Start {code} {spec.short_name}"
            elif spec.timed:
                head, name = f"▶ {code}", f"Start {code} {spec.short_name}"
            else:
                head, name = f"+ {code}", f"Add {code} {spec.short_name}"
            _put(button, f"{head}\n{_wrapped(spec.short_name)}")
            _speak(button, name, row.spoken if row is not None else None)
            running = row is not None and row.running
            if button.isChecked() != running:
                button.setChecked(running)
            tip = f"{'Pause' if running else 'Start timing' if spec.timed else 'Add'} {code} {spec.short_name}"
            if button.toolTip() != tip:
                button.setToolTip(tip)

    def rebuild_cards(self) -> None:
        self._rebuild_cards()

    def _rebuild_cards(self) -> None:
        for card in self.cards:
            self.grid.removeWidget(card)
            _discard(card)
        self.cards = []
        for i in range(self.model.rowCount()):
            card = TimerCard(self.model.timer(i), i + 1, self.show_who)
            card.toggled.connect(self.toggle)
            card.edit_requested.connect(self.edit_minutes)
            card.who_changed.connect(self.set_who)
            card.remove_requested.connect(self.remove_code)
            card.history_requested.connect(self.show_code_history)
            card.still_treating.connect(self.still_treating)
            card.stop_at_requested.connect(self.stop_at)
            self.cards.append(card)
        _regrid(self.grid, self.cards, self.card_columns)
        for card in self.cards:
            card.show()  # now, not when the event loop next runs
        self._tab_order()

    def _tab_order(self) -> None:
        """Tab goes down the panel as it reads: Now timing, favorites, Add a code, services, each card, then
        the summary table (one stop), whatever was built first."""
        chain: list[QWidget] = [*self.now.tab_chain(), *self.favorite_buttons.values(), self.search]
        chain += self.untimed_buttons
        for card in self.cards:
            chain += card.tab_chain()
        chain.append(self.lines_view)
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _update_cards(
        self, top: QModelIndex | QPersistentModelIndex, bottom: QModelIndex | QPersistentModelIndex
    ) -> None:
        for i in range(top.row(), bottom.row() + 1):
            self.cards[i].show_row(self.model.timer(i))

    # ---- what the user does -------------------------------------------------------------------

    def focus_search(self) -> None:
        """Ctrl+F or "/": type a code to start it."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
        self.area.ensureWidgetVisible(self.search)

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

    def tap_favorite(self, code: str) -> bool:
        """A favorite starts its code, pauses it while it runs, or adds an untimed service."""
        if code in self.catalog and not self.catalog.get(code).timed:
            return self.add_service(code)
        return self.toggle(code)

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

    def show_code_history(self, code: str) -> bool:
        """One code's starts, stops and corrections, from the session in memory (no database read)."""
        if self.session is None:
            return False
        events = code_history(self.session, code)
        text = "\n".join(f"{when.astimezone():%H:%M:%S}  {what}" for when, what in events) or "No events yet."
        return self.ask_text(self, f"History of {code}: {self.session.patient}", text)

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

    def set_progress_report(self, written: bool) -> bool:
        """The tick box: this visit's progress report was written (or not, after all)."""
        return self._act(lambda: self.timers.mark(self._session_id(), progress_report=written))

    def set_kx(self, on: bool) -> bool:
        """Add KX to this visit's lines (asked first: it is a statement about medical necessity), or remove it."""
        if on and self.session is not None:
            text = (
                f"Add the KX modifier to {self.session.patient}'s {self.session.discipline.value} lines of "
                f"{self.session.date}?\n\nKX says the therapy past the year's threshold is medically necessary, "
                "and the treatment notes must support it. The threshold here counts only this app's sessions."
            )
            if not self.ask_text(self, "Add KX", text, "Add KX"):
                return False
        return self._act(lambda: self.timers.mark(self._session_id(), kx=on))

    def edit_plan_of_care(self) -> bool:
        """Enter the certified period of this discipline's plan of care (the one in force, if entered)."""
        if self.cases is None or self.session is None:
            return False
        s, cases = self.session, self.cases
        plans = [p for p in cases.plans(s.patient) if p.discipline is s.discipline and p.covers(s.date)]
        start, end = (plans[-1].start, plans[-1].end) if plans else (s.date, s.date + timedelta(days=PLAN_MAX_DAYS - 1))
        answer = self.ask_plan(self, s.patient, s.discipline.value, start, end)
        if answer is None:
            return False
        return self._act(lambda: cases.set_plan(s.patient, s.discipline, *answer))

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
        """A code's number starts it (timed) or adds it (untimed); the core says why not, if it may not. A
        name does the same with the one code this session may add that matches it."""
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
        running = self.view is not None and any(r.code == code and r.running for r in self.view.rows)
        if running:
            done = True  # already timing: typing it again never pauses it
        elif self.catalog.get(code).timed:
            done = self.start_code(code)
        else:
            done = self.add_service(code)
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


def _ask_plan(parent: QWidget, patient: str, discipline: str, start: date, end: date) -> tuple[date, date] | None:
    from therapytimer.ui.dialogs import PlanOfCareDialog

    return PlanOfCareDialog.ask(parent, patient, discipline, start, end)


def _ask_text(parent: QWidget | None, title: str, text: str, ok_text: str = "OK", *, copy: bool = False) -> bool:
    from therapytimer.ui.dialogs import TextDialog

    return TextDialog.ask(parent, title, text, ok_text, copy=copy)
