"""Forms that keep what you typed (issue #11, item 5): inline checks by the core's own rules, Save enabled only
when valid, one-tap correction reasons, "Copy for note" that says it copied, and finger-sized, named controls.

No dialog is ever shown modally: `exec` is replaced by what a clinician would do, or the dialog is shown
like a window and driven by clicks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from therapytimer.core.catalog import Discipline
from therapytimer.core.rules import Rule
from therapytimer.core.settings import Settings, Theme
from therapytimer.ui import theme
from therapytimer.ui.dialogs import (
    COPIED_MS,
    COPIED_TEXT,
    COPY_TEXT,
    MinutesDialog,
    NewSession,
    NewSessionDialog,
    SettingsAnswer,
    SettingsDialog,
    StopTimeDialog,
    TextDialog,
)
from therapytimer.ui.widgets import TOUCH

PAYERS = {"Medicare": Rule.CMS, "Aetna": Rule.AMA}


@pytest.fixture(autouse=True)
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The dialogs as shipped (the app's theme and stylesheet), and the application as found afterwards."""
    sheet, palette, font = qapp.styleSheet(), qapp.palette(), qapp.font()
    theme.apply(qapp, Settings(theme=Theme.LIGHT))
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)


def shown(qtbot: QtBot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def button(dialog: QWidget, text: str) -> QPushButton:
    (found,) = [b for b in dialog.findChildren(QPushButton) if b.text() == text]
    return found


def named(dialog: QWidget, name: str) -> QAbstractButton:
    (found,) = [b for b in dialog.findChildren(QAbstractButton) if b.accessibleName() == name]
    return found


def messages(dialog: QWidget) -> list[str]:
    """The problems shown in the dialog right now."""
    return [label.text() for label in dialog.findChildren(QLabel) if label.isVisible() and label.text().startswith("⚠")]


def doing(action: Callable[[QDialog], None]) -> Callable[[QDialog], int]:
    """An `exec` that does what a clinician does in the dialog, then returns how it was closed."""

    def run(dialog: QDialog) -> int:
        action(dialog)
        return dialog.result()

    return run


# ---- the correction: a reason is required, one tap for the usual ones ------------------------------------


def test_a_correction_keeps_the_minutes_typed_until_a_reason_is_given(qtbot: QtBot) -> None:
    dialog = shown(qtbot, MinutesDialog(None, "97110", 12, 3, True))
    assert isinstance(dialog, MinutesDialog)
    dialog.minutes.lineEdit().selectAll()
    qtbot.keyClicks(dialog.minutes.lineEdit(), "25")
    assert dialog.minutes.value() == 25
    assert not dialog.save.isEnabled()
    assert messages(dialog) == ["⚠ Choose a reason (the history keeps it with the old and new minutes)"]
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)  # disabled: nothing happens
    qtbot.keyClick(dialog.minutes.lineEdit(), Qt.Key.Key_Return)  # Enter neither
    dialog.accept()  # nor a direct accept
    assert dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected and dialog.minutes.value() == 25
    qtbot.mouseClick(button(dialog, "Forgot to start"), Qt.MouseButton.LeftButton)
    assert dialog.save.isEnabled() and messages(dialog) == [] and dialog.reason_text() == "Forgot to start"
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.minutes.value() == 25


def test_other_asks_for_the_words_and_checks_them_as_the_core_does(qtbot: QtBot) -> None:
    dialog = shown(qtbot, MinutesDialog(None, "97112", 20, None, True))
    assert isinstance(dialog, MinutesDialog)
    assert not dialog.reason.isVisible()
    qtbot.mouseClick(button(dialog, "Other…"), Qt.MouseButton.LeftButton)
    assert dialog.reason.isVisible() and dialog.reason.hasFocus() and not dialog.save.isEnabled()
    assert messages(dialog) == ["⚠ Type the reason under Other"]
    dialog.reason.insert("fire alarm\u202e")
    assert not dialog.save.isEnabled()
    assert messages(dialog) == ["⚠ The reason must not contain control or formatting characters"]
    dialog.reason.setText("  fire   alarm ")
    assert dialog.save.isEnabled() and dialog.reason_text() == "fire   alarm"
    qtbot.mouseClick(button(dialog, "Interrupted"), Qt.MouseButton.LeftButton)  # changed their mind
    assert not dialog.reason.isVisible() and dialog.reason_text() == "Interrupted"
    assert dialog.reason.text() == "  fire   alarm "  # what was typed is kept should they go back to Other


