"""Every public worked case (../shared/rules/vectors.json, copied to tests/vectors.json) passes,
through the engine and through the `units --json` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.helpers import bill, keyed_units

LOCAL = Path(__file__).with_name("vectors.json")
SHARED = REPO.parent / "shared" / "rules" / "vectors.json"
SHARED_TOOL = REPO.parent / "shared" / "tools" / "check_units_cli.py"
CLI = Path(sys.executable).with_name("therapytimer")


def _cases() -> list[dict[str, Any]]:
    cases = {c["id"]: c for c in json.loads(LOCAL.read_text())}
    if SHARED.exists():  # the shared file may have gained cases since the copy was made
        cases |= {c["id"]: c for c in json.loads(SHARED.read_text())}
    return list(cases.values())


CASES = _cases()


def _nonzero(units: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in units.items() if v}


def _answers(case: dict[str, Any]) -> list[dict[str, int]]:
    return [_nonzero(a) for a in [case["expected_units"], *case.get("tie_alternatives", [])]]


def test_local_copy_matches_shared() -> None:
    if not SHARED.exists():
        pytest.skip("../shared is not beside this checkout")
    assert json.loads(LOCAL.read_text()) == json.loads(SHARED.read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_engine(case: dict[str, Any]) -> None:
    rule = "ama" if case["rule"] == "ama" else "cms"
    discipline = "PT" if case["rule"] == "deminimis" else None
    result = bill(case["minutes"], rule, case.get("assistant_minutes"), discipline)
    got = _nonzero(keyed_units(result))
    # The default answer is the expected one; tie alternatives are reported as alternatives.
    assert got == _answers(case)[0]
    if "total_units" in case:
        assert result.total_units == case["total_units"]
    if case.get("tie_alternatives"):
        assert result.ties, "a case with equally valid answers must report the tie"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_cli(case: dict[str, Any]) -> None:
    rule = "ama" if case["rule"] == "ama" else "cms"
    args = [str(CLI), "units", "--json", "--rule", rule]
    if case["rule"] == "deminimis":
        args += ["--discipline", "PT"]
    codes = dict(case["minutes"]) | {c: case["minutes"].get(c, 0) for c in case.get("assistant_minutes", {})}
    args += [f"{c}={m}" for c, m in codes.items()]
    for c, m in case.get("assistant_minutes", {}).items():
        args += ["--assistant", f"{c}={m}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    got: dict[str, int] = {}
    for line in json.loads(out.stdout)["lines"]:
        mods = [m for m in line["modifiers"] if m in ("CQ", "CO")]
        key = line["code"] + (f"-{mods[0]}" if mods else "")
        got[key] = got.get(key, 0) + line["units"]
    assert _nonzero(got) in _answers(case)


def test_shared_checker_passes() -> None:
    """The project's own run of ../shared/tools/check_units_cli.py: every public case, no failures."""
    if not SHARED_TOOL.exists():
        pytest.skip("../shared is not beside this checkout")
    out = subprocess.run([sys.executable, str(SHARED_TOOL), str(CLI)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    assert f"{len(json.loads(SHARED.read_text()))} passed, 0 failed" in out.stdout
