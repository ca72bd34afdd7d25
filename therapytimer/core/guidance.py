""" "Next unit" guidance: how many more minutes bring the next billable unit.

Clinicians today do this arithmetic in their heads at the bedside. Every hint is found by asking the
engine itself (add a minute, recompute), so guidance can never disagree with the units billed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from therapytimer.core.catalog import Catalog, CodeSpec, Discipline
from therapytimer.core.rules import Rule, Service, UnitResult, compute, units_for
from therapytimer.core.words import plural


@dataclass(frozen=True)
class Hint:
    """`more_minutes` more of `code` (None: of any 15-minute code) make `code_units` / `total_units`."""

    code: str | None
    more_minutes: int
    code_units: int
    total_units: int
    total_now: int
    addon: str | None = None

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
        return f"{minutes} of {self.code} → {units} of {self.code}{pair} ({total})"

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


def next_units(
    services: Sequence[Service],
    rule: Rule,
    catalog: Catalog,
    *,
    discipline: Discipline | None = None,
    prefer: Sequence[str] = (),
) -> list[Hint]:
    """For each timed code, the fewest extra therapist minutes that raise its units; plus, under the
    Medicare rule, the fewest extra minutes of any 15-minute code that raise the total."""
    services = list(services)
    now = compute(services, rule, catalog, discipline=discipline, prefer=prefer, compare=False)
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
            return compute(trial, rule, catalog, discipline=discipline, prefer=prefer, compare=False)

        # One more unit of the code's own shape is always within this limit (15 min under the pool).
        extra = next(e for e in range(1, _search_limit(base) + 1) if after(e).service_units[base.code] > current)
        better = after(extra)
        hints.append(
            Hint(
                base.code, extra, better.service_units[base.code], better.total_units, now.total_units, base.addon_code
            )
        )
    if rule is Rule.CMS and any(catalog.base_of(s.spec).pooled for s in services):
        pooled = now.pooled_minutes
        extra = next(m for m in range(1, 16) if units_for(pooled + m) > units_for(pooled))
        hints.insert(0, Hint(None, extra, 0, now.total_units + 1, now.total_units))
    return hints
