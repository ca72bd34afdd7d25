"""import, export and week end to end on real SQLite files: the contract and every bad input."""

from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import open_workspace
from therapytimer.cli import main
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.rules import Rule
from therapytimer.core.session import Who

DAY = "2026-11-23"
HEADER = (
    "date,patient,discipline,provider,rule,code,description,modifiers,minutes,units,"
    "total_timed_minutes,total_treatment_minutes,payer"
)


def run_at(clock: FakeClock, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """A command run at the fake clock's time (no test reads the real date)."""
    code = main(list(args), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database holding one realistic Monday: two PT visits for MT, one OT visit for =JK."""
    path = tmp_path / "clinic.db"
    clock = FakeClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    workspace = open_workspace(path, clock)
    timers = workspace.timers
    am = timers.open_session("MT", Discipline.PT, provider="Dana Lee")
    timers.start(am.id, "97112")
    clock.advance(minutes=24, seconds=40)
    timers.start(am.id, "97110")
    clock.advance(minutes=13)
    timers.set_who(am.id, "97110", Who.ASSISTANT)
    clock.advance(minutes=10)
    timers.add_service(am.id, "97161", 30)
    timers.close(am.id)
    pm = timers.open_session("MT", Discipline.PT, provider="Sam Ortiz")
    timers.start(pm.id, "97110")
    clock.advance(minutes=9)
    timers.close(pm.id)
    ot = timers.open_session("=JK", Discipline.OT, payer="Commercial (per-code rule)")
    timers.correct(ot.id, "97530", 20, reason="timer not started")
    timers.close(ot.id)
    workspace.close()
    return path


def sessions_in(path: Path) -> int:
    workspace = open_workspace(path, FakeClock(), create=False)
    try:
        return len(workspace.timers.sessions_between(date(2000, 1, 1), date(2100, 1, 1)))
    finally:
        workspace.close()


def test_export_csv_to_stdout(db: Path, capfdbinary: Any) -> None:
    code = main(["--db", str(db), "export", "--date", DAY])
    out = capfdbinary.readouterr().out
    assert code == 0
    assert out.startswith(b"\xef\xbb\xbf")
    lines = out.decode("utf-8-sig").split("\r\n")
    assert lines[0] == HEADER
    assert lines[1:-1] == [
        f"{DAY},'=JK,OT,,ama,97530,Therapeutic activities,GO,20,1,20,20,Commercial (per-code rule)",
        f"{DAY},MT,PT,Dana Lee; Sam Ortiz,cms,97110,Therapeutic exercise,GP,22,1,56,86,Medicare",
        f"{DAY},MT,PT,Dana Lee; Sam Ortiz,cms,97110,Therapeutic exercise,GP CQ,10,1,56,86,Medicare",
        f"{DAY},MT,PT,Dana Lee; Sam Ortiz,cms,97112,Neuromuscular re-education,GP,24,2,56,86,Medicare",
        f"{DAY},MT,PT,Dana Lee; Sam Ortiz,cms,97161,PT evaluation: low complexity,GP,30,1,56,86,Medicare",
    ]
    assert lines[-1] == ""


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_export_is_byte_stable_and_written_atomically(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    out = db.parent / "day.csv"
    code, _, err = run(capsys, "export", "--db", str(db), "--date", DAY, "--out", str(out))
    assert code == 0 and "Wrote" in err
    first = out.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    code, _, err = run(capsys, "export", "--db", str(db), "--date", DAY, "--out", str(out))
    assert code == 2 and "already exists" in err and "--force" in err
    assert run(capsys, "export", "--db", str(db), "--date", DAY, "--out", str(out), "--force")[0] == 0
    assert out.read_bytes() == first
    assert sorted(p.name for p in db.parent.iterdir() if p.name.startswith(".")) == []


def test_json_backup_round_trips_through_import(capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    assert run(capsys, "--db", str(db), "export", "--date", DAY, "--format", "json", "--out", str(backup))[0] == 0
    data = json.loads(backup.read_text())
    assert data["format"] == "therapytimer-sessions/1" and len(data["sessions"]) == 3
    fresh = tmp_path / "fresh.db"
    code, out, _ = run(capsys, "--db", str(fresh), "import", str(backup))
    assert code == 0 and out.strip().endswith("3 sessions added, 0 skipped (already stored).")
    code, out, _ = run(capsys, "--db", str(fresh), "import", str(backup))
    assert "0 sessions added, 3 skipped" in out
    original = tmp_path / "a.csv"
    restored = tmp_path / "b.csv"
    run(capsys, "--db", str(db), "export", "--date", DAY, "--out", str(original))
    run(capsys, "--db", str(fresh), "export", "--date", DAY, "--out", str(restored))
    assert original.read_bytes() == restored.read_bytes()


def test_week(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = run(capsys, "--db", str(db), "week", "--date", "2026-11-26", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["week_start"], data["week_end"]) == ("2026-11-23", "2026-11-29")
    monday = data["days"][0]
    assert monday["date"] == DAY and monday["sessions"] == 3
    assert monday["timed_minutes"] == 56 + 20 and monday["units"] == 6
    assert monday["codes"]["97110"] == {"minutes": 32, "units": 2}
    # MT (2025 RVUs, MPPR): 97161 in full 98.01 (the highest PE); 2 × 97112 24.26, 97110 21.83 and its CQ
    # unit 0.85 × 21.83 = 18.56 with half their PE; =JK's 97530 in full 34.61. Without MPPR: 249.92.
    assert monday["revenue"] == "221.53"
    assert data["totals"]["units"] == 6 and data["totals"]["revenue"] == "221.53"
    assert data["days"][1]["sessions"] == 0
    code, out, _ = run(capsys, "--db", str(db), "week", "--date", "2026-11-23", "--week-start", "sunday")
    assert code == 0 and out.startswith("Week Sun 2026-11-22 to Sat 2026-11-28")
    assert "Mon 2026-11-23         3" in out and "97112  Neuromuscular re-education" in out


def test_export_warns_about_running_timers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    clock = FakeClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    workspace = open_workspace(path, clock)
    s = workspace.timers.open_session("MT", Discipline.PT)
    workspace.timers.start(s.id, "97110")
    workspace.close()
    clock.advance(minutes=91)
    code, out, err = run_at(clock, capsys, "--db", str(path), "export")
    assert (code, out) == (2, "") and err == (
        "export: 2026-11-23 is not finished: 2 things still open or running; nothing was exported. "
        "Close them first, or add --allow-open:\n"
        "  MT (PT): session open\n"
        "  MT: 97110 started 2026-11-23 14:00, past the 90-minute limit and not confirmed\n"
    )
    code, out, err = run_at(clock, capsys, "--db", str(path), "export", "--allow-open")
    assert code == 0 and ",MT,PT,,cms,97110,Therapeutic exercise,GP,90,6," in out  # only up to the limit
    assert err.startswith("note: exported with 2 things not finished")


def _write(tmp_path: Path, name: str, payload: object) -> Path:
    path = tmp_path / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return path


def _session(**overrides: object) -> dict[str, object]:
    item: dict[str, object] = {
        "patient": "AB",
        "discipline": "PT",
        "rule": "cms",
        "date": DAY,
        "codes": [{"code": "97110", "minutes": 23}],
    }
    return item | overrides


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON"),
        ({"format": "other/2", "sessions": []}, "format: must be 'therapytimer-sessions/1'"),
        (
            {"format": "therapytimer-sessions/1", "sessions": [_session(codes=[{"code": "97110", "minutes": -3}])]},
            "sessions[0].codes[0].minutes: must be a whole number from 0 to 1440",
        ),
        (
            {
                "format": "therapytimer-sessions/1",
                "sessions": [_session(), _session(codes=[{"code": "97110", "minutes": 5000}])],
            },
            "sessions[1].codes[0].minutes: must be a whole number from 0 to 1440",
        ),
        ({"format": "therapytimer-sessions/1", "sessions": [_session(discipline="PTA")]}, "sessions[0].discipline"),
        (
            {"format": "therapytimer-sessions/1", "sessions": [_session(rule="bcbs")]},
            "sessions[0].rule: must be cms or ama",
        ),
        ({"format": "therapytimer-sessions/1", "sessions": [_session(date="2026-02-30")]}, "sessions[0].date"),
    ],
)
def test_import_refuses_bad_files_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, payload: object, message: str
) -> None:
    before = sessions_in(db)
    code, out, err = run(capsys, "--db", str(db), "import", str(_write(tmp_path, "in.json", payload)))
    assert code == 2 and out == ""
    assert "nothing was imported" in err and message in err
    assert sessions_in(db) == before


def test_import_reports_every_problem_at_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = {"format": "therapytimer-sessions/1", "sessions": [_session(patient=""), _session(rule="x", date="soon")]}
    code, _, err = run(capsys, "import", str(_write(tmp_path, "in.json", bad)))
    assert code == 2 and "3 problems" in err
    assert "sessions[0].patient" in err and "sessions[1].rule" in err and "sessions[1].date" in err


@pytest.mark.parametrize("kind", ["folder", "missing", "binary"])
def test_import_bad_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str) -> None:
    path = {"folder": tmp_path, "missing": tmp_path / "nope.json", "binary": tmp_path / "x.json"}[kind]
    if kind == "binary":
        path.write_bytes(b"\xff\xfe\xfa")
    code, _, err = run(capsys, "import", str(path))
    assert code == 2 and {"folder": "is a folder", "missing": "cannot be read", "binary": "not UTF-8"}[kind] in err


def test_a_database_that_is_not_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fake = tmp_path / "notes.db"
    fake.write_bytes(b"private notes " * 400)
    for args in (
        ["week"],
        ["export"],
        ["import", str(_write(tmp_path, "ok.json", {"format": "therapytimer-sessions/1", "sessions": [_session()]}))],
    ):
        code, out, err = run(capsys, "--db", str(fake), *args)
        assert code == 2 and out == ""
        assert f"{fake} is not a TherapyTimer database, or it is damaged" in err
    assert fake.read_bytes() == b"private notes " * 400


def test_a_folder_as_database_and_bad_dates(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--db", str(tmp_path), "week")
    assert code == 2 and "is a folder, not a database file" in err
    for args in (["export", "--date", "2026-13-01"], ["week", "--date", "monday"], ["export", "--format", "xml"]):
        code, _, err = run(capsys, *args)
        assert code == 2 and err.count("\n") == 1


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_export_out_is_a_folder_a_device_or_the_database(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "--db", str(db), "export", "--date", DAY, "--out", str(tmp_path))
    assert code == 2 and "is a folder" in err
    code, _, err = run(capsys, "--db", str(db), "export", "--date", DAY, "--out", "/dev/null", "--force")
    assert code == 2 and "not a regular file" in err
    before = db.read_bytes()
    code, _, err = run(capsys, "--db", str(db), "export", "--date", DAY, "--out", str(db), "--force")
    assert code == 2 and f"export: {db} is your database itself; choose another file name" in err
    assert db.read_bytes() == before


def test_a_code_no_longer_in_the_catalog(capsys: pytest.CaptureFixture[str], tmp_path: Path, user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text("code,short_name,kind\nX0001,Custom,timed\n")
    payload = {"format": "therapytimer-sessions/1", "sessions": [_session(codes=[{"code": "X0001", "minutes": 30}])]}
    assert run(capsys, "import", str(_write(tmp_path, "in.json", payload)))[0] == 0
    (user_dirs / "codes.csv").unlink()
    for args in (["export", "--date", DAY], ["week", "--date", DAY]):
        code, _, err = run(capsys, *args)
        assert code == 2 and "X0001 is not in the code catalog" in err and "fix the catalog" in err


def test_reading_commands_never_create_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for args in (["week"], ["export"], ["--db", str(tmp_path / "typo.db"), "export"]):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and "there is no database at" in err and "a mistyped file name" in err
        assert err.endswith("; use --db (or THERAPYTIMER_DB) with another file\n") and err.count("\n") == 1
    assert not (tmp_path / "data").exists() and not (tmp_path / "typo.db").exists()
    code, _, err = run(capsys, "--db", " ", "week")
    assert code == 2 and "--db is empty; it needs a database file name" in err and err.count("\n") == 1


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_default_database_is_created_private(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    payload = {"format": "therapytimer-sessions/1", "sessions": [_session()]}
    assert run(capsys, "import", str(_write(tmp_path, "in.json", payload)))[0] == 0
    db = tmp_path / "data" / "therapytimer.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_store_rule_is_kept_per_session(db: Path) -> None:
    workspace = open_workspace(db, FakeClock(), create=False)
    rules = {s.patient: s.rule for s in workspace.timers.sessions_on(date(2026, 11, 23))}
    workspace.close()
    assert rules == {"MT": Rule.CMS, "=JK": Rule.AMA}


def test_week_revenue_uses_the_clinics_fee_table(capsys: pytest.CaptureFixture[str], db: Path, user_dirs: Path) -> None:
    (user_dirs / "settings.json").write_text(json.dumps({"fees": {"97530": "50.00", "97999": "1"}}))
    code, out, err = run(capsys, "--db", str(db), "week", "--date", DAY, "--json")
    assert code == 0 and json.loads(out)["totals"]["revenue"] == "236.92"  # 221.53 - 34.61 + 50.00
    assert err == "note: fees for 1 code not in the code catalog, left out: 97999\n"


def test_week_survives_a_fee_of_1e400(capsys: pytest.CaptureFixture[str], db: Path, user_dirs: Path) -> None:
    """Decimal('1E+400') is finite, so it once passed and then made `week` raise InvalidOperation."""
    path = user_dirs / "settings.json"
    path.write_text(json.dumps({"fees": {"97110": "1e400", "97530": "50.00"}}))
    code, out, err = run(capsys, "--db", str(db), "week", "--date", DAY, "--json")
    assert code == 0 and json.loads(out)["totals"]["revenue"] == "236.92"  # 97110 at its RVU amount, 97530 at 50.00
    assert err.count("\n") == 1 and err.startswith(f"note: {path}: fees: 1 entry is not a code with an amount")
    assert '("97110": "1e400")' in err


def test_week_survives_a_settings_file_nested_100000_deep(
    capsys: pytest.CaptureFixture[str], db: Path, user_dirs: Path
) -> None:
    path = user_dirs / "settings.json"
    path.write_text('{"favorites": ' + "[" * 100_000 + "]" * 100_000 + ', "fees": {"97530": "50.00"}}')
    code, out, err = run(capsys, "--db", str(db), "week", "--date", DAY, "--json")
    assert code == 0 and json.loads(out)["totals"]["revenue"] == "236.92"  # the fee beside it is kept
    assert err == f"note: {path}: favorites: nested more than 8 levels deep; using the default\n"
    path.write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = run(capsys, "--db", str(db), "week", "--date", DAY, "--json")
    assert code == 0 and json.loads(out)["totals"]["revenue"] == "221.53"  # no clinic fees: the RVU amounts
    assert err.count("\n") == 1 and err.startswith(f"note: {path}: not a JSON object") and "default settings" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"format": "therapytimer-sessions/1", "sessions": [{"patient": "AB", "discipline": "PT", "rule": "cms", '
            '"date": "2026-11-23", "codes": [{"code": "97110", "minutes": 5, "minutes": 1440}]}]}',
            'sessions[0].codes[0]: key "minutes" appears twice',
        ),
        (
            json.dumps({"format": "therapytimer-sessions/1", "sessions": [_session(), _session(provider="Dana\x00")]}),
            "sessions[1].provider: must not contain control or formatting characters",
        ),
    ],
    ids=["repeated key", "NUL in provider"],
)
def test_import_refuses_repeated_keys_and_hidden_characters(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path, text: str, message: str
) -> None:
    """Both were imported before: 1440 minutes where the file also said 5, a NUL in the biller's CSV."""
    before = sessions_in(db)
    code, out, err = run(capsys, "--db", str(db), "import", str(_write(tmp_path, "in.json", text)))
    assert code == 2 and out == ""
    assert "nothing was imported; 1 problem:" in err and f"  {message}\n" in err
    assert sessions_in(db) == before
