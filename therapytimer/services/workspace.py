"""A workspace: the context and its database, with the use cases both faces call on them."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from therapytimer.services.cases import Cases
from therapytimer.services.context import Context
from therapytimer.services.timers import Timers
from therapytimer.storage.database import check_location
from therapytimer.storage.store import Store

if TYPE_CHECKING:
    from therapytimer.services.records import Records


class Workspace:
    def __init__(self, context: Context, store: Store) -> None:
        self.context = context
        self._store = store
        self.timers = Timers(store, context.prefs, context.clock)
        self.cases = Cases(store, self.timers, context)

    @cached_property
    def records(self) -> Records:
        """Import, export, the week, backup and restore: made when first used (the window starts without
        them, and without the import, export and backup code)."""
        from therapytimer.services.records import Records

        return Records(self._store, self.timers, self.context, self.cases)

    @classmethod
    def open(cls, context: Context, *, create: bool = False) -> Workspace:
        """The context's database. Only a face that records data (`create`) makes a missing file; an empty
        file, another program's database or a missing one is refused with a StoreError saying which."""
        return cls(context, Store.open(context.db_path, create=create))

    @property
    def db_path(self) -> Path:
        return self.context.db_path

    def close(self) -> None:
        self._store.close()


def init_database(path: Path) -> bool:
    """Make `path` a new, empty database: a new file, or an empty one the user names for it. Returns
    whether a file was there already (it may already be ours: then it is left as it is)."""
    existed = check_location(path)
    Store.open(path, init=True).close()
    return existed
