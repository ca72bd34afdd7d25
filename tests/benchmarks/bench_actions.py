"""Benchmark: SQL statements per click and the cost of a display tick, in the real window (offscreen).

    .venv/bin/python tests/benchmarks/bench_actions.py [--ticks 4000]

Counts every statement the window's connection runs (sqlite3's trace callback) for each click, from the
click to the redrawn window, and times display ticks with a timer running. Targets (issue 9): at most 8
statements per Start click, none per display tick.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtWidgets import QApplication, QPushButton

from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.session import Role
from therapytimer.services.context import build_context
from therapytimer.ui.app import create_window
from therapytimer.ui.dialogs import NewSession
from therapytimer.ui.main_window import MainWindow


def favorite(window: MainWindow, code: str) -> QPushButton:
    layout = window.panel.favorites
    found = (layout.itemAt(i).widget() for i in range(layout.count()))  # type: ignore[union-attr]
    return next(w for w in found if isinstance(w, QPushButton) and code in w.text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ticks", type=int, default=4000)
    ticks = parser.parse_args().ticks
    app = QApplication.instance() or QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp(prefix="tt-actions-"))
    clock = FakeClock()
    window = create_window(build_context(str(folder / "b.db"), clock=clock, settings_file=folder / "s.json"))
    window.show()
    app.processEvents()
    statements: list[str] = []
    window.workspace._store.db.conn.set_trace_callback(statements.append)

    def count(what: str, act: Callable[[], object]) -> None:
        statements.clear()
        act()
        app.processEvents()
        print(f"{what:<38} {len(statements):3d} statements")

    window.ask_new_session = lambda *_a: NewSession("MT", Discipline.PT, "Medicare", "Dana Lee", Role.THERAPIST)
    count("New session", window.new_session)
    count("Start 97110 (adds the code)", favorite(window, "97110").click)
    clock.advance(minutes=9)
    count("Start 97112 (stops 97110)", favorite(window, "97112").click)
    clock.advance(minutes=4)
    count("Start 97110 again (resume)", favorite(window, "97110").click)
    count("Pause all", window.pause_all)
    count("Poll, nothing changed", window.poll)
    favorite(window, "97110").click()
    statements.clear()
    durations = []
    for _ in range(ticks):
        clock.advance(0.25)
        start = time.perf_counter()
        window.tick()
        durations.append((time.perf_counter() - start) * 1e6)
    app.processEvents()
    print(f"{'Display tick (timer running)':<38} {len(statements) / ticks:5.1f} statements per tick")
    p95 = sorted(durations)[int(ticks * 0.95)]
    print(f"{'Display tick, median':<38} {statistics.median(durations):5.0f} µs  (p95 {p95:.0f} µs)")
    window.workspace.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
