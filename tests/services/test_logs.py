"""The log a clinic can send: what happened, by session id, never a patient; errors with their traceback."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import open_workspace
from therapytimer.cli import main
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.services.logs import LOG_NAME, setup_logging

ALIAS = "Zoë-Q17"
NOTE = "secret clinical note"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = setup_logging(tmp_path / "logs", "debug")
    assert path == tmp_path / "logs" / LOG_NAME
    yield path
    for handler in list(logging.getLogger("therapytimer").handlers):
        logging.getLogger("therapytimer").removeHandler(handler)
        handler.close()


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_actions_are_logged_by_session_id_never_by_patient(log_file: Path, tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    workspace = open_workspace(tmp_path / "x.db", clock)
    timers = workspace.timers
    s = timers.open_session(ALIAS, Discipline.PT, note=NOTE)
    timers.start(s.id, "97110")
    clock.advance(minutes=9)
    timers.correct(s.id, "97110", 12, reason=f"{ALIAS} arrived late")
    timers.close(s.id)
    workspace.records.backup(tmp_path / "b.db")
    workspace.close()
    text = log_file.read_text(encoding="utf-8")
    assert f"session {s.id} opened" in text and f"session {s.id}: 97110 started" in text
    assert f"session {s.id}: 97110 corrected" in text and f"session {s.id} closed" in text and "backup" in text
    assert ALIAS not in text and "Zo" not in text and NOTE not in text
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700


def test_a_traceback_is_logged_without_its_message(log_file: Path) -> None:
    try:
        raise KeyError(ALIAS)
    except KeyError:
        logging.getLogger("therapytimer.test").exception("lookup failed")
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last):" in text and "test_logs.py" in text
    assert "KeyError (message not logged: it may name a patient)" in text and ALIAS not in text


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_the_log_rotates_and_each_file_stays_private(log_file: Path) -> None:
    log = logging.getLogger("therapytimer.test")
    for i in range(45_000):  # about 4.5 MB: more than the three rotated files hold
        log.info("session %032d: 97110 started", i)
    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files == [LOG_NAME, f"{LOG_NAME}.1", f"{LOG_NAME}.2", f"{LOG_NAME}.3"]
    assert all(stat.S_IMODE((log_file.parent / f).stat().st_mode) == 0o600 for f in files)
    assert all((log_file.parent / f).stat().st_size <= 1_000_000 for f in files)


def test_a_log_folder_that_cannot_be_made_is_no_reason_to_stop(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert setup_logging(blocker / "logs") is None


def test_commands_log_at_the_level_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THERAPYTIMER_LOG_DIR", str(tmp_path / "logs"))
    db = tmp_path / "cli.db"
    clock = FakeClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    assert main(["--db", str(db), "start", "97110", "--patient", ALIAS, "--discipline", "PT"], clock=clock) == 0
    assert main(["pause", "--all", "--db", str(db), "--log-level", "warning"], clock=clock) == 0
    text = (tmp_path / "logs" / LOG_NAME).read_text(encoding="utf-8")
    assert "97110 started" in text and "all timers paused" not in text and ALIAS not in text
    assert os.access(tmp_path / "logs" / LOG_NAME, os.R_OK)
