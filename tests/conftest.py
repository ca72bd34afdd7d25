"""Test setup: Qt renders offscreen and no test ever touches the user's real config or data.

QT_QPA_PLATFORM must be set before any QApplication exists: without it, pytest on a machine with no
display dies with only "Fatal Python error: Aborted".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own empty config folder (where the user catalog lives) and database path."""
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("THERAPYTIMER_CONFIG_DIR", str(config))
    monkeypatch.setenv("THERAPYTIMER_DB", str(tmp_path / "data" / "therapytimer.db"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    yield config


# Shared machines are noisy: property tests check behaviour, never speed.
settings.register_profile("therapytimer", deadline=None)
settings.load_profile("therapytimer")
