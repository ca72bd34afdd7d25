"""The day: its sessions, what the day checks find, the billable lines exactly as the CSV will have them,
and Export (which lists what is unfinished first and offers to close it, or to export anyway)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from therapytimer.core.checks import Finding
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
        self.findings = QLabel()
        self.findings.setObjectName("warning")
        self.findings.setWordWrap(True)
        self.findings.setAccessibleName("What the day checks found")
        self.ask_unfinished: Callable[[QWidget, list[Finding]], str | None] = _ask_unfinished
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
        layout.addWidget(self.findings)
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
            "; ".join(
                f"{s.patient} · {s.discipline.value} · {s.rule.long_name}{' · open' if s.state.value == 'open' else ''}"
                for s in day.sessions
            )
            or "No sessions on this day."
        )
        found = self.records.findings(self.day)
        self.findings.setText("<br>".join(f"{'⛔' if f.severity.value == 'error' else '⚠'} {f.message}" for f in found))
        self.findings.setVisible(bool(found))
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
            day = self.records.day(self.day)
            if day.unfinished:  # listed first: close them, or export anyway, or neither
                answer = self.ask_unfinished(self, day.unfinished)
                if answer is None:
                    self.status.setText("Not exported: the day is not finished.")
                    return False
                if answer == "close":
                    for session in day.sessions:
                        if session.state.value == "open":
                            self.records.timers.close(session.id)
                    day = self.records.day(self.day)
            lines = day.lines
            self.records.write(path, to_csv(lines), force=True)  # the save dialog asked before replacing
        except TherapyTimerError as exc:
            self.status.setText(f"Not exported: {explained(exc)}")
            self.message.emit(f"Export failed: {explained(exc)}")
            return False
        self.refresh()
        self.model.set_rows(lines)  # the table shows exactly what was written
        self.status.setText(f"Exported {plural(len(lines), 'line')} to {path}")
        self.message.emit(f"Exported {path}")
        return True


def _ask_unfinished(parent: QWidget, findings: list[Finding]) -> str | None:
    """The day is not finished: "close" (close its open sessions, which stops their timers), "export"
    (export what is recorded anyway), or None (neither)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("The day is not finished")
    box.setText(
        "Before exporting, these are still open or running:\n\n" + "\n".join(f"• {f.message}" for f in findings)
    )
    close = box.addButton("Close the open sessions, then export", QMessageBox.ButtonRole.AcceptRole)
    anyway = box.addButton("Export anyway", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    return "close" if clicked is close else "export" if clicked is anyway else None
