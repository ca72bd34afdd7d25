"""Next-unit hints agree with the engine and read the way a clinician would say them."""

from __future__ import annotations

from tests.helpers import CATALOG
from therapytimer.core.catalog import Discipline
from therapytimer.core.guidance import Hint, next_units
from therapytimer.core.rules import Rule, Service


def hints(minutes: dict[str, int], rule: Rule = Rule.CMS, **kw: object) -> list[Hint]:
    services = [Service(CATALOG.get(c), m) for c, m in minutes.items()]
    return next_units(services, rule, CATALOG, **kw)  # type: ignore[arg-type]


def test_medicare_hints_for_the_pool_and_each_code() -> None:
    got = hints({"97112": 24, "97110": 23})
    assert got[0] == Hint(None, 6, 0, 4, 3)  # 47 → 53 min makes a 4th unit
    assert got[0].text() == "6 more min of any 15-minute code bills a unit (4 in all)"
    by_code = {h.code: h for h in got[1:]}
    assert by_code["97110"].more_minutes == 2  # 25 min outweighs 97112's 9-min leftover
    assert (
        by_code["97110"].text()
        == "2 more min of 97110 → 2 units of 97110 (total stays 3: the unit moves from another code)"
    )
    # 38 + 23 min: 3 full blocks, then 8 and 8 leftover minutes tie for the 4th unit (higher fee: 97112).
    assert (
        by_code["97112"].text()
        == "14 more min of 97112 → 3 units of 97112 (4 in all; the tie goes to 97112 by default)"
    )


def test_one_more_minute_wording() -> None:
    (pool, code) = hints({"97110": 7})
    assert pool.text() == "1 more minute of any 15-minute code bills a unit (1 in all)"
    assert code.text() == "1 more minute of 97110 → 1 unit of 97110 (1 in all)"


def test_per_code_hints_follow_each_codes_ladder() -> None:
    got = hints({"97112": 24, "97110": 20}, Rule.AMA)
    assert [(h.code, h.more_minutes, h.code_units) for h in got] == [("97112", 14, 3), ("97110", 3, 2)]


def test_untimed_codes_have_no_hint_and_add_on_minutes_hint_their_base() -> None:
    got = hints({"97161": 30, "97130": 20, "97129": 0}, Rule.AMA)
    assert [(h.code, h.more_minutes, h.code_units) for h in got] == [("97129", 3, 2)]


def test_hour_codes_hint_toward_their_own_midpoint() -> None:
    (hint,) = hints({"96105": 10})
    assert (hint.code, hint.more_minutes, hint.code_units) == ("96105", 21, 1)


def test_hint_as_dict() -> None:
    data = hints({"97110": 7}, discipline=Discipline.PT)[1].to_dict()
    assert data == {"code": "97110", "more_minutes": 1, "code_units": 1, "total_units": 1, "text": data["text"]}


def test_hints_at_the_minute_limit_do_not_fail() -> None:
    (pool, code) = hints({"97110": 1440})
    assert (pool.more_minutes, code.more_minutes, code.code_units) == (8, 8, 97)


def test_add_on_of_a_long_shape_given_alone_hints_its_base() -> None:
    # 61 min of work hardening (first 2 hours, then each hour): the next unit is at 151 min.
    assert [(h.code, h.more_minutes, h.code_units) for h in hints({"97546": 61})] == [("97545", 90, 2)]


def test_pair_hint_says_how_the_units_bill() -> None:
    (_, hint) = hints({"97129": 30})
    assert hint.text() == "8 more min of 97129 → 3 units of 97129 (1 × 97129 + 2 × 97130) (3 in all)"


def test_a_tie_between_other_codes_is_not_claimed_by_the_hint() -> None:
    """Adding minutes to 97140 leaves 97110 and 97112 tied for a unit: 97140's hint must not say the tie
    goes to it (it is not in the tie)."""
    services = [Service(CATALOG.get("97110"), 8), Service(CATALOG.get("97112"), 8), Service(CATALOG.get("97140"), 0)]
    hint = next(h for h in next_units(services, Rule.CMS, CATALOG, discipline=Discipline.PT) if h.code == "97140")
    assert "tie" not in hint.text() and hint.tie is None
