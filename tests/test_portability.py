"""Portable by construction, checked here: each system's folders, Windows' file protection and its locked
files, no Linux-only call on the start-up path without a fallback, spaces and accents in every path, line
ends for people. Where a code path differs by system, `sys.platform` or `os.name` is faked so that every
branch runs on this machine; what needs a real Windows or Mac runs in .github/workflows/build.yml."""

from __future__ import annotations

import errno
import importlib.util
import os
import plistlib
import re
import stat
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path, PureWindowsPath
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import REPO
from therapytimer import paths
from therapytimer.core import files
from therapytimer.core.export import ExportError, write_atomic
from therapytimer.core.files import TEMP_MARK, make_private_dirs, open_elsewhere
from therapytimer.storage.backup import backup_to
from therapytimer.storage.database import StoreError, open_database

HOME = "Zoë Müller"  # a clinician's user name with accents and a space
WINDOWS_LOCAL = rf"C:\Users\{HOME}\AppData\Local"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if files.TEMP_NAME.match(p.name))


# --- where the files live, per system ----------------------------------------------------------------------


@pytest.fixture
def system_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No override: each folder is the system's default, under a home folder with accents and a space."""
    home = tmp_path / HOME
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))  # what `~` means on Windows
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", paths.CONFIG_DIR_ENV, paths.LOG_DIR_ENV):
        monkeypatch.delenv(name, raising=False)
    import platformdirs.windows

    monkeypatch.setattr(platformdirs.windows, "get_win_folder", {"CSIDL_LOCAL_APPDATA": WINDOWS_LOCAL}.__getitem__)
    return home


