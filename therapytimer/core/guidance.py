""" "Next unit" guidance: how many more minutes bring the next billable unit.

Clinicians today do this arithmetic in their heads at the bedside. Every hint is found by asking the
engine itself (add a minute, recompute), so guidance can never disagree with the units billed. A hint that
holds only because a tie went one way says so, and the "any 15-minute code" hint is given only where the
discipline has 15-minute codes to add.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from therapytimer.core.catalog import Catalog, CodeSpec, Discipline
from therapytimer.core.compliance import Compliance
from therapytimer.core.rules import Rule, Service, UnitResult, compute, units_for
from therapytimer.core.words import plural


@dataclass(frozen=True)
class Hint:
    """`more_minutes` more of `code` (None: of any 15-minute code) make `code_units` / `total_units`; `tie`
    says how a tie settles when the hint depends on it."""

    code: str | None
    more_minutes: int
    code_units: int
    total_units: int
    total_now: int
    addon: str | None = None
    tie: str | None = None

    def text(self) -> str:
        minutes = "1 more minute" if self.more_minutes == 1 else f"{self.more_minutes} more min"
        if self.code is None:
            return f"{minutes} of any 15-minute code bills a unit ({self.total_units} in all)"
        total = (
            f"total stays {self.total_units}: the unit moves from another code"
            if self.total_units == self.total_now
            else f"{self.total_units} in all"
        )
        units = plural(self.code_units, "unit")
        pair = f" (1 × {self.code} + {self.code_units - 1} × {self.addon})" if self.addon else ""
        tie = f"; {self.tie}" if self.tie else ""
        return f"{minutes} of {self.code} → {units} of {self.code}{pair} ({total}{tie})"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "more_minutes": self.more_minutes,
            "code_units": self.code_units,
            "total_units": self.total_units,
            "text": self.text(),
        }


def _search_limit(spec: CodeSpec) -> int:
    """Enough minutes to cross at least one more unit of this (base) code's shape."""
    return spec.first_minutes + 2 * spec.each_minutes


def _tie_note(code: str, result: UnitResult, preferred: set[str]) -> str | None:
    """How the tie that gave `code` its unit settled, if one did."""
    for tie in result.ties:
        if code in tie.chosen:
            return f"the tie goes to {code} " + ("as preferred" if preferred & set(tie.chosen) else "by default")
    return None


def _has_pool_codes(catalog: Catalog, discipline: Discipline | None, day: date | None) -> bool:
    """Whether the discipline has 15-minute codes to add (valid on `day`)."""
    return any(
        s.pooled and (discipline is None or discipline in s.disciplines) and (day is None or s.valid_on(day))
        for s in catalog
    )


def next_units(
    services: Sequence[Service],
    rule: Rule,
    catalog: Catalog,
    *,
    discipline: Discipline | None = None,
    prefer: Sequence[str] = (),
    day: date | None = None,
    compliance: Compliance | None = None,
) -> list[Hint]:
    """For each timed code, the fewest extra therapist minutes that raise its units; plus, under the
    Medicare rule, the fewest extra minutes of any 15-minute code that raise the total (only when the day
    pools 15-minute codes and the discipline has such codes). `day` and `compliance` as in `compute`."""
    services = list(services)

    def bill(trial: list[Service]) -> UnitResult:
        return compute(
            trial, rule, catalog, discipline=discipline, prefer=prefer, compare=False, day=day, compliance=compliance
        )

    now = bill(services)
    preferred = {catalog.base_of(catalog.get(c)).code if c in catalog else c for c in prefer}
    hints: list[Hint] = []
    seen: set[str] = set()
    for i, service in enumerate(services):
        base = catalog.base_of(service.spec)
        if not base.timed or base.code in seen:
            continue
        seen.add(base.code)
        current = now.service_units[base.code]

        def after(extra: int, i: int = i, service: Service = service) -> UnitResult:
            trial = list(services)
            trial[i] = replace(service, minutes=service.minutes + extra)
            return bill(trial)

        # One more unit of the code's own shape is always within this limit (15 min under the pool).
        extra = next(e for e in range(1, _search_limit(base) + 1) if after(e).service_units[base.code] > current)
        better = after(extra)
        hints.append(
            Hint(
                base.code,
                extra,
                better.service_units[base.code],
                better.total_units,
                now.total_units,
                base.addon_code,
                _tie_note(base.code, better, preferred),
            )
        )
    pools = any(catalog.base_of(s.spec).pooled for s in services)
    if rule is Rule.CMS and pools and _has_pool_codes(catalog, discipline, day):
        pooled = now.pooled_minutes
        extra = next(m for m in range(1, 16) if units_for(pooled + m) > units_for(pooled))
        hints.insert(0, Hint(None, extra, 0, now.total_units + 1, now.total_units))
    return hints
