"""Where TherapyTimer's files live: bundled resources, the user's config, data and log folders.

Resources are plain files (no compiled qrc). They are found, in order, inside a PyInstaller bundle,
inside an installed wheel (`therapytimer/resources/`, put there at build time) or in a source
checkout (`resources/` beside the package), so one locator serves all three ways of running.

The user's folders are each system's own (platformdirs): on Windows under %LOCALAPPDATA%, on macOS
under ~/Library, elsewhere the XDG folders. `places` lists them with labels, for the About dialog.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from platformdirs.api import PlatformDirsABC

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


def _system_dirs(appauthor: Literal[False] | None = False) -> PlatformDirsABC:
    """This system's user folders, chosen when asked rather than when platformdirs is imported, so a
    test can show each system's folders on any machine by setting `sys.platform`."""
    if sys.platform == "win32":
        from platformdirs.windows import Windows

        return Windows(APP_NAME, appauthor=appauthor)
    if sys.platform == "darwin":
        from platformdirs.macos import MacOS

        return MacOS(APP_NAME, appauthor=appauthor)
    from platformdirs.unix import Unix

    return Unix(APP_NAME, appauthor=appauthor)


def config_dir() -> Path:
    """The user's config folder (user catalog lives here); `THERAPYTIMER_CONFIG_DIR` overrides it."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return _system_dirs().user_config_path


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
    # appauthor None, as 0.1 had it: on Windows ...\therapytimer\therapytimer (moving it would lose the data)
    return _system_dirs(appauthor=None).user_data_path / "therapytimer.db"


def log_dir() -> Path:
    """Where the log a clinic can send lives; `THERAPYTIMER_LOG_DIR` overrides it."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    return _system_dirs().user_log_path


@dataclass(frozen=True)
class Place:
    """One of the user's files or folders, as About shows it: what it is and where."""

    label: str
    path: Path
    is_folder: bool


def places(db_path: Path | None = None, log_folder: Path | None = None) -> list[Place]:
    """Where each of the user's files lives, labelled, for the About dialog: the database in use (`--db`
    and THERAPYTIMER_DB are the context's to apply, so the caller passes it), the safety copies a restore
    makes beside it, the settings, the two files a user may add, and the log folder."""
    db = db_path or default_db_path()
    return [
        Place("Your data (the database)", db, False),
        Place("Safety copies made before a restore", db.parent / "backups", True),
        Place("Settings", settings_path(), False),
        Place("Your own codes (optional)", user_catalog_path(), False),
        Place("Your MUE values (optional)", user_mue_path(), False),
        Place("The log (send it if something goes wrong; it names no patient)", log_folder or log_dir(), True),
    ]
