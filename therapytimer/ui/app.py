"""Composition root of the window: a workspace on the context the command line built, and the window.

Nothing is global: every object is made from the one `Context` and passed in. `self_test` runs the same
path on a temporary database and reports how long the first painted window took.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from therapytimer.core.errors import TherapyTimerError
from therapytimer.services.context import Context, build_context

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


def create_window(context: Context) -> MainWindow:
    """The main window over the context's database (made if there is none: the window records data).
    Problems with the catalog or the settings are shown once; the window works on with the defaults."""
    from therapytimer.services.workspace import Workspace
    from therapytimer.ui.main_window import MainWindow

    window = MainWindow(Workspace.open(context, create=True))
    if context.problems:
        from therapytimer.ui.dialogs import warn

        warn(window, "TherapyTimer", "\n\n".join(context.problems))
    return window


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


def dress(app: QApplication, context: Context) -> None:
    """The theme and text size the settings name, kept as they change; set before the window exists, so
    its widgets are styled once, when first shown."""
    from therapytimer.ui import theme

    theme.follow(context.prefs, app)


def main(context: Context) -> int:
    if not has_screen():
        print(NO_SCREEN, file=sys.stderr)
        return 2
    from therapytimer.ui.dialogs import warn
    from therapytimer.ui.widgets import explained

    app = application()
    dress(app, context)
    try:
        window = create_window(context)
    except TherapyTimerError as exc:
        warn(None, "TherapyTimer cannot open its data", explained(exc))
        return 2
    window.welcome()  # the first start only: the welcome panel, inside the window
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


NONE_TICKS = 100  # display updates the self-test makes while a timer runs: each makes about 7 Qt calls that
# return nothing (measured), so a leaking binding loses some 700 references here, 14 times the slack
NONE_SLACK = 50  # transient references to None come and go; a leaking binding loses one per call


def none_references_lost(window: MainWindow, ticks: int = NONE_TICKS) -> int:
    """How many references to None `ticks` display updates lose (0 with a sound Qt binding).

    PySide6 6.12.0 on Python 3.11 drops one reference to None on every call that returns nothing, so the
    window aborts ("none_dealloc") after some minutes of timing; on 3.12+ None is immortal and this is 0.
    """
    import gc

    gc.freeze()  # what start-up made is set aside: the collection below scans only what the ticks made
    try:
        before = sys.getrefcount(None)
        for _ in range(ticks):
            window.tick()
        gc.collect()
        return max(before - sys.getrefcount(None), 0)
    finally:
        gc.unfreeze()


def self_test() -> int:
    """Start the full app on a temporary database, start one timer, show the window and close it as soon
    as it has painted; then update the display 100 times (a binding that leaks None fails here, not
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
        context = build_context(
            str(Path(folder) / "self-test.db"), settings_file=Path(folder) / "settings.json", strict_catalog=False
        )
        dress(app, context)
        window = create_window(context)

        class FirstPaint(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and not painted:
                    painted.append(time.time())
                    QTimer.singleShot(0, window.close)
                return False

        watcher = FirstPaint()
        window.installEventFilter(watcher)
        session = window.timers.open_session("SELF", Discipline.PT, provider="self-test")
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
        if window.timers.running():
            raise RuntimeError("the timer did not stop")
        window.workspace.close()
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
