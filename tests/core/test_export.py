"""The biller's day export: only billable lines, in a stable order so two exports compare byte for byte, safe to
open in a spreadsheet, and written so that a crash or a second export never leaves a half file or replaces one."""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import CATALOG
from therapytimer.core.catalog import Discipline
from therapytimer.core.export import HEADER, ExportError, rows, safe_cell, to_csv, write_atomic
from therapytimer.core.reports import DayBill, bill_day
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Session

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
HEADER_LINE = (
    "date,patient,discipline,provider,rule,code,description,modifiers,minutes,units,"
    "total_timed_minutes,total_treatment_minutes"
)


def make(
    sid: str,
    patient: str,
    *codes: CodeEntry,
    discipline: Discipline = Discipline.PT,
    rule: Rule = Rule.CMS,
    day: date = DAY,
    provider: str = "",
    payer: str | None = None,
) -> Session:
    return Session(
        sid, patient, discipline, rule, day, NOW - timedelta(hours=6), payer=payer, provider=provider, codes=codes
    )


def day_sessions() -> list[Session]:
    return [
        make("1", "bob", CodeEntry("97110", minutes=23), CodeEntry("97140", minutes=5)),
        make("2", "alice", CodeEntry("97112", minutes=8)),
        make("3", "Alice", CodeEntry("97530", minutes=23), discipline=Discipline.OT, provider="Kim Lee, OT"),
        make(
            "4",
            "Alice",
            CodeEntry("97140", minutes=8),
            CodeEntry("97110", 23, 23),
            provider="Zoe Ng, PT",
            payer="Medicare",
        ),
        make("5", "Alice", CodeEntry("97116", minutes=10), provider="Al Diaz, PTA", payer="Medicare"),
    ]


def day_bills() -> list[DayBill]:
    return bill_day(day_sessions(), CATALOG, NOW)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder of our own (conftest already puts a config folder in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def leftovers(folder: Path) -> list[str]:
    """Anything in `folder` that looks like one of write_atomic's temporary files."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- safe_cell ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=SUM(A1:A9)", "+1", "-1", "@cmd", "\tx", "\rx", "=", "-"])
def test_formula_starts_are_made_inert(cell: str) -> None:
    """A spreadsheet runs a cell starting with = + - @ tab or CR; a leading apostrophe makes it plain text."""
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["AB", "97110", "GP CQ", "", "a=b", "1-2", "Zoë", "'quoted"])
def test_ordinary_cells_are_unchanged(cell: str) -> None:
    assert safe_cell(cell) == cell


# --- rows -----------------------------------------------------------------------------------------------


def test_rows_keep_only_billable_lines() -> None:
    """bob's 97140 (5 min) loses the pool's last unit to 97110's larger leftover: 0 units, not a claim line."""
    bob = [b for b in day_bills() if b.patient == "bob"]
    assert [(ln.code, ln.units) for ln in bob[0].result.lines] == [("97110", 2), ("97140", 0)]
    assert [(r[1], r[5], r[9]) for r in rows(bob)] == [("bob", "97110", "2")]


def test_rows_are_sorted_by_patient_ignoring_case_then_discipline_code_and_modifiers() -> None:
    table = rows(day_bills())
    assert [(r[1], r[2], r[5], r[7]) for r in table] == [
        ("Alice", "OT", "97530", "GO"),
        ("Alice", "PT", "97110", "GP"),
        ("Alice", "PT", "97110", "GP CQ"),
        ("Alice", "PT", "97116", "GP"),  # 97140 (8 min) lost the pool's last unit to 97116 (10 min): no row
        ("alice", "PT", "97112", "GP"),
        ("bob", "PT", "97110", "GP"),
    ]
    assert rows(day_bills()[::-1]) == table  # the order of the bills does not matter


def test_a_row_holds_every_column_of_the_header() -> None:
    row = next(r for r in rows(day_bills()) if r[1] == "Alice" and r[7] == "GP CQ")
    assert dict(zip(HEADER, row, strict=True)) == {
        "date": "2026-11-23",
        "patient": "Alice",
        "discipline": "PT",
        "provider": "Al Diaz, PTA; Zoe Ng, PT",
        "rule": "cms",
        "code": "97110",
        "description": "Therapeutic exercise",
        "modifiers": "GP CQ",
        "minutes": "23",
        "units": "1",
        "total_timed_minutes": "64",  # 8 + 46 + 10: the patient's PT day, pooled over both sessions
        "total_treatment_minutes": "64",
        "payer": "Medicare",
    }


def test_rows_of_several_dates_and_rules_stay_in_one_deterministic_order() -> None:
    entry = CodeEntry("97110", minutes=8)
    sessions = [
        make("a", "AB", entry, day=DAY + timedelta(days=1)),
        make("b", "AB", entry, rule=Rule.AMA),
        make("c", "AB", entry),
    ]
    table = rows(bill_day(sessions, CATALOG, NOW))
    assert [(r[0], r[4]) for r in table] == [("2026-11-23", "ama"), ("2026-11-23", "cms"), ("2026-11-24", "cms")]
    assert rows(bill_day(sessions[::-1], CATALOG, NOW)) == table


def test_no_bills_no_rows() -> None:
    assert rows([]) == []


# --- to_csv ---------------------------------------------------------------------------------------------


def test_csv_starts_with_a_bom_and_the_exact_header_and_ends_lines_with_crlf() -> None:
    data = to_csv(rows(day_bills()))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == HEADER_LINE + ",payer"
    assert lines[0].startswith(HEADER_LINE)  # the columns the spec names, in its order
    assert lines[-1] == "" and len(lines) == 1 + 6 + 1  # header, 6 rows, and the final CRLF
    assert "\n" not in text.replace("\r\n", "")
    assert lines[1] == '2026-11-23,Alice,OT,"Kim Lee, OT",cms,97530,Therapeutic activities,GO,23,2,23,23,'


def test_an_empty_day_is_just_the_header() -> None:
    assert to_csv([]) == ("\ufeff" + HEADER_LINE + ",payer\r\n").encode()


def test_csv_quotes_commas_quotes_and_line_breaks_in_the_standard_way() -> None:
    row = ("2026-11-23", 'O"Neil', "PT", "Ng, Zoe", "cms", "97110", "Line\nbreak", "GP", "8", "1", "8", "8", "Zoë")
    data = to_csv([row])
    line = data.decode("utf-8-sig").split("\r\n", 1)[1]
    assert line.startswith('2026-11-23,"O""Neil",PT,"Ng, Zoe",cms,97110,"Line\nbreak",GP,8,1,8,8,Zoë\r\n')
    assert "Zoë".encode() in data  # UTF-8, not a legacy code page
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1] == list(row)


