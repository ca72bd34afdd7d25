"""The patient's case under "Now timing": the progress-report countdown, the plan of care's days left and
the therapy threshold, with the two things a clinician records about them (the report written at this
visit, KX on the lines). It shows what `services.cases` computed; the tick box and the button forward."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout

from therapytimer.core.session import Session
from therapytimer.services.cases import SessionCase
from therapytimer.ui.widgets import escaped

TOUCH = 44  # px: the smallest control a gloved finger hits
ONLY_HERE = "Counted from this app's sessions for this patient alias only"


def _line(text: str) -> str:
    """One case line as rich text: what needs doing now in bold."""
    safe = escaped(text)
    urgent = ("OVERDUE", "due at this visit", "ENDED", "past it")
    return f"<b>{safe}</b>" if any(word in text for word in urgent) else safe


class CaseStrip(QFrame):
    """A few lines and two controls; hidden while no session is shown."""

    report_changed = Signal(bool)
    kx_changed = Signal(bool)
    plan_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setToolTip(ONLY_HERE)
        self.text.setAccessibleName("Patient's case")
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.report = QCheckBox("Progress report written at this visit")
        self.report.setMinimumHeight(TOUCH)
        self.report.setToolTip("Medicare: at least one progress report every 10 treatment days")
        self.report.toggled.connect(self.report_changed)
        self._kx_on = False
        self.kx = QPushButton()
        self.kx.setMinimumHeight(TOUCH)
        self.kx.clicked.connect(lambda: self.kx_changed.emit(not self._kx_on))
        self.plan = QPushButton("Plan of care…")
        self.plan.setMinimumHeight(TOUCH)
        self.plan.setToolTip("Enter the certified plan-of-care period (at most 90 days)")
        self.plan.clicked.connect(self.plan_requested)
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.report)
        controls.addWidget(self.plan)
        controls.addWidget(self.kx)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addLayout(controls)
        self.setVisible(False)

    def show_case(self, case: SessionCase | None, session: Session | None) -> None:
        if case is None or session is None:
            self.setVisible(False)
            return
        text = " · ".join(_line(line) for line in case.lines)
        if self.text.text() != text:
            self.text.setText(text)
            self.text.setAccessibleDescription(". ".join(case.lines) + f". {ONLY_HERE}.")
        self.report.blockSignals(True)  # showing the stored state is not the clinician ticking it
        self.report.setChecked(session.progress_report)
        self.report.blockSignals(False)
        self._kx_on = session.kx
        self.kx.setVisible(case.kx_suggested or session.kx)
        self.kx.setText("Remove KX" if session.kx else "Add KX to this visit's lines")
        self.kx.setToolTip(
            "KX is on this visit's exported lines"
            if session.kx
            else "Past the year's therapy threshold (this app's sessions only): KX says the therapy is medically "
            "necessary; the notes must support it"
        )
        self.setVisible(True)
