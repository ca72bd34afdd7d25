"""The command-line tests' shared pieces: the commands run in this process on a fake clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from therapytimer.cli import main
from therapytimer.core.clock import FakeClock

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The commands write a log: keep it out of the user's real log folder."""
    folder = tmp_path / "log"
    monkeypatch.setenv("THERAPYTIMER_LOG_DIR", str(folder))
    yield folder


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The database the commands use by default (conftest points THERAPYTIMER_DB here)."""
    return tmp_path / "data" / "therapytimer.db"


class Cli:
    """`therapytimer ...` in this process, on the fake clock; returns (exit status, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], clock: FakeClock) -> None:
        self.capsys = capsys
        self.clock = clock

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = main(list(args), clock=self.clock)
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert (code, err) == (0, ""), err
        return out

    def refused(self, *args: str) -> str:
        """The one line on stderr of a command that must fail with exit 2 and print nothing else."""
        code, out, err = self(*args)
        assert (code, out) == (2, ""), (code, out, err)
        assert err.count("\n") == 1 and err.endswith("\n"), err
        return err.rstrip("\n")

    def status(self, *args: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.ok("status", "--json", *args))
        return data


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], clock: FakeClock) -> Cli:
    return Cli(capsys, clock)
