"""The resource locator finds bundled files from a bundle, a wheel or a checkout; config is redirectable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from therapytimer import paths, version


def test_checkout_resources_are_found() -> None:
    assert paths.resource_path("codes.csv").read_text().startswith("code,short_name,kind")


def test_installed_wheel_layout_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site" / "therapytimer"
    (package / "resources").mkdir(parents=True)
    (package / "resources" / "codes.csv").write_text("wheel")
    monkeypatch.setattr(paths, "_PACKAGE_DIR", package)
    assert paths.resource_path("codes.csv").read_text() == "wheel"


def test_pyinstaller_bundle_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "codes.csv").write_text("bundle")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resource_dirs()[0] == tmp_path / "resources"
    assert paths.resource_path("codes.csv").read_text() == "bundle"


def test_missing_resource_says_where_it_looked() -> None:
    with pytest.raises(FileNotFoundError, match=r"resource 'nope\.csv' not found .* reinstall"):
        paths.resource_path("nope.csv")


def test_config_dir_override_and_platform_default(user_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.user_catalog_path() == user_dirs / "codes.csv"
    assert paths.user_mue_path() == user_dirs / "mue.csv"
    monkeypatch.delenv(paths.CONFIG_DIR_ENV)
    assert paths.config_dir().name == "therapytimer"


def test_version_from_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    assert version()[0].isdigit()
    import importlib.metadata

    def missing(_name: str) -> str:
        raise importlib.metadata.PackageNotFoundError

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert version() == "0+unknown"
