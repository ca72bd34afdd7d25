"""Layering rules enforced by a test, not by memory: only therapytimer/ui imports Qt, and nothing
imports network modules (patient data stays on the machine)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "therapytimer"
QT = ("PySide6", "shiboken6")
NETWORK = ("socket", "ssl", "http", "urllib", "ftplib", "smtplib", "requests", "httpx", "aiohttp", "xmlrpc")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_ui_package_imports_qt() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p in _modules()
        if "ui" not in p.relative_to(PACKAGE).parts and any(n.split(".")[0] in QT for n in _imports(p))
    ]
    assert offenders == []
    assert any(any(n.split(".")[0] in QT for n in _imports(p)) for p in (PACKAGE / "ui").glob("*.py"))


def test_no_network_code_anywhere() -> None:
    offenders = {
        str(p.relative_to(REPO)): sorted(n for n in _imports(p) if n.split(".")[0] in NETWORK) for p in _modules()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_imports_nothing_from_ui_cli_or_storage() -> None:
    for path in (PACKAGE / "core").glob("*.py"):
        outward = ("therapytimer.ui", "therapytimer.cli", "therapytimer.storage")
        assert not {n for n in _imports(path) if n.startswith(outward)}, path


def test_only_the_storage_package_talks_to_sqlite() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p in _modules()
        if "storage" not in p.relative_to(PACKAGE).parts
        and any(n.split(".")[0] in ("sqlite3", "sqlite_utils") for n in _imports(p))
    ]
    assert offenders == []
