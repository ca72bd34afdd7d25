"""Properties of the engine that must hold for any minutes (Hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import CATALOG, bill
from therapytimer.core.assistant import split_timed
from therapytimer.core.rules import units_for

POOLED = sorted(s.code for s in CATALOG if s.pooled and not s.addon_code)
UNTIMED = sorted(s.code for s in CATALOG if not s.timed)[:6]

day = st.dictionaries(st.sampled_from(POOLED), st.integers(0, 240), min_size=1, max_size=6)
minutes = st.integers(0, 1440)


@given(day)
def test_medicare_total_is_the_ladder_of_total_timed_minutes(codes: dict[str, int]) -> None:
    result = bill(codes)
    assert result.total_units == units_for(sum(codes.values()))
    assert result.total_timed_minutes == sum(codes.values())


@given(day)
def test_no_code_gets_fewer_units_than_its_full_blocks(codes: dict[str, int]) -> None:
    units = bill(codes).units_by_code()
    for code, m in codes.items():
        assert units[code] >= m // 15
        assert units[code] <= m // 15 + 1  # and at most one unit for its leftover


@given(day)
def test_per_code_rule_never_pools(codes: dict[str, int]) -> None:
    result = bill(codes, "ama")
    assert result.units_by_code() == {c: units_for(m) for c, m in codes.items()}
    assert result.ties == ()


@given(day, st.data())
def test_total_units_never_decrease_when_a_code_grows(codes: dict[str, int], data: st.DataObject) -> None:
    code = data.draw(st.sampled_from(sorted(codes)))
    more = data.draw(st.integers(1, 60))
    for rule in ("cms", "ama"):
        before = bill(codes, rule).total_units
        after = bill(codes | {code: codes[code] + more}, rule).total_units
        assert after >= before


@given(day, st.dictionaries(st.sampled_from(UNTIMED), st.integers(0, 120), min_size=1, max_size=3))
def test_untimed_minutes_never_change_timed_units(codes: dict[str, int], untimed: dict[str, int]) -> None:
    for rule in ("cms", "ama"):
        alone = bill(codes, rule)
        together = bill(codes | untimed, rule)
        timed_units = {c: u for c, u in together.units_by_code().items() if c in codes}
        assert timed_units == alone.units_by_code()
        assert together.total_units == alone.total_units + len(untimed)
        assert together.total_treatment_minutes == alone.total_treatment_minutes + sum(untimed.values())


@given(day)
def test_every_code_given_appears_in_lines(codes: dict[str, int]) -> None:
    for rule in ("cms", "ama"):
        assert {ln.code for ln in bill(codes, rule).lines} == set(codes)


@given(day)
def test_a_tie_always_offers_a_real_alternative_with_the_same_total(codes: dict[str, int]) -> None:
    result = bill(codes)
    for tie in result.ties:
        for alternative in tie.alternatives:
            other = bill(codes, prefer=alternative)
            assert other.total_units == result.total_units
            assert set(other.ties[0].chosen) == set(alternative)


@given(st.integers(0, 100), st.integers(0, 100))
def test_assistant_split_keeps_units_and_minutes(therapist: int, assistant: int) -> None:
    result = bill({"97110": therapist}, assistant={"97110": assistant}, discipline="PT")
    assert result.total_units == units_for(therapist + assistant)
    assert sum(ln.minutes for ln in result.lines) == therapist + assistant
    modifier_units = sum(ln.units for ln in result.lines if "CQ" in ln.modifiers)
    assert 0 <= modifier_units <= result.total_units
    if assistant == 0:
        assert modifier_units == 0
    if therapist == 0:
        assert modifier_units == result.total_units


@given(st.integers(0, 10), minutes, minutes)
def test_assistant_full_blocks_always_carry_the_modifier(units: int, therapist: int, assistant: int) -> None:
    split = split_timed(units, therapist, assistant)
    assert min(units, assistant // 15) <= split.modifier_units <= units


@given(st.integers(0, 1440), st.sampled_from([(15, 15), (60, 60), (60, 30), (120, 60)]))
def test_units_grow_with_minutes_for_every_shape(m: int, shape: tuple[int, int]) -> None:
    assert units_for(m + 1, *shape) >= units_for(m, *shape)
    assert units_for(m, *shape) <= m // min(shape) + 1