def test_ask_returns_the_minutes_and_the_tapped_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def correct(dialog: QDialog) -> None:
        assert isinstance(dialog, MinutesDialog)
        named(dialog, "Minutes: more").click()  # 12 → 14
        named(dialog, "Minutes: more").click()
        named(dialog, "Reason: forgot to stop").click()
        dialog.save.click()

    monkeypatch.setattr(MinutesDialog, "exec", doing(correct))
    assert MinutesDialog.ask(None, "97110", 12, None) == (14, 0, "Forgot to stop")
    monkeypatch.setattr(MinutesDialog, "exec", doing(lambda d: named(d, "Save").click()))  # no reason: nothing
    assert MinutesDialog.ask(None, "97110", 12, None) is None


def test_minutes_of_a_service_need_no_reason(qtbot: QtBot) -> None:
    dialog = shown(qtbot, MinutesDialog(None, "97161", 30, None, False))
    assert isinstance(dialog, MinutesDialog)
    assert dialog.save.isEnabled() and messages(dialog) == [] and not dialog.reasons.buttons()
    assert not dialog.assistant.isVisible()  # no assistant minutes for this discipline
    named(dialog, "Minutes: less").click()
    assert dialog.minutes.value() == 29 and dialog.reason_text() == ""


# ---- a new session needs a valid alias -------------------------------------------------------------------


def test_a_new_session_needs_a_valid_alias_and_keeps_what_was_typed(qtbot: QtBot) -> None:
    settings = Settings(provider="Dana", last_discipline=Discipline.OT)
    dialog = shown(qtbot, NewSessionDialog(None, ["MT"], sorted(PAYERS), settings))
    assert isinstance(dialog, NewSessionDialog)
    assert not dialog.save.isEnabled()
    assert messages(dialog) == ["⚠ Type the patient's initials or a short ID (no full names)"]
    dialog.patient.insert("J\u200bK")  # typed with a zero-width space, which hides what a biller sees
    assert not dialog.save.isEnabled()
    assert messages(dialog) == ["⚠ Patient alias must not contain control or formatting characters"]
    assert dialog.patient.accessibleDescription() == "Patient alias must not contain control or formatting characters"
    dialog.patient.setText("JK")
    assert dialog.save.isEnabled() and messages(dialog) == [] and dialog.patient.accessibleDescription() == ""
    dialog.provider.setText("Dana\u202eLee")
    assert not dialog.save.isEnabled() and "control or formatting" in messages(dialog)[0]
    dialog.provider.setText("Dana Lee")
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.result_value() == NewSession("JK", Discipline.OT, "Medicare", "Dana Lee", settings.role)


def test_a_new_session_cannot_start_without_a_payer_profile(qtbot: QtBot) -> None:
    dialog = shown(qtbot, NewSessionDialog(None, [], [], Settings()))
    assert isinstance(dialog, NewSessionDialog)
    dialog.patient.setText("MT")
    assert not dialog.save.isEnabled() and messages(dialog) == ["⚠ No payer profile yet: add one in Settings"]


# ---- settings: entries that do not parse are shown where they were typed --------------------------------


def test_settings_show_bad_entries_inline_and_save_only_when_all_parse(qtbot: QtBot) -> None:
    settings = Settings()
    dialog = shown(qtbot, SettingsDialog(None, settings, PAYERS))
    assert isinstance(dialog, SettingsDialog)
    assert dialog.save.isEnabled() and messages(dialog) == []
    dialog.fees.setText("97110=30.00, 97112=1e400 junk")
    assert not dialog.save.isEnabled()
    assert messages(dialog) == [
        "⚠ Not a code and an amount in whole cents: 97112=1e400, junk (write them as 97110=30.00)",
        "⚠ To save, correct: Fee table",  # by the buttons, even when the fee table is scrolled away
    ]
    dialog.favorites["PT"].setText("97110 nope")
    assert not dialog.save.isEnabled() and messages(dialog)[-1] == "⚠ To save, correct: PT favorites, Fee table"
    assert dialog.fees.text() == "97110=30.00, 97112=1e400 junk"  # kept as typed, to be corrected
    dialog.fees.setText("97110=30.00, 97112=33.50")
    dialog.favorites["PT"].setText("97110 97530")
    dialog.new_payer.setText("BCBS\u0007")
    assert messages(dialog) == [
        "⚠ The payer name must not contain control or formatting characters",
        "⚠ To save, correct: New payer profile",
    ]
    dialog.new_payer.setText("BCBS")
    assert dialog.save.isEnabled() and messages(dialog) == []


