"""Writing the user's files safely: owner-only, atomically, and never over what is not ours to replace.

Exports and backups hold patient aliases, so they are created readable by the owner only, written to a
temporary file beside the target and renamed into place, and an existing file is replaced only when
asked (`force`), and never if it is not a regular file (a device, a folder).

A temporary file's name says it is TherapyTimer's and which process wrote it
(`.NAME.therapytimer-PID-RANDOM.tmp`), so one left by a killed process is removed the next time a file
is written in that folder, and never one that a running process is still writing.

On Windows a file mode means little (chmod only sets the read-only flag). What protects the files there
is the folder: `mkdir(mode=0o700)` makes Python (3.11.10+, 3.12.4+, 3.13) give each folder TherapyTimer
creates an access list of its own, the user, SYSTEM and Administrators only, which the files in it
inherit. And Windows refuses to replace a file another program holds open (Excel locks an open CSV):
`open_elsewhere` turns that refusal into words a clinician can act on.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

from therapytimer.core.errors import Hint, TherapyTimerError

TEMP_MARK = "therapytimer"
TEMP_NAME = re.compile(rf"^\..+\.{TEMP_MARK}-(\d+)-[^.]*\.tmp(-journal|-wal|-shm)?$")
WINDOWS_STALE_S = 3600.0  # where a process cannot be asked whether it lives, an hour-old temp file is stale
IN_USE_WINERRORS = (32, 33)  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION: certainly another program's


class TargetError(TherapyTimerError):
    """The target cannot be written (the message names it and why)."""


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents owner-only (0700), whatever the umask: `mkdir(mode=...)`
    is masked by it, and `parents=True` ignores `mode` for the parents altogether. On Windows the mode
    0o700 itself is what asks for the owner-only access list, and chmod would only clear a read-only flag."""
    missing: list[Path] = []
    current = folder
    while not current.exists():  # the root always exists
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # another process made it a moment ago
            continue
        if os.name != "nt":
            os.chmod(path, 0o700)


def _process_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0 only asks; on Windows it would send Ctrl+C, which is why that path differs
    except ProcessLookupError:
        return True
    except OSError:  # alive, but another user's
        return False
    return False


def stale_temp_files(folder: Path, now: float | None = None) -> list[Path]:
    """TherapyTimer's temporary files in `folder` whose process is gone (a killed export or backup)."""
    found: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return found
    for name in names:
        match = TEMP_NAME.match(name)
        if not match:
            continue
        path = folder / name
        if os.name == "nt":
            try:
                age = (now or time.time()) - path.stat().st_mtime
            except OSError:
                continue
            if age > WINDOWS_STALE_S:
                found.append(path)
        elif _process_gone(int(match.group(1))):
            found.append(path)
    return found


def sweep_temp_files(folder: Path) -> int:
    """Remove what `stale_temp_files` finds; returns how many went. Never raises: this is tidying."""
    removed = 0
    for path in stale_temp_files(folder):
        try:
            path.unlink()
        except OSError:
            continue
        removed += 1
    return removed


def new_temp(path: Path) -> str:
    """An empty owner-only temporary file beside `path`, named as ours (after tidying stale ones)."""
    sweep_temp_files(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{TEMP_MARK}-{os.getpid()}-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return tmp


def temp_beside(path: Path, *, force: bool, example: str) -> str:
    """Check that `path` may be written, then make an empty owner-only temporary file beside it."""
    if path.is_dir():
        raise TargetError(f"{path} is a folder; give a file name such as {path / example}")
    if path.exists() and not force:
        raise TargetError(f"{path} already exists", Hint.FORCE, str(path))
    if path.exists() and not path.is_file():
        raise TargetError(f"{path} is not a regular file; choose another name")
    try:
        return new_temp(path)
    except OSError as exc:
        raise TargetError(f"cannot write in {path.parent} ({exc.strerror}); choose another folder") from None


def place(tmp: str, path: Path, *, force: bool) -> None:
    """Rename `tmp` to `path`. Without `force` it never overwrites, even a file that appeared meanwhile
    (FileExistsError); where hard links are refused (FAT/exFAT sticks, some shares) the name is claimed
    with O_EXCL first."""
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic and never overwrites
    except FileExistsError:
        raise
    except OSError:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        try:
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):  # the empty file that claimed the name is ours: remove it, so
                os.unlink(path)  # "nothing was written" stays true
            raise
    else:
        os.unlink(tmp)


def open_elsewhere(path: Path, exc: OSError) -> str | None:
    """What to tell the user when Windows refused to replace or claim `path` because another program
    holds it open (Excel locks the CSV it shows), else None. Windows says so with a sharing or lock
    violation, or, for a file opened without delete sharing, "access denied", which a read-only file
    also gets; elsewhere a file that is open can always be replaced, so this never applies."""
    if os.name != "nt" or not isinstance(exc, PermissionError):
        return None
    if getattr(exc, "winerror", None) in IN_USE_WINERRORS:
        return f"{path} is open in another program (Excel?): close it there and try again; nothing was written"
    return (
        f"{path} is open in another program (Excel?) or is read-only: close it there, or clear its "
        "read-only box, and try again; nothing was written"
    )


def discard(tmp: str) -> None:
    """Remove a temporary file and any journal SQLite left beside it."""
    for name in (tmp, f"{tmp}-journal", f"{tmp}-wal", f"{tmp}-shm"):
        if os.path.exists(name):
            os.unlink(name)
