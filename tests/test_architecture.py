"""Layering enforced by tools, not by memory: import-linter's contracts in pyproject.toml (run here and by
`lint-imports` in CI), seeded violations they must catch, a run-time probe that the layers below the
window load no Qt, and no network code anywhere (patient data stays on the machine)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "therapytimer"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
NETWORK = ("socket", "ssl", "http", "urllib", "ftplib", "smtplib", "requests", "httpx", "aiohttp", "xmlrpc")

# What 0.1's hand-written check let through (5 of these 7), each in the form a real slip would take.
SEEDED = {
    "relative import of storage from the window": ("ui/slip.py", "from ..storage import store\n"),
    "storage under TYPE_CHECKING in the command line": (
        "cli/slip.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from therapytimer.storage.store import Store\n",
    ),
    "the window package imported from core": ("core/slip.py", "from therapytimer import ui\n"),
    "storage importing the command line": ("storage/slip.py", "import therapytimer.cli.common\n"),
    "a lazy import of the use cases inside a core function": (
        "core/slip.py",
        "def f() -> None:\n    from therapytimer.services import timers\n",
    ),
    "Qt in the use cases": ("services/slip.py", "from PySide6.QtCore import QTimer\n"),
    "SQLite outside storage": ("services/slip.py", "import sqlite3\n"),
}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_layer_contracts_hold() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.parametrize("case", sorted(SEEDED))
def test_the_contracts_catch_a_seeded_violation(case: str, tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "therapytimer", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    relative, code = SEEDED[case]
    (tmp_path / "therapytimer" / relative).write_text(code)
    result = lint_imports(tmp_path)
    assert result.returncode != 0, f"{case} was not caught:\n{result.stdout}"
    assert "slip" in result.stdout


def test_importing_everything_below_the_window_loads_no_qt() -> None:
    """The run-time probe: every module of core, storage, the use cases and the command line imported in a
    fresh process, and PySide6 is not among the loaded modules (the window alone loads it)."""
    below = [
        ".".join(path.relative_to(REPO).with_suffix("").parts)
        for layer in ("core", "storage", "services", "cli")
        for path in sorted((PACKAGE / layer).glob("*.py"))
    ]
    probe = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in below)
    probe += "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))\n"
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert len(below) > 30


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_network_code_anywhere() -> None:
    offenders = {
        str(p.relative_to(REPO)): sorted(n for n in _imports(p) if n.split(".")[0] in NETWORK)
        for p in sorted(PACKAGE.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}