def test_settings_offer_the_theme_and_text_size(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(text_size=110)  # a hand-edited size is offered as it is
    dialog = shown(qtbot, SettingsDialog(None, settings, PAYERS))
    assert isinstance(dialog, SettingsDialog)
    assert [dialog.theme.itemText(i) for i in range(dialog.theme.count())] == ["System", "Light", "Dark"]
    assert dialog.theme.currentText() == "System" and dialog.text_size.currentText() == "110 %"
    assert [dialog.text_size.itemData(i) for i in range(dialog.text_size.count())] == [100, 110, 125, 150, 175, 200]

    def choose(dialog: QDialog) -> None:
        assert isinstance(dialog, SettingsDialog)
        dialog.theme.setCurrentIndex(dialog.theme.findText("Dark"))
        dialog.text_size.setCurrentIndex(dialog.text_size.findData(150))
        dialog.save.click()

    monkeypatch.setattr(SettingsDialog, "exec", doing(choose))
    assert SettingsDialog.ask(None, settings, PAYERS) == SettingsAnswer(True)
    assert settings.theme is Theme.DARK and settings.text_size == 150


# ---- "Copy for note" says it copied -----------------------------------------------------------------------


def test_copy_for_note_confirms_on_the_button_then_reads_copy_again(qtbot: QtBot) -> None:
    dialog = shown(qtbot, TextDialog(None, "Close session: MT", "Total units: 3", "Close session", True))
    assert isinstance(dialog, TextDialog)
    copy = button(dialog, COPY_TEXT)
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "Total units: 3"
    assert copy.text() == COPIED_TEXT and dialog.copied.isActive() and dialog.copied.interval() == COPIED_MS
    assert dialog.isVisible()  # copying does not close the summary
    dialog.copied.timeout.emit()  # the few seconds are over (no test waits for them)
    assert copy.text() == COPY_TEXT
    assert TextDialog(None, "History", "x", "OK", False).copy_button is None


# ---- stop time: large steps instead of tiny arrows --------------------------------------------------------


def test_the_stop_time_moves_in_five_minute_steps_within_the_timers_run(qtbot: QtBot) -> None:
    start, offered, now = (datetime(2026, 11, 23, h, m, tzinfo=UTC) for h, m in ((14, 0), (15, 30), (15, 40)))
    dialog = shown(qtbot, StopTimeDialog(None, "97110", start, offered, now))
    assert isinstance(dialog, StopTimeDialog)
    button(dialog, "+5 min").click()
    assert dialog.value() == datetime(2026, 11, 23, 15, 35, tzinfo=UTC)
    button(dialog, "+5 min").click()
    button(dialog, "+5 min").click()  # not past now
    assert dialog.value() == datetime(2026, 11, 23, 15, 40, tzinfo=UTC)
    dialog.when.setDateTime(QDateTime(dialog.when.minimumDateTime()))
    button(dialog, "\N{MINUS SIGN}5 min").click()  # not before the start
    assert dialog.value() == start and dialog.save.isEnabled()


# ---- every control a finger's size and named ---------------------------------------------------------------


def every_dialog() -> list[Callable[[], QDialog]]:
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    return [
        lambda: MinutesDialog(None, "97110", 12, 3, True),
        lambda: MinutesDialog(None, "97161", 30, None, False),
        lambda: NewSessionDialog(None, ["MT"], sorted(PAYERS), Settings()),
        lambda: SettingsDialog(None, Settings(), PAYERS),
        lambda: TextDialog(None, "Close session", "Total units: 3", "Close session", True),
        lambda: StopTimeDialog(None, "97110", now.replace(hour=14), now, now),
    ]


@pytest.mark.parametrize("size", [100, 200])
@pytest.mark.parametrize("make", every_dialog(), ids=["minutes", "service", "new", "settings", "text", "stop"])
def test_every_dialog_control_is_a_fingers_size_and_named(
    app: QApplication, qtbot: QtBot, make: Callable[[], QDialog], size: int
) -> None:
    theme.apply(app, Settings(theme=Theme.LIGHT, text_size=size))
    dialog = shown(qtbot, make())
    for other in (b for b in dialog.findChildren(QPushButton) if b.text() == "Other…"):
        other.click()  # the typed reason's field shows too
    QApplication.processEvents()
    kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox)
    controls = [w for w in dialog.findChildren(QWidget) if isinstance(w, kinds) and w.isVisible()]
    controls = [w for w in controls if not isinstance(w.parent(), QAbstractSpinBox)]  # a spin box's own text
    assert controls
    for control in controls:
        described = f"{type(control).__name__} {control.accessibleName()!r}"
        assert control.height() >= TOUCH and control.width() >= TOUCH, described
        assert control.accessibleName(), described
        if isinstance(control, QAbstractButton) and control.text():
            assert control.width() >= control.fontMetrics().horizontalAdvance(control.text()), described  # whole
