"""The tray icon, where the desktop has a tray: the running code and its time at a glance, Pause all, and
Show. Made after the first paint (start-up does not wait for it) and updated with the display tick, only
when its text changes."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from therapytimer.core.live import LiveView
from therapytimer.paths import resource_path

IDLE = "TherapyTimer: no timer running"


def tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


def tray_text(view: LiveView | None, running: Sequence[tuple[str, str]]) -> str:
    """The active session's running code and its time ("TherapyTimer: ● 97110 12:40 · Maria T"), else a
    timer running in another session (`running`: code and patient), else that none runs."""
    if view is not None and view.running:
        row = view.running[0]
        return f"TherapyTimer: ● {row.code} {row.clock_text} · {view.session.patient}"
    if running:
        code, patient = running[0]
        return f"TherapyTimer: ● {code} running · {patient}"
    return IDLE


class Tray(QObject):
    show_window = Signal()
    pause = Signal()
    quit = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.menu = QMenu()
        self.status = QAction(IDLE, self.menu)
        self.status.setEnabled(False)  # a line to read, not to click
        self.pause_action = QAction("❚❚ Pause all", self.menu)
        self.pause_action.triggered.connect(self.pause.emit)
        show = QAction("Show TherapyTimer", self.menu)
        show.triggered.connect(self.show_window.emit)
        quit_action = QAction("Quit…", self.menu)
        quit_action.triggered.connect(self.quit.emit)
        self.menu.addAction(self.status)
        self.menu.addSeparator()
        for action in (self.pause_action, show, quit_action):
            self.menu.addAction(action)
        self.icon = QSystemTrayIcon(QIcon(str(resource_path("icons/therapytimer.svg"))))
        self.icon.setContextMenu(self.menu)
        self.icon.setToolTip(IDLE)
        self.icon.activated.connect(self._activated)
        self.pause_action.setEnabled(False)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_window.emit()

    def show_text(self, text: str) -> None:
        if self.icon.toolTip() != text:
            self.icon.setToolTip(text)
            self.status.setText(text.removeprefix("TherapyTimer: "))
            self.pause_action.setEnabled(text != IDLE)

    def hide(self) -> None:
        self.icon.hide()
