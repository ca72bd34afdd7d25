"""The rules engine, case by case: the ladder, the pool, ties, shapes, lines and explanations."""

from __future__ import annotations

import pytest

from tests.helpers import CATALOG, bill, keyed_units
from therapytimer.core.catalog import Catalog, CodeSpec, Discipline, Kind
from therapytimer.core.rules import (
    Rule,
    RuleInputError,
    Service,
    allocate_pool,
    compute,
    tie_rank,
    units_for,
    whole_minutes,
)


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (59, 0), (60, 1), (479, 7), (7 * 60 + 59, 7), (480, 8), (3599.9, 59)]
)
def test_whole_minutes_drops_the_partial_minute(seconds: float, minutes: int) -> None:
    assert whole_minutes(seconds) == minutes


def test_whole_minutes_rejects_negative_time() -> None:
    with pytest.raises(ValueError, match="negative"):
        whole_minutes(-1)


@pytest.mark.parametrize("t", range(0, 200))
def test_fifteen_minute_ladder_matches_the_manual_formula(t: int) -> None:
    assert units_for(t) == (0 if t < 8 else (t + 7) // 15)


@pytest.mark.parametrize(
    ("minutes", "first", "each", "units"),
    [
        (30, 60, 60, 0),  # an hour code needs more than half an hour
        (31, 60, 60, 1),
        (60, 60, 60, 1),
        (90, 60, 60, 1),
        (91, 60, 60, 2),
        (60, 60, 30, 1),  # first hour + each 30 min: the add-on needs 16 min past the hour
        (75, 60, 30, 1),
        (76, 60, 30, 2),
        (106, 60, 30, 3),
        (60, 120, 60, 0),  # work hardening: first 2 hours reached at 61 min
        (61, 120, 60, 1),
    ],
)
def test_other_time_shapes_use_the_51_percent_convention(minutes: int, first: int, each: int, units: int) -> None:
    assert units_for(minutes, first, each) == units


def test_pool_gives_full_blocks_then_largest_leftovers() -> None:
    units, tie = allocate_pool({"A": 33, "B": 7}, lambda c: c)
    assert units == {"A": 2, "B": 1}
    assert tie is None


def test_several_short_services_bill_one_unit_to_the_longest() -> None:
    result = bill({"97110": 5, "97140": 4, "97112": 3})
    assert result.total_units == 1
    assert keyed_units(result) == {"97110": 1, "97140": 0, "97112": 0}


def test_short_services_under_8_minutes_in_all_bill_nothing() -> None:
    assert bill({"97110": 4, "97140": 3}).total_units == 0


def test_tie_reports_every_alternative_and_the_default_is_documented() -> None:
    result = bill({"97110": 7, "97140": 7, "97112": 7})
    assert result.total_units == 1
    (tie,) = result.ties
    assert tie.leftover_minutes == 7 and tie.units == 1
    assert set(tie.codes) == {"97110", "97140", "97112"}
    assert tie.chosen == ("97112",)  # highest default fee of the three
    assert set(tie.alternatives) == {("97110",), ("97140",)}
    assert any(line.startswith("Tie:") for line in result.explanation)


def test_tie_with_two_units_among_three_codes() -> None:
    # 9 + 9 + 9 = 27 min → 2 units; three equal leftovers share 2 units.
    result = bill({"97110": 9, "97140": 9, "97530": 9})
    (tie,) = result.ties
    assert tie.units == 2 and len(tie.chosen) == 2 and len(tie.alternatives) == 2
    assert set(tie.chosen) == {"97530", "97110"}  # 34.61 and 28.79 beat 27.17


def test_prefer_settles_a_tie_the_other_way() -> None:
    default = bill({"97112": 20, "97110": 20})
    chosen = bill({"97112": 20, "97110": 20}, prefer=("97110",))
    assert keyed_units(default) == {"97112": 2, "97110": 1}
    assert keyed_units(chosen) == {"97112": 1, "97110": 2}
    assert chosen.ties[0].chosen == ("97110",)
    assert "given to 97110 (as preferred)" in chosen.explanation[-2]
    assert "given to 97112 (by default: higher default fee, then lower code)" in default.explanation[-2]


def test_prefer_never_overrides_a_larger_leftover() -> None:
    assert keyed_units(bill({"97112": 24, "97110": 23}, prefer=("97110",))) == {"97112": 2, "97110": 1}


def test_tie_rank_falls_back_to_code_order_without_fees() -> None:
    a = CodeSpec("X0002", "a", Kind.TIMED, frozenset(Discipline))
    b = CodeSpec("X0001", "b", Kind.TIMED, frozenset(Discipline))
    assert sorted([a, b], key=tie_rank(())) == [b, a]


def test_tie_alternatives_are_capped() -> None:
    codes = [CodeSpec(f"X{i:04d}", f"c{i}", Kind.TIMED, frozenset(Discipline)) for i in range(12)]
    catalog = Catalog(codes)
    result = compute([Service(s, 14) for s in codes], Rule.CMS, catalog)
    (tie,) = result.ties
    assert tie.units == 11 and len(tie.alternatives) == 11  # C(12, 11) - 1
    catalog_many = Catalog(codes)
    result = compute([Service(s, 2) for s in codes], Rule.CMS, catalog_many)  # 24 min → 2 of 12
    assert len(result.ties[0].alternatives) == 20


def test_per_code_rule_never_pools() -> None:
    result = bill({"97110": 7, "97140": 7}, "ama")
    assert result.total_units == 0 and result.ties == ()
    assert result.pooled_minutes == 0


def test_untimed_codes_bill_one_unit_outside_the_pool() -> None:
    result = bill({"97161": 45, "97110": 10})
    assert keyed_units(result) == {"97161": 1, "97110": 1}
    assert result.total_timed_minutes == 10
    assert result.total_treatment_minutes == 55
    assert result.pooled_minutes == 10


def test_cognitive_minutes_split_into_first_and_add_on() -> None:
    result = bill({"97129": 53}, discipline="SLP")
    lines = [(ln.code, ln.modifiers, ln.minutes, ln.units) for ln in result.lines]
    assert lines == [("97129", ("GN",), 15, 1), ("97130", ("GN",), 38, 3)]


def test_add_on_minutes_given_directly_join_their_base_code() -> None:
    assert keyed_units(bill({"97129": 10, "97130": 20})) == {"97129": 1, "97130": 1}
    assert keyed_units(bill({"97130": 23})) == {"97129": 1, "97130": 1}


def test_add_on_line_appears_with_zero_units() -> None:
    result = bill({"97129": 5})
    assert [(ln.code, ln.units) for ln in result.lines] == [("97129", 0), ("97130", 0)]


def test_hour_codes_stay_out_of_the_pool() -> None:
    result = bill({"96105": 45, "97129": 7, "97112": 2})
    assert result.pooled_minutes == 9
    assert keyed_units(result) == {"96105": 1, "97129": 1, "97130": 0, "97112": 0}
    assert result.total_timed_minutes == 54
    assert any("never pooled" in text for text in result.explanation)


def test_first_hour_plus_half_hours_pair() -> None:
    assert keyed_units(bill({"92607": 106}, "ama")) == {"92607": 1, "92608": 2}


def test_discipline_modifiers() -> None:
    for discipline, modifier in (("PT", "GP"), ("OT", "GO"), ("SLP", "GN")):
        result = bill({"97530": 30}, discipline=discipline)
        assert all(modifier in ln.modifiers for ln in result.lines)
    assert bill({"97530": 30}).lines[0].modifiers == ()


def test_code_outside_its_discipline_is_warned_not_refused() -> None:
    result = bill({"97116": 20}, discipline="OT")
    assert result.total_units == 1
    assert any("97116 is not usually billed by OT" in w for w in result.warnings)


def test_medicare_notes_warn_only_under_the_medicare_rule() -> None:
    assert any("G0283" in w for w in bill({"97014": 0}).warnings)
    assert bill({"97014": 0}, "ama").warnings == ()


def test_assistant_lines_carry_cq_for_pt_and_co_for_ot() -> None:
    pt = bill({"97110": 5}, assistant={"97110": 10}, discipline="PT")
    ot = bill({"97110": 5}, assistant={"97110": 10}, discipline="OT")
    assert [(ln.modifiers, ln.minutes, ln.units) for ln in pt.lines] == [(("GP",), 5, 0), (("GP", "CQ"), 10, 1)]
    assert [(ln.modifiers, ln.units) for ln in ot.lines] == [(("GO",), 0), (("GO", "CO"), 1)]


def test_assistant_only_minutes_give_only_a_modifier_line() -> None:
    result = bill({}, assistant={"97110": 30}, discipline="PT")
    assert [(ln.modifiers, ln.units) for ln in result.lines] == [(("GP", "CQ"), 2)]


def test_assistant_on_untimed_service() -> None:
    assert keyed_units(bill({"97150": 20}, assistant={"97150": 20}, discipline="PT")) == {"97150": 0, "97150-CQ": 1}
    assert keyed_units(bill({"97150": 20}, assistant={"97150": 2}, discipline="PT")) == {"97150": 1, "97150-CQ": 0}


def test_assistant_on_cognitive_pair_marks_each_unit_by_who_furnished_it() -> None:
    # 45 min: the assistant's whole first 15 (CO), the therapist's whole next 15, the last 5 + 10 (CO).
    result = bill({"97129": 20}, assistant={"97129": 25}, discipline="OT")
    assert keyed_units(result) == {"97129-CO": 1, "97130": 1, "97130-CO": 1}
    assert sum(ln.minutes for ln in result.lines) == 45
    therapist_first = bill({"97129": 25}, assistant={"97129": 5}, discipline="OT")
    assert keyed_units(therapist_first) == {"97129": 1, "97130": 1, "97130-CO": 0}
    all_assistant = bill({}, assistant={"97129": 30}, discipline="OT")
    assert keyed_units(all_assistant) == {"97129-CO": 1, "97130-CO": 1}


@pytest.mark.parametrize(
    ("code", "discipline", "therapist", "assistant"),
    [("97545", "OT", 60, 59), ("97545", "PT", 60, 59)],
)
def test_assistant_share_of_a_long_first_unit(code: str, discipline: str, therapist: int, assistant: int) -> None:
    # One 60-min (120-min) unit: the therapist is short of its midpoint (31, 61), the assistant over 10 %.
    result = bill({code: therapist}, assistant={code: assistant}, discipline=discipline)
    assert result.total_units == 1
    assert sum(ln.units for ln in result.lines if {"CQ", "CO"} & set(ln.modifiers)) == 1


def test_long_first_unit_pair_gives_whole_units_to_whoever_furnished_them() -> None:
    # 97545 + 97546: the assistant alone furnished the whole first 2 hours, the therapist a whole further hour.
    # (96112 + 96113 has the same shape, but an assistant may not furnish that test: see test_compliance.)
    result = bill({"97545": 60}, assistant={"97545": 120}, discipline="OT")
    lines = [(ln.code, ln.modifiers, ln.minutes, ln.units) for ln in result.lines]
    assert lines == [("97545", ("GO", "CO"), 120, 1), ("97546", ("GO",), 60, 1)]


def test_cognitive_minutes_pool_with_other_timed_codes() -> None:
    result = bill({"97129": 8, "97530": 30})
    assert result.total_units == 3 and result.units_by_code()["97129"] == 1


def test_four_way_tie_for_two_units() -> None:
    result = bill({c: 22 for c in ("97110", "97112", "97140", "97530")})
    assert result.total_units == 6
    (tie,) = result.ties
    assert tie.units == 2 and len(tie.chosen) == 2 and len(tie.alternatives) == 5


def test_many_tied_codes_build_only_the_reported_alternatives() -> None:
    codes = [CodeSpec(f"X{i:04d}", f"c{i}", Kind.TIMED, frozenset(Discipline)) for i in range(27)]
    # 27 × 7 min = 189 min → 13 units among 27 equal leftovers: 20 million combinations exist.
    result = compute([Service(s, 7) for s in codes], Rule.CMS, Catalog(codes), compare=False)
    assert result.total_units == 13
    assert len(result.ties[0].alternatives) == 20


def test_prefer_an_add_on_code_given_alone() -> None:
    result = bill({"97130": 20, "97110": 20}, prefer=("97130",))
    assert result.units_by_code() == {"97129": 1, "97130": 1, "97110": 1}


def test_tie_loser_is_not_said_to_have_a_smaller_leftover() -> None:
    result = bill({"97110": 20, "97112": 20})
    loser = next(e for e in result.explanation if e.startswith("97110:"))
    assert "larger leftovers" not in loser
    assert "tied with 97112; see the tie below" in loser


def test_add_on_minutes_given_alone_are_explained() -> None:
    text = "\n".join(bill({"97130": 23}).explanation)
    assert "97130 minutes count under 97129: together they bill 1 × 97129 then 97130" in text


def test_codes_of_different_disciplines_without_one_given_are_warned() -> None:
    assert any(
        "PT, OT and SLP are pooled and billed separately" in w for w in bill({"97116": 10, "97533": 10}).warnings
    )
    assert bill({"97116": 10, "97533": 10}, discipline="PT").warnings  # 97533 is OT-only
    assert not any("separately" in w for w in bill({"97110": 10, "97533": 10}).warnings)


def test_pool_explanation_names_the_discipline() -> None:
    assert (
        "PT minutes pooled for the day, each discipline on its own"
        in bill({"97110": 9}, discipline="PT").explanation[0]
    )


def test_assistant_minutes_need_a_discipline_with_a_modifier() -> None:
    with pytest.raises(RuleInputError, match="need a discipline"):
        bill({"97110": 5}, assistant={"97110": 10})
    with pytest.raises(RuleInputError, match="SLP has no assistant modifier"):
        bill({"97129": 5}, assistant={"97129": 10}, discipline="SLP")


def test_negative_minutes_are_refused_and_the_ladder_has_no_cap() -> None:
    with pytest.raises(RuleInputError, match="cannot be negative"):
        compute([Service(CATALOG.get("97110"), -1)], Rule.CMS, CATALOG)
    with pytest.raises(RuleInputError, match="cannot be negative"):
        compute([Service(CATALOG.get("97110"), 0, -1)], Rule.CMS, CATALOG)
    assert bill({"97110": 3000}).total_units == 200


def test_explanation_says_why_in_plain_words() -> None:
    result = bill({"97112": 24, "97110": 23})
    text = "\n".join(result.explanation)
    assert "47 timed min of 15-minute codes → 3 units" in text
    assert "97112: 24 min → 1 full 15-min unit + 1 for the leftover (9 min" in text
    assert "97110: 23 min → 1 full 15-min unit; leftover 8 min gets no unit" in text
    assert "per-code midpoint rule (AMA/CPT) the same minutes bill 4 units" in text


def test_explanation_when_no_pool_unit_is_left() -> None:
    text = "\n".join(bill({"97110": 36, "97140": 30}).explanation)
    assert "no pool unit is left after the full blocks" in text
    assert "97140: 30 min → 2 full 15-min units = 2 units" in text


def test_per_code_explanation() -> None:
    result = bill({"97110": 33, "97140": 7}, "ama")
    assert result.explanation[0].startswith("Per-code rule")
    assert "97140: 7 min → 0 units" in result.explanation


def test_result_as_dict_is_the_json_contract() -> None:
    data = bill({"97112": 20, "97110": 20}, discipline="PT").to_dict()
    assert {
        "rule",
        "total_timed_minutes",
        "total_treatment_minutes",
        "total_units",
        "lines",
        "ties",
        "explanation",
    } <= set(data)
    assert data["lines"][0] == {
        "code": "97112",
        "short_name": "Neuromuscular re-education",
        "modifiers": ["GP"],
        "minutes": 20,
        "units": 2,
    }
    assert data["ties"][0]["alternatives"] == [["97110"]]
    assert data["other_rule"] == {"rule": "ama", "total_units": 2}
    assert bill({"97110": 9}).units_by_code() == {"97110": 1}
