"""The wheel carries resources/ inside the package, and an installed copy finds them there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_ships_resources_and_entry_points(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("therapytimer-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "therapytimer/resources/codes.csv" in names
    assert {f"therapytimer/resources/compliance/{n}" for n in ("assistant_excluded.csv", "mue.csv")} <= names
    assert not any(n.startswith("tests/") for n in names)
    assert "therapytimer = therapytimer.cli:main" in entry_points
    assert "[gui_scripts]\ntherapytimer-gui = therapytimer.cli:gui_main" in entry_points

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from therapytimer.paths import resource_path; print(resource_path('codes.csv'))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe, str(site)], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert Path(found.stdout.strip()) == site / "therapytimer" / "resources" / "codes.csv"


def test_desktop_entry_and_spec_agree_with_the_app() -> None:
    entry = dict(
        line.split("=", 1)
        for line in (REPO / "packaging/linux/therapytimer.desktop").read_text().splitlines()
        if "=" in line
    )
    assert entry["Exec"] == "therapytimer-gui" and entry["Icon"] == "therapytimer" and entry["Terminal"] == "false"
    spec = (REPO / "packaging/therapytimer.spec").read_text()
    for unused in ("QtWebEngineCore", "QtNetwork", "QtQuick", "QtMultimedia", "lib/libQt6Network"):
        assert unused in spec
    assert 'copy_metadata("therapytimer")' in spec  # the bundle reads the version from the package metadata
    assert (REPO / "resources/icons/therapytimer.svg").read_text().startswith("<svg")


def test_the_window_carries_the_app_icon(qapp: object) -> None:
    from therapytimer.ui.app import application

    assert not application().windowIcon().isNull()