def test_formula_cells_are_made_inert_in_the_csv() -> None:
    row = (
        "2026-11-23",
        '=HYPERLINK("http://x","AB")',
        "PT",
        "+Zoe",
        "cms",
        "97110",
        "-x",
        "GP",
        "8",
        "1",
        "8",
        "8",
        "@p",
    )
    parsed = list(csv.reader(io.StringIO(to_csv([row]).decode("utf-8-sig"), newline="")))[1]
    assert parsed[1] == '\'=HYPERLINK("http://x","AB")'
    assert (parsed[3], parsed[6], parsed[12]) == ("'+Zoe", "'-x", "'@p")
    assert parsed[5] == "97110"


def test_formula_aliases_from_real_sessions_are_made_inert() -> None:
    sessions = [make("1", "=1+1", CodeEntry("97110", minutes=8), provider="@admin")]
    text = to_csv(rows(bill_day(sessions, CATALOG, NOW))).decode("utf-8-sig")
    assert text.split("\r\n")[1].startswith("2026-11-23,'=1+1,PT,'@admin,cms,97110,")


def test_the_same_data_gives_the_same_bytes() -> None:
    """Two exports of one day are compared with a plain diff: session order and repetition must not matter."""
    first = to_csv(rows(bill_day(day_sessions(), CATALOG, NOW)))
    again = to_csv(rows(bill_day(day_sessions()[::-1], CATALOG, NOW)))
    assert first == again
    assert to_csv(rows(day_bills())) == first


# --- write_atomic ---------------------------------------------------------------------------------------


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_write_creates_the_file_readable_by_the_owner_only(out: Path) -> None:
    """Exports hold patient aliases: 0600 whatever the umask."""
    path = out / "day.csv"
    old = os.umask(0o022)
    try:
        write_atomic(path, b"a,b\r\n")
    finally:
        os.umask(old)
    assert path.read_bytes() == b"a,b\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in out.iterdir()] == ["day.csv"]


