"""Dialogs, each opened through one `ask`-style function that tests replace, so none blocks a test."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QDateTime, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
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
from therapytimer.core.settings import CODES_MAX, Settings, WeekStart, parse_code, parse_fee, parse_provider

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


class SettingsAnswer(NamedTuple):
    """What the settings dialog returns: whether it was saved, a payer profile to add, entries left out."""

    accepted: bool
    payer: tuple[str, Rule] | None = None
    problems: tuple[str, ...] = ()


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


def _local(moment: datetime) -> QDateTime:
    """A moment as this computer's wall-clock time, for a date-time field."""
    t = moment.astimezone()
    return QDateTime(t.year, t.month, t.day, t.hour, t.minute, t.second)


class StopTimeDialog(QDialog):
    """When did the treatment really end? For a timer past the forgotten-timer limit: the limit's time is
    offered; any time between the timer's start and now may be chosen."""

    def __init__(
        self, parent: QWidget | None, code: str, earliest: datetime, offered: datetime, latest: datetime
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Stop {code} at…")
        self.when = QDateTimeEdit(_local(offered))
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setMinimumDateTime(_local(earliest))
        self.when.setMaximumDateTime(_local(latest))
        self.when.setAccessibleName(f"When {code} ended")
        form = QFormLayout(self)
        form.addRow(QLabel(f"{code} ran past the forgotten-timer limit. When did the treatment end?"))
        form.addRow("Ended at", self.when)
        form.addRow(_buttons(self, "Stop it then"))

    def value(self) -> datetime:
        chosen = self.when.dateTime()
        day, moment = chosen.date(), chosen.time()
        naive = datetime(day.year(), day.month(), day.day(), moment.hour(), moment.minute())
        return naive.astimezone()  # the computer's own zone, as shown

    @classmethod
    def ask(
        cls, parent: QWidget | None, code: str, earliest: datetime, offered: datetime, latest: datetime
    ) -> datetime | None:
        dialog = cls(parent, code, earliest, offered, latest)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


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
        self.week_start.addItems([w.value for w in WeekStart])
        self.week_start.setCurrentText(settings.week_start)
        self.forgotten = QSpinBox()
        self.forgotten.setRange(5, 24 * 60)
        self.forgotten.setSuffix(" min")
        self.forgotten.setValue(settings.forgotten_minutes)
        self.favorites = {d.value: QLineEdit(" ".join(settings.favorites.get(d.value, []))) for d in Discipline}
        self.fees = QLineEdit(" ".join(f"{code}={fee:.2f}" for code, fee in sorted(settings.fees.items())))
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

    def apply(self) -> SettingsAnswer:
        """Copy the fields into the settings; returns a new payer profile to add (if one was typed) and a line per
        field whose entries were left out. Entries are checked by the same rules the settings file is read with,
        so what the dialog saves always loads again, and a typo is reported instead of crashing a report."""
        s = self.settings
        problems: list[str] = []
        s.default_payer = self.default_payer.currentText()
        try:
            s.provider = parse_provider(self.provider.text().strip())
        except ValueError as exc:
            problems.append(f"Clinician name not changed: it {exc}")
        s.exclusive_timers = self.exclusive.isChecked()
        s.assistants = self.assistants.isChecked()
        s.sound = self.sound.isChecked()
        s.week_start = WeekStart(self.week_start.currentText())
        s.forgotten_minutes = self.forgotten.value()
        for discipline, edit in self.favorites.items():
            codes, bad = _codes(edit.text())
            s.favorites[discipline] = codes[:CODES_MAX]
            if bad or len(codes) > CODES_MAX:
                left_out = _some([*bad, *codes[CODES_MAX:]])
                problems.append(
                    f"{discipline} favorites left out: {left_out} (codes such as 97110; {CODES_MAX} at most)"
                )
        s.fees, bad = _fees(self.fees.text())
        if bad:
            problems.append(
                f"Fee table entries left out: {_some(bad)} (a code and an amount in whole cents, e.g. 97110=30.00)"
            )
        name = self.new_payer.text().strip()
        return SettingsAnswer(True, (name, Rule(self.new_rule.currentText())) if name else None, tuple(problems))

    @classmethod
    def ask(cls, parent: QWidget | None, settings: Settings, payers: dict[str, Rule]) -> SettingsAnswer:
        dialog = cls(parent, settings, payers)
        return dialog.apply() if dialog.exec() == QDialog.DialogCode.Accepted else SettingsAnswer(False)


def _some(words: list[str], shown: int = 3) -> str:
    """A few of the words, shortened, and how many more: one status line even for a pasted page."""
    more = f" and {len(words) - shown} more" if len(words) > shown else ""
    return ", ".join(w if len(w) <= 20 else w[:19] + "…" for w in words[:shown]) + more


def _codes(text: str) -> tuple[list[str], list[str]]:
    """The codes typed in a favorites box, and the words that are not codes."""
    codes: list[str] = []
    bad: list[str] = []
    for word in text.replace(",", " ").split():
        try:
            codes.append(parse_code(word.upper()))
        except ValueError:
            bad.append(word)
    return codes, bad


def _fees(text: str) -> tuple[dict[str, Decimal], list[str]]:
    """The fee table typed as "97110=30.00 97112=33.50", and the entries that are not a code and an amount."""
    fees: dict[str, Decimal] = {}
    bad: list[str] = []
    for entry in FEE_ENTRY.finditer(text):
        code, amount = entry.groups()
        try:
            fees[parse_code(code.upper())] = parse_fee(amount)
        except ValueError:
            bad.append(entry.group(0))
    bad += FEE_ENTRY.sub(" ", text).replace(",", " ").replace(";", " ").split()  # words that are no entry at all
    return fees, bad


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None, version: str, data_path: Path, log_dir: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("About TherapyTimer")
        self.data_path = data_path
        text = QLabel(
            f"<h3>TherapyTimer {version}</h3>"
            "<p>Per-code therapy timers and billing units for PT, OT and SLP.</p>"
            "<p>MIT licence. No network code: your data stays on this computer.</p>"
            f"<p>Your data: <code>{html.escape(str(data_path))}</code></p>"
            "<p>The log (send it if something goes wrong; it names no patient): "
            f"<code>{html.escape(str(log_dir))}</code></p>"
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
    def show_for(cls, parent: QWidget | None, version: str, data_path: Path, log_dir: Path) -> None:
        cls(parent, version, data_path, log_dir).exec()


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """A problem the user must see; replaced in tests."""
    QMessageBox.warning(parent, title, text)
