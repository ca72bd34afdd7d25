"""The window, offscreen: the catalog table model and the main window."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from therapytimer.core.catalog import load_catalog
from therapytimer.ui import app
from therapytimer.ui.catalog_model import CatalogModel
from therapytimer.ui.main_window import MainWindow


def test_catalog_model_is_a_well_behaved_qt_model(qtmodeltester: ModelTester) -> None:
    model = CatalogModel(load_catalog(include_user=False))
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    row = next(r for r in range(model.rowCount()) if model.spec(r).code == "97110")
    cells = [model.index(row, c).data() for c in range(model.columnCount())]
    assert cells == ["97110", "Therapeutic exercise", "timed, 15-min units", "PT OT", "$28.79", "no end date"]
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Code"
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.data(QModelIndex()) is None
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(model.index(0, 0)) == 0
    no_fee = next(r for r in range(model.rowCount()) if model.spec(r).default_fee is None)
    assert model.index(no_fee, 4).data() == "—"
    noted = next(r for r in range(model.rowCount()) if model.spec(r).code == "97014")
    assert "G0283" in model.index(noted, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) is None
    assert model.index(row, 4).data(Qt.ItemDataRole.TextAlignmentRole)
    assert model.index(row, 0).data(Qt.ItemDataRole.TextAlignmentRole) is None


def test_main_window_shows_the_catalog(qtbot: QtBot) -> None:
    window = MainWindow(load_catalog(include_user=False))
    qtbot.addWidget(window)
    window.show()
    assert window.windowTitle() == "TherapyTimer"
    assert window.table.model().rowCount() == len(load_catalog(include_user=False))


def test_broken_user_catalog_is_shown_and_builtins_are_used(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, user_dirs: Path
) -> None:
    (user_dirs / "codes.csv").write_text("code,short_name,kind\n123,x,timed\n")
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    window = app.create_window()
    qtbot.addWidget(window)
    assert "line 2: code '123'" in warnings[0]
    assert "97110" in {window.model.spec(r).code for r in range(window.model.rowCount())}


def test_app_main_shows_the_window(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[bool] = []
    monkeypatch.setattr(MainWindow, "show", lambda self: shown.append(True))
    monkeypatch.setattr(QApplication, "exec", lambda *_: 0)
    assert app.main() == 0
    assert shown == [True]


def test_has_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    assert app.has_screen()
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert app.has_screen()
