"""Settings: defaults, a bad file never blocks work, atomic saves."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from therapytimer.core.settings import DEFAULT_FAVORITES, Settings


def test_defaults_when_no_file(tmp_path: Path) -> None:
    settings, problem = Settings.load(tmp_path / "settings.json")
    assert problem is None
    assert settings.exclusive_timers and settings.forgotten_minutes == 90 and settings.week_start == "monday"
    assert settings.favorites["PT"] == DEFAULT_FAVORITES["PT"]
    assert settings.favorites is not Settings().favorites  # no shared mutable default


def test_round_trip_and_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    settings = Settings(provider="Dana Lee", sound=True, week_start="sunday", favorites={"PT": ["97110"]})
    settings.save(path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    loaded, problem = Settings.load(path)
    assert problem is None and loaded == settings
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


def test_a_broken_file_gives_defaults_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    for text in ("{not json", "[1, 2]"):
        path.write_text(text)
        settings, problem = Settings.load(path)
        assert settings == Settings() and problem is not None and str(path) in problem


def test_wrong_types_and_ranges_are_ignored_or_clamped(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"sound": "yes", "forgotten_minutes": 1, "week_start": "friday", "provider": "Sam", "colour": 3})
    )
    settings, problem = Settings.load(path)
    assert problem is None
    assert settings.sound is False and settings.provider == "Sam"
    assert settings.forgotten_minutes == 5 and settings.week_start == "monday"
