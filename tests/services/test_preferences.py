"""The settings' one owner: changes applied once, saved, and every listener told."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import CATALOG
from therapytimer.core.settings import Settings
from therapytimer.services.preferences import Preferences


def test_update_applies_the_fees_saves_and_tells_every_listener(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    prefs = Preferences(Settings(), CATALOG, path)
    heard: list[Decimal | None] = []
    prefs.subscribe(lambda: heard.append(prefs.catalog.get("97110").default_fee))
    prefs.subscribe(lambda: heard.append(Decimal(prefs.settings.forgotten_minutes)))
    assert prefs.update(fees={"97110": Decimal("31.00"), "99999": Decimal("1.00")}, forgotten_minutes=45) == [
        "fees for 1 code not in the code catalog, left out: 99999"
    ]
    assert heard == [Decimal("31.00"), Decimal(45)]
    assert prefs.forgotten_after.total_seconds() == 45 * 60
    loaded, problems = Preferences.load(path, CATALOG)
    assert loaded.settings.fees["97110"] == Decimal("31.00") and loaded.settings.forgotten_minutes == 45
    assert problems == ["fees for 1 code not in the code catalog, left out: 99999"]
    with pytest.raises(AttributeError, match="no setting named colour"):
        prefs.update(colour="blue")


def test_a_settings_file_that_cannot_be_saved_is_said_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    prefs = Preferences(Settings(), CATALOG, blocker / "settings.json")
    problems = prefs.update(sound=True)
    assert len(problems) == 1 and problems[0].startswith(f"Settings not saved: {blocker / 'settings.json'}")
    assert prefs.settings.sound  # kept for this run
    assert Preferences(Settings(), CATALOG, None).save() is None  # nowhere to save: the self-test
