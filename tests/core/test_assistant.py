"""CQ/CO: the CY2022 reading, unit by unit."""

from __future__ import annotations

import pytest

from therapytimer.core.assistant import split_timed, split_untimed


@pytest.mark.parametrize(
    ("units", "therapist", "assistant", "modifier_units"),
    [
        (1, 14, 1, 0),  # assistant 1 of 15 min: de minimis
        (1, 13, 2, 0),  # therapist 8+ min of the final unit (CY2022)
        (1, 5, 10, 1),  # therapist under 8, assistant over 10 %
        (2, 13, 23, 1),  # assistant's full block takes CQ; the therapist carries the final unit
        (2, 12, 12, 1),  # two units left, each furnished 9-14 min: one with, one without
        (2, 9, 14, 1),
        (3, 20, 20, 2),  # one full block each; last 5 + 5 min: assistant 50 % → modifier
        (1, 7, 1, 1),  # 1 of the last 8 min is 12.5 %: over 10 %
        (1, 10, 1, 0),
        (2, 30, 0, 0),
        (0, 3, 4, 0),  # nothing billed, nothing to modify
        (2, 0, 30, 2),
        (1, 8, 7, 0),
        (2, 7, 15, 1),  # a pooled leftover unit from the therapist's 7 min alone: no modifier
    ],
)
def test_split_timed(units: int, therapist: int, assistant: int, modifier_units: int) -> None:
    assert split_timed(units, therapist, assistant).modifier_units == modifier_units


def test_split_timed_explains_itself() -> None:
    reason = split_timed(2, 13, 23).reason
    assert reason == (
        "1 unit wholly by the assistant alone takes the modifier; "
        "the therapist furnished 13 of the last 21 min, past the unit's midpoint: 1 unit without"
    )
    assert split_timed(3, 30, 10).reason == (
        "2 units wholly by the therapist do not; the assistant furnished 10 of the last 10 min (over 10 %: 1 unit with)"
    )
    assert "2 units wholly by the assistant alone take the modifier" in split_timed(2, 0, 30).reason
    assert "1 unit wholly by the therapist does not" in split_timed(2, 15, 10).reason
    assert split_timed(1, 14, 1).reason.endswith("1 unit without")


def test_split_timed_under_ten_percent_after_the_therapist_carries() -> None:
    # 3 units of 45 min (44 therapist + 1 assistant): 2 full blocks by the therapist, last unit 14 + 1.
    split = split_timed(3, 44, 1)
    assert split.modifier_units == 0


def test_split_untimed() -> None:
    assert split_untimed(30, 4).modifier_units == 1
    assert split_untimed(30, 3).modifier_units == 0  # exactly 10 % is not over
    assert split_untimed(30, 0).modifier_units == 0
    assert "over 10 %" in split_untimed(0, 15).reason
