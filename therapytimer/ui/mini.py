"""The compact, always-on-top mini window: the running code, its time and the total units."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from therapytimer.core.live import LiveView
from therapytimer.core.words import plural
from therapytimer.ui.widgets import bold_font


class MiniWindow(QWidget):
    back = Signal()
    pause = Signal()

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle("TherapyTimer")
        self.label = QLabel("No timer running")
        self.label.setFont(bold_font(18))
        pause = QPushButton("❚❚")
        pause.setToolTip("Pause every running timer")
        pause.clicked.connect(self.pause.emit)
        button = QPushButton("⤢")
        button.setToolTip("Back to the full window")
        button.clicked.connect(self.back.emit)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(pause)
        layout.addWidget(button)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the mini window goes back to the full one: timers must never run out of sight."""
        self.back.emit()
        super().closeEvent(event)

    def show_view(self, view: LiveView | None) -> None:
        if view is None:
            self.label.setText("No session")
            return
        units = plural(view.result.total_units, "unit")
        running = view.running
        if running:
            r = running[0]
            self.label.setText(f"● {r.code} {r.clock_text} · {units}")
        else:
            self.label.setText(f"❚❚ {view.session.patient} · {units}")
