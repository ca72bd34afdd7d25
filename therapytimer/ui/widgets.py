"""Small building blocks the pages share: bold fonts, read-only tables, navigation rows, and the advice
the window adds to a problem from below."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QPushButton, QTableView

from therapytimer.core.errors import Hint, TherapyTimerError


def bold_font(points: int, base: QFont | None = None) -> QFont:
    font = QFont(base) if base is not None else QFont()
    font.setPointSize(points)
    font.setBold(True)
    return font


def table_view(model: QAbstractItemModel) -> QTableView:
    """A read-only table sized to its contents, without row numbers."""
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def nav_row(buttons: Sequence[tuple[str, Callable[[], object]]]) -> QHBoxLayout:
    """Previous / this / next buttons, left-aligned."""
    row = QHBoxLayout()
    for text, slot in buttons:
        button = QPushButton(text)
        button.clicked.connect(lambda _=False, slot=slot: slot())
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
