"""`therapytimer case`, `plan-of-care`, `mark` and `close --progress-report`: issue #12's done-when, with a
2025 Medicare PT case imported day by day exactly as a clinician without an EMR would bring it in."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.cli.conftest import Cli
from therapytimer.core.case import ONLY_HERE
from therapytimer.core.clock import FakeClock


def weekdays(first: date, n: int) -> list[date]:
    out: list[date] = []
    day = first
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


DAYS = weekdays(date(2025, 1, 6), 34)


def import_day(cli: Cli, tmp_path: Path, n: int, *, report: bool = False, discipline: str = "PT") -> None:
    """Treatment day `n` (1: the evaluation day) as one import file."""
    codes: list[dict[str, Any]] = [{"code": "97110", "minutes": 23}, {"code": "97140", "minutes": 15}]
    if discipline == "OT":
        codes = [{"code": "97530", "minutes": 30}]
    elif n == 1:
        codes.insert(0, {"code": "97161"})
    session: dict[str, Any] = {
        "id": f"{discipline}-{n}",
        "patient": "MT 1",
        "discipline": discipline,
        "rule": "cms",
        "date": DAYS[n - 1].isoformat(),
        "codes": codes,
    }
    if report:
        session["progress_report"] = True
    path = tmp_path / f"{discipline}-{n}.json"
    path.write_text(json.dumps({"format": "therapytimer-sessions/1", "sessions": [session]}), encoding="utf-8")
    cli.ok("import", str(path))


def go_to(clock: FakeClock, moment: datetime) -> None:
    """The clinic's day: the wall clock put at `moment` (this process has no timer running yet)."""
    clock.set_wall((moment - clock.now()).total_seconds())


def case(cli: Cli, *extra: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cli.ok("case", "MT 1", "--year", "2025", "--json", *extra))
    return data


def test_the_countdown_and_the_threshold_day_by_day(cli: Cli, tmp_path: Path) -> None:
    for n in range(1, 10):
        import_day(cli, tmp_path, n)
    pt = case(cli)["disciplines"][0]
    assert pt == {
        "discipline": "PT",
        "treatment_days": 9,
        "since_progress_report": 9,
        "progress_report_due": True,
        "plan_of_care": None,
    }
    import_day(cli, tmp_path, 10, report=True)
    for n in (11, 12):
        import_day(cli, tmp_path, n)
    pt = case(cli)["disciplines"][0]
    assert (pt["treatment_days"], pt["since_progress_report"], pt["progress_report_due"]) == (12, 2, False)
    for n in range(13, 33):
        import_day(cli, tmp_path, n, report=n in (20, 30))
    data = case(cli)
    assert data["thresholds"][0] == {
        "disciplines": ["PT", "SLP"],
        "threshold": "2410.00",
        "allowed_estimate": "2373.29",  # $98.01 + $64.36 on the evaluation day, $71.32 a day after
        "over": False,
    }
    import_day(cli, tmp_path, 33)
    data = case(cli)
    assert data["thresholds"][0]["allowed_estimate"] == "2444.61"
    assert data["thresholds"][0]["over"] is True
    assert data["notes"] == [ONLY_HERE]
    import_day(cli, tmp_path, 34, discipline="OT")
    data = case(cli)
    assert [d["discipline"] for d in data["disciplines"]] == ["PT", "OT"]
    assert (data["disciplines"][1]["treatment_days"], data["disciplines"][1]["since_progress_report"]) == (1, 1)
    assert data["thresholds"][1]["disciplines"] == ["OT"] and data["thresholds"][1]["over"] is False
    assert data["thresholds"][0]["allowed_estimate"] == "2444.61"  # the OT day is not PT+SLP's


def test_case_text_says_what_it_counts(cli: Cli, tmp_path: Path) -> None:
    import_day(cli, tmp_path, 1)
    out = cli.ok("case", "MT 1", "--year", "2025")
    assert out.splitlines() == [
        "MT 1 · 2025 (as of 2025-12-31)",
        "  PT visit 1 without a progress report: due in 9 visits (1 treatment day in 2025)",
        "  PT plan of care: not entered",
        "  PT+SLP $162.37 of $2,410 (2025 therapy threshold)",
        "  OT $0 of $2,410 (2025 therapy threshold)",
        f"  note: {ONLY_HERE}",
    ]


