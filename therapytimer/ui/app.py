"""Composition root of the window: a workspace on the context the command line built, and the window.

Nothing is global: every object is made from the one `Context` and passed in. `self_test` runs the same
path on a temporary database and reports how long the first painted window took.

The layers below the window (use cases, storage, sqlite-utils) are imported with this module, before any
Qt: PySide6 hooks every import that follows its own and reads the imported module's source (looking for
`from __feature__ import`), some 0.1 ms a module.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from therapytimer.core.errors import TherapyTimerError
from therapytimer.services.context import Context, build_context
from therapytimer.services.workspace import Workspace

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
    from therapytimer.ui.theme import STYLE, STYLED

    app = QApplication.instance()
    if app is None:  # made in the theme's style with Qt's own -style option: see theme.apply
        app = QApplication([sys.argv[0] if sys.argv else "therapytimer", "-style", STYLE])
        app.setProperty(STYLED, True)
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


def started() -> None:
    """Start-up is over. It ran with the cyclic garbage collector off (`gc.disable()` first): the modules,
    classes and widgets it makes live as long as the process, and collecting while they are made only
    scans them again and again. They are now frozen, so no collection scans them again, not even the
    interpreter's at exit (both together: some 25 ms); what comes after is collected as usual."""
    gc.freeze()
    gc.enable()


def main(context: Context) -> int:
    if not has_screen():
        print(NO_SCREEN, file=sys.stderr)
        return 2
    gc.disable()  # until started()
    try:
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
        started()
        return int(app.exec())
    finally:
        gc.enable()


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


def none_references_lost(window: MainWindow, ticks: int = NONE_TICKS, *, keep_frozen: bool = False) -> int:
    """How many references to None `ticks` display updates lose (0 with a sound Qt binding).

    PySide6 6.12.0 on Python 3.11 drops one reference to None on every call that returns nothing, so the
    window aborts ("none_dealloc") after some minutes of timing; on 3.12+ None is immortal and this is 0.
    """
    gc.freeze()  # what start-up made is set aside: the collection below scans only what the ticks made
    try:
        before = sys.getrefcount(None)
        for _ in range(ticks):
            window.tick()
        gc.collect()
        return max(before - sys.getrefcount(None), 0)
    finally:
        if not keep_frozen:  # after started(): what start-up made stays frozen
            gc.unfreeze()


def self_test() -> int:
    """Start the full app on a temporary database, start one timer, show the window and close it as soon
    as it has painted; then update the display 100 times (a binding that leaks None fails here, not
    six minutes into a session) and stop the timer. Prints the ms from process start to the first paint."""
    if not has_screen():
        print(NO_SCREEN, file=sys.stderr)
        return 2
    folder = tempfile.mkdtemp(prefix="therapytimer-selftest-")
    painted: list[float] = []
    gc.disable()  # as main() does, until started()
    try:
        # The context before any Qt, as the command line builds it before main(): see the module's docstring.
        context = build_context(
            str(Path(folder) / "self-test.db"), settings_file=Path(folder) / "settings.json", strict_catalog=False
        )
        from PySide6.QtCore import QEvent, QObject, QTimer

        from therapytimer.core.catalog import Discipline

        app = application()
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
        started()
        QTimer.singleShot(10_000, app.quit)  # never hang
        app.exec()
        lost = none_references_lost(window, keep_frozen=True)  # after the first paint: not in the ms printed
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
        gc.enable()  # if start-up failed before started()
        shutil.rmtree(folder, ignore_errors=True)  # leave nothing behind
    if not painted:
        print("self-test failed: the window never painted", file=sys.stderr)
        return 1
    print(f"self-test ok: first painted window after {(painted[0] - process_start()) * 1000:.0f} ms")
    return 0
