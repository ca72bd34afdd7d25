"""CQ/CO: which units of a code carry the assistant modifier (Medicare, CY2022 reading).

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
"""

from __future__ import annotations

from dataclasses import dataclass

DE_MINIMIS_PERCENT = 10


@dataclass(frozen=True)
class AssistantSplit:
    """How many of a code's units carry CQ/CO, and why in words."""

    modifier_units: int
    reason: str


def _over_de_minimis(therapist: int, assistant: int) -> bool:
    return assistant * 100 > DE_MINIMIS_PERCENT * (therapist + assistant)


def split_untimed(therapist: int, assistant: int) -> AssistantSplit:
    """The one unit of an untimed service carries the modifier when the assistant furnished >10 %."""
    if assistant and _over_de_minimis(therapist, assistant):
        return AssistantSplit(
            1, f"the assistant alone furnished {assistant} of {therapist + assistant} min (over 10 %)"
        )
    return AssistantSplit(0, f"the assistant alone furnished {assistant} of {therapist + assistant} min (10 % or less)")


def split_timed(units: int, therapist: int, assistant: int, each: int = 15) -> AssistantSplit:
    """Of `units` billed for a timed code, how many carry CQ/CO (see the module docstring)."""
    if units <= 0 or assistant <= 0:
        return AssistantSplit(0, "no billed unit was furnished by the assistant alone")
    full_assistant = min(assistant // each, units)
    full_therapist = min(therapist // each, units - full_assistant)
    remaining = units - full_assistant - full_therapist
    left_t, left_a = therapist - full_therapist * each, assistant - full_assistant * each
    parts = []
    if full_assistant:
        parts.append(f"{full_assistant} full {each}-min block(s) by the assistant alone take the modifier")
    if full_therapist:
        parts.append(f"{full_therapist} full block(s) by the therapist do not")
    carried = min(remaining, left_t // (each // 2 + 1))
    if carried:
        parts.append(
            f"the therapist furnished {left_t} of the remaining min (past the midpoint): {carried} unit(s) without"
        )
    rest = remaining - carried
    modifier = full_assistant
    if rest:
        if _over_de_minimis(left_t, left_a):
            modifier += rest
            parts.append(
                f"the assistant furnished {left_a} of the last {left_t + left_a} min (over 10 %): {rest} unit(s) with"
            )
        else:
            parts.append(
                f"the assistant furnished {left_a} of the last {left_t + left_a} min (10 % or less): no modifier"
            )
    return AssistantSplit(modifier, "; ".join(parts) or "no unit is left for the modifier")
