"""The billing-unit engine: minutes per code in, units per claim line out, with the reasons.

Two payer rules (a per-payer setting, never inferred):

* ``cms``: Medicare's 8-minute rule. The day's 15-minute timed minutes are pooled, the pool's units
  come from the minute ladder, each code first gets its full 15-minute blocks, and the units left go
  to the largest leftovers (Pub. 100-04 ch. 5 §20.2). Equal leftovers are a tie the manual lets the
  clinician settle either way; we pick deterministically and report the alternatives.
* ``ama``: the per-code midpoint rule (CPT's "rule of eights"): the same ladder on each code alone.

Codes that are not 15-minute codes (per hour, "first hour + each 30 min") never pool: their units come
from their own shape under both rules. Untimed codes bill one unit and only add to treatment time.

The compliance data (`core.compliance`) decides by date of service how assistant minutes bill (no CQ/CO
before 2020, then the reading of the day), refuses assistant minutes on codes an assistant may not furnish
(evaluations), and warns when a code's units are above its MUE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import combinations, islice
from typing import Any

from therapytimer.core.assistant import AssistantSplit, Reading
from therapytimer.core.assistant import split as assistant_split
from therapytimer.core.catalog import POOL_UNIT_MINUTES, Catalog, CodeSpec, Discipline, Kind
from therapytimer.core.compliance import Compliance, Period, builtin
from therapytimer.core.errors import Hint, TherapyTimerError
from therapytimer.core.words import plural

MAX_MINUTES = 1440  # the most a user may enter for one code (a day); the ladder itself has no cap
MAX_TIE_ALTERNATIVES = 20
MEDICARE_NOTE = "Medicare:"  # catalog notes starting so are warnings when billing under the cms rule


class Rule(StrEnum):
    CMS = "cms"
    AMA = "ama"

    @property
    def long_name(self) -> str:
        return {"cms": "Medicare 8-minute rule (pooled)", "ama": "per-code midpoint rule (AMA/CPT)"}[self.value]

    @property
    def other(self) -> Rule:
        return Rule.AMA if self is Rule.CMS else Rule.CMS


ASSISTANT_MODIFIER = {Discipline.PT: "CQ", Discipline.OT: "CO"}
ASSISTANT_MODIFIERS = frozenset(ASSISTANT_MODIFIER.values())  # CQ and CO, wherever a line is asked "the assistant's?"


class RuleInputError(TherapyTimerError, ValueError):
    """The services given cannot be billed as stated (message says which and why)."""


def whole_minutes(seconds: float) -> int:
    """Seconds on a stopwatch → billable whole minutes, dropping the partial minute (7:59 is 7).

    The one place this conversion happens: the conservative, audit-safe reading.
    """
    if seconds < 0:
        raise ValueError("elapsed time cannot be negative")
    return int(seconds // 60)


def units_for(minutes: int, first: int = POOL_UNIT_MINUTES, each: int = POOL_UNIT_MINUTES) -> int:
    """Units of a timed code whose first unit is `first` min and further units `each` min.

    A unit is reached once more than half of it has passed. With 15/15 this is the minute ladder
    (0-7 → 0, 8-22 → 1, 23-37 → 2, ...), i.e. ``(t + 7) // 15`` for t ≥ 8.
    """
    if minutes < first // 2 + 1:
        return 0
    rest = minutes - first
    if rest <= 0:
        return 1
    return 1 + rest // each + (1 if rest % each >= each // 2 + 1 else 0)


@dataclass(frozen=True)
class Service:
    """Minutes of one code: `minutes` by the therapist (alone or with the assistant) and
    `assistant_minutes` furnished by the assistant alone."""

    spec: CodeSpec
    minutes: int = 0
    assistant_minutes: int = 0


@dataclass(frozen=True)
class Line:
    """One claim line: a code with its modifiers, the minutes behind it and the units billed."""

    code: str
    short_name: str
    modifiers: tuple[str, ...]
    minutes: int
    units: int


@dataclass(frozen=True)
class Tie:
    """Codes with equal leftover minutes competing for `units` unit(s); `chosen` got them."""

    leftover_minutes: int
    units: int
    codes: tuple[str, ...]
    chosen: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class UnitResult:
    rule: Rule
    discipline: Discipline | None
    lines: tuple[Line, ...]
    service_units: Mapping[str, int]
    total_timed_minutes: int
    total_treatment_minutes: int
    pooled_minutes: int
    total_units: int
    ties: tuple[Tie, ...] = ()
    explanation: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    other_rule_units: int | None = None

    def units_by_code(self) -> dict[str, int]:
        """Units per billed code, add-on codes included (97129 → 97129 and 97130)."""
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.code] = out.get(line.code, 0) + line.units
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "discipline": self.discipline.value if self.discipline else None,
            "total_timed_minutes": self.total_timed_minutes,
            "total_treatment_minutes": self.total_treatment_minutes,
            "pooled_minutes": self.pooled_minutes,
            "total_units": self.total_units,
            "lines": [
                {
                    "code": ln.code,
                    "short_name": ln.short_name,
                    "modifiers": list(ln.modifiers),
                    "minutes": ln.minutes,
                    "units": ln.units,
                }
                for ln in self.lines
            ],
            "ties": [
                {
                    "leftover_minutes": t.leftover_minutes,
                    "units": t.units,
                    "codes": list(t.codes),
                    "chosen": list(t.chosen),
                    "alternatives": [list(a) for a in t.alternatives],
                }
                for t in self.ties
            ],
            "explanation": list(self.explanation),
            "warnings": list(self.warnings),
            "other_rule": (
                {"rule": self.rule.other.value, "total_units": self.other_rule_units}
                if self.other_rule_units is not None
                else None
            ),
        }


@dataclass
class _Merged:
    """A billable service after add-on minutes joined their base code."""

    spec: CodeSpec
    therapist: int = 0
    assistant: int = 0
    given: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.therapist + self.assistant


def tie_rank(prefer: Sequence[str]) -> Callable[[CodeSpec], tuple[int, Decimal, str]]:
    """The documented default order for ties: codes the user prefers first (in their order), then the
    higher default fee, then the lower code number. Deterministic, so the same minutes always bill the
    same way, and the user can always ask for the other choice."""
    order = {code: i for i, code in enumerate(prefer)}

    def rank(spec: CodeSpec) -> tuple[int, Decimal, str]:
        return (order.get(spec.code, len(order)), -(spec.default_fee or Decimal(0)), spec.code)

    return rank


def allocate_pool(minutes: Mapping[str, int], rank: Callable[[str], Any]) -> tuple[dict[str, int], Tie | None]:
    """Medicare's allocation of the pooled units: full 15-minute blocks first, then one unit each to
    the largest leftovers. Returns the units per code and the tie at the cut, if any."""
    total_units = units_for(sum(minutes.values()))
    units = {code: m // POOL_UNIT_MINUTES for code, m in minutes.items()}
    left = total_units - sum(units.values())

    def leftover(code: str) -> int:
        return minutes[code] % POOL_UNIT_MINUTES

    candidates = sorted((c for c in minutes if leftover(c)), key=lambda c: (-leftover(c), rank(c)))
    chosen = candidates[:left]
    for code in chosen:
        units[code] += 1
    if not chosen or left >= len(candidates) or leftover(candidates[left]) != leftover(chosen[-1]):
        return units, None
    edge = leftover(chosen[-1])
    group = tuple(c for c in candidates if leftover(c) == edge)
    winners = tuple(c for c in group if c in chosen)
    # Built lazily: 27 tied codes have millions of combinations, and only the first few are reported.
    others = (combo for combo in combinations(group, len(winners)) if combo != winners)
    alternatives = tuple(islice(others, MAX_TIE_ALTERNATIVES))
    return units, Tie(edge, len(winners), group, winners, alternatives)


def _merge(services: Iterable[Service], catalog: Catalog) -> dict[str, _Merged]:
    merged: dict[str, _Merged] = {}
    for service in services:
        if service.minutes < 0 or service.assistant_minutes < 0:
            raise RuleInputError(f"{service.spec.code}: minutes cannot be negative")
        base = catalog.base_of(service.spec)
        entry = merged.setdefault(base.code, _Merged(base))
        entry.therapist += service.minutes
        entry.assistant += service.assistant_minutes
        entry.given.append(service.spec.code)
    return merged


def _pool_reason(code: str, m: int, units: int, spare: int, tie: Tie | None) -> str:
    """Why a pooled code got its units; `spare` is the pool's units left after all full blocks."""
    full = m // POOL_UNIT_MINUTES
    rest = m % POOL_UNIT_MINUTES
    head = f"{code}: {m} min → " + (plural(full, "full 15-min unit") if full else "no full unit")
    if units > full:
        return f"{head} + 1 for the leftover ({rest} min, among the largest) = {plural(units, 'unit')}"
    if tie and code in tie.codes:
        why = f"tied with {', '.join(c for c in tie.codes if c != code)}; see the tie below"
        return f"{head}; leftover {rest} min gets no unit ({why}) = {plural(units, 'unit')}"
    if rest and spare:
        why = f"the pool's {plural(spare, 'remaining unit')} went to larger leftovers"
        return f"{head}; leftover {rest} min gets no unit ({why}) = {plural(units, 'unit')}"
    if rest:
        why = "no pool unit is left after the full blocks"
        return f"{head}; leftover {rest} min gets no unit ({why}) = {plural(units, 'unit')}"
    return f"{head} = {plural(units, 'unit')}"


