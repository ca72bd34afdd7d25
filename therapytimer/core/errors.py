"""One base for every problem a user can act on, defined below every layer that raises one.

Core and storage say what is wrong with the data ("97110 is untimed", "x.db holds no TherapyTimer
data"); the `hint` names the kind of remedy, and each face words it its own way: the command line names
a flag ("add --force"), the window the thing to press. So no message below the faces speaks of flags or
buttons, and a face never has to parse a message to know what to suggest.
"""

from __future__ import annotations

from enum import StrEnum


class Hint(StrEnum):
    """The kind of remedy a face may suggest after the message."""

    FORCE = "force"  # the target exists: replace it on purpose
    OTHER_FILE = "other-file"  # this database file cannot be used here: name another
    INIT = "init"  # an empty file: make it a new database on purpose
    DISCIPLINE = "discipline"  # the answer depends on the discipline: name one


class TherapyTimerError(Exception):
    """A problem explained for the user; faces show `str(error)` and add advice for `hint`, naming
    `subject` (the file concerned) where the advice needs it."""

    def __init__(self, message: str, hint: Hint | None = None, subject: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        self.subject = subject
