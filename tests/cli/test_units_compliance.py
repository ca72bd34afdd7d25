"""`therapytimer units` and the compliance data: an assistant on an evaluation is refused in one line, CQ/CO
follow the date of service, and units above a code's MUE are a warning (the user's mue.csv included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from therapytimer.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_assistant_on_an_evaluation_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Pub. 100-02 ch. 15 §230.1: "PTAs may not provide evaluative or assessment services"."""
    code, out, err = run(capsys, "units", "--discipline", "PT", "97161", "--assistant", "97161=5")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("--assistant 97161=5: an assistant may not furnish 97161 (a PT evaluation; ")
    code, out, _ = run(capsys, "units", "--json", "--discipline", "PT", "97161", "--assistant", "97161=0")
    assert code == 0 and json.loads(out)["total_units"] == 1  # no assistant minutes: nothing to refuse


@pytest.mark.parametrize(
    ("day", "lines"),
    [
        ("2019-12-31", [("97110", ["GP"], 15, 1)]),  # no CQ before 2020 (SSA §1834(v)(2))
        ("2021-06-01", [("97110", ["GP"], 13, 0), ("97110", ["GP", "CQ"], 2, 1)]),  # CY2020: 2 of 15 min > 10 %
        ("2022-01-01", [("97110", ["GP"], 13, 1), ("97110", ["GP", "CQ"], 2, 0)]),  # CY2022: the therapist's 8+
    ],
)
def test_cq_follows_the_date_of_service(capsys: pytest.CaptureFixture[str], day: str, lines: list[object]) -> None:
    """84 FR 62702-62707 (CY2020) and 86 FR 64996 (CY2022), by --date."""
    args = ["units", "--json", "--date", day, "--discipline", "PT", "97110=13", "--assistant", "97110=2"]
    code, out, _ = run(capsys, *args)
    data = json.loads(out)
    assert code == 0 and data["date"] == day
    assert [(ln["code"], ln["modifiers"], ln["minutes"], ln["units"]) for ln in data["lines"]] == lines


def test_units_above_the_mue_are_a_warning(capsys: pytest.CaptureFixture[str], user_dirs: Path) -> None:
    """CMS MUE (practitioner table, quarterly): the user's <config>/mue.csv adds values without a release."""
    out = run(capsys, "units", "97035=38")[1]
    assert "\nWarnings\n  - 97035: 3 units is above its per-day limit (MUE 2, " in out
    assert "Warnings" not in run(capsys, "units", "97110=98")[1]
    (user_dirs / "mue.csv").write_text(
        "code,units,mai,quarter,table,source\n97110,6,3,2025Q4,CMS practitioner table,https://www.cms.gov\n"
    )
    data = json.loads(run(capsys, "units", "--json", "97110=98")[1])
    assert data["warnings"] == [
        "97110: 7 units is above its per-day limit (MUE 6, CMS practitioner table 2025Q4): most payers deny the "
        "excess; MAI 3: the excess may be paid on appeal with documentation"
    ]


def test_a_broken_mue_file_is_listed_with_its_lines(capsys: pytest.CaptureFixture[str], user_dirs: Path) -> None:
    (user_dirs / "mue.csv").write_text("code,units\n97110,six\n")
    code, out, err = run(capsys, "units", "97110=5")
    assert code == 2 and out == ""
    assert err.startswith("therapytimer: your MUE file has problems; fix them and try again:\n")
    assert f"  {user_dirs / 'mue.csv'} line 2: units 'six' must be a whole number from 0 to 9999" in err