def _lines_for(
    entry: _Merged, units: int, split: AssistantSplit, modifiers: tuple[str, ...], catalog: Catalog, mod: str | None
) -> list[Line]:
    """Claim lines for one service: plain and CQ/CO lines, and the first/add-on split of a pair."""
    spec = entry.spec
    with_mod = (*modifiers, mod) if mod else modifiers

    def emit(s: CodeSpec, p_units: int, p_min: int, m_units: int, m_min: int) -> list[Line]:
        """A plain line when it bills or holds minutes (or is the code's only line), then CQ/CO."""
        out = []
        if p_units or p_min or not (m_units or m_min):
            out.append(Line(s.code, s.short_name, modifiers, p_min, p_units))
        if m_units or m_min:
            out.append(Line(s.code, s.short_name, with_mod, m_min, m_units))
        return out

    if not spec.addon_code:
        k = split.modifier_units
        return emit(spec, units - k, entry.therapist, k, entry.assistant)
    # A pair: the first unit bills as the code itself (once a day), the rest as its add-on. The first
    # unit's minutes come from whoever furnished it; the rest of the minutes sit on the add-on lines.
    addon = catalog.get(spec.addon_code)
    first_units = min(units, 1)
    first_mod = any(split.flags[:1])
    first_taken = min(entry.total, spec.first_minutes)
    if first_mod:
        from_a = min(entry.assistant, first_taken)
        from_t = first_taken - from_a
    else:
        from_t = min(entry.therapist, first_taken)
        from_a = first_taken - from_t
    rest_mod = sum(split.flags[1:])
    first_plain_units = 0 if first_mod else first_units
    lines = emit(spec, first_plain_units, from_t, first_units - first_plain_units, from_a)
    lines += emit(addon, units - first_units - rest_mod, entry.therapist - from_t, rest_mod, entry.assistant - from_a)
    return lines


