"""Composition root of the window: the clock, the catalog, settings, the database and the main window.

Nothing is global: every object is made here and passed in. `self_test` runs the same path on a
temporary database and reports how long the first painted window took.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from therapytimer.core.catalog import Catalog, CatalogError, load_catalog
from therapytimer.core.clock import Clock, SystemClock
from therapytimer.core.settings import Settings
from therapytimer.paths import settings_path

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

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


def load_catalog_or_builtin() -> tuple[Catalog, str | None]:
    """A broken user catalog must not keep the clinician from working: use the built-ins and say why."""
    try:
        return load_catalog(), None
    except CatalogError as exc:
        return load_catalog(include_user=False), (
            "Your code catalog file has problems, so only the built-in codes are available:\n\n"
            + "\n".join(exc.problems)
        )


def create_window(
    db_path: Path | None = None, clock: Clock | None = None, settings_file: Path | None = None
) -> MainWindow:
    """Build the main window over the database at `db_path` (default: the user's database)."""
    from therapytimer.storage.database import default_db_path
    from therapytimer.storage.store import Store
    from therapytimer.ui.main_window import MainWindow

    clock = clock or SystemClock()
    catalog, catalog_problem = load_catalog_or_builtin()
    settings_file = settings_file or settings_path()
    settings, settings_problems = Settings.load(settings_file)
    base_catalog = catalog
    catalog, fee_problems = catalog.with_fees(settings.fees)
    settings_problem = "\n".join([*settings_problems, *fee_problems])
    store = Store.open(db_path or default_db_path(), clock, catalog)
    window = MainWindow(
        store,
        catalog,
        clock,
        settings,
        save_settings=lambda s: _save(s, settings_file, window),
        base_catalog=base_catalog,
    )
    for problem in (catalog_problem, settings_problem):
        if problem:
            from therapytimer.ui.dialogs import warn

            warn(window, "TherapyTimer", problem)
    return window


def _save(settings: Settings, path: Path, window: MainWindow) -> None:
    try:
        settings.save(path)
    except OSError as exc:
        window.statusBar().showMessage(f"Settings not saved: {exc}", 10000)


def application() -> QApplication:
    """The one QApplication, with the app's name and icon (the SVG in resources/icons)."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from therapytimer.paths import resource_path

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("TherapyTimer")
    app.setDesktopFileName("therapytimer")
    app.setWindowIcon(QIcon(str(resource_path("icons/therapytimer.svg"))))
    return app


def main(db_path: Path | None = None) -> int:
    if not has_screen():
        print(NO_SCREEN, file=sys.stderr)
        return 2
    from therapytimer.storage.database import StoreError
    from therapytimer.ui.dialogs import warn

    app = application()
    try:
        window = create_window(db_path)
    except StoreError as exc:
        warn(None, "TherapyTimer cannot open its data", str(exc))
        return 2
    window.show()
    return int(app.exec())


def process_start() -> float:
    """When this process started, on the time.time() scale (Linux: from /proc; elsewhere: now)."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            booted = time.time() - float(uptime.read().split()[0])
        return booted + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return time.time()


NONE_TICKS = 1000  # display updates the self-test makes while a timer runs
NONE_SLACK = 50  # transient references to None come and go; a leaking binding loses one per call


def none_references_lost(window: MainWindow, ticks: int = NONE_TICKS) -> int:
    """How many references to None `ticks` display updates lose (0 with a sound Qt binding).

    PySide6 6.12.0 on Python 3.11 drops one reference to None on every call that returns nothing, so the
    window aborts ("none_dealloc") after some minutes of timing; on 3.12+ None is immortal and this is 0.
    """
    import gc

    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(ticks):
        window.tick()
    gc.collect()
    return max(before - sys.getrefcount(None), 0)


def self_test() -> int:
    """Start the full app on a temporary database, start one timer, show the window and close it as soon
    as it has painted; then update the display a thousand times (a binding that leaks None fails here, not
    six minutes into a session) and stop the timer. Prints the ms from process start to the first paint."""
    if not has_screen():
        print(NO_SCREEN, file=sys.stderr)
        return 2
    from PySide6.QtCore import QEvent, QObject, QTimer

    from therapytimer.core.catalog import Discipline

    app = application()
    folder = tempfile.mkdtemp(prefix="therapytimer-selftest-")
    painted: list[float] = []
    try:
        window = create_window(Path(folder) / "self-test.db", settings_file=Path(folder) / "settings.json")

        class FirstPaint(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and not painted:
                    painted.append(time.time())
                    QTimer.singleShot(0, window.close)
                return False

        watcher = FirstPaint()
        window.installEventFilter(watcher)
        session = window.store.open_session("SELF", Discipline.PT, provider="self-test")
        window.panel.set_session(session.id)
        window.panel.start_code("97110")
        window.show()
        QTimer.singleShot(10_000, app.quit)  # never hang
        app.exec()
        lost = none_references_lost(window)  # after the first paint: start-up is measured without it
        if lost > NONE_SLACK:
            raise RuntimeError(
                f"the Qt binding lost {lost} references to None in {NONE_TICKS} display updates; the window would "
                "abort after minutes of timing (PySide6 6.12.0 on Python 3.11): install PySide6 6.11.3"
            )
        window.panel.pause_all()
        if window.store.running():
            raise RuntimeError("the timer did not stop")
        window.store.close()
    except Exception as exc:  # the self-test reports any failure as its reason
        print(f"self-test failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # leave nothing behind
    if not painted:
        print("self-test failed: the window never painted", file=sys.stderr)
        return 1
    print(f"self-test ok: first painted window after {(painted[0] - process_start()) * 1000:.0f} ms")
    return 0
