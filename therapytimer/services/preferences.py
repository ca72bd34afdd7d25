"""The settings' one owner below the faces: loaded once, changed in one place, and listened to.

It holds the settings, the catalog with the clinic's fees applied and the compliance data (with the user's
MUE values), saves changes, and tells every listener (the window's views, the use cases) when they change,
so no face hands a new catalog to five holders by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from therapytimer.core.catalog import Catalog
from therapytimer.core.compliance import Compliance, builtin
from therapytimer.core.settings import Settings


class Preferences:
    def __init__(
        self,
        settings: Settings,
        base_catalog: Catalog,
        path: Path | None = None,
        compliance: Compliance | None = None,
    ) -> None:
        self.settings = settings
        self.base_catalog = base_catalog  # before the clinic's fees
        self.path = path  # None: never saved (the self-test, some tests)
        self.compliance = compliance or builtin()  # who may furnish what, CQ/CO by date, MUE values
        self.catalog, self.fee_problems = base_catalog.with_fees(settings.fees)
        self._listeners: list[Callable[[], None]] = []

    @classmethod
    def load(
        cls, path: Path, base_catalog: Catalog, compliance: Compliance | None = None
    ) -> tuple[Preferences, list[str]]:
        """The settings in `path` (each bad field reported and defaulted on its own), and the problems."""
        settings, problems = Settings.load(path)
        prefs = cls(settings, base_catalog, path, compliance)
        return prefs, [*problems, *prefs.fee_problems]

    @property
    def forgotten_after(self) -> timedelta:
        return timedelta(minutes=self.settings.forgotten_minutes)

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def update(self, **fields: Any) -> list[str]:
        """Set fields (none: the settings object was edited in place), apply the fee table, save, and tell
        the listeners. Returns what could not be applied or saved, as lines to show."""
        for name, value in fields.items():
            if not hasattr(self.settings, name):
                raise AttributeError(f"no setting named {name}")
            setattr(self.settings, name, value)
        self.catalog, self.fee_problems = self.base_catalog.with_fees(self.settings.fees)
        problems = list(self.fee_problems)
        problem = self.save()
        if problem:
            problems.append(problem)
        for listener in list(self._listeners):
            listener()
        return problems

    def save(self) -> str | None:
        """Write the settings file; a line saying why not, or None."""
        if self.path is None:
            return None
        try:
            self.settings.save(self.path)
        except OSError as exc:
            return f"Settings not saved: {self.path} ({exc.strerror or exc})"
        return None
