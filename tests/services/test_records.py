"""The records use cases: import, the day's lines and export, the week, backup and restore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import open_workspace
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.exchange import ExchangeError
from therapytimer.core.export import ExportError
from therapytimer.core.settings import Settings, WeekStart
from therapytimer.services.records import UnfinishedDay
from therapytimer.services.workspace import Workspace

START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # a Wednesday
DAY = START.date()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def ws(tmp_path: Path, clock: FakeClock) -> Iterator[Workspace]:
    workspace = open_workspace(tmp_path / "live" / "t.db", clock, settings=Settings(forgotten_minutes=30))
    yield workspace
    workspace.close()


def test_the_week_starts_where_the_settings_say_unless_asked(ws: Workspace) -> None:
    """0.1's command line ignored the week start in the settings."""
    assert ws.records.week(DAY).week_start == date(2026, 11, 23)
    ws.context.prefs.update(week_start=WeekStart.SUNDAY)
    assert ws.records.week(DAY).week_start == date(2026, 11, 22)
    assert ws.records.week(DAY, "monday").week_start == date(2026, 11, 23)


def test_an_unfinished_day_is_not_exported_by_accident(ws: Workspace, clock: FakeClock) -> None:
    """0.1 exported a day with open sessions and running timers without a word, and billed a timer left
    running on Monday as 96 units on Friday. The limit here is the settings' 30 minutes."""
    s = ws.timers.open_session("MT", Discipline.PT)
    ws.timers.start(s.id, "97110")
    clock.advance(minutes=31)
    with pytest.raises(UnfinishedDay) as caught:
        ws.records.export_csv(DAY)
    assert [f.kind.value for f in caught.value.findings] == ["open-session", "over-limit"]
    assert "past the 30-minute limit and not confirmed" in caught.value.findings[1].message
    with pytest.raises(UnfinishedDay):
        ws.records.export_json(DAY)
    lines, data = ws.records.export_csv(DAY, allow_open=True)
    assert lines.lines[0][5:10] == ("97110", "Therapeutic exercise", "GP", "30", "2")  # up to the limit only
    assert data.startswith(b"\xef\xbb\xbfdate,patient")
    _, doc = ws.records.export_json(DAY, allow_open=True)
    assert json.loads(doc)["sessions"][0]["codes"] == [{"code": "97110", "minutes": 30}]
    ws.timers.still_treating(s.id, "97110")  # the clinician says so: it counts on
    clock.advance(minutes=5)
    assert [f.kind.value for f in ws.records.day(DAY).unfinished] == ["open-session", "running-timer"]
    assert ws.records.day(DAY).lines[0][8] == "36"
    ws.timers.close(s.id)
    lines, _ = ws.records.export_csv(DAY)
    assert lines.unfinished == [] and lines.lines[0][8] == "36"


def test_an_export_never_goes_over_the_database(ws: Workspace, tmp_path: Path) -> None:
    _, data = ws.records.export_csv(DAY)
    with pytest.raises(ExportError, match="is your database itself"):
        ws.records.write(ws.db_path, data, force=True)
    ws.records.write(tmp_path / "day.csv", data)
    assert (tmp_path / "day.csv").read_bytes() == data


def test_import_adds_what_the_timers_then_see(ws: Workspace, tmp_path: Path) -> None:
    ws.timers.sessions_on(date(2026, 11, 20))  # read (and remembered) before the import
    doc = {
        "format": "therapytimer-sessions/1",
        "sessions": [
            {
                "patient": "MT",
                "discipline": "PT",
                "rule": "cms",
                "date": "2026-11-20",
                "codes": [{"code": "97110", "minutes": 23}],
            }
        ],
    }
    path = tmp_path / "in.json"
    path.write_text(json.dumps(doc))
    done = ws.records.import_file(path)
    assert (done.added, done.skipped) == (1, 0)
    assert [s.patient for s in ws.timers.sessions_on(date(2026, 11, 20))] == ["MT"]
    assert ws.records.import_file(path).skipped == 1


@pytest.mark.parametrize(
    ("kind", "message"), [("folder", "is a folder"), ("latin-1", "is not UTF-8 text"), ("missing", "cannot be read")]
)
def test_an_import_file_that_cannot_be_read(ws: Workspace, tmp_path: Path, kind: str, message: str) -> None:
    path = {"folder": tmp_path, "latin-1": tmp_path / "x.json", "missing": tmp_path / "none.json"}[kind]
    if kind == "latin-1":
        path.write_bytes('{"patient": "Zo\xeb"}'.encode("latin-1"))
    with pytest.raises(ExchangeError, match=message):
        ws.records.import_file(path)


def test_a_restore_pauses_every_timer_first(ws: Workspace, clock: FakeClock, tmp_path: Path) -> None:
    """0.1's command line restored with timers running; the window paused them. Now both do."""
    s = ws.timers.open_session("MT", Discipline.PT)
    backup = ws.records.backup(tmp_path / "b.db")
    ws.timers.start(s.id, "97112")
    clock.advance(minutes=10)
    safety = ws.records.restore(backup)
    kept = open_workspace(safety, clock, create=False)
    (was,) = kept.timers.sessions_on(DAY)
    assert was.running() == [] and was.segments[0].end == START + timedelta(minutes=10)
    kept.close()
    assert ws.timers.running() == [] and ws.timers.sessions_on(DAY)[0].codes == ()