def test_write_to_a_relative_name_uses_the_current_folder(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(out)
    write_atomic(Path("day.csv"), b"x")
    assert (out / "day.csv").read_bytes() == b"x"
    assert leftovers(out) == []


def test_an_existing_file_is_never_replaced_without_force(out: Path) -> None:
    path = out / "day.csv"
    path.write_bytes(b"yesterday")
    with pytest.raises(ExportError, match=r"day\.csv already exists$") as caught:
        write_atomic(path, b"today")
    assert caught.value.hint == "force" and caught.value.subject == str(path)  # each face says how to replace it
    assert path.read_bytes() == b"yesterday"
    assert leftovers(out) == []


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_force_replaces_an_existing_file(out: Path) -> None:
    path = out / "day.csv"
    path.write_bytes(b"yesterday")
    path.chmod(0o644)
    write_atomic(path, b"today", force=True)
    assert path.read_bytes() == b"today"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in out.iterdir()] == ["day.csv"]


def test_force_also_writes_a_new_file(out: Path) -> None:
    write_atomic(out / "new.csv", b"x", force=True)
    assert (out / "new.csv").read_bytes() == b"x"
    assert leftovers(out) == []


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_is_refused(out: Path, force: bool) -> None:
    folder = out / "exports"
    folder.mkdir()
    with pytest.raises(ExportError, match=r"is a folder; give a file name such as .*therapytimer-day\.csv"):
        write_atomic(folder, b"x", force=force)
    assert list(folder.iterdir()) == [] and leftovers(out) == []


def test_a_missing_folder_is_reported(out: Path) -> None:
    with pytest.raises(ExportError, match=r"cannot write in .*nowhere \(No such file or directory\); choose another"):
        write_atomic(out / "nowhere" / "day.csv", b"x")
    assert not (out / "nowhere").exists()


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_an_unwritable_folder_is_reported(out: Path) -> None:
    folder = out / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("running as root: chmod 0o500 does not stop root from writing, so there is nothing to refuse")
        with pytest.raises(ExportError, match=r"cannot write in .*locked \(Permission denied\); choose another folder"):
            write_atomic(folder / "day.csv", b"x")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_a_name_that_appears_meanwhile_is_not_overwritten(out: Path) -> None:
    """A dangling symlink does not "exist" to the first check but its name is taken: the final link must fail
    (as when another export creates the file between the check and the rename), and nothing is left behind."""
    path = out / "day.csv"
    path.symlink_to(out / "elsewhere.csv")
    with pytest.raises(ExportError, match=r"day\.csv already exists"):
        write_atomic(path, b"today")
    assert path.is_symlink() and not (out / "elsewhere.csv").exists()
    assert leftovers(out) == []


def test_a_failed_write_leaves_nothing_behind(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk shows up at write or fsync time: the message says nothing was written, and it is true."""

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ExportError, match=r"cannot write .*day\.csv \(No space left on device\); nothing was written"):
        write_atomic(out / "day.csv", b"x")
    assert list(out.iterdir()) == []


def test_a_failed_rename_whose_temporary_file_is_gone_is_still_a_clear_error(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the temporary file has already disappeared (removed by the failing call or by someone else), the
    clean-up must not turn the clear message into a FileNotFoundError."""

    def lost(src: str, dst: str) -> None:
        os.unlink(src)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", lost)
    with pytest.raises(ExportError, match=r"\(Input/output error\); nothing was written"):
        write_atomic(out / "day.csv", b"x", force=True)
    assert list(out.iterdir()) == []


def test_a_folder_without_hard_links_still_gets_the_export(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAT/exFAT USB sticks and many SMB shares refuse link() with EPERM: the name is claimed, then replaced."""

    def no_links(src: str, dst: str) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    write_atomic(out / "day.csv", b"x")
    assert (out / "day.csv").read_bytes() == b"x"


def test_without_hard_links_an_existing_file_is_still_never_replaced(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback claims the name with O_EXCL, so a file that appears meanwhile is kept."""

    def no_links(src: str, dst: str) -> None:
        (out / "day.csv").write_bytes(b"theirs")  # another program got there first
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with pytest.raises(ExportError, match="already exists"):
        write_atomic(out / "day.csv", b"ours")
    assert (out / "day.csv").read_bytes() == b"theirs"
    assert [p.name for p in out.iterdir()] == ["day.csv"]
