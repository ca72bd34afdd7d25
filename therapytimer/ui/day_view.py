"""The day: its sessions, what the day checks find, the billable lines exactly as the CSV will have them,
and Export (which lists what is unfinished first and offers to close it, or to export anyway).

Export starts in the folder the last export went to (else Documents, else the home folder: never the
working folder a launcher happened to start in) and, once written, offers to show the file's folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
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
from therapytimer.ui.widgets import MAIN, explained, nav_row, table_view, touch


def choose_export_path(parent: QWidget, suggested: Path) -> Path | None:
    """The save dialog (the dialog itself asks before replacing a file); replaced in tests."""
    name, _ = QFileDialog.getSaveFileName(parent, "Export day", str(suggested), "CSV files (*.csv)")
    return Path(name) if name else None


def documents_folder() -> Path:
    """Where a first export is offered: Documents if the system names one that exists, else home."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


class DayView(QWidget):
    message = Signal(str)

    def __init__(self, records: Records, clock: Clock) -> None:
        super().__init__()
        self.records, self.clock = records, clock
        self.day = clock.today()
        self.choose_path: Callable[[QWidget, Path], Path | None] = choose_export_path
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        saved = records.context.prefs.settings.export_folder
        self.folder: Path | None = Path(saved) if saved else None  # where the last export went
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
        self.show_folder = touch(QPushButton("Show in folder"), name="Show the exported file in its folder")
        self.show_folder.setToolTip("Open the folder the day was exported to")
        self.show_folder.clicked.connect(self.open_folder)
        self.show_folder.hide()
        self.table = table = table_view(self.model)
        table.setAccessibleName("The day's billable lines, as the export writes them")
        steps = (("◀ Previous day", -1), ("Today", 0), ("Next day ▶", 1))
        nav = nav_row([(text, partial(self.go, step)) for text, step in steps])
        self.export_button = touch(QPushButton("Export day…"), MAIN, "Export day")
        self.export_button.setToolTip("Save the day's billable lines as CSV for the biller")
        self.export_button.clicked.connect(self.export)
        nav.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(nav)
        layout.addWidget(self.summary)
        layout.addWidget(self.findings)
        layout.addWidget(table, 1)
        done = QHBoxLayout()
        done.addWidget(self.status, 1)
        done.addWidget(self.show_folder)
        layout.addLayout(done)
        self.refresh()

    def go(self, step: int) -> None:
        self.day = self.clock.today() if step == 0 else self.day + timedelta(days=step)
        self.status.setText("")
        self.show_folder.hide()
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
        self.findings.setText("<br>".join(f"{'✖' if f.severity.value == 'error' else '⚠'} {f.message}" for f in found))
        self.findings.setVisible(bool(found))
        return day.lines

    def refresh(self) -> None:
        self.title.setText(f"<h2>{self.day.strftime('%A %Y-%m-%d')}</h2>")
        try:
            self.model.set_rows(self._rows())
        except TherapyTimerError as exc:
            self.status.setText(f"Cannot show this day: {explained(exc)}")

    def export(self) -> bool:
        folder = self.folder if self.folder is not None and self.folder.is_dir() else documents_folder()
        path = self.choose_path(self, folder / f"therapytimer-{self.day.isoformat()}.csv")
        self.show_folder.hide()
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
        self.folder = path.parent
        prefs = self.records.context.prefs
        prefs.settings.export_folder = str(path.parent)  # kept for the next run, without redrawing every page
        problem = prefs.save()
        self.status.setText(f"Exported {plural(len(lines), 'line')} to {path}" + (f" ({problem})" if problem else ""))
        self.show_folder.show()
        self.message.emit(f"Exported {path}")
        return True

    def open_folder(self) -> bool:
        """Show the last export's folder in the system's file manager."""
        return self.folder is not None and self.open_url(QUrl.fromLocalFile(str(self.folder)))


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
