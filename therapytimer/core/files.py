"""Writing the user's files safely: owner-only, atomically, and never over what is not ours to replace.

Exports and backups hold patient aliases, so they are created readable by the owner only, written to a
temporary file beside the target and renamed into place, and an existing file is replaced only when
asked (`force`), and never if it is not a regular file (a device, a folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class TargetError(Exception):
    """The target cannot be written (the message names it and says what to do)."""


def temp_beside(path: Path, *, force: bool, example: str) -> str:
    """Check that `path` may be written, then make an empty owner-only temporary file beside it."""
    if path.is_dir():
        raise TargetError(f"{path} is a folder; give a file name such as {path / example}")
    if path.exists() and not force:
        raise TargetError(f"{path} already exists; choose another name or add --force to replace it")
    if path.exists() and not path.is_file():
        raise TargetError(f"{path} is not a regular file; choose another name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise TargetError(f"cannot write in {path.parent} ({exc.strerror}); choose another folder") from None
    os.close(fd)
    return tmp


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
        os.replace(tmp, path)
    else:
        os.unlink(tmp)


def discard(tmp: str) -> None:
    if os.path.exists(tmp):
        os.unlink(tmp)
