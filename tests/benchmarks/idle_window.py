"""Idle CPU of the window with three timers running (concurrent mode), for bench_window.py.

    python tests/benchmarks/idle_window.py SECONDS

Prints the CPU seconds the process used during SECONDS of wall time, and how many ticks ran.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from therapytimer.core.catalog import Discipline
from therapytimer.services.context import build_context
from therapytimer.ui.app import create_window


def main() -> int:
    seconds = float(sys.argv[1])
    app = QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp(prefix="tt-idle-"))
    context = build_context(str(folder / "idle.db"), settings_file=folder / "settings.json", strict_catalog=False)
    window = create_window(context)
    timers = window.timers
    session = timers.open_session("MT", Discipline.PT)
    for code in ("97110", "97112", "97140"):
        timers.start(session.id, code, exclusive=False)
    window._fill_sessions(session.id)
    window.show()
    ticks = [0]
    window.ticker.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    QTimer.singleShot(1000, lambda: marks.append((time.perf_counter(), time.process_time())))
    marks: list[tuple[float, float]] = []
    QTimer.singleShot(int(1000 + seconds * 1000), app.quit)
    app.exec()
    wall, cpu = time.perf_counter() - marks[0][0], time.process_time() - marks[0][1]
    print(f"{cpu:.4f} {wall:.3f} {ticks[0]} {len(timers.running())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
