"""Compact mode: a window 360 px wide to keep beside the EMR, with what the bedside needs at a glance.

The patient, the running code and its time in large digits, the units, the next unit, Pause, and four
large favorites that show which code runs (tapping the running one pauses it). It shows the main window's
live view (`LiveView`); it keeps no state and reads no database. "Always on top" is optional.
"""

from __future__ import annotations

import textwrap

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from therapytimer.core.catalog import Catalog, CodeSpec
from therapytimer.core.live import LiveView, short_label
from therapytimer.core.words import plural
from therapytimer.ui.widgets import MAIN, scaled_font, touch

WIDTH = 360
FAVORITES = 4
NAME_LINE = 18  # characters on one line of a favorite's button
CLOCK_PX = 48  # the elapsed time, readable from 2 m, at any text size
CLOCK_SCALE = 3.7  # times the body text: 48 px at 100 %
STYLE = """
QPushButton[running="true"] {
    background-color: palette(highlight); color: palette(highlighted-text); border: 1px solid palette(highlight);
    font-weight: bold;
}
"""


def compact_favorites(codes: list[str], catalog: Catalog, view: LiveView) -> list[CodeSpec]:
    """The first four timed favorites this session may time on its date."""
    day = view.session.date
    specs = [catalog.get(c) for c in codes if c in catalog]
    return [s for s in specs if s.timed and s.valid_on(day)][:FAVORITES]


def button_name(name: str) -> str:
    """A code's name on a half-width button: abbreviated on purpose, then wrapped at words, never cut off
    (the word that tells two codes apart stays)."""
    return textwrap.fill(short_label(name), NAME_LINE, break_long_words=False, break_on_hyphens=False)


class CompactWindow(QWidget):
    back = Signal()
    pause = Signal()
    toggle = Signal(str)  # a favorite was tapped: start it, or pause it if it runs

    def __init__(self, on_top: bool = True) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("TherapyTimer (compact)")
        self.setFixedWidth(WIDTH)
        self.setStyleSheet(STYLE)
        self.patient = QLabel("No session")
        self.patient.setWordWrap(True)
        full = touch(QPushButton("⤢ Full window"), name="Back to the full window")
        full.setToolTip("Back to the full window")
        full.clicked.connect(self.back.emit)
        top = QHBoxLayout()
        top.addWidget(self.patient, 1)
        top.addWidget(full)
        self.code = QLabel()
        self.code.setWordWrap(True)
        self.clock = QLabel()
        self.clock.setAccessibleName("Elapsed time of the running code")
        self.units = QLabel()
        self.next_unit = QLabel()
        self.next_unit.setWordWrap(True)
        self.next_unit.setAccessibleName("Next unit")
        self.pause_button = touch(QPushButton("❚❚  Pause all"), MAIN, "Pause every running timer")
        self.pause_button.setToolTip("Pause every running timer")
        self.pause_button.clicked.connect(self.pause.emit)
        self.favorites = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        self.on_top = QCheckBox("Always on top")
        touch(self.on_top, name="Keep the compact window on top of other windows")
        self.on_top.setChecked(on_top)
        self.on_top.toggled.connect(self._stay_on_top)
        self._stay_on_top(on_top)
        self._set_fonts()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.code)
        layout.addWidget(self.clock)
        layout.addWidget(self.units)
        layout.addWidget(self.next_unit)
        layout.addWidget(self.pause_button)
        layout.addLayout(self.favorites)
        layout.addWidget(self.on_top)
        layout.addStretch()

    def _set_fonts(self) -> None:
        """Sizes relative to the application's font, so the text-size setting reaches them."""
        for label in (self.patient, self.code, self.units):
            label.setFont(scaled_font(1.3))
        self.next_unit.setFont(scaled_font(1.1))
        self.clock.setFont(scaled_font(CLOCK_SCALE, fixed=True, at_least=CLOCK_PX))

    def changeEvent(self, event: QEvent) -> None:
        """The text size changed in Settings: follow it."""
        if event.type() == QEvent.Type.FontChange:
            self._set_fonts()
        super().changeEvent(event)

    def _stay_on_top(self, on: bool) -> None:
        """Changing a window's flags hides it: show it again if it was shown."""
        shown = self.isVisible()
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, on)
        if shown:
            self.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the compact window goes back to the full one: timers must never run out of sight."""
        self.back.emit()
        super().closeEvent(event)

    def set_favorites(self, specs: list[CodeSpec]) -> None:
        """Rebuild the favorite buttons only when the codes change (a session of another discipline)."""
        if [s.code for s in specs] == list(self.buttons):
            return
        for button in self.buttons.values():
            self.favorites.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        for i, spec in enumerate(specs):
            button = touch(QPushButton(), 56)
            button.clicked.connect(lambda _=False, code=spec.code: self.toggle.emit(code))
            self.favorites.addWidget(button, i // 2, i % 2)
            self.buttons[spec.code] = button
            self._show_favorite(button, spec, False)

    def _show_favorite(self, button: QPushButton, spec: CodeSpec, running: bool) -> None:
        text = f"{'❚❚' if running else '▶'} {spec.code}\n{button_name(spec.short_name)}"
        if button.text() == text:
            return
        button.setText(text)
        button.setToolTip(f"{'Pause' if running else 'Start'} {spec.code} {spec.short_name}")
        button.setAccessibleName(f"{spec.code} {spec.short_name}, {'running: tap to pause' if running else 'start'}")
        button.setProperty("running", running)
        button.style().unpolish(button)
        button.style().polish(button)

    def show_view(self, view: LiveView | None, specs: list[CodeSpec]) -> None:
        """Show the live view; called on every display tick, so only changed text is set."""
        self.set_favorites(specs)
        if view is None:
            self._set(self.patient, "No session: open one in the full window")
            for label in (self.code, self.clock, self.units, self.next_unit):
                self._set(label, "")
            self.pause_button.setEnabled(False)
            return
        s = view.session
        self._set(self.patient, f"{s.patient} · {s.discipline.value}")
        running = view.running[0] if view.running else None
        if running is not None:
            self._set(self.code, f"● {running.code} {running.short_name}")
            self._set(self.clock, running.clock_text)
            total = plural(view.result.total_units, "unit")
            self._set(self.units, f"{running.code}: {running.units_text} · total {total}")
        else:
            self._set(self.code, "❚❚ Nothing is running")
            self._set(self.clock, "–:––")
            self._set(self.units, f"Total {plural(view.result.total_units, 'unit')}")
        own = next((h for h in view.hints if running and h.code == running.code), None)
        other = view.hints[0] if view.hints else None
        if own is not None:  # the running code's next unit, short: its minutes to go and the units then
            self._set(self.next_unit, f"Next unit: {own.more_minutes} more min → {plural(own.code_units, 'unit')}")
        else:
            self._set(self.next_unit, f"Next unit: {other.text()}" if other else "")
        self.pause_button.setEnabled(running is not None)
        runs = {r.code for r in view.running}
        for spec in specs:
            self._show_favorite(self.buttons[spec.code], spec, spec.code in runs)

    @staticmethod
    def _set(label: QLabel, text: str) -> None:
        if label.text() != text:
            label.setText(text)