def test_linux_keeps_the_users_files_in_the_xdg_folders(system_defaults: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert paths.default_db_path() == system_defaults / ".local/share/therapytimer/therapytimer.db"
    assert paths.settings_path() == system_defaults / ".config/therapytimer/settings.json"
    assert paths.log_dir() == system_defaults / ".local/state/therapytimer/log"


def test_macos_keeps_them_in_the_library(system_defaults: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    support = system_defaults / "Library/Application Support/therapytimer"
    assert paths.default_db_path() == support / "therapytimer.db"
    assert paths.user_catalog_path() == support / "codes.csv"
    assert paths.log_dir() == system_defaults / "Library/Logs/therapytimer"


def test_windows_keeps_them_in_local_app_data(system_defaults: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """%LOCALAPPDATA%, never the roaming profile: a database must not be copied around a domain at logon.
    The database folder stays where 0.1 put it (...\\therapytimer\\therapytimer), or an update would lose it."""
    monkeypatch.setattr(sys, "platform", "win32")
    local = PureWindowsPath(WINDOWS_LOCAL)
    assert PureWindowsPath(paths.default_db_path()) == local / "therapytimer/therapytimer/therapytimer.db"
    assert PureWindowsPath(paths.settings_path()) == local / "therapytimer/settings.json"
    assert PureWindowsPath(paths.user_mue_path()) == local / "therapytimer/mue.csv"
    assert PureWindowsPath(paths.log_dir()) == local / "therapytimer/Logs"


def test_about_lists_every_file_and_folder_with_a_label(system_defaults: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    chosen = system_defaults / "Clinic data" / "tt.db"
    shown = {place.label: place for place in paths.places(chosen, system_defaults / "logs")}
    assert [(p.path, p.is_folder) for p in shown.values()] == [
        (chosen, False),
        (system_defaults / "Clinic data" / "backups", True),
        (system_defaults / ".config/therapytimer/settings.json", False),
        (system_defaults / ".config/therapytimer/codes.csv", False),
        (system_defaults / ".config/therapytimer/mue.csv", False),
        (system_defaults / "logs", True),
    ]
    assert all(label and label[0].isupper() for label in shown)
    defaults = paths.places()  # no database chosen: the system's default, and the default log folder
    assert defaults[0].path == paths.default_db_path() and defaults[-1].path == paths.log_dir()


# --- who may read the files on Windows ----------------------------------------------------------------------


def test_on_windows_new_folders_get_their_owner_only_access_list_from_mkdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's `mkdir(mode=0o700)` is what sets the owner-only access list on Windows; chmod there only
    clears a read-only flag, so it is not called. Elsewhere both happen (tests/core/test_files.py)."""
    made: list[tuple[str, int]] = []
    chmods: list[str] = []
    real_mkdir = os.mkdir

    def mkdir(path: str, mode: int = 0o777) -> None:
        made.append((os.path.basename(path), mode))
        real_mkdir(path, mode)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "chmod", lambda path, mode: chmods.append(str(path)))
    monkeypatch.setattr(os, "name", "nt")
    make_private_dirs(tmp_path / "Zoë Müller" / "My Data")
    monkeypatch.undo()
    assert made == [("Zoë Müller", 0o700), ("My Data", 0o700)] and chmods == []
    assert (tmp_path / "Zoë Müller" / "My Data").is_dir()


# --- a file that another program holds open (Excel on Windows) ------------------------------------------------


def in_use(winerror: int) -> PermissionError:
    """The error Windows gives for a file another program has open (winerror is set on Windows only)."""
    exc = PermissionError(errno.EACCES, "The process cannot access the file because it is being used")
    exc.winerror = winerror  # type: ignore[attr-defined]
    return exc


def refuse_replace(monkeypatch: pytest.MonkeyPatch, winerror: int) -> None:
    def replace(src: str, dst: str) -> None:
        raise in_use(winerror)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize(
    ("winerror", "words"),
    [
        (32, "is open in another program (Excel?): close it there and try again; nothing was written"),
        (33, "is open in another program (Excel?): close it there and try again; nothing was written"),
        (
            5,
            "is open in another program (Excel?) or is read-only: close it there, or clear its read-only box, "
            "and try again; nothing was written",
        ),
    ],
)
def test_a_csv_open_in_excel_is_left_as_it_was_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, winerror: int, words: str
) -> None:
    target = tmp_path / "My Exports" / "therapytimer-2026-11-23.csv"
    target.parent.mkdir()
    target.write_bytes(b"yesterday's export, open in Excel")
    refuse_replace(monkeypatch, winerror)
    monkeypatch.setattr(os, "name", "nt")
    with pytest.raises(ExportError) as caught:
        write_atomic(target, b"today", force=True)
    monkeypatch.undo()
    assert str(caught.value) == f"{target} {words}"
    assert target.read_bytes() == b"yesterday's export, open in Excel"
    assert leftovers(target.parent) == []


def test_elsewhere_a_refused_replace_is_not_blamed_on_excel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux and macOS replace a file that is open; a refusal there is the folder's permissions."""
    target = tmp_path / "day.csv"
    target.write_bytes(b"old")
    refuse_replace(monkeypatch, 32)
    monkeypatch.setattr(os, "name", "posix")
    with pytest.raises(ExportError, match=r"cannot write .*day\.csv \(The process cannot .*\); nothing was written"):
        write_atomic(target, b"new", force=True)
    assert open_elsewhere(target, in_use(32)) is None
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_a_backup_over_a_file_held_open_is_refused_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "data" / "therapytimer.db"
    db = open_database(db_path, create=True)
    target = tmp_path / "Back ups" / "friday.db"
    target.parent.mkdir()
    target.write_bytes(b"last week's backup")
    refuse_replace(monkeypatch, 32)
    monkeypatch.setattr(os, "name", "nt")
    try:
        with pytest.raises(StoreError) as caught:
            backup_to(db.conn, target, db_path, force=True)
    finally:
        monkeypatch.undo()
        db.conn.close()
    assert str(caught.value).startswith(f"{target} is open in another program (Excel?): close it there")
    assert target.read_bytes() == b"last week's backup" and leftovers(target.parent) == []


def test_where_links_are_refused_a_failed_replace_leaves_no_empty_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT sticks and some shares refuse hard links: the name is claimed with an empty file first. If the
    rename then fails, that empty file goes too: "nothing was written" must be true."""

    def no_links(src: str, dst: str) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    refuse_replace(monkeypatch, 32)
    stick = tmp_path / "USB stick"
    stick.mkdir()
    monkeypatch.setattr(os, "name", "nt")
    with pytest.raises(ExportError, match="is open in another program"):
        write_atomic(stick / "day.csv", b"x")
    monkeypatch.undo()
    assert list(stick.iterdir()) == []


def test_a_temp_file_a_killed_process_left_on_windows_goes_after_an_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows cannot be asked whether a process lives without signalling it (os.kill would stop it), so
    the sweep goes by age there; the POSIX way is never tried."""
    old = tmp_path / f".day.csv.{TEMP_MARK}-4-a1.tmp"
    old.write_text("x")
    os.utime(old, (1000.0, 1000.0))

    def kill(pid: int, sig: int) -> None:
        raise AssertionError("os.kill on Windows would stop the process")

    monkeypatch.setattr(os, "kill", kill)
    monkeypatch.setattr(os, "name", "nt")
    assert files.stale_temp_files(tmp_path, now=1001.0 + files.WINDOWS_STALE_S) == [old]


# --- the start-up path ----------------------------------------------------------------------------------------


def test_process_start_falls_back_to_now_where_there_is_no_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    """The self-test's start-up time reads /proc on Linux; Windows and macOS have none and get "now"."""
    import builtins

    from therapytimer.ui.app import process_start

    on_linux = process_start()
    assert time.time() - 3600 < on_linux <= time.time()  # this machine: from /proc, earlier than now
    real_open = builtins.open

    def no_proc(file: object, *args: object, **kw: object) -> object:
        if str(file).startswith("/proc/"):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(file))
        return real_open(file, *args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", no_proc)
    before = time.time()
    assert before <= process_start() <= time.time()


@pytest.mark.parametrize(("platform", "expected"), [("linux", False), ("win32", True), ("darwin", True)])
def test_only_linux_needs_a_display_variable_to_open_the_window(
    monkeypatch: pytest.MonkeyPatch, platform: str, expected: bool
) -> None:
    from therapytimer.ui.app import has_screen

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    assert has_screen() is expected


AUDIT = """
import sys
seen = []
def watch(event, args):
    if event == "open" and str(args[0]).startswith(("/proc", "/sys")):
        seen.append(str(args[0]))
sys.addaudithook(watch)
from therapytimer.cli import main
codes = [main(["start", "97110", "--patient", "ZM", "--discipline", "PT"]), main(["status"]), main(["close"])]
codes.append(main(["--self-test"]))
print(codes, sorted(set(seen)))
"""


@pytest.mark.slow
def test_start_up_reads_nothing_linux_only_but_the_self_tests_proc_with_its_fallback(tmp_path: Path) -> None:
    """Every file the commands and the window open from Python on their way up, watched by an audit hook:
    /proc is read only by the self-test's `process_start`, which falls back to "now" (above)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", AUDIT], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    proc = "['/proc/self/stat', '/proc/uptime']" if sys.platform.startswith("linux") else "[]"
    assert done.stdout.strip().splitlines()[-1] == f"[0, 0, 0, 0] {proc}"


# --- accents and spaces in every path -------------------------------------------------------------------------


def therapytimer(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "therapytimer", *args], env=env, capture_output=True, text=True, encoding="utf-8"
    )


@pytest.mark.slow
@pytest.mark.posix  # HOME, the XDG folders and the C locale are POSIX's; Windows' folders are tested above
def test_a_home_folder_with_accents_and_spaces_works_without_a_utf8_locale(tmp_path: Path) -> None:
    """A clinician named Zoë Müller, on a machine whose locale is plain C: the default database, settings
    and log folders are made under her home, owner-only, and an export and a backup go to folders with
    spaces and accents."""
    home = tmp_path / HOME
    home.mkdir()
    keep = ("PATH", "SYSTEMROOT", "PYTHONPATH", "VIRTUAL_ENV")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env |= {"HOME": str(home), "LC_ALL": "C", "LANG": "C"}
    out = home / "My Exports" / "Tagesbericht é.csv"
    out.parent.mkdir()
    for command in (
        ["start", "97110", "--patient", "Zoë", "--discipline", "PT"],
        ["close", "--patient", "Zoë"],
        ["export", "--out", str(out)],
        ["backup", "--out", str(home / "Back ups" / "Sicherung ü.db")],
        ["status"],
    ):
        if command[0] == "backup":
            (home / "Back ups").mkdir()
        done = therapytimer(*command, env=env)
        assert done.returncode == 0, (command, done.stderr)
    data = home / ".local" / "share" / "therapytimer"
    assert (data / "therapytimer.db").is_file()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert (home / ".local" / "state" / "therapytimer" / "log" / "therapytimer.log").is_file()
    assert out.read_bytes().startswith(b"\xef\xbb\xbfdate,patient,")
    assert (home / "Back ups" / "Sicherung ü.db").is_file()


@pytest.mark.slow
def test_a_database_chosen_in_a_folder_with_accents_and_spaces(tmp_path: Path) -> None:
    db = tmp_path / HOME / "My Data" / "Praxis Müller.db"
    env = {**os.environ, "THERAPYTIMER_LOG_DIR": str(tmp_path / HOME / "Log files")}
    env.pop("THERAPYTIMER_DB", None)
    started = therapytimer("--db", str(db), "start", "97112", "--patient", "Zoë", "--discipline", "PT", env=env)
    assert started.returncode == 0, started.stderr
    status = therapytimer("status", "--db", str(db), env=env)
    assert status.returncode == 0 and "Zoë" in status.stdout and "97112" in status.stdout
    if os.name == "posix":  # Windows: the folders' access lists, from mkdir (see above)
        assert stat.S_IMODE(db.parent.stat().st_mode) == stat.S_IMODE(db.parent.parent.stat().st_mode) == 0o700


# --- line ends for people ------------------------------------------------------------------------------------


def test_a_day_export_ends_every_line_with_crlf_and_one_saved_by_notepad_imports_the_same(tmp_path: Path) -> None:
    """The CSV is for Excel on any system: CRLF whatever system wrote it (RFC 4180), the same bytes on each.
    The JSON export, a backup a person may open and save again in Notepad, imports the same with CRLF."""
    from datetime import UTC, datetime

    from tests.helpers import open_workspace
    from therapytimer.core.catalog import Discipline
    from therapytimer.core.clock import FakeClock

    clock = FakeClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    first = open_workspace(tmp_path / "a" / "therapytimer.db", clock)
    session = first.timers.open_session("Zoë", Discipline.PT)
    first.timers.start(session.id, "97110")
    clock.advance(minutes=23)
    first.timers.close(session.id)
    _, csv = first.records.export_csv(clock.today())
    _, exported = first.records.export_json(clock.today())
    first.close()
    assert csv.count(b"\r\n") == 2 and b"\n" not in csv.replace(b"\r\n", b"")
    saved = tmp_path / "saved in Notepad.json"
    saved.write_bytes(exported.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    second = open_workspace(tmp_path / "b" / "therapytimer.db", clock)
    try:
        assert second.records.import_file(saved).added == 1
        assert second.records.export_csv(clock.today())[1] == csv
    finally:
        second.close()


# --- the bundles and installers of each system (built by .github/workflows/build.yml) ------------------------


def load(name: str) -> ModuleType:
    """A script of packaging/ as a module (packaging/ is no package: its name is taken on PyPI)."""
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", REPO / "packaging" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build() -> ModuleType:
    return load("build")


@pytest.mark.parametrize(
    ("platform", "python", "cli", "installer"),
    [
        ("linux", "bin/python", "therapytimer", "therapytimer-1.2.0-linux-x86_64.tar.gz"),
        ("darwin", "bin/python", "therapytimer", "TherapyTimer-1.2.0-macos-x86_64.dmg"),
        ("win32", "Scripts/python.exe", "therapytimer.exe", "TherapyTimer-1.2.0-windows-x64-setup.exe"),
    ],
)
def test_one_build_script_knows_each_systems_names(
    build: ModuleType, platform: str, python: str, cli: str, installer: str
) -> None:
    venv = Path("build") / "venv"
    assert build.venv_python(venv, platform) == venv / python
    assert build.executable("therapytimer", Path("dist"), platform) == Path("dist") / cli
    assert build.installer_name("1.2.0", platform, "x86_64") == installer


def test_windows_gets_four_numbers_for_its_file_version(build: ModuleType) -> None:
    assert [build.numeric_version(v) for v in ("0.1.0", "0.2.0rc1", "1.2", "2.0.1+local")] == [
        "0.1.0.0",
        "0.2.0.0",
        "1.2.0.0",
        "2.0.1.0",
    ]
    assert build.version() == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def iss_setup() -> dict[str, str]:
    """The [Setup] directives of the Inno Setup script."""
    text = (REPO / "packaging" / "windows" / "therapytimer.iss").read_text(encoding="ascii")
    section = text.split("[Setup]", 1)[1].split("\n[", 1)[0]
    lines = [line.strip() for line in section.splitlines()]
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith((";", "#")))


def test_the_windows_installer_is_per_user_with_a_start_menu_entry_and_an_uninstaller(build: ModuleType) -> None:
    text = (REPO / "packaging" / "windows" / "therapytimer.iss").read_text(encoding="ascii")  # Inno reads ANSI
    setup = iss_setup()
    assert setup["PrivilegesRequired"] == "lowest"  # no administrator rights
    assert setup["DefaultDirName"] == r"{autopf}\TherapyTimer"  # %LOCALAPPDATA%\Programs when per user
    assert setup["UninstallDisplayIcon"] == r"{app}\therapytimer-gui.exe"
    assert setup.get("Uninstallable", "yes") == "yes"
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert setup["AppVersion"] == "{#AppVersion}" and "#error" in text.split("[Setup]")[0]  # no version here
    # build.py names the file it expects the way the script names it
    name = setup["OutputBaseFilename"].replace("{#AppVersion}", "9.8.7") + ".exe"
    assert name == build.installer_name("9.8.7", "win32")
    icons = text.split("[Icons]", 1)[1].split("\n[", 1)[0]
    assert r'Name: "{autoprograms}\TherapyTimer"; Filename: "{app}\therapytimer-gui.exe"' in icons
    spec = (REPO / "packaging" / "therapytimer.spec").read_text()
    assert 'executable("therapytimer-gui", console=False)' in spec  # the program the shortcuts start


def test_iscc_gets_the_version_and_signs_only_when_asked(
    build: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iscc = tmp_path / "ISCC.exe"
    iscc.write_text("")
    assert build.find_iscc({"ISCC": str(iscc)}) == iscc
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    monkeypatch.setattr(build, "ISCC_PLACES", (str(tmp_path / "Inno Setup 6" / "ISCC.exe"),))
    with pytest.raises(build.BuildError, match="Inno Setup's compiler"):
        build.find_iscc({"ISCC": str(tmp_path / "missing.exe")})
    (tmp_path / "Inno Setup 6").mkdir()
    (tmp_path / "Inno Setup 6" / "ISCC.exe").write_text("")
    assert build.find_iscc({}) == tmp_path / "Inno Setup 6" / "ISCC.exe"  # where its installer puts it
    plain = build.iscc_command(iscc, "0.2.0rc1", {})
    assert plain[0] == str(iscc) and plain[-1] == str(build.ISS)
    assert {"/DAppVersion=0.2.0rc1", "/DAppNumericVersion=0.2.0.0"} <= set(plain)
    assert not any(part.startswith(("/S", "/DSign")) for part in plain)
    signed = build.iscc_command(iscc, "1.0.0", {"THERAPYTIMER_SIGN_COMMAND": "signtool sign /a $f"})
    assert "/Ssigntool=signtool sign /a $f" in signed and "/DSign" in signed
    assert build.sign_windows([tmp_path / "a.exe"], {}) == 0  # unsigned: nothing runs


def test_windows_programs_are_signed_with_the_command_given(build: ModuleType, tmp_path: Path) -> None:
    signed = tmp_path / "signed.txt"
    program = tmp_path / "Program Files" / "therapytimer.exe"
    command = f'"{sys.executable}" -c "import sys; open(sys.argv[1], \'a\').write(sys.argv[2] + \'|\')" "{signed}" $f'
    assert build.sign_windows([program, program], {"THERAPYTIMER_SIGN_COMMAND": command}) == 2
    assert signed.read_text() == f"{program}|{program}|"
    with pytest.raises(build.BuildError, match=r"signing .* failed"):
        build.sign_windows([program], {"THERAPYTIMER_SIGN_COMMAND": f'"{sys.executable}" -c "raise SystemExit(1)"'})


def test_the_mac_app_opens_the_window_and_its_info_plist_names_the_version(build: ModuleType, tmp_path: Path) -> None:
    with open(REPO / "packaging" / "macos" / "Info.plist", "rb") as handle:
        template = plistlib.load(handle)
    assert template["CFBundleExecutable"] == "therapytimer-gui" and template["LSBackgroundOnly"] is False
    assert template["CFBundleIdentifier"] == "org.therapytimer.app" and template["CFBundlePackageType"] == "APPL"
    assert not {"CFBundleShortVersionString", "CFBundleVersion"} & set(template)  # the spec adds the version
    spec = (REPO / "packaging" / "therapytimer.spec").read_text()
    assert "info_plist.update(CFBundleShortVersionString=VERSION, CFBundleVersion=VERSION)" in spec
    assert 'REPO / "packaging" / "macos" / "Info.plist"'.replace("REPO", "ROOT") in spec

    app = tmp_path / "TherapyTimer.app"
    (app / "Contents" / "MacOS").mkdir(parents=True)
    (app / "Contents" / "MacOS" / "therapytimer-gui").write_text("")
    built = {**template, "CFBundleShortVersionString": "1.2.0", "CFBundleVersion": "1.2.0"}
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps(built))
    assert build.check_app(app, "1.2.0")["CFBundleExecutable"] == "therapytimer-gui"
    with pytest.raises(build.BuildError, match=r"CFBundleShortVersionString is '1\.2\.0', not '1\.3\.0'"):
        build.check_app(app, "1.3.0")
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps({**built, "CFBundleExecutable": "therapytimer"}))
    with pytest.raises(build.BuildError, match="is not the window's program"):
        build.check_app(app, "1.2.0")


@pytest.mark.posix  # a macOS image: its links are POSIX links
def test_the_disk_image_holds_the_app_and_a_link_to_applications(build: ModuleType, tmp_path: Path) -> None:
    app = tmp_path / "dist" / "TherapyTimer.app"
    (app / "Contents" / "MacOS").mkdir(parents=True)
    (app / "Contents" / "MacOS" / "therapytimer-gui").write_text("program")
    (app / "Contents" / "Frameworks").symlink_to("MacOS")  # links inside the .app stay links
    stage = build.dmg_stage(app, tmp_path / "stage")
    assert sorted(p.name for p in stage.iterdir()) == ["Applications", "TherapyTimer.app"]
    assert os.readlink(stage / "Applications") == "/Applications"
    assert (stage / "TherapyTimer.app" / "Contents" / "Frameworks").is_symlink()


def test_macos_signs_and_notarises_only_when_asked(build: ModuleType) -> None:
    app, dmg = Path("stage/TherapyTimer.app"), Path("dist/TherapyTimer.dmg")
    assert build.codesign_commands(app, dmg, {}) == ([], [])
    identity = "Developer ID Application: Example Clinic (TEAMID1234)"
    before, after = build.codesign_commands(app, dmg, {"THERAPYTIMER_CODESIGN_IDENTITY": identity})
    assert before[0][-1] == str(app) and identity in before[0] and str(build.ENTITLEMENTS) in before[0]
    assert before[1][:2] == ["codesign", "--verify"] and after == [[*before[0][:7], str(dmg)]]
    env = {"THERAPYTIMER_CODESIGN_IDENTITY": identity, "THERAPYTIMER_NOTARY_PROFILE": "clinic"}
    _, notarised = build.codesign_commands(app, dmg, env)
    assert [step[:2] for step in notarised] == [["codesign", "--force"], ["xcrun", "notarytool"], ["xcrun", "stapler"]]
    with open(build.ENTITLEMENTS, "rb") as handle:
        assert not any("network" in key for key in plistlib.load(handle))  # the app asks for no network


@pytest.mark.posix  # file modes
def test_linux_gets_its_desktop_entry_icons_and_an_archive(build: ModuleType, tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    icons.mkdir()
    for size in build.ICON_SIZES:
        (icons / f"therapytimer-{size}.png").write_bytes(b"png")
    bundle = tmp_path / "therapytimer"
    bundle.mkdir()
    (bundle / "therapytimer").write_text("#!/bin/sh\n")
    (bundle / "therapytimer").chmod(0o755)
    made = build.linux_share(bundle, icons)
    assert bundle / "share/applications/therapytimer.desktop" in made
    assert bundle / "share/icons/hicolor/512x512/apps/therapytimer.png" in made
    assert {stat.S_IMODE(p.stat().st_mode) for p in made} == {0o644}
    archive = build.linux_archive(bundle, tmp_path / "therapytimer.tar.gz")
    with tarfile.open(archive) as opened:
        members = {m.name: m for m in opened.getmembers()}
    assert members["therapytimer/therapytimer"].mode & 0o777 == 0o755
    assert "therapytimer/share/icons/hicolor/scalable/apps/therapytimer.svg" in members


def test_a_failed_step_stops_the_build_naming_it(
    build: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build.run([sys.executable, "-c", "pass"])
    with pytest.raises(build.BuildError, match=r"-c 'raise SystemExit\(3\)' failed \(exit status 3\)"):
        build.run([sys.executable, "-c", "raise SystemExit(3)"])
    assert build.output([sys.executable, "-c", "print('a'); print('therapytimer 1.0')"]) == "therapytimer 1.0"
    with pytest.raises(build.BuildError, match=r"failed .*: nope"):
        build.output([sys.executable, "-c", "import sys; sys.exit('nope')"])
    monkeypatch.setattr(build, "BUNDLE", tmp_path / "dist" / "therapytimer")
    assert build.main(["installer"]) == 1
    assert capsys.readouterr().err == f"build.py: no bundle in {build.BUNDLE}: run `python packaging/build.py` first\n"
    assert build.system("cygwin") == "linux"


def test_the_bundle_drops_the_process_serial_number_macos_may_pass() -> None:
    entry = load("entry")
    assert entry.arguments(["-psn_0_123456", "--self-test"], "darwin") == ["--self-test"]
    assert entry.arguments(["-psn_0_123456"], "linux") == ["-psn_0_123456"]  # an error there, as it should be
    assert entry.arguments(["status", "--db", "Zoë Müller.db"], "win32") == ["status", "--db", "Zoë Müller.db"]


# --- the workflow ----------------------------------------------------------------------------------------------

WORKFLOW = REPO / ".github" / "workflows" / "build.yml"


def workflow() -> dict[str, Any]:
    from ruamel.yaml import YAML

    loaded = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_workflow_builds_on_each_system_with_the_oldest_and_newest_python() -> None:
    flow = workflow()
    matrix = flow["jobs"]["build"]["strategy"]["matrix"]
    assert {os_name.split("-")[0] for os_name in matrix["os"]} == {"ubuntu", "windows", "macos"}
    classifiers = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["classifiers"]
    supported = sorted(c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r".*:: Python :: 3\.\d+", c))
    assert matrix["python"] == [supported[0], supported[-1]] and flow["env"]["RELEASE_PYTHON"] == supported[-1]
    runs = "\n".join(step.get("run", "") for step in flow["jobs"]["build"]["steps"])
    for needed in (
        "pip\" install -e '.[test]'",
        "-m pytest",
        'therapytimer" --self-test',
        "tests/soak.py",
        "packaging/build.py bundle",
        "dist/therapytimer/therapytimer.exe --self-test",
        "dist/TherapyTimer.app/Contents/MacOS/therapytimer-gui --self-test",
        "packaging/build.py installer",
    ):
        assert needed in runs, needed
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "packaging/windows/therapytimer.iss" in text and "packaging/macos/Info.plist" in text
    uses = [step["uses"] for job in flow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+(\.\d+)*", u) for u in uses)  # pinned by version
    assert flow["jobs"]["release"]["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert flow["on"]["push"]["tags"] == ["v*"]  # YAML 1.2, as GitHub reads it: `on` stays a word


def test_the_schema_check_fails_on_a_broken_workflow(tmp_path: Path) -> None:
    """.ci/run validates the workflow with check-jsonschema's built-in GitHub schema (no network); the
    check is real: a workflow whose job lost `runs-on` is refused."""
    check = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    good = subprocess.run([*check, str(WORKFLOW)], capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    broken = tmp_path / "build.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on: ${{ matrix.os }}", "runs_on: x"))
    bad = subprocess.run([*check, str(broken)], capture_output=True, text=True)
    assert bad.returncode == 1 and "'runs-on' is a required property" in bad.stdout
    assert (
        ".venv/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml"
        in (REPO / ".ci" / "run").read_text()
    )


@pytest.mark.slow
def test_output_redirected_in_a_code_page_without_arrows_never_crashes(tmp_path: Path) -> None:
    """Windows writes a redirected stdout (`therapytimer units ... > units.txt`) in the ANSI code page,
    cp1252, which has no "→": the command must still print its answer, not a traceback."""
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    done = subprocess.run(
        [sys.executable, "-m", "therapytimer", "units", "--discipline", "PT", "97112=24", "97110=23"],
        env=env,
        capture_output=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert b"total units 3" in done.stdout
