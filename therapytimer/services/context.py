"""One context for every face: which database, the catalog, the settings, the clock, the log folder.

The window, every command and the self-test build it with `build_context`, so `--db` (before or after
any command), `THERAPYTIMER_DB` and the default mean the same file everywhere, an empty value is refused
everywhere, and the command line honours the same settings as the window.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from therapytimer import paths
from therapytimer.core.catalog import Catalog, CatalogError, load_catalog
from therapytimer.core.clock import Clock, SystemClock
from therapytimer.core.compliance import Compliance, ComplianceError, builtin, load_compliance
from therapytimer.core.errors import TherapyTimerError
from therapytimer.services.preferences import Preferences


class ContextError(TherapyTimerError):
    """The context cannot be built as asked (an empty --db, say)."""


@dataclass
class Context:
    db_path: Path
    prefs: Preferences
    clock: Clock
    log_dir: Path
    # catalog and settings problems, and the built-in codes the user's catalog replaces: to show once
    problems: list[str] = field(default_factory=list)

    @property
    def catalog(self) -> Catalog:
        return self.prefs.catalog

    @property
    def compliance(self) -> Compliance:
        return self.prefs.compliance


def resolve_db_path(flag: str | None, env: Mapping[str, str] | None = None) -> Path:
    """The flag, else THERAPYTIMER_DB, else the platform's data folder. An empty value is refused: an
    unset variable in a script must not silently mean the clinician's real database."""
    env = os.environ if env is None else env
    for value, name in ((flag, "--db"), (env.get(paths.DB_ENV), paths.DB_ENV)):
        if value is None:
            continue
        if not value.strip():
            raise ContextError(f"{name} is empty; it needs a database file name")
        return Path(value)
    return paths.default_db_path()


def load_catalog_or_builtin() -> tuple[Catalog, str | None]:
    """The built-in catalog with the user's; a broken user catalog gives the built-ins and why."""
    try:
        return load_catalog(), None
    except CatalogError as exc:
        problem = "Your code catalog file has problems, so only the built-in codes are available:\n" + "\n".join(
            exc.problems
        )
        return load_catalog(include_user=False), problem


def load_compliance_or_builtin() -> tuple[Compliance, str | None]:
    """The compliance data with the user's MUE file; a broken file gives the built-in values and why."""
    try:
        return load_compliance(), None
    except ComplianceError as exc:
        problem = "Your MUE file has problems, so only the built-in MUE values are used:\n" + "\n".join(exc.problems)
        return builtin(), problem


def build_context(
    db: str | None = None,
    *,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    settings_file: Path | None = None,
    strict_catalog: bool = True,
) -> Context:
    """Everything a face needs. `strict_catalog`: a broken user catalog or MUE file raises CatalogError (the
    command line lists its problems and stops) instead of falling back to the built-in data (the window)."""
    db_path = resolve_db_path(db, env)
    problems: list[str] = []
    if strict_catalog:
        catalog = load_catalog()
        compliance = load_compliance()
    else:
        catalog, problem = load_catalog_or_builtin()
        compliance, mue_problem = load_compliance_or_builtin()
        problems += [p for p in (problem, mue_problem) if p]
    problems += catalog.notes  # built-in codes the user's file replaces: said on every load, never silent
    prefs, settings_problems = Preferences.load(settings_file or paths.settings_path(), catalog, compliance)
    return Context(db_path, prefs, clock or SystemClock(), paths.log_dir(), problems + settings_problems)
