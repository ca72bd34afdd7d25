"""Dialogs, each opened through one `ask`-style function that tests replace, so none blocks a test.

The forms keep what was typed: every field is checked as it changes, by the same rules the core applies
when the value is stored, and what is missing or wrong shows under its field in words. Save stays disabled
until the form is valid, so no click closes a dialog and drops a value. Every control is a gloved finger's
size (44 px) and named for a screen reader; spin boxes have large minus and plus buttons instead of tiny arrows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QDate, QDateTime, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from therapytimer.core.case import PLAN_MAX_DAYS
from therapytimer.core.catalog import Discipline
from therapytimer.core.rules import MAX_MINUTES, Rule
from therapytimer.core.session import PATIENT_MAX, PROVIDER_MAX, Role, clean_patient, clean_text
from therapytimer.core.settings import (
    CODES_MAX,
    PAYER_MAX,
    TEXT_SIZE_RANGE,
    Settings,
    Theme,
    WeekStart,
    parse_code,
    parse_fee,
    parse_provider,
)
from therapytimer.core.stopwatch import REASON_MAX
from therapytimer.paths import places
from therapytimer.ui.widgets import TOUCH

FEE_ENTRY = re.compile(r"([A-Za-z0-9]{5})\s*=\s*([^\s,;]+)")
REASONS = ("Forgot to start", "Forgot to stop", "Interrupted")  # one tap each; "Other" takes typed words
OTHER = "Other…"
COPIED_MS = 3000  # how long "Copied ✓" shows before the button reads "Copy for note" again
COPY_TEXT, COPIED_TEXT = "Copy for note", "Copied ✓"
TEXT_SIZES = (100, 125, 150, 175, 200)
MINUS = "\N{MINUS SIGN}"  # as wide as "+", unlike a hyphen


@dataclass(frozen=True)
class NewSession:
    patient: str
    discipline: Discipline
    payer: str
    provider: str
    role: Role


class SettingsAnswer(NamedTuple):
    """What the settings dialog returns: whether it was saved, a payer profile to add, entries left out."""

    accepted: bool
    payer: tuple[str, Rule] | None = None
    problems: tuple[str, ...] = ()


class Form(QDialog):
    """A dialog whose Save is enabled only while every check passes; each check's message shows under its
    field (and is the field's accessible description), so what is missing is said where it is."""

    def __init__(self, parent: QWidget | None, title: str, ok_text: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.save = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save.setText(ok_text)
        _tap(self.save, ok_text)
        self.save.setDefault(True)  # Enter saves, and only when Save is enabled
        _tap(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._checks: list[tuple[QLabel, QWidget, Callable[[], str]]] = []

    def check(self, field: QWidget, rule: Callable[[], str]) -> QLabel:
        """Check `field` by `rule` (a message, or "" when valid); returns the label that shows the message.

        A rule reads the fields it is given, never the dialog itself: a dialog that referred to itself through
        its rules would be freed by Python's cycle collector at any later moment, even while Qt walks its
        widgets (a crash); without the cycle it is freed as soon as it is no longer used."""
        message = _bold_label()
        message.setAccessibleName(f"Problem with {field.accessibleName()}")
        message.hide()
        self._checks.append((message, field, rule))
        return message

    def validate(self) -> bool:
        """Show each check's message and enable Save when there is none; True when the form is valid."""
        valid = True
        for message, field, rule in self._checks:
            text = rule()
            message.setText(f"⚠ {text}" if text else "")
            message.setVisible(bool(text))
            field.setAccessibleDescription(text)
            valid = valid and not text
        self.save.setEnabled(valid)
        return valid

    def accept(self) -> None:
        """Enter or Save on an invalid form keeps the dialog open with everything typed."""
        if self.validate():
            super().accept()


def _run(dialog: QDialog) -> bool:
    """Show the dialog until it is closed; True if it was accepted. Its values are read before the event loop
    deletes it: a window's dialogs would otherwise pile up as hidden children all day (and be restyled on
    every theme change)."""
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    return accepted


def _tap(button: QAbstractButton, name: str) -> QAbstractButton:
    """A button a finger can hit: 44 px tall. Only the height is set: a minimum width would let a layout squeeze
    the button below its text (a word and the stylesheet's padding make it wider than 44 px anyway)."""
    button.setMinimumHeight(TOUCH)
    button.setAccessibleName(name)
    if isinstance(button, QPushButton):
        button.setAutoDefault(False)  # Enter means Save, never "+" or a reason that happens to have the focus
    return button


def _bold_label() -> QLabel:
    """A wrapping bold label; only the weight is set, so it follows the text size like the rest."""
    label = QLabel()
    label.setWordWrap(True)
    bold = QFont()
    bold.setBold(True)
    label.setFont(bold)
    return label


def _level(form: QFormLayout) -> None:
    """Labels level with their 44 px fields (a form puts them at the top of the row)."""
    for row in range(form.rowCount()):
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        label = item.widget() if item is not None else None
        if isinstance(label, QLabel):
            label.setMinimumHeight(TOUCH)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def _field(widget: QWidget, name: str) -> QWidget:
    """A form field a finger can hit, named for a screen reader."""
    widget.setMinimumHeight(TOUCH)
    widget.setAccessibleName(name)
    return widget


def _line(text: str, name: str, placeholder: str = "", limit: int = 0) -> QLineEdit:
    edit = QLineEdit(text)
    edit.setPlaceholderText(placeholder)
    if limit:
        edit.setMaxLength(limit)
    _field(edit, name)
    return edit


def _combo(items: list[str], current: str, name: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(items)
    if current in items:
        combo.setCurrentText(current)
    _field(combo, name)
    return combo


def _stepper(spin: QAbstractSpinBox, name: str, steps: tuple[str, str], step: Callable[[int], None]) -> QWidget:
    """A number or time field between large minus and plus buttons (a spin box's own arrows are too small to tap)."""
    _field(spin, name)
    spin.lineEdit().setTextMargins(6, 0, 6, 0)  # the stylesheet's padding does not reach a spin box's text
    less, more = (QPushButton(text) for text in steps)
    for button, word in ((less, "less"), (more, "more")):
        _tap(button, f"{name}: {word}")
        button.ensurePolished()  # its size with the stylesheet's padding
        button.setMinimumWidth(max(TOUCH, button.sizeHint().width()))  # a lone "+" is narrow: square at least
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for button, sign in ((less, -1), (more, 1)):
        button.setAutoRepeat(True)
        button.clicked.connect(lambda _=False, sign=sign: step(sign))
    layout.addWidget(less)
    layout.addWidget(spin, 1)
    layout.addWidget(more)
    return row


def _minutes_field(value: int, name: str) -> tuple[QSpinBox, QWidget]:
    spin = QSpinBox()
    spin.setRange(0, MAX_MINUTES)
    spin.setValue(value)
    spin.setSuffix(" min")
    return spin, _stepper(spin, name, (MINUS, "+"), spin.stepBy)


def _problem(check: Callable[[], object]) -> str:
    """The message of the ValueError `check` raises (a core rule refusing the value), or ""."""
    try:
        check()
    except ValueError as exc:
        text = str(exc)
        return text[:1].upper() + text[1:]
    return ""


class NewSessionDialog(Form):
    """Step 1: who (patient alias, recent ones offered). Step 2: discipline and payer (last used)."""

    def __init__(self, parent: QWidget | None, recent: list[str], payers: list[str], settings: Settings) -> None:
        super().__init__(parent, "New session", "Start session")
        self.patient = _line("", "Patient alias", "initials or a short ID, e.g. MT", PATIENT_MAX)
        self.patient.setCompleter(QCompleter(recent, self))  # owned by the dialog: a loose one outlived it
        self.discipline = _combo([d.value for d in Discipline], settings.last_discipline, "Discipline")
        self.payer = _combo(payers, settings.default_payer, "Payer")
        self.provider = _line(settings.provider, "Clinician", "your name as the bill shows it", PROVIDER_MAX)
        self.role = _combo([r.value for r in Role], settings.role, "Role")
        form = QFormLayout(self)
        form.addRow("Patient alias", self.patient)
        form.addRow(self.check(self.patient, partial(_alias_problem, self.patient)))
        form.addRow("Discipline", self.discipline)
        form.addRow("Payer", self.payer)
        form.addRow(self.check(self.payer, lambda: "" if payers else "No payer profile yet: add one in Settings"))
        form.addRow("Clinician", self.provider)
        form.addRow(self.check(self.provider, partial(_provider_problem, self.provider)))
        form.addRow("Role", self.role)
        form.addRow(self.buttons)
        _level(form)
        for edit in (self.patient, self.provider):
            edit.textChanged.connect(self.validate)
        self.validate()

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
        return dialog.result_value() if _run(dialog) else None


class MinutesDialog(Form):
    """Set a code's minutes by hand, with the reason the audit log keeps: one tap for the usual ones."""

    def __init__(self, parent: QWidget | None, code: str, minutes: int, assistant: int | None, reason: bool) -> None:
        super().__init__(parent, f"Set minutes of {code}", "Save")
        therapist = "Therapist minutes (alone or together)" if assistant is not None else "Minutes"
        self.minutes, minutes_row = _minutes_field(minutes, therapist)
        self.assistant, assistant_row = _minutes_field(assistant or 0, "Assistant alone, minutes")
        self.reasons = QButtonGroup(self)
        self.reason = _line("", "Reason, in your words", "e.g. the patient needed a break", REASON_MAX)
        form = QFormLayout(self)
        form.addRow(therapist, minutes_row)
        form.addRow("Assistant alone, minutes", assistant_row)
        form.setRowVisible(assistant_row, assistant is not None)  # only a discipline with assistants has it
        if reason:
            choices = QWidget()
            grid = QGridLayout(choices)  # two by two: each reason whole at any width or text size
            grid.setContentsMargins(0, 0, 0, 0)
            for index, text in enumerate((*REASONS, OTHER)):
                button = QPushButton(text)
                _tap(button, f"Reason: {text.rstrip('…').lower()}")
                button.setCheckable(True)
                self.reasons.addButton(button)
                grid.addWidget(button, index // 2, index % 2)
            choices.setAccessibleName("Reason")
            self.reasons.buttonToggled.connect(self._chosen)
            form.addRow("Reason", choices)
            form.addRow(self.check(choices, partial(_reason_problem, self.reasons, self.reason)))
            self.reason.textChanged.connect(self.validate)
        form.insertRow(form.rowCount() - (1 if reason else 0), "", self.reason)  # shown when Other is tapped
        self.reason.hide()
        form.addRow(self.buttons)
        _level(form)
        self.validate()

    def _chosen(self, button: QAbstractButton, checked: bool) -> None:
        if checked:
            other = button.text() == OTHER
            self.reason.setVisible(other)
            if other:
                self.reason.setFocus()
        self.validate()

    def reason_text(self) -> str:
        """The reason as the audit log keeps it: the tapped one's words, or what was typed under Other."""
        return _reason(self.reasons, self.reason)

    @classmethod
    def ask(
        cls, parent: QWidget | None, code: str, minutes: int, assistant: int | None, *, reason: bool = True
    ) -> tuple[int, int, str] | None:
        dialog = cls(parent, code, minutes, assistant, reason)
        if not _run(dialog):
            return None
        return dialog.minutes.value(), dialog.assistant.value(), dialog.reason_text()


def _local(moment: datetime) -> QDateTime:
    """A moment as this computer's wall-clock time, for a date-time field."""
    t = moment.astimezone()
    return QDateTime(t.year, t.month, t.day, t.hour, t.minute, t.second)


class StopTimeDialog(Form):
    """When did the treatment really end? For a timer past the forgotten-timer limit: the limit's time is
    offered; any time between the timer's start and now may be chosen (the field keeps to that range)."""

    def __init__(
        self, parent: QWidget | None, code: str, earliest: datetime, offered: datetime, latest: datetime
    ) -> None:
        super().__init__(parent, f"Stop {code} at…", "Stop it then")
        self.when = QDateTimeEdit(_local(offered))
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setMinimumDateTime(_local(earliest))
        self.when.setMaximumDateTime(_local(latest))
        row = _stepper(self.when, f"When {code} ended", (f"{MINUS}5 min", "+5 min"), partial(_five_minutes, self.when))
        question = QLabel(f"{code} ran past the forgotten-timer limit. When did the treatment end?")
        question.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(question)
        form.addRow("Ended at", row)
        form.addRow(self.buttons)
        _level(form)
        self.validate()

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
        return dialog.value() if _run(dialog) else None


class TextDialog(QDialog):
    """Read-only text with an optional "Copy for note" button (which says "Copied ✓" for a moment): the
    session summary for the note, the event history."""

    def __init__(self, parent: QWidget | None, title: str, text: str, ok_text: str, copy: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.view = QPlainTextEdit(text)
        self.view.setReadOnly(True)
        self.view.setAccessibleName(title)
        self.view.setMinimumSize(300, 200)
        self.resize(600, 420)
        self.view.setTabChangesFocus(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        for button in box.buttons():
            _tap(button, button.text())
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        self.text = text
        self.copy_button: QPushButton | None = None
        self.copied = QTimer(self)
        self.copied.setSingleShot(True)
        self.copied.setInterval(COPIED_MS)
        if copy:
            self.copy_button = button = QPushButton(COPY_TEXT)
            _tap(button, COPY_TEXT)
            button.setToolTip("Copy this summary as plain text for the treatment note")
            button.clicked.connect(self.copy)
            self.copied.timeout.connect(lambda: button.setText(COPY_TEXT))
            box.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        layout.addWidget(box)

    def copy(self) -> None:
        """Put the text on the clipboard and say so on the button itself, for a few seconds."""
        copy_text(self.text)
        assert self.copy_button is not None
        self.copy_button.setText(COPIED_TEXT)
        self.copy_button.setAccessibleDescription("Copied to the clipboard")
        self.copied.start()

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, text: str, ok_text: str = "OK", *, copy: bool = False) -> bool:
        return _run(cls(parent, title, text, ok_text, copy))


class CloseDialog(TextDialog):
    """The close summary with the one thing a clinician records at the end of a visit besides the time: the
    discipline's progress report written (ticked already if it was ticked on the session)."""

    def __init__(self, parent: QWidget | None, title: str, text: str, report: bool, due: str) -> None:
        super().__init__(parent, title, text, "Close session", True)
        self.report = QCheckBox("Progress report written at this visit")
        self.report.setMinimumHeight(TOUCH)
        self.report.setChecked(report)
        self.report.setAccessibleDescription(due or "Medicare: at least one every 10 treatment days")
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        if due:
            reminder = _bold_label()
            reminder.setText(f"⚠ {due}")
            layout.insertWidget(1, reminder)
        layout.insertWidget(layout.count() - 1, self.report)

    @classmethod
    def ask_close(cls, parent: QWidget | None, title: str, text: str, report: bool, due: str) -> bool | None:
        """None when cancelled, else whether the progress report was written."""
        dialog = cls(parent, title, text, report, due)
        written = dialog.report  # read before the dialog is deleted
        if not _run(dialog):
            return None
        return written.isChecked()


def _day(edit: QDateEdit) -> date:
    picked = edit.date()
    return date(picked.year(), picked.month(), picked.day())


class PlanOfCareDialog(Form):
    """The certified period of a discipline's plan of care: at most 90 calendar days, checked as typed."""

    def __init__(self, parent: QWidget | None, patient: str, discipline: str, start: date, end: date) -> None:
        super().__init__(parent, f"Plan of care: {patient} ({discipline})", "Save")
        self.start = QDateEdit(QDate(start.year, start.month, start.day))
        self.end = QDateEdit(QDate(end.year, end.month, end.day))
        for edit, name in ((self.start, "First certified day"), (self.end, "Last certified day")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMinimumHeight(TOUCH)
            edit.setAccessibleName(name)
        start_edit, end_edit = self.start, self.end  # the rule reads the fields, never the dialog

        def rule() -> str:
            first, last = _day(start_edit), _day(end_edit)
            if last < first:
                return "The plan of care ends before it starts"
            days = (last - first).days + 1
            if days > PLAN_MAX_DAYS:
                return f"{days} days: a plan of care is certified for at most {PLAN_MAX_DAYS} calendar days"
            return ""

        message = self.check(self.end, rule)
        self.length = QLabel()
        form = QFormLayout()
        form.addRow("First certified day", self.start)
        form.addRow("Last certified day", self.end)
        form.addRow(message)
        form.addRow(self.length)
        layout = QVBoxLayout(self)
        note = QLabel("From the signed certification. Entering a period with the same first day corrects it.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        for edit in (self.start, self.end):
            edit.dateChanged.connect(self.validate)
        self.validate()

    @classmethod
    def ask(
        cls, parent: QWidget | None, patient: str, discipline: str, start: date, end: date
    ) -> tuple[date, date] | None:
        dialog = cls(parent, patient, discipline, start, end)
        first, last = dialog.start, dialog.end
        if not _run(dialog):
            return None
        return _day(first), _day(last)


def copy_text(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


class SettingsDialog(Form):
    """The settings a clinic changes: payer, clinician, timers, favorites, fees, week start, sound, and the
    look (theme and text size). The form scrolls inside the dialog; Save and Cancel stay in sight."""

    def __init__(self, parent: QWidget | None, settings: Settings, payers: dict[str, Rule]) -> None:
        super().__init__(parent, "Settings", "Save")
        self.settings = settings
        self.default_payer = _combo(sorted(payers), settings.default_payer, "Default payer")
        self.new_payer = _line("", "New payer profile", "add a payer profile, e.g. Aetna", PAYER_MAX)
        self.new_rule = _combo([r.value for r in Rule], "", "Rule of the new payer profile")
        self.provider = _line(settings.provider, "Clinician name", "your name as the bill shows it", PROVIDER_MAX)
        self.exclusive = self._flag("One timer at a time (starting one pauses the others)", settings.exclusive_timers)
        self.assistants = self._flag("This clinic has assistants (show who is treating)", settings.assistants)
        self.sound = self._flag("Short sound when a unit is reached or a timer runs too long", settings.sound)
        self.week_start = _combo([w.value for w in WeekStart], settings.week_start, "Week starts on")
        self.forgotten = QSpinBox()
        self.forgotten.setRange(5, 24 * 60)
        self.forgotten.setSingleStep(15)
        self.forgotten.setSuffix(" min")
        self.forgotten.setValue(settings.forgotten_minutes)
        forgotten_row = _stepper(self.forgotten, "Flag a timer running over", (MINUS, "+"), self.forgotten.stepBy)
        self.favorites = {
            d.value: _line(" ".join(settings.favorites.get(d.value, [])), f"{d.value} favorites") for d in Discipline
        }
        self.fees = _line(
            " ".join(f"{code}={fee:.2f}" for code, fee in sorted(settings.fees.items())),
            "Fee table",
            "your fees for revenue estimates, e.g. 97110=30.00 97112=33.50",
        )
        self.theme = QComboBox()
        for choice in Theme:
            self.theme.addItem(choice.value.capitalize(), choice.value)
        self.theme.setCurrentIndex(self.theme.findData(settings.theme.value))
        _field(self.theme, "Theme")
        self.text_size = QComboBox()
        for size in sorted({*TEXT_SIZES, settings.text_size}):
            self.text_size.addItem(f"{size} %", size)
        self.text_size.setCurrentIndex(self.text_size.findData(settings.text_size))
        _field(self.text_size, "Text size")

        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Theme", self.theme)
        form.addRow(f"Text size ({TEXT_SIZE_RANGE[0]}–{TEXT_SIZE_RANGE[1]} %)", self.text_size)
        form.addRow("Default payer", self.default_payer)
        form.addRow("New payer profile", self.new_payer)
        form.addRow(self.check(self.new_payer, partial(_payer_problem, self.new_payer)))
        form.addRow("Its rule", self.new_rule)
        form.addRow("Clinician name", self.provider)
        form.addRow(self.check(self.provider, partial(_provider_problem, self.provider)))
        form.addRow(self.exclusive)
        form.addRow(self.assistants)
        form.addRow(self.sound)
        form.addRow("Week starts on", self.week_start)
        form.addRow("Flag a timer running over", forgotten_row)
        for discipline, edit in self.favorites.items():
            form.addRow(f"{discipline} favorites", edit)
            form.addRow(self.check(edit, partial(_favorites_problem, discipline, edit)))
        form.addRow("Fee table", self.fees)
        form.addRow(self.check(self.fees, partial(_fees_problem, self.fees)))
        _level(form)
        self.summary = _bold_label()  # what keeps Save disabled, even when its field is scrolled away
        self.summary.setAccessibleName("What keeps the settings from being saved")
        scroll = QScrollArea()
        scroll.setWidget(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        # not self.screen(): asked in a dialog's __init__, deleting the dialog later crashed PySide 6.11
        screen = QGuiApplication.primaryScreen().availableGeometry()
        self.resize(
            min(max(page.sizeHint().width() + 40, 640), screen.width()),
            min(page.sizeHint().height() + 120, screen.height()),
        )
        for edit in (self.new_payer, self.provider, self.fees, *self.favorites.values()):
            edit.textChanged.connect(self.validate)
        self.validate()

    def validate(self) -> bool:
        valid = super().validate()
        wrong = [field.accessibleName() for message, field, _ in self._checks if message.text()]
        self.summary.setText(f"⚠ To save, correct: {', '.join(wrong)}" if wrong else "")
        self.summary.setVisible(not valid)
        return valid

    def _flag(self, text: str, checked: bool) -> QCheckBox:
        box = QCheckBox(text)
        box.setChecked(checked)
        _field(box, text)
        return box

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
        s.theme = Theme(self.theme.currentData())
        s.text_size = int(self.text_size.currentData())
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
        return dialog.apply() if _run(dialog) else SettingsAnswer(False)


# ---- the rules the forms check, each given the fields it reads (see Form.check) -------------------


def _alias_problem(edit: QLineEdit) -> str:
    if not edit.text().strip():
        return "Type the patient's initials or a short ID (no full names)"
    return _problem(lambda: clean_patient(edit.text()))


def _provider_problem(edit: QLineEdit) -> str:
    return _problem(lambda: parse_provider(edit.text().strip()))


def _payer_problem(edit: QLineEdit) -> str:
    name = edit.text()
    return _problem(lambda: clean_text(name, "the payer name", PAYER_MAX)) if name.strip() else ""


def _reason(reasons: QButtonGroup, typed: QLineEdit) -> str:
    chosen = reasons.checkedButton()
    if chosen is None:
        return ""
    return typed.text().strip() if chosen.text() == OTHER else chosen.text()


def _reason_problem(reasons: QButtonGroup, typed: QLineEdit) -> str:
    chosen = reasons.checkedButton()
    if chosen is None:
        return "Choose a reason (the history keeps it with the old and new minutes)"
    if chosen.text() == OTHER and not typed.text().strip():
        return "Type the reason under Other"
    return _problem(lambda: clean_text(_reason(reasons, typed), "the reason", REASON_MAX))


def _fees_problem(edit: QLineEdit) -> str:
    _, bad = _fees(edit.text())
    if not bad:
        return ""
    return f"Not a code and an amount in whole cents: {_some(bad)} (write them as 97110=30.00)"


def _five_minutes(edit: QDateTimeEdit, sign: int) -> None:
    edit.setDateTime(edit.dateTime().addSecs(sign * 5 * 60))


def _favorites_problem(discipline: str, edit: QLineEdit) -> str:
    codes, bad = _codes(edit.text())
    if bad:
        return f"Not codes: {_some(bad)} (write codes such as 97110, separated by spaces)"
    if len(codes) > CODES_MAX:
        return f"{len(codes)} {discipline} favorites: {CODES_MAX} at most"
    return ""


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
        rows = "".join(
            f"<tr><td>{html.escape(p.label)}</td><td><code>{html.escape(str(p.path))}</code></td></tr>"
            for p in places(data_path, log_dir)
        )
        text = QLabel(
            f"<h3>TherapyTimer {version}</h3>"
            "<p>Per-code therapy timers and billing units for PT, OT and SLP.</p>"
            "<p>MIT licence. No network code: your data stays on this computer.</p>"
            f"<p>Where your files are:</p><table cellspacing='4'>{rows}</table>"
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_folder = QPushButton("Open data folder")
        _tap(open_folder, "Open data folder")
        open_folder.clicked.connect(self.open_folder)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(open_folder)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        _tap(box.button(QDialogButtonBox.StandardButton.Close), "Close")
        box.rejected.connect(self.reject)
        layout.addWidget(box)

    def open_folder(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data_path.parent)))

    @classmethod
    def show_for(cls, parent: QWidget | None, version: str, data_path: Path, log_dir: Path) -> None:
        _run(cls(parent, version, data_path, log_dir))


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """A problem the user must see; replaced in tests."""
    QMessageBox.warning(parent, title, text)
