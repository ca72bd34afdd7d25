"""Small helpers shared by the engine and CLI tests."""

from __future__ import annotations

from collections.abc import Mapping

from therapytimer.core.catalog import Catalog, Discipline, load_catalog
from therapytimer.core.rules import Rule, Service, UnitResult, compute

CATALOG = load_catalog(include_user=False)


def bill(
    minutes: Mapping[str, int],
    rule: str = "cms",
    assistant: Mapping[str, int] | None = None,
    discipline: str | None = None,
    catalog: Catalog = CATALOG,
    prefer: tuple[str, ...] = (),
) -> UnitResult:
    """Bill `minutes` per code (plus assistant-alone minutes) under `rule`."""
    assistant = assistant or {}
    codes = dict(minutes) | {c: minutes.get(c, 0) for c in assistant}
    services = [Service(catalog.get(c), m, assistant.get(c, 0)) for c, m in codes.items()]
    return compute(
        services,
        Rule(rule),
        catalog,
        discipline=Discipline(discipline) if discipline else None,
        prefer=prefer,
    )


def keyed_units(result: UnitResult) -> dict[str, int]:
    """Units per `CODE` or `CODE-CQ`/`CODE-CO` line, the shape of vectors.json."""
    out: dict[str, int] = {}
    for line in result.lines:
        mods = [m for m in line.modifiers if m in ("CQ", "CO")]
        key = line.code + (f"-{mods[0]}" if mods else "")
        out[key] = out.get(key, 0) + line.units
    return out
