"""The day: today's sessions and the billable lines exactly as the CSV will have them, and Export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from therapytimer.core.clock import Clock
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.export import to_csv
from therapytimer.core.words import plural
from therapytimer.services.records import Records
from therapytimer.ui.models import ExportRowsModel
from therapytimer.ui.widgets import explained, nav_row, table_view


def choose_export_path(parent: QWidget, suggested: Path) -> Path | None:
    """The save dialog (the dialog itself asks before replacing a file); replaced in tests."""
    name, _ = QFileDialog.getSaveFileName(parent, "Export day", str(suggested), "CSV files (*.csv)")
    return Path(name) if name else None


class DayView(QWidget):
    message = Signal(str)

    def __init__(self, records: Records, clock: Clock) -> None:
        super().__init__()
        self.records, self.clock = records, clock
        self.day = clock.today()
        self.choose_path: Callable[[QWidget, Path], Path | None] = choose_export_path
        self.model = ExportRowsModel()
        self.title = QLabel()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = table = table_view(self.model)
        steps = (("◀ Previous day", -1), ("Today", 0), ("Next day ▶", 1))
        nav = nav_row([(text, partial(self.go, step)) for text, step in steps])
        self.export_button = QPushButton("Export day…")
        self.export_button.setToolTip("Save the day's billable lines as CSV for the biller")
        self.export_button.clicked.connect(self.export)
        nav.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(nav)
        layout.addWidget(self.summary)
        layout.addWidget(table, 1)
        layout.addWidget(self.status)
        self.refresh()

    def go(self, step: int) -> None:
        self.day = self.clock.today() if step == 0 else self.day + timedelta(days=step)
        self.status.setText("")
        self.refresh()

    def show_day(self, day: date) -> None:
        self.day = day
        self.refresh()

    def _rows(self) -> list[tuple[str, ...]]:
        day = self.records.day(self.day)
        self.summary.setText(
            ", ".join(
                f"{s.patient} ({s.discipline.value}{', open' if s.state.value == 'open' else ''})" for s in day.sessions
            )
            or "No sessions on this day."
        )
        return day.lines

    def refresh(self) -> None:
        self.title.setText(f"<h2>{self.day.strftime('%A %Y-%m-%d')}</h2>")
        try:
            self.model.set_rows(self._rows())
        except TherapyTimerError as exc:
            self.status.setText(f"Cannot show this day: {explained(exc)}")

    def export(self) -> bool:
        documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(
            Path.home()
        )
        path = self.choose_path(self, Path(documents) / f"therapytimer-{self.day.isoformat()}.csv")
        if path is None:
            return False
        try:
            lines = self._rows()
            self.records.write(path, to_csv(lines), force=True)  # the save dialog asked before replacing
        except TherapyTimerError as exc:
            self.status.setText(f"Not exported: {explained(exc)}")
            self.message.emit(f"Export failed: {explained(exc)}")
            return False
        self.model.set_rows(lines)  # the table shows exactly what was written
        self.status.setText(f"Exported {plural(len(lines), 'line')} to {path}")
        self.message.emit(f"Exported {path}")
        return True
