"""Composition root of the window: builds the application, the catalog and the main window."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from therapytimer.ui.main_window import MainWindow

NO_SCREEN = (
    "therapytimer: no screen found (DISPLAY and WAYLAND_DISPLAY are unset). Run the window from a desktop "
    "session, or under a virtual screen with: xvfb-run therapytimer. The command line works anywhere: "
    "therapytimer units --help"
)


def has_screen() -> bool:
    """Whether Qt can open a window here; without one Qt aborts the process with no useful message."""
    if not sys.platform.startswith("linux"):
        return True
    env = os.environ
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


def create_window() -> MainWindow:
    """The main window over the catalog. A broken user catalog must not keep the clinician from
    working: it is reported in a dialog and the built-in codes are used."""
    from PySide6.QtWidgets import QMessageBox

    from therapytimer.core.catalog import CatalogError, load_catalog
    from therapytimer.ui.main_window import MainWindow

    try:
        catalog = load_catalog()
    except CatalogError as exc:
        QMessageBox.warning(
            None,
            "TherapyTimer: user catalog not loaded",
            "Your code catalog file has problems, so only the built-in codes are available:\n\n"
            + "\n".join(exc.problems),
        )
        catalog = load_catalog(include_user=False)
    return MainWindow(catalog)


def main() -> int:
    if not has_screen():
        print(NO_SCREEN, file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("TherapyTimer")
    window = create_window()
    window.show()
    return int(app.exec())
