"""Bad local state never becomes data or a traceback (issue 8): odd files as --db, backups onto the live
database, damaged backups, full disks, killed writers, racing processes and a permissive umask.

Each test here failed on 0.1. Commands run in-process through `main` unless a real process, user or
file system is the point (a second process, another user's permissions, a full disk)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import open_workspace
from therapytimer.cli import main
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock, SystemClock
from therapytimer.core.exchange import ImportedCode, ImportedSession
from therapytimer.core.files import TEMP_MARK, make_private_dirs
from therapytimer.core.rules import Rule
from therapytimer.services.workspace import Workspace
from therapytimer.storage.database import StoreError
from therapytimer.storage.store import Store

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
DAY = "2026-11-23"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def live(tmp_path: Path, clock: FakeClock) -> Iterator[Path]:
    """A database with one PT session on the day, closed again so commands can open it."""
    path = tmp_path / "live" / "therapytimer.db"
    store = open_workspace(path, clock)
    s = store.timers.open_session("MT", Discipline.PT)
    store.timers.start(s.id, "97110")
    clock.advance(minutes=23)
    store.timers.close(s.id)
    store.close()
    yield path


def fingerprint(path: Path) -> tuple[bytes, int, list[str]]:
    """Bytes, modification time and the names beside it: 'unchanged' means all three."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


def table_less(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")  # a valid SQLite file with no tables
    conn.commit()
    conn.close()


def other_app(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.commit()
    conn.close()


# ---- files that are not our database ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["export", "week", "backup"])
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", r"holds no TherapyTimer data \(it is empty\).*therapytimer init --db"),
        ("table-less", r"holds no TherapyTimer data"),
        ("other app", r"SQLite database of another program"),
    ],
)
def test_reading_commands_refuse_a_file_that_is_not_ours_and_leave_it_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, kind: str, message: str
) -> None:
    path = tmp_path / "folder" / "x.db"
    path.parent.mkdir()
    {"empty": lambda p: p.write_bytes(b""), "table-less": table_less, "other app": other_app}[kind](path)
    before = fingerprint(path)
    extra = ["--out", str(tmp_path / "b.db")] if command == "backup" else ["--date", DAY]
    code, out, err = run(capsys, "--db", str(path), command, *extra)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err
    assert re.search(message, err)
    assert fingerprint(path) == before


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_import_refuses_an_empty_file_and_init_makes_it_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.db"
    path.write_bytes(b"")
    sessions = tmp_path / "s.json"
    sessions.write_text('{"format": "therapytimer-sessions/1", "sessions": []}')
    code, _, err = run(capsys, "--db", str(path), "import", str(sessions))
    assert code == 2 and "therapytimer init --db" in err and path.read_bytes() == b""
    code, out, _ = run(capsys, "init", "--db", str(path))
    assert code == 0 and out == f"Ready: {path} is a TherapyTimer database.\n"
    assert run(capsys, "--db", str(path), "import", str(sessions))[0] == 0
    assert run(capsys, "--db", str(path), "week", "--date", DAY)[0] == 0
    fresh = tmp_path / "sub" / "fresh.db"
    code, out, _ = run(capsys, "init", "--db", str(fresh))
    assert code == 0 and out.startswith("Created:") and stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert run(capsys, "init", "--db", str(fresh))[1].startswith("Ready:")  # ours already: left as it is
    other_app(tmp_path / "recipes.db")
    code, _, err = run(capsys, "init", "--db", str(tmp_path / "recipes.db"))
    assert code == 2 and "another program" in err


@pytest.mark.posix  # file modes, links or devices: not what Windows has
@pytest.mark.parametrize("command", ["export", "week"])
@pytest.mark.parametrize("kind", ["dangling link", "fifo", "device", "folder"])
def test_links_to_nothing_pipes_and_devices_are_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, kind: str
) -> None:
    path = tmp_path / "x.db"
    expected = {
        "dangling link": r"is a link to .*unmounted-drive/therapytimer\.db, which does not exist",
        "fifo": r"is not a regular file",
        "device": r"is not a regular file",
        "folder": r"is a folder, not a database file",
    }[kind]
    if kind == "dangling link":
        path.symlink_to(tmp_path / "unmounted-drive" / "therapytimer.db")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/null")
    else:
        path.mkdir()
    code, out, err = run(capsys, "--db", str(path), command, "--date", DAY)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert re.search(expected, err)
    assert not (tmp_path / "unmounted-drive").exists()  # nothing created through the link


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_creating_commands_never_write_through_a_dangling_link(tmp_path: Path, clock: FakeClock) -> None:
    link = tmp_path / "x.db"
    link.symlink_to(tmp_path / "gone" / "x.db")
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(link, create=True)
    assert link.is_symlink() and not (tmp_path / "gone").exists()


# ---- backup and restore ----------------------------------------------------------------------------


def live_names(path: Path) -> list[Path]:
    """Names that reach the live database or its journals: itself, another spelling, links, -wal."""
    hard = path.with_name("hard-link.db")
    os.link(path, hard)
    soft = path.parent.parent / "soft-link.db"
    soft.symlink_to(path)
    return [path, path.parent / ".." / path.parent.name / path.name, hard, soft, Path(f"{path}-wal")]