def test_plan_of_care_is_entered_checked_and_shown(cli: Cli, tmp_path: Path) -> None:
    import_day(cli, tmp_path, 1)
    out = cli.ok("plan-of-care", "MT 1", "--discipline", "PT", "--start", "2025-01-06", "--end", "2025-04-05")
    assert out.splitlines()[0] == "MT 1 PT plan of care: 2025-01-06 to 2025-04-05 (90 days)."
    err = cli.refused("plan-of-care", "MT 1", "--discipline", "PT", "--start", "2025-01-06", "--end", "2025-04-06")
    assert "at most 90 calendar days" in err and "the latest end is 2025-04-05" in err
    assert "Usage" not in err
    assert case(cli)["disciplines"][0]["plan_of_care"] == {"start": "2025-01-06", "end": "2025-04-05"}
    assert cli.refused("plan-of-care", "MT 1", "--start", "2025-01-06", "--end", "2025-02-01").endswith(
        "give --discipline PT, OT or SLP"
    )
    assert "No plan of care" not in cli.ok("plan-of-care", "MT 1")
    cli.ok("plan-of-care", "MT 1", "--discipline", "PT", "--start", "2025-01-06", "--remove")
    assert case(cli)["disciplines"][0]["plan_of_care"] is None


def test_close_with_a_progress_report_and_mark_afterwards(cli: Cli, clock: FakeClock) -> None:
    go_to(clock, datetime(2025, 3, 3, 15, 0, tzinfo=UTC))
    cli.ok("start", "97110", "--patient", "MT 1", "--discipline", "PT")
    clock.advance(minutes=20)
    out = cli.ok("close", "--patient", "MT 1", "--progress-report")
    assert out.startswith("Closed MT 1 · PT · session ") and "(progress report written)" in out.splitlines()[0]
    data = json.loads(cli.ok("case", "MT 1", "--json"))
    assert data["year"] == 2025 and data["disciplines"][0]["since_progress_report"] == 0
    out = cli.ok("mark", "--patient", "MT 1", "--no-progress-report", "--kx")
    assert out.splitlines()[0] == "MT 1 · PT · 2025-03-03: progress report not written; KX on the lines."
    csv = cli.ok("export", "--date", "2025-03-03")
    assert ",GP KX," in csv
    assert cli.refused("mark", "--patient", "MT 1").endswith("--kx or --no-kx")
    assert cli.refused("mark", "--patient", "XY", "--kx") == "mark: XY has no session on 2025-03-03"


def test_status_and_check_show_the_case(cli: Cli, clock: FakeClock, tmp_path: Path) -> None:
    for n in range(1, 10):
        import_day(cli, tmp_path, n)
    go_to(clock, datetime.combine(DAYS[9], datetime.min.time(), UTC) + timedelta(hours=15))
    cli.ok("start", "97110", "--patient", "MT 1", "--discipline", "PT")
    clock.advance(minutes=25)
    out = cli.ok("status")
    assert "  PT visit 10 without a progress report: due at this visit" in out.splitlines()
    assert json.loads(cli.ok("status", "--json"))["sessions"][0]["case"][0].startswith("PT visit 10")
    cli.ok("close", "--patient", "MT 1")
    code, out, _ = cli("check", "--json")
    assert code == 1
    kinds = [f["kind"] for f in json.loads(out)["findings"]]
    assert "progress-report" in kinds
    cli.ok("mark", "--patient", "MT 1", "--progress-report")
    code, out, _ = cli("check", "--json")
    assert "progress-report" not in [f["kind"] for f in json.loads(out)["findings"]]


def test_a_year_that_is_not_one_is_refused(cli: Cli) -> None:
    assert "is not a year" in cli.refused("case", "MT 1", "--year", "25")
