"""Benchmark: the window's start-up, memory and idle CPU (issue 4), run on demand.

    .venv/bin/python tests/benchmarks/bench_window.py [--runs 15] [--idle 20]

- Start-up: the whole `therapytimer --self-test` process against the whole process of a bare PySide6
  QMainWindow with a QTableView that shows, paints once and quits (bare_window.py), alternately in the
  same run, offscreen; target ratio at most 1.5.
- Peak memory (max RSS) of the self-test process; target at most 100 MiB.
- Idle CPU with three timers running (idle_window.py); target at most 1 % of a core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).with_name("therapytimer")
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen")


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall ms and peak RSS MiB of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed")
    return wall, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    app_cmd = [str(CLI), "--self-test"]
    bare_cmd = [sys.executable, str(HERE / "bare_window.py")]
    bare_db_cmd = [*bare_cmd, "--with-sqlite-utils"]
    for cmd in (app_cmd, bare_cmd, bare_db_cmd):
        run(cmd)
    app, bare, bare_db, rss = [], [], [], []
    for _ in range(args.runs):
        wall, peak = run(app_cmd)
        app.append(wall)
        rss.append(peak)
        bare.append(run(bare_cmd)[0])
        bare_db.append(run(bare_db_cmd)[0])
    med_app, med_bare, med_db = statistics.median(app), statistics.median(bare), statistics.median(bare_db)
    print(
        f"self-test process: median {med_app:.0f} ms; bare window: median {med_bare:.0f} ms; "
        f"ratio {med_app / med_bare:.2f} (target <= 1.5)"
    )
    print(
        f"bare window + import sqlite_utils: median {med_db:.0f} ms ({med_db / med_bare:.2f} x bare); "
        f"self-test / that = {med_app / med_db:.2f}"
    )
    print(f"self-test peak memory: median {statistics.median(rss):.0f} MiB, max {max(rss):.0f} MiB (target <= 100)")
    out = subprocess.run(
        [sys.executable, str(HERE / "idle_window.py"), str(args.idle)],
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parents[1],
    ).stdout.split()
    cpu, wall, ticks, running = float(out[0]), float(out[1]), int(out[2]), int(out[3])
    print(
        f"idle with {running} timers running: {100 * cpu / wall:.2f} % of a core over {wall:.0f} s "
        f"({ticks / wall:.1f} ticks/s; target <= 1 %)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