def test_backup_onto_the_live_database_is_refused_by_every_name(
    live: Path, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    """0.1 said "Backed up" and the database was malformed after some use."""
    store = open_workspace(live, clock)  # the window is open: -wal and -shm exist
    for target in live_names(live):
        with pytest.raises(StoreError, match="is your database itself"):
            store.records.backup(target, force=True)
        code, _, err = run(capsys, "--db", str(live), "backup", "--out", str(target), "--force")
        assert code == 2 and "is your database itself" in err
    assert store._store.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(store.timers.sessions_on(date(2026, 11, 23))) == 1
    store.close()


def damage(path: Path) -> None:
    """Overwrite interior pages, keeping the size and the header (page 1) intact."""
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data) - page, 3 * page):
        data[start + 100 : start + 1200] = os.urandom(1100)
    path.write_bytes(bytes(data))


def big_backup(store: Workspace, target: Path) -> Path:
    store._store.import_sessions(
        [
            ImportedSession(
                f"s{i}",
                "MT",
                Discipline.PT,
                Rule.CMS,
                date(2026, 11, 20),
                "",
                (ImportedCode("97110", 20, None),),
                "x" * 900,
            )
            for i in range(120)
        ],
        START,
    )
    return store.records.backup(target)


def test_a_damaged_backup_is_refused_and_the_live_database_is_unchanged(
    live: Path, tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """0.1 said "Restored" and the live database was then damaged."""
    maker = open_workspace(tmp_path / "maker.db", clock)
    backup = big_backup(maker, tmp_path / "backup.db")
    maker.close()
    damage(backup)
    before = live.read_bytes()
    code, out, err = run(capsys, "--db", str(live), "restore", str(backup), "--yes")
    assert (code, out) == (2, "")
    assert f"{backup} is damaged (SQLite's integrity check:" in err and "nothing was restored" in err
    assert live.read_bytes() == before
    assert not (live.parent / "backups").exists()  # refused before anything was touched
    assert not [p for p in live.parent.iterdir() if p.name.endswith(".tmp")]


def test_restores_always_say_where_the_safety_copy_is_even_twice_in_a_second(
    live: Path, tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """0.1 advised "--force" (which restore does not have) for a second restore in the same second."""
    store = open_workspace(live, clock)
    backup = store.records.backup(tmp_path / "b.db")
    first, second = store.records.restore(backup), store.records.restore(backup)
    assert first != second and first.exists() and second.exists()
    assert second.name == first.name.replace(".db", "-2.db")
    store.close()
    code, out, _ = run(capsys, "--db", str(live), "restore", str(backup), "--yes")
    assert code == 0 and "saved in" in out
    safety = Path(out.split("saved in ")[1].strip().rstrip("."))
    assert safety.exists() and safety.parent == live.parent / "backups"
    from therapytimer.storage import backup as backup_module

    def broken(*_a: object, **_k: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(backup_module, "open_database", broken)  # the last step fails
    store = open_workspace(live, clock)
    with pytest.raises(StoreError, match=r"restoring .* failed .*your data as it was is saved in .*before-restore"):
        store.records.restore(backup)
    store.close()


def test_restore_refuses_the_live_database_itself(live: Path, clock: FakeClock) -> None:
    store = open_workspace(live, clock)
    with pytest.raises(StoreError, match="is your database itself"):
        store.records.restore(live)
    store.close()


def test_a_killed_backups_temporary_files_are_cleaned_on_the_next_run(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """0.1 left hidden .tmp files behind a killed backup for good."""
    out = tmp_path / "usb"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftovers = [
        out / f".day.db.{TEMP_MARK}-{dead.pid}-abc.tmp",
        out / f".day.db.{TEMP_MARK}-{dead.pid}-abc.tmp-journal",
    ]
    for path in leftovers:
        path.write_bytes(b"half a backup")
    alive = out / f".other.csv.{TEMP_MARK}-{os.getppid()}-xyz.tmp"  # a process still writing it
    alive.write_bytes(b"in progress")
    unrelated = out / ".notes.txt.tmp"
    unrelated.write_bytes(b"not ours")
    assert run(capsys, "--db", str(live), "backup", "--out", str(out / "copy.db"))[0] == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(["copy.db", alive.name, unrelated.name])


@pytest.mark.posix  # file modes, links or devices: not what Windows has
@pytest.mark.slow
def test_a_real_backup_killed_midway_leaves_nothing_after_the_next_one(live: Path, tmp_path: Path) -> None:
    store = open_workspace(live, SystemClock())
    big_backup(store, tmp_path / "first.db")
    store.close()
    out = tmp_path / "usb"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = (
        "import os, signal, sys\n"
        "from therapytimer.storage import backup\n"
        "def killed(*_a, **_k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)  # the copy is written; the rename never happens\n"
        "backup.place = killed\n"
        "from therapytimer.cli import main\n"
        "main(['--db', sys.argv[1], 'backup', '--out', sys.argv[2]])\n"
    )
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs POSIX signals")
    proc = subprocess.run([sys.executable, "-c", code, str(live), str(out / "day.db")], env=env, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")]  # what 0.1 left for good
    assert main(["--db", str(live), "backup", "--out", str(out / "day.db")]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["day.db"]


# ---- the disk is full ------------------------------------------------------------------------------


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 512 KiB file system (tmpfs), where the machine lets the tests mount one."""
    folder = Path(tempfile.mkdtemp(prefix="tt-tiny-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        shutil.rmtree(folder)
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def fill(folder: Path) -> None:
    with open(folder / "filler", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"x" * 4096)
                handle.flush()
        except OSError:
            pass


@pytest.mark.slow
def test_a_full_disk_is_named_as_such(tiny_disk: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]) -> None:
    """0.1 said "disk I/O error ... restore a backup" for a database on a full disk."""
    path = tiny_disk / "therapytimer.db"
    store = open_workspace(path, clock)
    s = store.timers.open_session("MT", Discipline.PT)
    store.close()
    fill(tiny_disk)
    with pytest.raises(StoreError, match=r"the disk is full\. Free some disk space and try again; nothing was lost"):
        open_workspace(path, clock, create=False).timers.start(s.id, "97110")
    code, _, err = run(capsys, "--db", str(path), "week", "--date", DAY)
    assert code == 2 and "the disk is full" in err and "restore a backup" not in err
    (tiny_disk / "filler").unlink()
    store = open_workspace(path, clock, create=False)
    assert store.timers.start(s.id, "97110").running()  # space freed: it works again, nothing was lost


# ---- two processes, one file -----------------------------------------------------------------------

RACER = """
import sys, time
from pathlib import Path
from therapytimer.core.catalog import load_catalog
from therapytimer.core.clock import SystemClock
from tests.helpers import open_workspace
store = open_workspace(Path(sys.argv[1]), SystemClock()).timers
go = float(sys.argv[3])
while time.time() < go:
    pass
try:
    store.start(sys.argv[2], "97110")
    print("ok")
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
"""


@pytest.mark.slow
def test_two_processes_starting_the_same_new_code_at_once_make_one_timer(tmp_path: Path) -> None:
    """0.1: "UNIQUE constraint failed ... restore a backup" in 60 of 120 races."""
    import time

    path = tmp_path / "race.db"
    store = open_workspace(path, SystemClock()).timers
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for _ in range(12):
        s = store.open_session("MT", Discipline.PT)
        go = time.time() + 0.6
        racers = [
            subprocess.Popen(
                [sys.executable, "-c", RACER, str(path), s.id, str(go)], env=env, stdout=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        answers = [r.communicate(timeout=60)[0].strip() for r in racers]
        assert answers == ["ok", "ok"]
        store.forget()  # read what the racers stored
        again = store.session(s.id)
        assert [c.code for c in again.codes] == ["97110"] and len(again.running()) == 1
        store.pause_all()


# ---- permissions -----------------------------------------------------------------------------------


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_folders_it_creates_are_owner_only_whatever_the_umask(tmp_path: Path, clock: FakeClock) -> None:
    """0.1 made ~/.local, ~/.local/share and ~/.config 0777 at umask 000."""
    old = os.umask(0)
    try:
        store = open_workspace(tmp_path / "home" / ".local" / "share" / "therapytimer" / "t.db", clock)
        store.records.restore(store.records.backup(tmp_path / "b.db"))
        make_private_dirs(tmp_path / "home" / ".config" / "therapytimer")
    finally:
        os.umask(old)
    made = [p for p in (tmp_path / "home").rglob("*") if p.is_dir()]
    assert len(made) == 6
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in made} == {"0o700"}
    store.close()


@pytest.mark.posix  # file modes, links or devices: not what Windows has
@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX users")
def test_an_unreadable_config_folder_is_a_clear_line_not_a_traceback(tmp_path: Path) -> None:
    """0.1 crashed `units` and `codes` with a traceback. Run as another user, since root reads anything."""
    home = Path(tempfile.mkdtemp(prefix="tt-perm-"))
    os.chmod(home, 0o755)
    config = home / "config"
    config.mkdir(mode=0o700)
    try:
        prefix: list[str] = []
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("needs setpriv to run as another user")
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        else:
            os.chmod(config, 0)
        env = dict(os.environ, THERAPYTIMER_CONFIG_DIR=str(config), PYTHONPATH=str(REPO), HOME=str(home))
        for args in (["units", "97110=23"], ["codes", "97110"]):
            proc = subprocess.run(
                [*prefix, sys.executable, "-m", "therapytimer", *args],
                capture_output=True,
                text=True,
                env=env,
                cwd=home,
            )
            assert proc.returncode == 2, proc.stderr
            assert "Traceback" not in proc.stderr and "cannot be read (Permission denied)" in proc.stderr
    finally:
        os.chmod(config, 0o700)
        shutil.rmtree(home)
