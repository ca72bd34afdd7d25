"""Benchmark: `week`, `export`, opening and importing against a 10-year history (run on demand).

    .venv/bin/python tests/benchmarks/bench_history.py [--runs 15]

Targets (issue 3): week and one day's export under 50 ms of query time and 400 ms per CLI call; opening
the database with its migration check under 20 ms; importing 40,000 sessions from one file under 15 s;
and the same commands on an empty database, to show the cost does not grow with the history.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.history import generate
from therapytimer.core.catalog import load_catalog
from therapytimer.core.exchange import dump_sessions
from therapytimer.core.export import rows, to_csv
from therapytimer.core.reports import bill_day, week_bounds, week_report
from therapytimer.storage.database import open_database
from therapytimer.storage.store import Store

CLI = Path(sys.executable).with_name("therapytimer")
DAY = date(2026, 11, 25)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cli(db: Path, *args: str) -> Callable[[], object]:
    return lambda: subprocess.run([str(CLI), "--db", str(db), *args], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    work = Path(tempfile.mkdtemp(prefix="tt-bench-"))
    big, month, empty = work / "history.db", work / "month.db", work / "empty.db"
    start = time.perf_counter()
    counts = generate(big)
    print(f"generated {counts} in {time.perf_counter() - start:.1f} s ({big.stat().st_size / 2**20:.0f} MiB)")
    generate(month, days=30)  # the same recent weeks, without the nine years and eleven months before them
    open_database(empty, create=True).conn.close()
    catalog = load_catalog(include_user=False)
    now = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    first, last = week_bounds(DAY)
    results: dict[str, float] = {}
    for name, db in (("empty", empty), ("1-month", month), ("10-year", big)):
        store = Store.open(db)

        def week_query(store: Store = store) -> object:
            return store.sessions_between(first, last)

        def week_full(store: Store = store) -> object:
            return week_report(store.sessions_between(first, last), catalog, now, first, last)

        def day_query(store: Store = store) -> object:
            return store.sessions_on(DAY)

        def day_full(store: Store = store) -> object:
            return to_csv(rows(bill_day(store.sessions_on(DAY), catalog, now)))

        def reopen(db: Path = db) -> object:
            open_database(db).conn.close()
            return None

        results[f"open+migration check ({name})"] = median_ms(reopen, runs)
        results[f"week query ({name})"] = median_ms(week_query, runs)
        results[f"week query+report ({name})"] = median_ms(week_full, runs)
        results[f"day export query ({name})"] = median_ms(day_query, runs)
        results[f"day export query+CSV ({name})"] = median_ms(day_full, runs)
        store.close()
        results[f"CLI week ({name})"] = median_ms(cli(db, "week", "--date", DAY.isoformat(), "--json"), runs)
        results[f"CLI export ({name})"] = median_ms(cli(db, "export", "--date", DAY.isoformat()), runs)
    store = Store.open(big)
    all_sessions = store.sessions_between(date(2000, 1, 1), date(2100, 1, 1))
    store.close()
    doc = dump_sessions(all_sessions[:40_000], now)
    source = work / "import.json"
    source.write_text(json.dumps(doc))
    target = work / "imported.db"
    start = time.perf_counter()
    subprocess.run([str(CLI), "--db", str(target), "import", str(source)], check=True, capture_output=True)
    results["CLI import of 40,000 sessions"] = (time.perf_counter() - start) * 1000
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value:9.1f} ms")
    for what in ("week query", "day export query", "CLI week", "CLI export"):
        ratio = results[f"{what} (10-year)"] / results[f"{what} (1-month)"]
        print(f"{what}: 10-year / 1-month history = {ratio:.2f}")
    for what in ("CLI week", "CLI export"):
        print(f"{what}: 10-year / empty = {results[f'{what} (10-year)'] / results[f'{what} (empty)']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
