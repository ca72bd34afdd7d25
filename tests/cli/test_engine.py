"""The `therapytimer` command line: the JSON contract, the human table, and every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from therapytimer.cli import main

CLI = Path(sys.executable).with_name("therapytimer")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "units", "--json", "--discipline", "PT", "97110=13", "97140=30", "97161", "--assistant", "97110=23"
    )
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["rule"] == "cms" and data["discipline"] == "PT"
    assert data["total_timed_minutes"] == 66 and data["total_treatment_minutes"] == 66 and data["total_units"] == 5
    assert [(ln["code"], ln["modifiers"], ln["minutes"], ln["units"]) for ln in data["lines"]] == [
        ("97110", ["GP"], 13, 1),
        ("97110", ["GP", "CQ"], 23, 1),
        ("97140", ["GP"], 30, 2),
        ("97161", ["GP"], 0, 1),
    ]
    assert data["ties"] == [] and data["explanation"] and data["next_unit"]
    assert data["date"]


def test_json_reports_ties_and_cognitive_split(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "units", "--json", "97112=7", "97110=7", "97140=7")[1])
    assert data["ties"][0]["chosen"] == ["97112"]
    assert sorted(data["ties"][0]["alternatives"]) == [["97110"], ["97140"]]
    data = json.loads(run(capsys, "units", "--json", "97129=45")[1])
    assert [(ln["code"], ln["units"]) for ln in data["lines"]] == [("97129", 1), ("97130", 2)]
    assert json.loads(run(capsys, "units", "--json", "--prefer", "97110", "97112=20", "97110=20")[1])["ties"][0][
        "chosen"
    ] == ["97110"]


@pytest.mark.parametrize("args", [["97110=1440"], ["97110=1433"], ["97546=61"], ["97546=105"]])
def test_edge_minutes_answer_normally(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, _ = run(capsys, "units", "--json", *args)
    assert code == 0 and json.loads(out)["next_unit"]


def test_zero_minute_code_appears_with_zero_units(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "units", "--json", "--rule", "ama", "97110=33", "97140=0")[1])
    assert [(ln["code"], ln["units"]) for ln in data["lines"]] == [("97110", 2), ("97140", 0)]


def test_human_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "units", "--discipline", "pt", "97112=24", "97110=23", "97161=30")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Medicare 8-minute rule (pooled) · ") and lines[0].endswith(" · PT")
    header = lines[2]
    assert header.split() == ["CODE", "NAME", "MIN", "UNITS", "MODIFIERS"]
    row = lines[3]
    assert row.split()[0] == "97112" and row.split()[-3:] == ["24", "2", "GP"]
    # numbers are right-aligned under their headers
    assert row.index("24") + 2 == header.index("MIN") + 3
    assert "Total timed minutes 47 · total treatment minutes 77 · total units 4" in out
    assert "\nWhy\n" in out and "\nNext unit\n" in out
    assert "  - 97112: 24 min → 1 full 15-min unit + 1 for the leftover (9 min" in out


def test_human_table_shortens_long_names_and_shows_warnings(
    capsys: pytest.CaptureFixture[str], user_dirs: Path
) -> None:
    (user_dirs / "codes.csv").write_text("code,short_name,kind\nX0001," + "Long name " * 6 + ",untimed\n")
    out = run(capsys, "units", "92607=100", "97014", "X0001")[1]
    assert "Speech device evaluation (each extra 30 min)" in out
    assert "Long name Long name Long name Long name Long na…" in out
    assert "\nWarnings\n  - 97014: Medicare: not valid; bill G0283" in out


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["97110=abc"], "97110=abc: minutes must be a whole number from 0 to 1440"),
        (["97110=-3"], "97110=-3: minutes must be a whole number"),
        (["97110=5000"], "97110=5000: minutes must be a whole number"),
        (["97110=7.5"], "97110=7.5: minutes must be a whole number"),
        (["97110=" + "9" * 5000], "minutes must be a whole number"),
        (["9711=5"], "9711=5: '9711' is not a code"),
        (["99999=5"], "99999=5: 99999 is not in the code catalog"),
        ([], "give at least one code"),
        (["--rule", "medicare", "97110=5"], "argument --rule: invalid choice: 'medicare'"),
        (["--discipline", "PTA", "97110=5"], "argument --discipline: invalid choice: 'PTA'"),
        (["97110=5", "--assistant", "97140=5"], "--assistant 97140=5: 97140 is not among the codes given"),
        (["97110=5", "--assistant", "97110"], "--assistant 97110: give the minutes as 97110=MIN"),
        (["97110=5", "--assistant", "97110=2", "--assistant", "97110=3"], "97110 is given twice"),
        (["97110=5", "--discipline", "PT", "--assistant", "97110=x"], "97110=x: minutes must be a whole number"),
        (["97110"], "97110: 97110 is a timed code; give its minutes as 97110=MIN"),
        (["97110=5", "97110=6"], "97110=6: 97110 is given twice"),
        (["--date", "2027-01-04", "92507"], "92507: 92507 is not valid on 2027-01-04 (valid through 2026-12-31)"),
        (["--date", "yesterday", "97110=5"], "argument --date: 'yesterday' is not a date"),
        (["97110=5", "--assistant", "97110=3"], "assistant minutes need a discipline"),
        (["97110=5", "--prefer", "97140"], "--prefer 97140: not among the codes given"),
        (["97110=5", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], args: list[str], names: str) -> None:
    code, out, err = run(capsys, "units", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert names in err


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "unit", "97110=5")
    assert code == 2 and "invalid choice: 'unit'" in err and err.count("\n") == 1


def test_broken_user_catalog_is_reported_with_its_lines(capsys: pytest.CaptureFixture[str], user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text("code,short_name,kind\n123,x,timed\n")
    code, out, err = run(capsys, "units", "97110=5")
    assert code == 2 and out == ""
    assert "the code catalog has problems" in err and "line 2: code '123'" in err


def test_codes_lists_the_catalog(capsys: pytest.CaptureFixture[str], user_dirs: Path) -> None:
    code, out, _ = run(capsys, "codes", "--date", "2027-01-04")
    assert code == 0 and "97110" in out and "92507" not in out
    assert f"User catalog (not present): {user_dirs / 'codes.csv'}" in out
    out = run(capsys, "codes", "--all", "speech")[1]
    assert "92507" in out and "valid through 2026-12-31" in out
    (user_dirs / "codes.csv").write_text("code,short_name,kind\nX1234,Mine,untimed\n")
    data = json.loads(run(capsys, "codes", "--json", "X12")[1])
    assert data == [
        {
            "code": "X1234",
            "short_name": "Mine",
            "kind": "untimed",
            "shape": "untimed (1 unit per service)",
            "disciplines": ["PT", "OT", "SLP"],
            "valid_from": None,
            "valid_to": None,
            "default_fee_usd": None,
            "source": str(user_dirs / "codes.csv"),
        }
    ]
    assert "(loaded)" in run(capsys, "codes")[1]
    assert json.loads(run(capsys, "codes", "--json", "97110")[1])[0]["default_fee_usd"] == "28.79"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("therapytimer 0.")


def test_no_screen_gives_a_clear_message(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    for args in ([], ["gui"]):
        code, _, err = run(capsys, *args)
        assert code == 2 and "no screen found" in err


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}


def test_console_script_and_module_run_alike() -> None:
    args = ["units", "--json", "97110=23"]
    script = subprocess.run([str(CLI), *args], capture_output=True, text=True, check=True, env=_env())
    module = subprocess.run(
        [sys.executable, "-m", "therapytimer", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env=_env(),
    )
    assert json.loads(script.stdout)["total_units"] == 2
    assert script.stdout == module.stdout


def test_bad_input_in_a_real_process_never_shows_a_traceback() -> None:
    for args in (["97110=abc"], ["97110=5", "--assistant", "97140=1"], ["--rule"], ["97110=99999999999999999999"]):
        proc = subprocess.run([str(CLI), "units", *args], capture_output=True, text=True, env=_env())
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_units_imports_neither_qt_nor_storage() -> None:
    probe = (
        "import sys\n"
        "from therapytimer.cli import main\n"
        "main(['units', '--json', '97110=23'])\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'sqlite_utils', 'sqlite3',"
        " 'therapytimer.ui', 'therapytimer.storage')))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=REPO, capture_output=True, env=_env())


def test_codes_shows_which_built_in_codes_are_replaced(capsys: pytest.CaptureFixture[str], user_dirs: Path) -> None:
    """Issue #10 item 6: the table names each replacement with its file and line; --json marks the code."""
    path = user_dirs / "codes.csv"
    path.write_text(
        "code,short_name,kind,disciplines,valid_to,replaces_builtin\n"
        "X1234,Mine,untimed,SLP,,\n"
        "92507,Speech/language treatment,untimed,SLP,2027-06-30,yes\n"
    )
    code, out, err = run(capsys, "codes", "--all", "speech")
    assert code == 0 and err == ""
    assert out.rstrip().endswith(f"built-in 92507 replaced by {path} line 3")
    entries = {e["code"]: e for e in json.loads(run(capsys, "codes", "--json", "--all")[1])}
    assert entries["92507"]["replaces"] == "built-in" and entries["92507"]["source"] == str(path)
    assert entries["92507"]["valid_to"] == "2027-06-30"
    assert "replaces" not in entries["X1234"] and "replaces" not in entries["97110"]
    path.unlink()
    assert "replaced by" not in run(capsys, "codes", "--all")[1]


def test_every_catalog_problem_is_listed_in_one_run(capsys: pytest.CaptureFixture[str], user_dirs: Path) -> None:
    """0.1 listed the rows' problems, then (once fixed) the links', and blamed a bad 97130 on the built-ins."""
    path = user_dirs / "codes.csv"
    path.write_text(
        "code,short_name,kind,first_minutes,each_minutes,addon_code,default_fee_usd,replaces_builtin\n"
        "97110,Therapeutic exercise,timed,,,,31.00,\n"
        "X0001,Base,timed,30,15,X0002,,\n"
        "97130,Cognitive add-on,timed,,,,,yes\n"
    )
    code, out, err = run(capsys, "codes")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == "therapytimer: the code catalog has problems; fix them and try again:"
    assert f"  {path} line 3: X0001 names add-on X0002, which is not a code of kind addon" in lines
    assert f"  {path} line 4: 97129 names add-on 97130, which is not a code of kind addon" in lines
    assert any(line.startswith(f"  {path} line 2: to change 97110's fee") for line in lines)
    assert not any("built-in" in line and "97130" in line for line in lines)
