"""The floor for the start-up benchmark: a bare PySide6 QMainWindow with a QTableView that shows,
paints once and quits."""

from __future__ import annotations

import sys

if "--with-sqlite-utils" in sys.argv:  # the same floor plus the import the design card mandates
    import sqlite_utils  # noqa: F401

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView


def main() -> int:
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