def _assistant_text(code: str, entry: _Merged, mod: str, split: AssistantSplit, period: Period) -> str:
    """The CQ/CO reason in words, naming both clinicians' minutes."""
    who = (
        f"the therapist (alone or together with the assistant) furnished {entry.therapist} min, "
        f"the assistant alone {entry.assistant} min"
    )
    if period.reading is Reading.NONE:
        return (
            f"{code}: {who}; no assistant modifier applies to dates of service {period.span()} "
            f"({period.name}), so all {entry.total} min bill without {mod}"
        )
    return f"{code} assistant modifier {mod} ({period.name}): {who}; {split.reason}"


def compute(
    services: Iterable[Service],
    rule: Rule,
    catalog: Catalog,
    *,
    discipline: Discipline | None = None,
    prefer: Sequence[str] = (),
    compare: bool = True,
    day: date | None = None,
    compliance: Compliance | None = None,
) -> UnitResult:
    """Bill one patient's day for one discipline under `rule`.

    `prefer` lists codes to favour in a tie (the clinician's choice); without it the default order of
    `tie_rank` applies. `day` is the date of service: it picks the CQ/CO reading and payment (None: the
    reading in force today). `compliance` holds the guards as data (None: the built-in tables). Raises
    RuleInputError when assistant minutes have no modifier to carry them, or are on a code an assistant
    may not furnish.
    """
    services = list(services)
    compliance = compliance or builtin()
    period = compliance.period(day)
    for service in services:
        refusal = service.assistant_minutes > 0 and (
            compliance.refusal(service.spec.code) or compliance.refusal(catalog.base_of(service.spec).code)
        )
        if refusal:
            raise RuleInputError(refusal)
    merged = _merge(services, catalog)
    mod = ASSISTANT_MODIFIER.get(discipline) if discipline else None
    for entry in merged.values():
        if entry.assistant and mod is None:
            raise RuleInputError(
                f"{entry.spec.code}: assistant minutes need the discipline PT (CQ) or OT (CO); "
                "SLP has no assistant modifier"
                if discipline
                else f"{entry.spec.code}: assistant minutes need a discipline: PT (CQ) or OT (CO)",
                Hint.DISCIPLINE,
            )
    prefer = [catalog.base_of(catalog.get(c)).code if c in catalog else c for c in prefer]  # 97130 → 97129
    rank = tie_rank(prefer)
    pooled = {c: e.total for c, e in merged.items() if rule is Rule.CMS and e.spec.pooled}
    pool_units, tie = allocate_pool(pooled, lambda c: rank(merged[c].spec))
    explanation: list[str] = []
    pooled_minutes = sum(pooled.values())
    spare = sum(pool_units.values()) - sum(m // POOL_UNIT_MINUTES for m in pooled.values())
    whose = f"{discipline.value} " if discipline else ""
    if pooled:
        explanation.append(
            f"{pooled_minutes} timed min of 15-minute codes → {plural(units_for(pooled_minutes), 'unit')} "
            f"(Medicare 8-minute rule: {whose}minutes pooled for the day, each discipline on its own; "
            "full 15-min blocks first, then the largest leftovers)"
        )
    elif rule is Rule.AMA:
        explanation.append("Per-code rule: each code's minutes stand alone (8 min → 1 unit, 23 → 2, 38 → 3, ...)")
    base_modifiers = (discipline.modifier,) if discipline else ()
    lines: list[Line] = []
    service_units: dict[str, int] = {}
    warnings: list[str] = []
    for code, entry in merged.items():
        spec = entry.spec
        if spec.kind is Kind.UNTIMED:
            units = 1
            text = f"{code}: untimed, 1 unit" + (
                f"; its {entry.total} min count toward total treatment time only" if entry.total else ""
            )
        elif code in pooled:
            units = pool_units[code]
            text = _pool_reason(code, entry.total, units, spare, tie)
        else:
            units = units_for(entry.total, spec.first_minutes, spec.each_minutes)
            shape = "" if spec.pooled else f" ({spec.shape()}; reached past the midpoint; never pooled)"
            text = f"{code}: {entry.total} min → {plural(units, 'unit')}{shape}"
        split = assistant_split(
            period.reading, spec.timed, units, entry.therapist, entry.assistant, spec.first_minutes, spec.each_minutes
        )
        if spec.addon_code and units:
            text += f": 1 × {code} + {units - 1} × {spec.addon_code}"
        explanation.append(text)
        if spec.addon_code in entry.given:
            explanation.append(
                f"{spec.addon_code} minutes count under {code}: together they bill 1 × {code} then {spec.addon_code}"
            )
        if entry.assistant:
            assert mod is not None  # checked above: assistant minutes need PT or OT
            explanation.append(_assistant_text(code, entry, mod, split, period))
        service_units[code] = units
        plain = period.reading is Reading.NONE  # no CQ/CO then: the assistant's minutes join the plain line
        billed_as = _Merged(spec, entry.total, 0, entry.given) if plain else entry
        lines += _lines_for(billed_as, units, split, base_modifiers, catalog, None if plain else mod)
        if discipline and discipline not in spec.disciplines:
            warnings.append(
                f"{code} is not usually billed by {discipline.value} (catalog lists {spec.discipline_text()})"
            )
        if rule is Rule.CMS and spec.note.startswith(MEDICARE_NOTE):
            warnings.append(f"{code}: {spec.note}")
    shared = frozenset.intersection(*(e.spec.disciplines for e in merged.values())) if merged else frozenset()
    if not discipline and not shared:
        warnings.append(
            "these codes belong to different disciplines; PT, OT and SLP are pooled and billed separately: "
            "bill each discipline on its own (name the discipline)"
        )
    ties = (tie,) if tie else ()
    for t in ties:
        why = "as preferred" if set(t.chosen) & set(prefer) else "by default: higher default fee, then lower code"
        explanation.append(
            f"Tie: {', '.join(t.codes)} each have {t.leftover_minutes} leftover min for {plural(t.units, 'unit')}; "
            f"given to {', '.join(t.chosen)} ({why}). Billing another of them instead is equally correct."
        )
    billed: dict[str, int] = {}
    for line in lines:
        billed[line.code] = billed.get(line.code, 0) + line.units
    for code, units in billed.items():
        limit = compliance.limit(code)
        if limit is not None and units > limit.units:
            warnings.append(limit.warning(units))
    timed = sum(e.total for e in merged.values() if e.spec.timed)
    treatment = sum(e.total for e in merged.values())
    total_units = sum(ln.units for ln in lines)
    other_units = None
    if compare:
        other_units = compute(
            services,
            rule.other,
            catalog,
            discipline=discipline,
            prefer=prefer,
            compare=False,
            day=day,
            compliance=compliance,
        ).total_units
        explanation.append(f"Under the {rule.other.long_name} the same minutes bill {plural(other_units, 'unit')}.")
    return UnitResult(
        rule=rule,
        discipline=discipline,
        lines=tuple(lines),
        service_units=service_units,
        total_timed_minutes=timed,
        total_treatment_minutes=treatment,
        pooled_minutes=pooled_minutes,
        total_units=total_units,
        ties=ties,
        explanation=tuple(explanation),
        warnings=tuple(warnings),
        other_rule_units=other_units,
    )
