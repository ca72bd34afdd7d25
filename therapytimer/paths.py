"""Where TherapyTimer's files live: bundled resources, the user's config, data and log folders.

Resources are plain files (no compiled qrc). They are found, in order, inside a PyInstaller bundle,
inside an installed wheel (`therapytimer/resources/`, put there at build time) or in a source
checkout (`resources/` beside the package), so one locator serves all three ways of running.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "therapytimer"
CONFIG_DIR_ENV = "THERAPYTIMER_CONFIG_DIR"
DB_ENV = "THERAPYTIMER_DB"
LOG_DIR_ENV = "THERAPYTIMER_LOG_DIR"
_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dirs() -> list[Path]:
    """Candidate resource folders, most specific first."""
    candidates: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        candidates.append(Path(bundle) / "resources")
    candidates.append(_PACKAGE_DIR / "resources")
    candidates.append(_PACKAGE_DIR.parent / "resources")
    return candidates


def resource_path(name: str) -> Path:
    """The path of a bundled resource file, e.g. `resource_path("codes.csv")`."""
    for folder in resource_dirs():
        path = folder / name
        if path.exists():
            return path
    searched = ", ".join(str(d) for d in resource_dirs())
    raise FileNotFoundError(f"resource {name!r} not found (searched {searched}); reinstall TherapyTimer")


def config_dir() -> Path:
    """The user's config folder (user catalog lives here); `THERAPYTIMER_CONFIG_DIR` overrides it."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def settings_path() -> Path:
    """The user's settings file."""
    return config_dir() / "settings.json"


def user_catalog_path() -> Path:
    """The optional catalog file a user edits to add codes (for example CPT 2027) without a release."""
    return config_dir() / "codes.csv"


def user_mue_path() -> Path:
    """The optional file a user edits to add or override MUE values (the CMS table changes every quarter)."""
    return config_dir() / "mue.csv"


def default_db_path() -> Path:
    """The platform's user data folder (`--db` and `THERAPYTIMER_DB` are the context's to apply)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "therapytimer.db"  # as 0.1 had it: on Windows ...\therapytimer\therapytimer


def log_dir() -> Path:
    """Where the log a clinic can send lives; `THERAPYTIMER_LOG_DIR` overrides it."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_log_path

    return user_log_path(APP_NAME, appauthor=False)
