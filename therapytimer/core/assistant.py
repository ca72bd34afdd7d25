"""CQ/CO: which units of a code carry the assistant modifier, under each reading Medicare has had.

Which reading applies on a date of service is data (`resources/compliance/assistant_periods.csv`, read by
`core.compliance`); the readings themselves are here. The current one (``unit-2022``):

A service is "furnished in part" by a PT or OT assistant when the assistant, without the therapist,
furnishes more than 10 % of it (the de minimis standard). Minutes the two spend together count as the
therapist's. Our reading of the CY2022 final rule (86 FR 64996), taken from secondary summaries and kept
in this one function so it can be corrected in one place:

1. Full 15-minute blocks the assistant furnished alone carry the modifier; the therapist's do not.
2. Of the units still to bill, the therapist "carries" each one for which they alone furnished
   8 or more of the leftover minutes (past the midpoint); those bill without the modifier. So when two
   units remain and each clinician furnished 9-14 minutes, one unit takes the modifier and one does not.
3. Any unit still left takes the modifier when the assistant's share of the leftover minutes is over
   10 %; otherwise it bills without it.

Untimed services are one unit: the modifier applies when the assistant's share is over 10 %.

The others: ``unit-2020`` (CY2020 final rule, 84 FR 62702-62707) is steps 1 and 3 without the therapist's
midpoint of step 2; ``service`` applies the 10 % test to all of a code's minutes at once, so all or none of
its units carry the modifier (the CY2020 *proposed* rule's reading, kept so the data can choose it);
``none`` (before 2020) has no modifier at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from therapytimer.core.words import plural

DE_MINIMIS_PERCENT = 10


class Reading(StrEnum):
    """How CQ/CO are applied to a code's units (see the module docstring)."""

    NONE = "none"
    SERVICE = "service"
    UNIT_2020 = "unit-2020"
    UNIT_2022 = "unit-2022"


@dataclass(frozen=True)
class AssistantSplit:
    """Which of a code's units carry CQ/CO (one flag per unit, first unit first), and why in words."""

    flags: tuple[bool, ...]
    reason: str

    @property
    def modifier_units(self) -> int:
        return sum(self.flags)


def _over_de_minimis(therapist: int, assistant: int) -> bool:
    return assistant * 100 > DE_MINIMIS_PERCENT * (therapist + assistant)


def split_untimed(therapist: int, assistant: int) -> AssistantSplit:
    """The one unit of an untimed service carries the modifier when the assistant furnished >10 %."""
    share = f"the assistant alone furnished {assistant} of {therapist + assistant} min"
    if assistant and _over_de_minimis(therapist, assistant):
        return AssistantSplit((True,), f"{share} (over 10 %)")
    return AssistantSplit((False,), f"{share} (10 % or less)")


def split_timed(
    units: int, therapist: int, assistant: int, first: int = 15, each: int = 15, *, midpoint: bool = True
) -> AssistantSplit:
    """Of `units` billed for a timed code (first unit `first` min, later ones `each`), which carry CQ/CO.

    Steps 1-3 of the module docstring, unit by unit; for 15-minute codes every unit is 15 minutes. Without
    `midpoint` (the CY2020 reading) step 2 is left out: every unit left takes the 10 % test of step 3.
    """
    sizes = [first] + [each] * (units - 1) if units > 0 else []
    if not sizes or assistant <= 0:
        return AssistantSplit((False,) * len(sizes), "no billed unit was furnished by the assistant alone")
    flags: list[bool | None] = [None] * len(sizes)
    left_t, left_a = therapist, assistant
    for i, size in enumerate(sizes):  # 1. whole units furnished by one clinician alone
        if left_a >= size:
            flags[i], left_a = True, left_a - size
        elif left_t >= size:
            flags[i], left_t = False, left_t - size
    parts = []
    by_assistant, by_therapist = flags.count(True), flags.count(False)
    if by_assistant:
        verb = "takes" if by_assistant == 1 else "take"
        parts.append(f"{plural(by_assistant, 'unit')} wholly by the assistant alone {verb} the modifier")
    if by_therapist:
        verb = "does" if by_therapist == 1 else "do"
        parts.append(f"{plural(by_therapist, 'unit')} wholly by the therapist {verb} not")
    over = _over_de_minimis(left_t, left_a)
    carry = left_t
    tested = 0
    for i, size in enumerate(sizes):
        if flags[i] is not None:
            continue
        if midpoint and carry >= size // 2 + 1:  # 2. the therapist alone furnished past this unit's midpoint
            flags[i], carry = False, max(carry - size, 0)
            last = f"the therapist furnished {left_t} of the last {left_t + left_a} min"
            parts.append(f"{last}, past the unit's midpoint: 1 unit without")
        else:  # 3. de minimis on the leftover minutes
            flags[i] = over
            tested += 1
    if tested:
        share = f"the assistant furnished {left_a} of the last {left_t + left_a} min"
        verdict = f"over 10 %: {plural(tested, 'unit')} with" if over else "10 % or less: no modifier"
        parts.append(f"{share} ({verdict})")
    return AssistantSplit(tuple(bool(f) for f in flags), "; ".join(parts))


def split_service(units: int, therapist: int, assistant: int) -> AssistantSplit:
    """All of a code's units carry CQ/CO when the assistant alone furnished over 10 % of its minutes, else none."""
    share = f"the assistant alone furnished {assistant} of the code's {therapist + assistant} min"
    if units and assistant and _over_de_minimis(therapist, assistant):
        return AssistantSplit((True,) * units, f"{share} (over 10 %): all {plural(units, 'unit')} with the modifier")
    return AssistantSplit((False,) * units, f"{share} (10 % or less, or nothing billed): no modifier")


def split(
    reading: Reading, timed: bool, units: int, therapist: int, assistant: int, first: int = 15, each: int = 15
) -> AssistantSplit:
    """Which of a code's `units` carry CQ/CO under `reading` (a timed code's unit sizes `first`, `each`)."""
    if reading is Reading.NONE:
        return AssistantSplit((False,) * units, "no assistant modifier applies on this date of service")
    if reading is Reading.SERVICE:
        return split_service(units, therapist, assistant)
    if not timed:
        return split_untimed(therapist, assistant)
    return split_timed(units, therapist, assistant, first, each, midpoint=reading is Reading.UNIT_2022)
