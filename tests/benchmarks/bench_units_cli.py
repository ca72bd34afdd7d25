"""Benchmark: wall time of one `therapytimer units` call (target: median under 150 ms).

Run on demand, not in the test suite (shared machines are noisy):

    .venv/bin/python tests/benchmarks/bench_units_cli.py [--runs 40]

Runs the command and a bare `python -c pass` (the interpreter's own start-up floor) alternately, so
both see the same machine load, and prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_MS = 150.0
CLI = Path(sys.executable).with_name("therapytimer")
UNITS = [str(CLI), "units", "--discipline", "PT", "97112=24", "97110=23", "97140=8", "97161", "--assistant", "97110=9"]
FLOOR = [sys.executable, "-c", "pass"]


def _once(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    runs = parser.parse_args().runs
    _once(UNITS)  # warm the file cache
    units, floor = [], []
    for _ in range(runs):
        units.append(_once(UNITS))
        floor.append(_once(FLOOR))
    med_units, med_floor = statistics.median(units), statistics.median(floor)
    print(f"therapytimer units: median {med_units:.1f} ms over {runs} runs (target < {TARGET_MS:.0f} ms)")
    print(f"python -c pass:     median {med_floor:.1f} ms (interpreter start-up floor)")
    print(f"ratio units/floor:  {med_units / med_floor:.2f}")
    return 0 if med_units < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
