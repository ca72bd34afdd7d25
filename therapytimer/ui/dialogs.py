"""Dialogs, each opened through one `ask`-style function that tests replace, so none blocks a test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from therapytimer.core.catalog import Discipline
from therapytimer.core.rules import MAX_MINUTES, Rule
from therapytimer.core.session import PATIENT_MAX, Role
from therapytimer.core.settings import Settings

FEE_ENTRY = re.compile(r"([A-Za-z0-9]{5})\s*=\s*([^\s,;]+)")


@dataclass(frozen=True)
class NewSession:
    patient: str
    discipline: Discipline
    payer: str
    provider: str
    role: Role


def _buttons(dialog: QDialog, ok_text: str = "OK") -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class NewSessionDialog(QDialog):
    """Step 1: who (patient alias, recent ones offered). Step 2: discipline and payer (last used)."""

    def __init__(self, parent: QWidget | None, recent: list[str], payers: list[str], settings: Settings) -> None:
        super().__init__(parent)
        self.setWindowTitle("New session")
        self.patient = QLineEdit()
        self.patient.setMaxLength(PATIENT_MAX)
        self.patient.setPlaceholderText("initials or a short ID, e.g. MT")
        self.patient.setCompleter(QCompleter(recent))
        self.discipline = QComboBox()
        self.discipline.addItems([d.value for d in Discipline])
        self.discipline.setCurrentText(settings.last_discipline)
        self.payer = QComboBox()
        self.payer.addItems(payers)
        if settings.default_payer in payers:
            self.payer.setCurrentText(settings.default_payer)
        self.provider = QLineEdit(settings.provider)
        self.role = QComboBox()
        self.role.addItems([r.value for r in Role])
        self.role.setCurrentText(settings.role)
        form = QFormLayout(self)
        form.addRow("Patient alias", self.patient)
        form.addRow("Discipline", self.discipline)
        form.addRow("Payer", self.payer)
        form.addRow("Clinician", self.provider)
        form.addRow("Role", self.role)
        form.addRow(_buttons(self, "Start session"))

    def result_value(self) -> NewSession:
        return NewSession(
            self.patient.text(),
            Discipline(self.discipline.currentText()),
            self.payer.currentText(),
            self.provider.text(),
            Role(self.role.currentText()),
        )

    @classmethod
    def ask(cls, parent: QWidget | None, recent: list[str], payers: list[str], settings: Settings) -> NewSession | None:
        dialog = cls(parent, recent, payers, settings)
        return dialog.result_value() if dialog.exec() == QDialog.DialogCode.Accepted else None


class MinutesDialog(QDialog):
    """Set a code's minutes by hand, with the reason the audit log keeps."""

    def __init__(self, parent: QWidget | None, code: str, minutes: int, assistant: int | None, reason: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Set minutes of {code}")
        self.minutes = QSpinBox()
        self.minutes.setRange(0, MAX_MINUTES)
        self.minutes.setValue(minutes)
        self.assistant = QSpinBox()
        self.assistant.setRange(0, MAX_MINUTES)
        self.assistant.setValue(assistant or 0)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("required, e.g. forgot to start the timer")
        form = QFormLayout(self)
        form.addRow("Therapist minutes (alone or together)" if assistant is not None else "Minutes", self.minutes)
        if assistant is not None:
            form.addRow("Assistant alone, minutes", self.assistant)
        if reason:
            form.addRow("Reason", self.reason)
        form.addRow(_buttons(self, "Save"))

    @classmethod
    def ask(
        cls, parent: QWidget | None, code: str, minutes: int, assistant: int | None, *, reason: bool = True
    ) -> tuple[int, int, str] | None:
        dialog = cls(parent, code, minutes, assistant, reason)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.minutes.value(), dialog.assistant.value(), dialog.reason.text()


class TextDialog(QDialog):
    """Read-only text with an optional "Copy" button: session summary for the note, event history."""

    def __init__(self, parent: QWidget | None, title: str, text: str, ok_text: str, copy: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.view = QPlainTextEdit(text)
        self.view.setReadOnly(True)
        self.view.setMinimumSize(520, 260)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        box = _buttons(self, ok_text)
        if copy:
            button = QPushButton("Copy for note")
            button.setToolTip("Copy this summary as plain text for the treatment note")
            button.clicked.connect(lambda: copy_text(text))
            box.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        layout.addWidget(box)

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, text: str, ok_text: str = "OK", *, copy: bool = False) -> bool:
        return cls(parent, title, text, ok_text, copy).exec() == QDialog.DialogCode.Accepted


def copy_text(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class SettingsDialog(QDialog):
    """The settings a clinic changes: payer, clinician, timers, favorites, week start, sound."""

    def __init__(self, parent: QWidget | None, settings: Settings, payers: dict[str, Rule]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.default_payer = QComboBox()
        self.default_payer.addItems(sorted(payers))
        self.default_payer.setCurrentText(settings.default_payer)
        self.new_payer = QLineEdit()
        self.new_payer.setPlaceholderText("add a payer profile, e.g. Aetna")
        self.new_rule = QComboBox()
        self.new_rule.addItems([r.value for r in Rule])
        self.provider = QLineEdit(settings.provider)
        self.exclusive = QCheckBox("One timer at a time (starting one pauses the others)")
        self.exclusive.setChecked(settings.exclusive_timers)
        self.assistants = QCheckBox("This clinic has assistants (show who is treating)")
        self.assistants.setChecked(settings.assistants)
        self.sound = QCheckBox("Short sound when a unit is reached or a timer runs too long")
        self.sound.setChecked(settings.sound)
        self.week_start = QComboBox()
        self.week_start.addItems(["monday", "sunday"])
        self.week_start.setCurrentText(settings.week_start)
        self.forgotten = QSpinBox()
        self.forgotten.setRange(5, 24 * 60)
        self.forgotten.setSuffix(" min")
        self.forgotten.setValue(settings.forgotten_minutes)
        self.favorites = {d: QLineEdit(" ".join(settings.favorites.get(d, []))) for d in ("PT", "OT", "SLP")}
        self.fees = QLineEdit(" ".join(f"{code}={fee}" for code, fee in sorted(settings.fees.items())))
        self.fees.setPlaceholderText("your fees for revenue estimates, e.g. 97110=30.00 97112=33.50")
        form = QFormLayout(self)
        form.addRow("Default payer", self.default_payer)
        form.addRow("New payer profile", self.new_payer)
        form.addRow("Its rule", self.new_rule)
        form.addRow("Clinician name", self.provider)
        form.addRow(self.exclusive)
        form.addRow(self.assistants)
        form.addRow(self.sound)
        form.addRow("Week starts on", self.week_start)
        form.addRow("Flag a timer running over", self.forgotten)
        for discipline, edit in self.favorites.items():
            form.addRow(f"{discipline} favorites", edit)
        form.addRow("Fee table", self.fees)
        form.addRow(_buttons(self, "Save"))

    def apply(self) -> tuple[str, Rule] | None:
        """Copy the fields into the settings; returns a new payer profile to add, if one was typed."""
        s = self.settings
        s.default_payer = self.default_payer.currentText()
        s.provider = self.provider.text().strip()
        s.exclusive_timers = self.exclusive.isChecked()
        s.assistants = self.assistants.isChecked()
        s.sound = self.sound.isChecked()
        s.week_start = self.week_start.currentText()
        s.forgotten_minutes = self.forgotten.value()
        for discipline, edit in self.favorites.items():
            s.favorites[discipline] = [c.upper() for c in edit.text().replace(",", " ").split()]
        s.fees = {code.upper(): amount for code, amount in FEE_ENTRY.findall(self.fees.text())}
        name = self.new_payer.text().strip()
        return (name, Rule(self.new_rule.currentText())) if name else None

    @classmethod
    def ask(
        cls, parent: QWidget | None, settings: Settings, payers: dict[str, Rule]
    ) -> tuple[bool, tuple[str, Rule] | None]:
        dialog = cls(parent, settings, payers)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False, None
        return True, dialog.apply()


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None, version: str, data_path: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("About TherapyTimer")
        self.data_path = data_path
        text = QLabel(
            f"<h3>TherapyTimer {version}</h3>"
            "<p>Per-code therapy timers and billing units for PT, OT and SLP.</p>"
            "<p>MIT licence. No network code: your data stays on this computer.</p>"
            f"<p>Your data: <code>{data_path}</code></p>"
        )
        text.setWordWrap(True)
        open_folder = QPushButton("Open data folder")
        open_folder.clicked.connect(self.open_folder)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(open_folder)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        layout.addWidget(box)

    def open_folder(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data_path.parent)))

    @classmethod
    def show_for(cls, parent: QWidget | None, version: str, data_path: Path) -> None:
        cls(parent, version, data_path).exec()


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """A problem the user must see; replaced in tests."""
    QMessageBox.warning(parent, title, text)
