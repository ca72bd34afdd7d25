"""Robustness of the timers, import, export and week: inputs and situations found in review, and tricky
behaviour pinned (every one of the first group once ended in a traceback or a failed write)."""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import open_workspace
from therapytimer.cli import main
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.session import SessionError, Who
from therapytimer.services.timers import Timers
from therapytimer.services.workspace import Workspace
from therapytimer.storage.database import StoreError

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
FORMAT = "therapytimer-sessions/1"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.db"


@pytest.fixture
def workspace(db_path: Path, clock: FakeClock) -> Iterator[Workspace]:
    opened = open_workspace(db_path, clock)
    yield opened
    opened.close()


@pytest.fixture
def timers(workspace: Workspace) -> Timers:
    return workspace.timers


def snapshot(path: Path) -> list[str]:
    """Every row of the database as SQL text: equal snapshots mean the data is unchanged."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def seeded(path: Path) -> Path:
    """A database holding one closed PT session (so 'unchanged' is about real rows)."""
    workspace = open_workspace(path, FakeClock(START))
    session = workspace.timers.open_session("MT", Discipline.PT)
    workspace.timers.correct(session.id, "97110", 23, reason="paper sheet")
    workspace.timers.close(session.id)
    workspace.close()
    return path


def minutes(timers: Timers, session_id: str) -> dict[str, tuple[int, int]]:
    session = timers.session(session_id)
    return {c: (t.minutes, t.assistant_minutes) for c, t in session.times(timers.clock.now()).items()}


def one_session(**codes: object) -> dict[str, object]:
    return {"patient": "MT", "discipline": "PT", "rule": "cms", "date": "2026-11-20", "codes": [codes]}


# ---- once bugs ---------------------------------------------------------------------------------------


def test_a_write_by_another_process_does_not_make_open_session_fail(workspace: Workspace, db_path: Path) -> None:
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    fired: list[str] = []

    def another_program_writes(sql: str) -> None:
        """Just before our INSERT runs, another process (e.g. a running window) commits a write."""
        if sql.startswith("INSERT INTO sessions ") and not fired:
            fired.append(sql)
            with contextlib.suppress(sqlite3.OperationalError):  # fixed: our write lock makes it wait
                other.execute("INSERT OR REPLACE INTO payers (name, rule) VALUES ('Aetna', 'ama')")

    conn = workspace._store.db.conn  # the workspace's own connection: the test watches its SQL
    conn.set_trace_callback(another_program_writes)
    try:
        session = workspace.timers.open_session("MT", Discipline.PT)
    finally:
        conn.set_trace_callback(None)
        other.close()
    assert fired
    workspace.timers.forget()  # read it back from the file, not from what this process remembers
    assert workspace.timers.session(session.id).patient == "MT"


def test_import_a_huge_number_is_a_clear_error(tmp_path: Path) -> None:
    db = seeded(tmp_path / "clinic.db")
    before = snapshot(db)
    file = tmp_path / "huge.json"
    session = json.dumps({"format": FORMAT, "sessions": [one_session(code="97110", minutes=0)]})
    file.write_text(session.replace('"minutes": 0', '"minutes": ' + "9" * 5000), encoding="utf-8")
    assert main(["--db", str(db), "import", str(file)]) == 2
    assert snapshot(db) == before


def test_import_deeply_nested_json_is_a_clear_error(tmp_path: Path) -> None:
    db = seeded(tmp_path / "clinic.db")
    before = snapshot(db)
    file = tmp_path / "deep.json"
    file.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert main(["--db", str(db), "import", str(file)]) == 2
    assert snapshot(db) == before


def test_import_a_lone_surrogate_is_a_clear_error(tmp_path: Path) -> None:
    db = seeded(tmp_path / "clinic.db")
    before = snapshot(db)
    file = tmp_path / "surrogate.json"
    body = json.dumps({"format": FORMAT, "sessions": [one_session(code="97110", minutes=20)]})
    file.write_text(body.replace('"MT"', '"M\\ud800"'), encoding="utf-8")
    assert main(["--db", str(db), "import", str(file)]) == 2
    assert snapshot(db) == before


@pytest.mark.parametrize(("day", "start"), [("9999-12-31", "monday"), ("0001-01-01", "sunday")])
def test_week_at_the_ends_of_the_calendar_is_a_clear_error(db_path: Path, day: str, start: str) -> None:
    assert main(["--db", str(seeded(db_path)), "week", "--date", day, "--week-start", start]) == 2


@pytest.mark.parametrize("command", ["week", "export"])
def test_damage_found_while_reading_is_a_clear_error(tmp_path: Path, command: str) -> None:
    path = tmp_path / "clinic.db"
    workspace = open_workspace(path, FakeClock(START))
    sessions = [
        {**one_session(code="97110", minutes=20), "id": f"s{i}", "date": "2026-11-23", "note": "x" * 1500}
        for i in range(200)
    ]
    assert workspace.records.import_text(json.dumps({"format": FORMAT, "sessions": sessions})).added == 200
    workspace.close()
    data = bytearray(path.read_bytes())
    half = len(data) // 2
    data[half:] = b"\xff" * (len(data) - half)  # page 1 and the schema survive; the rows do not
    path.write_bytes(bytes(data))
    assert main(["--db", str(path), command, "--date", "2026-11-23"]) == 2


class _FullBuffer:
    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


class _FullStdout:
    """Standard output redirected to a full disk (`therapytimer export > /mnt/usb/day.csv`)."""

    buffer = _FullBuffer()

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("command", ["week", "export"])
def test_standard_output_on_a_full_disk_is_a_clear_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    db = seeded(db_path)
    monkeypatch.setattr("sys.stdout", _FullStdout())
    assert main(["--db", str(db), command, "--date", "2026-11-23"]) == 2


# ---- tricky behaviour ----------------------------------------------------------


def test_one_at_a_time_across_sessions_never_counts_a_minute_twice(timers: Timers, clock: FakeClock) -> None:
    am = timers.open_session("MT", Discipline.PT)
    pm = timers.open_session("JK", Discipline.OT)
    timers.start(am.id, "97110")
    clock.advance(minutes=10)
    timers.start(pm.id, "97530")  # pauses MT's timer at this very instant
    clock.advance(minutes=7)
    timers.start(am.id, "97110")  # resumes MT, pauses JK
    clock.advance(minutes=5)
    assert [s.session_id for s in timers.running()] == [am.id]
    assert minutes(timers, am.id) == {"97110": (15, 0)}
    assert minutes(timers, pm.id) == {"97530": (7, 0)}


def test_set_who_splits_a_running_timer_without_losing_a_second(timers: Timers, clock: FakeClock) -> None:
    session = timers.open_session("MT", Discipline.PT)
    timers.start(session.id, "97110")
    clock.advance(minutes=7, seconds=30)
    timers.set_who(session.id, "97110", Who.ASSISTANT)
    clock.advance(minutes=7, seconds=30)
    timers.set_who(session.id, "97110", Who.TOGETHER)
    clock.advance(minutes=1)
    segments = timers.session(session.id).segments
    assert [s.who for s in segments] == [Who.THERAPIST, Who.ASSISTANT, Who.TOGETHER]
    assert all(a.end == b.start for a, b in itertools.pairwise(segments))
    assert minutes(timers, session.id) == {"97110": (8, 7)}  # 7:30 + 1:00 together; 7:30 assistant


def test_a_correction_while_running_replaces_the_past_and_keeps_counting(timers: Timers, clock: FakeClock) -> None:
    session = timers.open_session("MT", Discipline.PT)
    timers.start(session.id, "97110")
    clock.advance(minutes=10)
    timers.correct(session.id, "97110", 5, reason="started late")
    clock.advance(minutes=10)
    timers.close(session.id)  # ends the running segment at the close
    clock.advance(minutes=30)  # nothing counts after the close
    closed = timers.session(session.id)
    assert minutes(timers, session.id) == {"97110": (15, 0)}
    assert closed.corrections[0].at == START + timedelta(minutes=10)
    assert closed.segments[0].end == START + timedelta(minutes=20)
    assert (closed.corrections[0].old_minutes, closed.corrections[0].minutes) == (10, 5)
    assert timers.running() == []


def test_a_failed_import_changes_nothing_even_after_a_valid_first_session(tmp_path: Path) -> None:
    db = seeded(tmp_path / "clinic.db")
    before = snapshot(db)
    file = tmp_path / "mixed.json"
    good = one_session(code="97110", minutes=20)
    bad = one_session(code="97110", minutes=True)  # a JSON boolean is not a whole number
    file.write_text(json.dumps({"format": FORMAT, "sessions": [good, bad]}), encoding="utf-8")
    assert main(["--db", str(db), "import", str(file)]) == 2
    assert snapshot(db) == before


def test_formula_and_emoji_aliases_are_inert_in_the_csv(
    tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    db = tmp_path / "clinic.db"
    file = tmp_path / "in.json"
    sessions = [
        {**one_session(code="97110", minutes=20), "patient": '=HYPERLINK("x")'},
        {**one_session(code="97110", minutes=20), "patient": "😀 Zoë", "provider": "@Dana"},
    ]
    file.write_text(json.dumps({"format": FORMAT, "sessions": sessions}), encoding="utf-8")
    assert main(["--db", str(db), "import", str(file)]) == 0
    capfdbinary.readouterr()
    assert main(["--db", str(db), "export", "--date", "2026-11-20"]) == 0
    out = capfdbinary.readouterr().out
    assert out.startswith(b"\xef\xbb\xbf")
    lines = out.decode("utf-8-sig").split("\r\n")
    assert lines[1].startswith('2026-11-20,"\'=HYPERLINK(""x"")",PT,,cms,97110,')
    assert lines[2].startswith("2026-11-20,😀 Zoë,PT,'@Dana,cms,97110,")


def test_export_into_a_missing_folder_writes_nothing(db_path: Path, tmp_path: Path) -> None:
    db = seeded(db_path)
    target = tmp_path / "no-such-folder" / "day.csv"
    assert main(["--db", str(db), "export", "--date", "2026-11-23", "--out", str(target)]) == 2
    assert not target.parent.exists()


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        ("2026-12-31", "2026-12-27", "2027-01-02"),
        ("2027-01-02", "2026-12-27", "2027-01-02"),
        ("2027-01-03", "2027-01-03", "2027-01-09"),
    ],
)
def test_sunday_weeks_across_new_year(
    db_path: Path, capsys: pytest.CaptureFixture[str], day: str, first: str, last: str
) -> None:
    assert main(["--db", str(seeded(db_path)), "week", "--date", day, "--week-start", "sunday", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["week_start"], report["week_end"]) == (first, last)
    assert report["days"][0]["date"] == first
    assert len(report["days"]) == 7


def test_exclusive_start_of_a_running_code_still_stops_the_others(timers: Timers, clock: FakeClock) -> None:
    s = timers.open_session("MT", Discipline.PT)
    timers.start(s.id, "97110", exclusive=False)
    timers.start(s.id, "97035", exclusive=False)
    clock.advance(minutes=3)
    timers.start(s.id, "97110")  # one-on-one again: 97035 stops, 97110 keeps its segment
    assert [(g.code, g.running) for g in timers.session(s.id).segments] == [("97110", True), ("97035", False)]


def test_a_correction_needs_a_code_valid_on_the_date(timers: Timers) -> None:
    s = timers.open_session("AB", Discipline.SLP, day=date(2027, 1, 4))
    with pytest.raises(SessionError, match="92507 is not valid on 2027-01-04"):
        timers.correct(s.id, "92507", 30, reason="late entry")


def test_patient_aliases_are_normalised_and_control_characters_refused(timers: Timers) -> None:
    composed = timers.open_session("Zo\u00eb", Discipline.PT)
    decomposed = timers.open_session("Zoe\u0308", Discipline.PT)
    assert composed.patient == decomposed.patient == "Zo\u00eb"
    for alias in ("M\x00T", "M\u202eT", "\x1b[31mMT"):
        with pytest.raises(SessionError, match="control or formatting characters"):
            timers.open_session(alias, Discipline.PT)


def test_another_programs_migrations_table_is_not_ours(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    other = sqlite3.connect(db_path)
    other.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)")
    other.execute("INSERT INTO _sqlite_migrations VALUES ('recipes', '0001', 'x')")
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.commit()
    other.close()
    with pytest.raises(StoreError, match="database of another program"):
        open_workspace(db_path, clock)


def test_two_processes_creating_the_database_at_once(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from therapytimer.core import files
    from therapytimer.storage import database

    real_place = files.place

    def other_process_first(tmp: str, path: Path, *, force: bool) -> None:
        monkeypatch.setattr(database, "place", real_place)
        other = open_workspace(path, clock)  # it won the race
        other.timers.open_session("XY", Discipline.PT)
        other.close()
        real_place(tmp, path, force=force)

    monkeypatch.setattr(database, "place", other_process_first)
    workspace = open_workspace(db_path, clock)
    try:
        assert [s.patient for s in workspace.timers.open_sessions()] == ["XY"]  # its database is kept, not replaced
    finally:
        workspace.close()
    assert not [p.name for p in db_path.parent.iterdir() if p.name.endswith(".tmp")]  # our temporary file went
