"""The code catalog: built-in data, effective dates, and the user's own catalog file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from therapytimer.core.catalog import (
    BUILTIN_SOURCE,
    MAX_FEE,
    CatalogError,
    CodeError,
    Kind,
    load_catalog,
    parse_catalog,
)
from therapytimer.core.rules import Rule, Service, compute

HEADER = (
    "code,short_name,kind,disciplines,first_minutes,each_minutes,addon_code,valid_from,valid_to,default_fee_usd,note\n"
)

# Ten timed SLP treatment codes as CPT 2027 shapes them (a base code plus an add-on for each of fluency,
# speech sound, language, voice, and one more pair). The numbers here are placeholders: the AMA publishes
# the real ones with CPT 2027, and a clinic types them into its own file.
CPT_2027 = HEADER + "".join(
    f"X{n:04d},{area} treatment (first 15 min),timed,SLP,15,15,X{n + 1:04d},2027-01-01,,,\n"
    f"X{n + 1:04d},{area} treatment (each additional 15 min),addon,SLP,,,,2027-01-01,,,\n"
    for n, area in zip(range(1, 20, 2), ["Fluency", "Speech sound", "Language", "Voice", "Other"], strict=False)
)


def test_builtin_catalog_covers_the_reference_codes() -> None:
    catalog = load_catalog(include_user=False)
    reference = REPO.parent / "shared" / "rules" / "codes.csv"
    codes = {line.split(",")[0] for line in (REPO / "resources" / "codes.csv").read_text().splitlines()[1:]}
    if reference.exists():
        shared = {line.split(",")[0] for line in reference.read_text().splitlines()[1:]}
        assert shared <= codes
    assert len(catalog) == len(codes)
    assert catalog.get("97110").pooled
    assert catalog.get("97110").default_fee == Decimal("28.79")
    assert catalog.get("97129").addon_code == "97130"
    assert catalog.base_of(catalog.get("97130")).code == "97129"
    assert catalog.base_of(catalog.get("97110")).code == "97110"
    assert not catalog.get("96105").pooled
    assert catalog.get("97161").kind is Kind.UNTIMED
    assert catalog.get("97110").source == BUILTIN_SOURCE


def test_92507_is_valid_through_2026() -> None:
    catalog = load_catalog(include_user=False)
    assert catalog.lookup("92507", date(2026, 12, 31)).code == "92507"
    with pytest.raises(CodeError, match=r"92507 is not valid on 2027-01-01 \(valid through 2026-12-31\)"):
        catalog.lookup("92507", date(2027, 1, 1))


def test_unknown_code_is_a_clear_error() -> None:
    with pytest.raises(CodeError, match="99999 is not in the code catalog"):
        load_catalog(include_user=False).get("99999")


def test_user_adds_the_cpt_2027_slp_codes_without_a_release(user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text(CPT_2027)
    catalog = load_catalog()
    added = [s for s in catalog if s.code.startswith("X")]
    assert len(added) == 10
    assert catalog.lookup("X0001", date(2027, 1, 4)).source.endswith("codes.csv")
    with pytest.raises(CodeError, match="valid from 2027-01-01"):
        catalog.lookup("X0001", date(2026, 12, 31))
    result = compute([Service(catalog.get("X0005"), 40)], Rule.CMS, catalog)
    assert result.units_by_code() == {"X0005": 1, "X0006": 2}
    assert result.pooled_minutes == 40


def test_user_file_overrides_a_builtin_code(user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text(HEADER + "97110,Therapeutic exercise,timed,PT OT,,,,,,31.00,\n")
    spec = load_catalog().get("97110")
    assert spec.default_fee == Decimal("31.00") and spec.first_minutes == 15 and spec.each_minutes == 15


def test_minimal_user_file_defaults(user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text("code,short_name,kind\nx1234,My code,TIMED\nA0001,Other,untimed\n")
    catalog = load_catalog()
    spec = catalog.get("X1234")
    assert spec.pooled and spec.disciplines == {"PT", "OT", "SLP"}
    assert spec.validity() == "no end date"
    assert catalog.get("A0001").shape() == "untimed (1 unit per service)"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("9711,Short,timed,PT,,,,,,,", "line 2: code '9711' must be 5 characters"),
        ("ABCDE,Letters,timed,PT,,,,,,,", "code 'ABCDE' must be 5 characters"),
        ("X0001,,timed,PT,,,,,,,", "short_name must be 1 to 80 characters"),
        ("X0001,Name,timd,PT,,,,,,,", "kind 'timd' must be one of timed, addon, untimed"),
        ("X0001,Name,timed,PT PTA,,,,,,,", "disciplines 'PTA' must be PT, OT or SLP"),
        ("X0001,Name,timed,PT,0,,,,,,", "first_minutes: '0' must be a whole number of minutes from 1 to 480"),
        ("X0001,Name,timed,PT,15,abc,,,,,", "each_minutes: 'abc' must be a whole number"),
        ("X0001,Name,untimed,PT,15,,,,,,", "apply to timed codes only"),
        ("X0001,Name,timed,PT,,,12,,,,", "addon_code '12' is not a 5-character code"),
        ("X0001,Name,timed,PT,,,,2027-13-01,,,", "valid_from: '2027-13-01' is not a date (use YYYY-MM-DD)"),
        ("X0001,Name,timed,PT,,,,2027-02-01,2027-01-01,,", "valid_to 2027-01-01 is before valid_from 2027-02-01"),
        ("X0001,Name,timed,PT,,,,,,abc,", "default_fee_usd 'abc' must be an amount"),
        ("X0001,Name,timed,PT,,,,,,-5,", "default_fee_usd '-5' must be an amount"),
        ("X0001,Name,timed,PT,,,,,,NaN,", "default_fee_usd 'NaN' must be an amount"),
        ("X0001,Name,timed,PT,,,,,,1e400,", "default_fee_usd '1e400' must be an amount"),  # once broke every report
        ("X0001,Name,timed,PT,,,,,,,,extra", "line 2: more fields than the header has columns"),
        ("X0001,Name,timed,PT,,,,,,,\nX0001,Again,timed,PT,,,,,,,", "line 3: code X0001 appears twice"),
    ],
)
def test_user_file_problems_are_named_with_their_line(user_dirs: Path, row: str, message: str) -> None:
    path = user_dirs / "codes.csv"
    path.write_text(HEADER + row + "\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog()
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(HEADER + "1,,x,,,,,,,,\n", "f.csv")
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,short_name\n", "missing column(s) kind"),
        ("code,short_name,kind,colour\n", "unknown column(s) colour"),
        ("", "missing column(s) code, short_name, kind"),
    ],
)
def test_header_problems(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_catalog(text, "f.csv")


def test_blank_lines_are_ignored() -> None:
    assert [s.code for s in parse_catalog(HEADER + ",,,,,,,,,,\nX0001,N,untimed,,,,,,,,\n", "f.csv")] == ["X0001"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("X0001,Base,timed,SLP,15,15,X0002,,,,\n", "X0001 names add-on X0002, which is not a code of kind addon"),
        (
            "X0002,Orphan,addon,SLP,,,,,,,\n",
            "add-on X0002 must be named as addon_code by exactly one timed code (found 0)",
        ),
        (
            "X0001,A,timed,SLP,15,15,X0003,,,,\nX0002,B,timed,SLP,15,15,X0003,,,,\nX0003,C,addon,SLP,,,,,,,\n",
            "(found 2: X0001, X0002)",
        ),
    ],
)
def test_add_on_links_are_checked(user_dirs: Path, rows: str, message: str) -> None:
    (user_dirs / "codes.csv").write_text(HEADER + rows)
    with pytest.raises(CatalogError) as caught:
        load_catalog()
    assert message in str(caught.value)


def test_unreadable_user_files_are_clear_errors(user_dirs: Path) -> None:
    path = user_dirs / "codes.csv"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CatalogError, match="not UTF-8 text"):
        load_catalog()
    path.unlink()
    path.mkdir()
    with pytest.raises(CatalogError, match="cannot be read"):
        load_catalog()


def test_broken_user_file_can_be_skipped(user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text("nonsense")
    assert "97110" in load_catalog(include_user=False)


def test_search_by_number_or_name_and_date() -> None:
    catalog = load_catalog(include_user=False)
    assert [s.code for s in catalog.search("gait")] == ["97116"]
    assert {s.code for s in catalog.search("9711")} == {"97110", "97112", "97113", "97116"}
    assert "92507" not in {s.code for s in catalog.search("speech", date(2027, 1, 1))}
    assert "92507" in {s.code for s in catalog.search("speech", date(2026, 6, 1))}


def test_validity_and_shape_words() -> None:
    (spec,) = parse_catalog(HEADER + "X0001,N,timed,PT,60,30,,2027-01-01,2027-12-31,,\n", "f.csv")
    assert spec.validity() == "valid 2027-01-01 to 2027-12-31"
    assert spec.shape() == "timed, first 60 min, then each 30 min"
    catalog = load_catalog(include_user=False)
    assert catalog.get("97110").shape() == "timed, 15-min units"
    assert catalog.get("97130").shape().startswith("add-on")
    assert catalog.get("97129").shape() == "timed, first 15 min, then each 15 min as 97130"


def test_an_add_on_is_valid_only_while_its_base_code_is(user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text(
        HEADER + "X1000,Base,timed,SLP,15,15,X1001,2027-01-01,,,\nX1001,Add-on,addon,SLP,,,,,,,\n"
    )
    catalog = load_catalog()
    with pytest.raises(CodeError, match="X1001 bills under X1000, which is not valid on 2026-06-01"):
        catalog.lookup("X1001", date(2026, 6, 1))
    assert catalog.lookup("X1001", date(2027, 1, 4)).code == "X1001"


def test_the_clinics_fee_table_overrides_default_fees() -> None:
    catalog = load_catalog(include_user=False)
    priced, problems = catalog.with_fees({"97110": Decimal("30.50"), "97026": Decimal(9), "99999": Decimal(1)})
    assert priced.get("97110").default_fee == Decimal("30.50") and priced.get("97026").default_fee == Decimal("9")
    assert priced.get("97112").default_fee == Decimal("32.02") and catalog.get("97110").default_fee == Decimal("28.79")
    assert problems == ["fees for 1 code not in the code catalog, left out: 99999"]


def test_a_fee_that_could_break_a_revenue_sum_is_never_applied() -> None:
    """The settings check amounts; the catalog still refuses any that would make money arithmetic raise."""
    catalog = load_catalog(include_user=False)
    fees: dict[str, Any] = {
        "97112": Decimal("1e400"),
        "97140": Decimal(-1),
        "97116": Decimal("NaN"),
        "97530": "30.00",
        "97535": MAX_FEE,
    }
    priced, problems = catalog.with_fees(fees)
    assert problems == [f"fees for 97112, 97140, 97116, 97530: not an amount from 0 to {MAX_FEE}, left out"]
    assert priced.get("97112").default_fee == Decimal("32.02") and priced.get("97535").default_fee == MAX_FEE


def test_thousands_of_unknown_fee_codes_give_one_line() -> None:
    catalog = load_catalog(include_user=False)
    _, problems = catalog.with_fees({f"X{n:04d}": Decimal(1) for n in range(10_000)})
    assert problems == [
        "fees for 10000 codes not in the code catalog, left out: X0000, X0001, X0002, X0003, X0004 and 9995 more"
    ]


def test_an_unreadable_config_folder_is_a_catalog_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """0.1 crashed `units`, `codes` and the window with PermissionError (see also test_local_state)."""
    real_exists = Path.exists
    blocked = tmp_path / "locked" / "codes.csv"

    def exists(self: Path, **kw: bool) -> bool:
        if self == blocked:
            raise PermissionError(13, "Permission denied")
        return real_exists(self, **kw)

    monkeypatch.setattr(Path, "exists", exists)
    with pytest.raises(CatalogError) as caught:
        load_catalog(blocked)
    assert caught.value.problems == [f"{blocked}: cannot be read (Permission denied)"]
