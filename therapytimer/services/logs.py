"""The log a clinic can send back: starts, stops, corrections, imports, exports, backups, restores and
every error with its traceback, in a rotating file in the user's log folder, readable by the owner only.

Lines name session ids, codes and counts, never a patient alias or a note: the use cases log only those,
and a traceback is written without its exception's message (a message may quote what was typed), so
what reaches the file is safe by construction rather than by scrubbing.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import traceback
from pathlib import Path
from typing import Any

from therapytimer.core.files import make_private_dirs

LOG_NAME = "therapytimer.log"
MAX_BYTES = 1_000_000
KEEP = 3  # rotated files kept beside the current one
LEVELS = ("debug", "info", "warning", "error")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _PrivateFile(logging.handlers.RotatingFileHandler):
    """Rotating log files created owner-only (0600), whatever the umask."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding)


class _NoMessages(logging.Formatter):
    """Tracebacks with the frames and the exception's type, not its message."""

    def formatException(self, ei: Any) -> str:
        kind, _value, tb = ei
        frames = "".join(traceback.format_tb(tb))
        name = getattr(kind, "__qualname__", str(kind))
        return f"Traceback (most recent call last):\n{frames}{name} (message not logged: it may name a patient)"


def setup_logging(folder: Path, level: str = "info") -> Path | None:
    """Log to `folder`/therapytimer.log at `level`; returns the file, or None if the folder cannot be
    written (the app works on without a log: it is a help, never a reason to stop)."""
    logger = logging.getLogger("therapytimer")
    logger.setLevel(level.upper())
    for old in list(logger.handlers):
        if isinstance(old, _PrivateFile):
            logger.removeHandler(old)
            old.close()
    path = folder / LOG_NAME
    try:
        make_private_dirs(folder)
        handler = _PrivateFile(path, maxBytes=MAX_BYTES, backupCount=KEEP, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(_NoMessages(FORMAT))
    logger.addHandler(handler)
    return path
