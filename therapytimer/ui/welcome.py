"""The first start: the clinician's name, discipline and default payer, asked inside the main window.

A panel in the window rather than a dialog in front of an empty one: the clinician sees where the answers
go, can skip them, and changes them later in Settings. The name is checked as the settings file checks it,
while it is typed; Start is enabled only for a name that will be kept.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from therapytimer.core.catalog import Discipline
from therapytimer.core.settings import Settings, parse_provider
from therapytimer.ui.widgets import MAIN, TOUCH, scaled_font, touch

WIDTH = 560  # a comfortable column of text on a wide window
DISCIPLINES = {
    Discipline.PT: "Physical therapy",
    Discipline.OT: "Occupational therapy",
    Discipline.SLP: "Speech-language pathology",
}


class WelcomePanel(QWidget):
    done = Signal()  # answered or skipped: the settings are saved, the bedside panel comes next

    def __init__(self, settings: Settings, payers: list[str]) -> None:
        super().__init__()
        self.answers: dict[str, object] = {}
        title = QLabel("Welcome to TherapyTimer")
        title.setFont(scaled_font(2.0))
        title.setWordWrap(True)
        intro = QLabel(
            "Three answers set up the bill and the treatment note. You can change them at any time in Settings."
        )
        intro.setWordWrap(True)
        self.name = touch(QLineEdit(settings.provider), TOUCH, "Your name")
        self.name.setPlaceholderText("e.g. Dana Lee")
        self.name.setMaxLength(200)  # checked below against the real limit, so the reason can be shown
        self.name.textChanged.connect(self._check)
        self.name.returnPressed.connect(self.accept)
        self.problem = QLabel()
        self.problem.setObjectName("warning")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.disciplines = QButtonGroup(self)
        row = QHBoxLayout()
        for discipline, long_name in DISCIPLINES.items():
            button = touch(QPushButton(discipline.value), MAIN, long_name)
            button.setCheckable(True)
            button.setToolTip(long_name)
            button.setChecked(discipline is settings.last_discipline)
            self.disciplines.addButton(button)
            row.addWidget(button)
        self.payer = touch(QComboBox(), TOUCH, "Default payer")
        self.payer.addItems(payers)
        self.payer.setCurrentText(settings.default_payer)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # fits 360 px
        form.addRow("Your name, as the bill and the note show it", self.name)
        form.addRow(self.problem)
        form.addRow("Your discipline", row)
        form.addRow("Default payer for new sessions", self.payer)
        self.skip = touch(QPushButton("Skip for now"), TOUCH, "Skip for now")
        self.skip.setToolTip("Start without a name (the bill and the note leave it empty until you set it)")
        self.skip.clicked.connect(self.skip_questions)
        self.start = touch(QPushButton("Start"), MAIN, "Start")
        self.start.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.skip)
        buttons.addWidget(self.start)
        form.setVerticalSpacing(12)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(title)
        column.addWidget(intro)
        column.addSpacing(12)
        column.addLayout(form)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addStretch(2)
        host = QWidget()
        host.setLayout(column)
        host.setMaximumWidth(WIDTH)
        host.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        outer = QHBoxLayout(self)  # centred, as wide as WIDTH where there is room
        outer.addStretch(1)
        outer.addWidget(host, 100)
        outer.addStretch(1)
        self._check()

    def discipline(self) -> Discipline:
        checked = self.disciplines.checkedButton()
        return Discipline(checked.text()) if checked else Discipline.PT

    def _check(self) -> bool:
        """The name as it will be saved, or why not (shown at once; Start waits for a name it can keep)."""
        try:
            name = parse_provider(self.name.text())
        except ValueError as exc:
            self.problem.setText(f"⚠ The name {exc}.")
            self.problem.show()
            self.start.setEnabled(False)
            return False
        self.problem.setText("")
        self.problem.hide()
        self.start.setEnabled(bool(name))
        return bool(name)

    def accept(self) -> None:
        if not self._check():
            return
        self.answers = {
            "provider": parse_provider(self.name.text()),
            "last_discipline": self.discipline(),
            "default_payer": self.payer.currentText(),
            "clinician_asked": True,
        }
        self.done.emit()

    def skip_questions(self) -> None:
        self.answers = {"clinician_asked": True}
        self.done.emit()
