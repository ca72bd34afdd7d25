"""A synthetic 10-year history of a busy clinician, for the benchmarks.

About 40,000 sessions (16 a working day for 10 years), 120,000 code lines and 300,000 timer segments,
written straight into a database created by the app's own migrations.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from therapytimer.core.clock import to_text
from therapytimer.storage.database import open_database

TIMED = {
    "PT": ("97110", "97112", "97140", "97530", "97116", "97535"),
    "OT": ("97530", "97535", "97110", "97112", "97140", "97533"),
    "SLP": ("97129", "96125"),
}
UNTIMED = {"PT": "97161", "OT": "97165", "SLP": "92526"}


def generate(
    path: Path, *, days: int = 3650, per_day: int = 16, last_day: date = date(2026, 11, 27), seed: int = 1
) -> dict[str, int]:
    """Fill a new database at `path`; returns the row counts."""
    rng = random.Random(seed)
    db = open_database(path, create=True)
    conn = db.conn
    sessions: list[tuple[str, ...]] = []
    codes: list[tuple[str, str, int, int | None, int | None, str]] = []
    segments: list[tuple[str, ...]] = []
    day = last_day - timedelta(days=days)
    n = 0
    while day <= last_day:
        if day.weekday() < 5:
            clock = datetime(day.year, day.month, day.day, 13, 0, tzinfo=UTC)
            for _ in range(per_day):
                discipline = rng.choice(("PT", "PT", "OT", "SLP"))
                sid = f"s{n:06d}"
                n += 1
                sessions.append(
                    (
                        sid,
                        f"P{rng.randrange(400):03d}",
                        discipline,
                        rng.choice(("cms", "ama")),
                        "Dana Lee",
                        "therapist",
                        day.isoformat(),
                        "",
                        "closed",
                        "app",
                        to_text(clock),
                        to_text(clock),
                        "Medicare",
                    )
                )
                chosen = rng.sample(TIMED[discipline], 2)
                for pos, code in enumerate(chosen):
                    codes.append((sid, code, pos, None, None, to_text(clock)))
                    for _ in range(rng.choice((3, 3, 4, 4))):
                        length = timedelta(seconds=rng.randrange(120, 700))
                        who = rng.choice(("therapist", "therapist", "assistant", "together"))
                        who = "therapist" if discipline == "SLP" and who == "assistant" else who
                        segments.append((sid, code, who, to_text(clock), to_text(clock + length)))
                        clock += length
                codes.append((sid, UNTIMED[discipline], 2, rng.choice((None, 30)), None, to_text(clock)))
        day += timedelta(days=1)
    with db.atomic():
        conn.executemany(
            "INSERT INTO sessions (id, patient, discipline, rule, provider, role, date, note, state, origin,"
            " created_at, closed_at, payer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            sessions,
        )
        conn.executemany(
            "INSERT INTO session_codes (session_id, code, position, minutes, assistant_minutes, added_at)"
            " VALUES (?,?,?,?,?,?)",
            codes,
        )
        conn.executemany(
            "INSERT INTO segments (session_id, code, who, started_at, ended_at) VALUES (?,?,?,?,?)", segments
        )
    conn.execute("PRAGMA optimize")
    conn.close()
    return {"sessions": len(sessions), "code_lines": len(codes), "segments": len(segments)}
