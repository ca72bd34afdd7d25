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
    Catalog,
    CatalogError,
    CodeError,
    CodeSpec,
    Discipline,
    Kind,
    load_catalog,
    parse_catalog,
)
from therapytimer.core.rules import Rule, Service, compute

HEADER = (
    "code,short_name,kind,disciplines,first_minutes,each_minutes,addon_code,valid_from,valid_to,default_fee_usd,note\n"
)

# Ten timed SLP treatment codes as CPT 2027 is reported to shape them: for each of fluency, speech sound,
# language, voice and one more area, a 30-minute base code (billable from 16 minutes) plus a 15-minute add-on.
# The numbers here are placeholders: the AMA publishes the real ones with CPT 2027, and a clinic types them
# into its own file.
CPT_2027 = HEADER + "".join(
    f"X{n:04d},{area} treatment (first 30 min),timed,SLP,30,15,X{n + 1:04d},2027-01-01,,,\n"
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
    assert result.units_by_code() == {"X0005": 1, "X0006": 1}  # 30 + 10: the add-on's 8 minutes are reached
    assert result.pooled_minutes == 0  # not a 15/15 code: billed on its own, outside the Medicare pool


def test_a_user_row_that_changes_only_a_fee_is_refused_with_advice(user_dirs: Path) -> None:
    """0.1 took this row as a replacement of 97110 (fee table aside, nothing said a built-in code was gone)."""
    path = user_dirs / "codes.csv"
    path.write_text(HEADER + "97110,Therapeutic exercise,timed,PT OT,,,,,,31.00,\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog()
    assert caught.value.problems == [
        f"{path} line 2: to change 97110's fee, use the fee table in Settings (fees), not codes.csv"
    ]


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


def test_an_add_on_is_valid_only_while_its_base_code_is() -> None:
    """Loading refuses such a pair (see test_add_on_dates_must_be_those_of_the_base_code); lookup still guards."""
    catalog = Catalog(
        parse_catalog(HEADER + "X1000,Base,timed,SLP,15,15,X1001,2027-01-01,,,\nX1001,Add-on,addon,SLP,,,,,,,\n", "f")
    )
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


# Issue #10 item 6: user rows that can't surprise, add-on dates, one pass, and code dates.

FULL = HEADER.rstrip("\n") + ",replaces_builtin,source\n"  # every column, the two new ones last


def problems_of(text: str, user_dirs: Path) -> tuple[Path, list[str]]:
    path = user_dirs / "codes.csv"
    path.write_text(text)
    with pytest.raises(CatalogError) as caught:
        load_catalog()
    return path, caught.value.problems


@pytest.mark.parametrize(
    "text",
    [
        FULL + "97110,Therapeutic exercise,timed,PT OT,15,15,,,,31.00,,yes,my clinic's contract\n",  # even with yes
        HEADER + "97110,,,,,,,,,31.00,\n",  # only the code and the fee
        "code,default_fee_usd\n97110,31.00\n",  # no name or kind column at all: still the fee advice, alone
        "code,default_fee_usd,replaces_builtin\n97110,31.00,yes\n",
        HEADER + "97110,Therapeutic exercise,timed,,,,,,,31.00,\n",  # empty cells: as built in
        "code,short_name,kind,default_fee_usd\n97110,Therapeutic exercise,timed,31.00\n",  # no disciplines column
    ],
)
def test_a_fee_goes_in_the_fee_table_not_in_codes_csv(user_dirs: Path, text: str) -> None:
    path, problems = problems_of(text, user_dirs)
    assert problems == [f"{path} line 2: to change 97110's fee, use the fee table in Settings (fees), not codes.csv"]


def test_the_fee_advice_holds_for_a_dated_code_with_a_source(user_dirs: Path) -> None:
    row = "97129,Cognitive intervention (first 15 min),timed,OT SLP,15,15,97130,2020-01-01,,25.00,,,my own source\n"
    path, problems = problems_of(FULL + row, user_dirs)
    assert problems == [f"{path} line 2: to change 97129's fee, use the fee table in Settings (fees), not codes.csv"]


def test_rows_in_a_file_missing_columns_still_get_the_fee_advice(user_dirs: Path) -> None:
    path, problems = problems_of("code,default_fee_usd\n97110,31.00\nX0001,5.00\n", user_dirs)
    assert problems == [
        f"{path} line 1: missing column(s) short_name, kind",
        f"{path} line 2: to change 97110's fee, use the fee table in Settings (fees), not codes.csv",
    ]


@pytest.mark.parametrize(
    "row",
    [
        "97110,Therapeutic exercise,timed,PT OT,15,15,,,,,",  # the built-in row without its fee: no fee given
        "97110,Therapeutic exercise,timed,PT OT,15,15,,,,28.79,",  # the built-in row itself
        "97110,Therapeutic exercise,timed,PT,15,15,,,,31.00,",  # a fee, and PT only: more than a fee
        "97110,Therapeutic exercise,timed,PT OT,15,15,,,,31.00,Medicare: check the plan",  # and a warning note
    ],
)
def test_a_built_in_row_that_changes_more_than_the_fee_asks_for_the_replace_column(user_dirs: Path, row: str) -> None:
    path, problems = problems_of(HEADER + row + "\n", user_dirs)
    assert len(problems) == 1 and problems[0].startswith(f"{path} line 2: 97110 is a built-in code; to replace")


def test_a_fee_for_a_code_of_ones_own_is_fine(user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text(HEADER + "X0001,Mine,untimed,SLP,,,,,,12.00,\n")
    catalog = load_catalog()
    assert catalog.get("X0001").default_fee == Decimal("12.00") and catalog.notes == []


def test_a_built_in_code_is_replaced_only_when_the_row_says_so(user_dirs: Path) -> None:
    """0.1 replaced 92507 silently: it then billed in 2027 and for every discipline."""
    row = "92507,Speech/language treatment,untimed,,,,,,,75.04,\n"  # no dates, no disciplines: all widened
    path, problems = problems_of(HEADER + row, user_dirs)
    assert problems == [
        f"{path} line 2: 92507 is a built-in code; to replace its built-in row with this one, add a "
        "replaces_builtin column and write yes in it (to change only its fee, use the fee table in Settings)"
    ]


def test_a_replacement_is_named_on_every_load(user_dirs: Path) -> None:
    path = user_dirs / "codes.csv"
    path.write_text(
        FULL
        + "X0001,Mine,untimed,SLP,,,,,,,,,\n"
        + "92507,Speech/language treatment (ours),untimed,SLP,,,,,2027-06-30,75.04,,YES,payer letter\n"
    )
    catalog = load_catalog()
    spec = catalog.get("92507")
    assert spec.valid_to == date(2027, 6, 30) and spec.source == str(path) and spec.line == 3
    assert spec.replaces == BUILTIN_SOURCE and spec.citation == "payer letter"
    assert catalog.get("X0001").replaces is None and catalog.get("97110").replaces is None
    assert catalog.notes == [f"built-in 92507 replaced by {path} line 3"]
    priced, _ = catalog.with_fees({"92507": Decimal("80.00")})
    assert priced.notes == catalog.notes  # the fee table does not hide the replacement
    assert load_catalog(include_user=False).notes == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("X0001,Mine,untimed,SLP,,,,,,,,yes,", "line 2: replaces_builtin is yes, but X0001 is not a built-in code"),
        ("X0001,Mine,untimed,SLP,,,,,,,,maybe,", "line 2: replaces_builtin 'maybe' must be yes, no or empty"),
    ],
)
def test_the_replace_column_is_checked(user_dirs: Path, row: str, message: str) -> None:
    path, problems = problems_of(FULL + row + "\n", user_dirs)
    assert len(problems) == 1 and problems[0].startswith(f"{path} {message}")


PAIR = "X0001,Base,timed,SLP,30,15,X0002,{},{},,\nX0002,Add-on,addon,SLP,,,,{},{},,\n"


@pytest.mark.parametrize(
    ("dates", "words"),
    [
        (
            ("2027-01-01", "", "", ""),
            "add-on X0002 (no end date) must have the dates of its base code X0001 (valid from",
        ),
        (
            ("", "", "2027-01-01", ""),
            "add-on X0002 (valid from 2027-01-01) must have the dates of its base code X0001 (no",
        ),
        (("", "2027-12-31", "", "2028-12-31"), "add-on X0002 (valid through 2028-12-31) must have the dates of"),
        (("2027-01-01", "", "2026-01-01", "2026-12-31"), "add-on X0002 (valid 2026-01-01 to 2026-12-31) must have"),
    ],
)
def test_add_on_dates_must_be_those_of_the_base_code(
    user_dirs: Path, dates: tuple[str, str, str, str], words: str
) -> None:
    """An add-on valid outside its base code's dates, or a base code whose add-on is not valid while it is:
    0.1 loaded both, and 97129's further units could bill as a code not valid that day."""
    path, problems = problems_of(HEADER + PAIR.format(*dates), user_dirs)
    assert len(problems) == 1 and problems[0].startswith(f"{path} line 3: {words}"), problems


def test_a_pair_with_the_same_dates_loads() -> None:
    Catalog(parse_catalog(HEADER + PAIR.format("2027-01-01", "", "2027-01-01", ""), "f"))
    catalog = load_catalog(include_user=False)
    for base in (s for s in catalog if s.addon_code):
        addon = catalog.get(base.addon_code or "")
        assert (addon.valid_from, addon.valid_to) == (base.valid_from, base.valid_to)


def test_parse_and_link_problems_come_in_one_pass(user_dirs: Path) -> None:
    """0.1 reported the parse problems, and only once they were fixed, the link problems."""
    text = HEADER + "X0009,Typo,timd,SLP,,,,,,,\nX0001,Base,timed,SLP,30,15,X0002,,,,\nX0003,Orphan,addon,SLP,,,,,,,\n"
    path, problems = problems_of(text, user_dirs)
    assert problems == [
        f"{path} line 2: kind 'timd' must be one of timed, addon, untimed",
        f"{path} line 3: X0001 names add-on X0002, which is not a code of kind addon",
        f"{path} line 4: add-on X0003 must be named as addon_code by exactly one timed code (found 0)",
    ]


def test_a_row_with_problems_is_not_blamed_again_through_its_links(user_dirs: Path) -> None:
    text = HEADER + "X0001,Base,timed,SLP,30,15,X0002,2027-13-01,,,\nX0002,Add-on,addon,SLP,,,,2027-01-01,,,\n"
    path, problems = problems_of(text, user_dirs)
    assert problems == [f"{path} line 2, valid_from: '2027-13-01' is not a date (use YYYY-MM-DD)"]


@pytest.mark.parametrize(
    ("rows", "line", "words"),
    [
        # 97130 made a timed code: 0.1 said "built-in: 97129 names add-on 97130, which is not a code of kind addon"
        ("97130,Cognitive add-on,timed,OT SLP,,,,2020-01-01,,,,yes,", 2, "97129 names add-on 97130, which is not"),
        ("97130,Cognitive add-on,timed,OT SLP,,,,2020-01-01,,,,,", 2, "97129 names add-on 97130, which is not"),
        # 97130 with other dates than 97129: 0.1 did not check
        ("97130,Cognitive add-on,addon,OT SLP,,,,2027-01-01,,,,yes,", 2, "add-on 97130 (valid from 2027-01-01)"),
        # 97129 with other dates than 97130: the user's 97129 row is to fix, not the built-in 97130
        ("97129,Cognitive,timed,OT SLP,15,15,97130,2020-01-01,2026-12-31,,,yes,", 2, "add-on 97130 (valid from"),
        # a second base for 97130: 0.1 said "built-in: add-on 97130 must be named ... (found 2: 97129, X0001)"
        ("X0001,Mine,timed,SLP,15,15,97130,2020-01-01,,,,,", 2, "add-on 97130 must be named as addon_code by"),
        # 97129 no longer naming 97130
        ("X0001,Mine,untimed,SLP,,,,,,,,,\n97129,Cognitive,timed,OT SLP,,,,2020-01-01,,,,yes,", 3, "add-on 97130 must"),
    ],
)
def test_a_bad_user_row_for_a_pair_is_blamed_on_the_users_line(
    user_dirs: Path, rows: str, line: int, words: str
) -> None:
    path, problems = problems_of(FULL + rows + "\n", user_dirs)
    assert any(p.startswith(f"{path} line {line}: {words}") for p in problems), problems
    assert not any(p.startswith(BUILTIN_SOURCE) for p in problems), problems


def test_a_user_row_for_an_add_on_with_a_typo_reports_only_the_typo(user_dirs: Path) -> None:
    path, problems = problems_of(FULL + "97130,Cognitive add-on,adon,OT SLP,,,,2020-01-01,,,,yes,\n", user_dirs)
    assert problems == [f"{path} line 2: kind 'adon' must be one of timed, addon, untimed"]


def test_where_names_the_file_and_line() -> None:
    (spec,) = parse_catalog(HEADER + "\nX0001,N,untimed,,,,,,,,\n", "f.csv")
    assert spec.where == "f.csv line 3" and load_catalog(include_user=False).get("97110").where.startswith("built-in")
    assert CodeSpec("X0001", "N", Kind.UNTIMED, frozenset(Discipline)).where == BUILTIN_SOURCE


@pytest.mark.parametrize(
    ("codes", "start"),
    [
        (("97129", "97130"), date(2020, 1, 1)),  # CPT 2020: replaced 97127
        (("97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168"), date(2017, 1, 1)),  # 97001-97004
        (("92521", "92522", "92523", "92524"), date(2014, 1, 1)),  # replaced 92506
        (("96112", "96113"), date(2019, 1, 1)),  # replaced 96111
        (("97763",), date(2018, 1, 1)),  # replaced 97762
    ],
)
def test_builtin_codes_start_on_their_cpt_year(codes: tuple[str, ...], start: date) -> None:
    catalog = load_catalog(include_user=False)
    for code in codes:
        assert catalog.get(code).valid_from == start and catalog.lookup(code, start).code == code
        with pytest.raises(
            CodeError, match=f"{code} is not valid on {start.replace(year=start.year - 1, month=12, day=31)}"
        ):
            catalog.lookup(code, start.replace(year=start.year - 1, month=12, day=31))


def test_every_builtin_date_names_its_source() -> None:
    for spec in load_catalog(include_user=False):
        if spec.valid_from or spec.valid_to:
            assert "https://" in spec.citation, spec.code


def readme_example() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## The code catalog, and adding codes yourself") :]
    section = section[: section.index("\n## ", 1)]
    return section[section.index("```csv\n") + len("```csv\n") : section.index("```", section.index("```csv") + 6)]


def test_the_readmes_cpt_2027_example_loads_verbatim(user_dirs: Path) -> None:
    example = readme_example()
    assert "placeholder" in example.lower()
    (user_dirs / "codes.csv").write_text(example)
    catalog = load_catalog()
    base = catalog.lookup("X0001", date(2027, 1, 4))
    assert (base.first_minutes, base.each_minutes, base.addon_code) == (30, 15, "X0002")
    assert catalog.lookup("X0002", date(2027, 1, 4)).kind is Kind.ADDON and catalog.notes == []

    def units(minutes: int) -> tuple[int, int]:
        billed = compute([Service(base, minutes)], Rule.CMS, catalog).units_by_code()
        return billed.get("X0001", 0), billed.get("X0002", 0)

    assert units(15) == (0, 0) and units(16) == units(37) == (1, 0)  # billable from 16 minutes
    assert units(38) == (1, 1) and units(53) == (1, 2)  # then 15-minute add-ons, each from 8 minutes
    assert compute([Service(base, 40)], Rule.CMS, catalog).pooled_minutes == 0
