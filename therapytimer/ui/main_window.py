"""The main window. For now it shows the code catalog; the bedside timers arrive in a later release."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QMainWindow, QTableView, QVBoxLayout, QWidget

from therapytimer.core.catalog import Catalog
from therapytimer.ui.catalog_model import CatalogModel


class MainWindow(QMainWindow):
    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.setWindowTitle("TherapyTimer")
        self.model = CatalogModel(catalog)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        intro = QLabel(
            f"<b>Code catalog</b> — {len(catalog)} codes. Billing units: "
            "<code>therapytimer units 97110=23 97140=10</code>"
        )
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        self.setCentralWidget(body)
        self.resize(980, 640)
