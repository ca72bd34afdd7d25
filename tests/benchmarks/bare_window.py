"""The floor for the start-up benchmark: a bare PySide6 QMainWindow with a QTableView that imports
sqlite-utils (the database layer the design card fixes), runs one query on a new database file, then
shows, paints once and quits. `--no-database` leaves the database out (the bare window alone)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView


def one_query(folder: str) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(Path(folder) / "floor.db")
    db.execute("select sqlite_version()").fetchone()
    db.close()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="therapytimer-floor-") as folder:
        if "--no-database" not in sys.argv:
            one_query(folder)
        app = QApplication(sys.argv[:1])
        window = QMainWindow()
        table = QTableView()
        table.setModel(QStandardItemModel(10, 4))
        window.setCentralWidget(table)

        class FirstPaint(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    QTimer.singleShot(0, app.quit)
                return False

        watcher = FirstPaint()
        window.installEventFilter(watcher)
        window.show()
        return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
