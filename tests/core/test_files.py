"""core.files: owner-only folders whatever the umask, and temporary files no killed process leaves."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from therapytimer.core import files
from therapytimer.core.files import TEMP_MARK, make_private_dirs, new_temp, stale_temp_files, sweep_temp_files


@pytest.mark.posix
def test_private_dirs_whatever_the_umask_and_a_racing_creator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = os.umask(0)
    try:
        make_private_dirs(tmp_path / "a" / "b" / "c")
        real_mkdir = Path.mkdir

        def raced(self: Path, mode: int = 0o777) -> None:
            real_mkdir(self, mode=0o755)  # another process made it a moment ago
            raise FileExistsError(self)

        monkeypatch.setattr(Path, "mkdir", raced)
        make_private_dirs(tmp_path / "d")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.name != "config"}
    assert modes == {"a": 0o700, "b": 0o700, "c": 0o700, "d": 0o755}  # not ours to change: left alone


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.posix
def test_only_temp_files_of_processes_that_are_gone_are_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / f".day.csv.{TEMP_MARK}-{dead_pid()}-a1.tmp"
    mine = Path(new_temp(tmp_path / "day.csv"))
    parent = tmp_path / f".day.csv.{TEMP_MARK}-{os.getppid()}-b2.tmp"
    for path in (gone, parent, tmp_path / ".day.csv.tmp", tmp_path / f"day.csv.{TEMP_MARK}-1-x.tmp"):
        path.write_text("x")
    assert mine.name.startswith(f".day.csv.{TEMP_MARK}-{os.getpid()}-") and stat.S_IMODE(mine.stat().st_mode) == 0o600
    assert stale_temp_files(tmp_path) == [gone]

    def not_allowed(_pid: int, _signal: int) -> None:
        raise PermissionError  # another user's process: alive

    monkeypatch.setattr(os, "kill", not_allowed)
    assert stale_temp_files(tmp_path) == []
    assert stale_temp_files(tmp_path / "missing") == []


def test_on_windows_an_hour_old_temp_file_is_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / f".day.csv.{TEMP_MARK}-4-a1.tmp"
    new = tmp_path / f".day.csv.{TEMP_MARK}-5-b2.tmp"
    for path in (old, new):
        path.write_text("x")
    os.utime(old, (1000.0, 1000.0))
    os.utime(new, (1000.0 + files.WINDOWS_STALE_S, 1000.0 + files.WINDOWS_STALE_S))
    monkeypatch.setattr(os, "name", "nt")
    assert stale_temp_files(tmp_path, now=1001.0 + files.WINDOWS_STALE_S) == [old]
    real_stat = Path.stat

    def vanished(self: Path, **kw: bool) -> os.stat_result:
        if self == old:
            raise FileNotFoundError(self)  # removed by someone else meanwhile
        return real_stat(self, **kw)

    monkeypatch.setattr(Path, "stat", vanished)
    assert stale_temp_files(tmp_path, now=1001.0 + files.WINDOWS_STALE_S) == []


@pytest.mark.posix
def test_sweeping_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = [tmp_path / f".a.{TEMP_MARK}-{dead_pid()}-x.tmp", tmp_path / f".b.{TEMP_MARK}-{dead_pid()}-y.tmp"]
    for path in stale:
        path.write_text("x")
    real_unlink = Path.unlink

    def locked(self: Path, missing_ok: bool = False) -> None:
        if self == stale[0]:
            raise PermissionError(self)  # held open by another program on Windows
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", locked)
    assert sweep_temp_files(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name != "config"] == [stale[0].name]
