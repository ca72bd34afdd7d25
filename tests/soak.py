"""Soak: the real window on a real display with a timer running, alive after more than 7 minutes of timing.

    xvfb-run -a .venv/bin/python tests/soak.py               # accelerated: 20 minutes of display updates
    xvfb-run -a .venv/bin/python tests/soak.py --seconds 480 # real time, the real clock, 8 minutes

Accelerated, the clock moves 250 ms per display update and the ticker fires as fast as it can, so the
window makes every call 20 minutes of timing would make (4,800 updates), half of them in compact mode; in
real time the ticker runs as the app runs it. A Qt binding that drops references to None (PySide6 6.12.0
on Python 3.11) aborts the process here ("none_dealloc", exit 134) or fails the check below; a sound one
exits 0 and prints what it did.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QTimer

from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import Clock, FakeClock, SystemClock
from therapytimer.services.context import build_context
from therapytimer.ui.app import NONE_SLACK, application, create_window

TICK_SECONDS = 0.25
ACCELERATED_MINUTES = 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, help="run in real time for this long (default: accelerated)")
    args = parser.parse_args()
    app = application()
    folder = Path(tempfile.mkdtemp(prefix="tt-soak-"))
    fake = FakeClock() if args.seconds is None else None
    clock: Clock = fake or SystemClock()
    context = build_context(
        str(folder / "soak.db"), clock=clock, settings_file=folder / "settings.json", strict_catalog=False
    )
    window = create_window(context)
    session = window.timers.open_session("SOAK", Discipline.PT)
    window.panel.set_session(session.id)
    window.panel.start_code("97110")
    window._fill_sessions(session.id)
    window.show()
    ticks = [0]
    goal = int(ACCELERATED_MINUTES * 60 / TICK_SECONDS) if fake else None

    def counted() -> None:
        ticks[0] += 1
        if fake is not None:
            fake.advance(TICK_SECONDS)
        if goal is not None and ticks[0] == goal // 2:
            window.enter_compact()
        if goal is not None and ticks[0] >= goal:
            app.quit()

    window.ticker.timeout.connect(counted)
    if fake is not None:
        window.ticker.setInterval(0)
    else:
        QTimer.singleShot(int(args.seconds * 1000), app.quit)
    gc.collect()
    before = sys.getrefcount(None)
    app.exec()
    gc.collect()
    lost = before - sys.getrefcount(None)
    window.timers.forget()  # what the file says, not what the window remembers
    running = window.timers.running()
    elapsed = clock.now() - running[0].start if running else timedelta(0)
    window.ticker.stop()
    window.workspace.close()
    print(
        f"soak: alive after {ticks[0]} display updates, {elapsed.total_seconds() / 60:.1f} min timed, "
        f"{len(running)} timer running, {max(lost, 0)} references to None lost"
    )
    if lost > NONE_SLACK or not running:
        print("soak failed: the binding leaks references to None, or the timer stopped", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
