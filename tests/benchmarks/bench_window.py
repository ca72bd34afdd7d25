"""Benchmark: the window's start-up, memory and idle CPU (issue 4, issue 11 item 9), run on demand.

    .venv/bin/python tests/benchmarks/bench_window.py [--runs 21] [--idle 20]

- Start-up: the whole `therapytimer --self-test` process against the whole process of the floor, a bare
  PySide6 QMainWindow with a QTableView that also imports sqlite-utils and runs one query, then shows,
  paints once and quits (bare_window.py); the two alternate in one run, offscreen; target ratio at most
  1.25. The bare window without the database is measured too, for reference.
- Both run from compiled bytecode, as an installed app does (pip compiles on install): the children get a
  bytecode cache of their own (PYTHONPYCACHEPREFIX, outside the tree), filled by a first run, even where
  the environment says PYTHONDONTWRITEBYTECODE.
- Peak memory (max RSS) of the self-test process; target at most 100 MiB.
- Idle CPU with three timers running (idle_window.py); target at most 1 % of a core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).with_name("therapytimer")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"QT_QPA_PLATFORM": "offscreen"}


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall ms, CPU ms (user + system: what a busy shared machine disturbs least) and peak RSS MiB of one
    child process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--idle", type=float, default=20.0)
    args = parser.parse_args()
    app_cmd = [str(CLI), "--self-test"]
    floor_cmd = [sys.executable, str(HERE / "bare_window.py")]
    bare_cmd = [*floor_cmd, "--no-database"]
    with tempfile.TemporaryDirectory(prefix="therapytimer-bench-pyc-") as cache:
        env = ENV | {"PYTHONPYCACHEPREFIX": cache}
        for cmd in (app_cmd, floor_cmd, bare_cmd):
            run(cmd, env)  # fills the bytecode cache; not measured
        app, floor, bare = [], [], []
        for _ in range(args.runs):
            app.append(run(app_cmd, env))
            floor.append(run(floor_cmd, env))
            bare.append(run(bare_cmd, env))
        idle = subprocess.run(
            [sys.executable, str(HERE / "idle_window.py"), str(args.idle)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=HERE.parents[1],
        ).stdout.split()
    for i, what in ((0, "wall"), (1, "CPU")):
        med_app, med_floor = statistics.median(r[i] for r in app), statistics.median(r[i] for r in floor)
        med_bare = statistics.median(r[i] for r in bare)
        print(
            f"{what}: self-test process median {med_app:.0f} ms; floor (bare window + sqlite-utils + one query) "
            f"median {med_floor:.0f} ms; ratio {med_app / med_floor:.2f} (target <= 1.25); bare window alone "
            f"{med_bare:.0f} ms"
        )
    rss = [r[2] for r in app]
    print(f"self-test peak memory: median {statistics.median(rss):.0f} MiB, max {max(rss):.0f} MiB (target <= 100)")
    cpu, wall, ticks, running = float(idle[0]), float(idle[1]), int(idle[2]), int(idle[3])
    print(
        f"idle with {running} timers running: {100 * cpu / wall:.2f} % of a core over {wall:.0f} s "
        f"({ticks / wall:.1f} ticks/s; target <= 1 %)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
