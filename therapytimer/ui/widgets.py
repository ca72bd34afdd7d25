"""Small building blocks the pages share: fonts that follow the text size, read-only tables, navigation
rows, buttons a gloved finger can hit, and the advice the window adds to a problem from below."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QAction, QFont, QFontDatabase, QFontInfo
from PySide6.QtWidgets import QAbstractButton, QApplication, QHBoxLayout, QHeaderView, QPushButton, QTableView, QWidget

from therapytimer.core.errors import Hint, TherapyTimerError

TOUCH = 44  # the smallest control a gloved finger hits (about 10 mm), logical px at 100 %
MAIN = 48  # main actions: a little larger still
_W = TypeVar("_W", bound=QWidget)
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escaped(text: str) -> str:
    """`text` for a rich-text label, as `html.escape` gives it (the html module and its entity tables are
    not worth loading at start-up for this)."""
    return text.translate(_ESCAPES)


def scaled_font(factor: float, *, bold: bool = True, fixed: bool = False, at_least: int = 0) -> QFont:
    """The application's font (which the text-size setting scales) times `factor`, in pixels, at least
    `at_least`; the system's fixed-width font for digits that must not jump as they change."""
    base = QApplication.font()
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if fixed else QFont(base)
    font.setPixelSize(max(at_least, round(QFontInfo(base).pixelSize() * factor)))
    font.setBold(bold)
    return font


def touch(widget: _W, height: int = TOUCH, name: str = "") -> _W:
    """At least `height` px tall and wide, and named for a screen reader. A tap does not take the keyboard
    focus (Tab still reaches it): Space and the digit keys go on working the timers after a tap."""
    widget.setMinimumHeight(height)
    # Only a narrow control (a glyph) gets a minimum width: one set on a text button would replace the width
    # its text needs, and a tight layout would then cut "+ New session" to "+ New sessior".
    if max(widget.minimumWidth(), widget.minimumSizeHint().width()) < height:
        widget.setMinimumWidth(height)
    if isinstance(widget, QAbstractButton):
        widget.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    if name:
        widget.setAccessibleName(name)
    return widget


def action_button(action: QAction, text: str, name: str, height: int = MAIN) -> QPushButton:
    """A large button for a window action: it triggers the action (which keeps the shortcut and the menu
    entry) and is enabled when the action is."""
    button = QPushButton(text)
    button.setToolTip(action.toolTip())
    button.clicked.connect(action.trigger)
    action.enabledChanged.connect(button.setEnabled)
    button.setEnabled(action.isEnabled())
    touch(button, height, name)
    return button


def table_view(model: QAbstractItemModel) -> QTableView:
    """A read-only table sized to its contents, without row numbers. Tab leaves it (arrows move inside), so
    it is one stop on the way through the window, never a trap."""
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def nav_row(buttons: Sequence[tuple[str, Callable[[], object]]]) -> QHBoxLayout:
    """Previous / this / next buttons, left-aligned, each a finger's size."""
    row = QHBoxLayout()
    for text, slot in buttons:
        button = QPushButton(text)
        button.clicked.connect(lambda _=False, slot=slot: slot())
        touch(button, name=text.strip("◀▶ "))
        row.addWidget(button)
    row.addStretch()
    return row


def explained(error: TherapyTimerError) -> str:
    """The problem, then what to do about it from the window (the command line words it its own way)."""
    subject = error.subject or "FILE"
    todo = {
        Hint.FORCE: "choose another name",
        Hint.OTHER_FILE: "start TherapyTimer with another database file: therapytimer --db FILE",
        Hint.INIT: f"to start a new database in it, run: therapytimer init --db {subject}",
        Hint.DISCIPLINE: "choose the session's discipline",
        None: "",
    }[error.hint]
    text = str(error).rstrip(".")
    return text + (f"; {todo}." if todo else ".")
