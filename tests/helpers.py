"""Small helpers shared by the tests: billing a day, keyed units, old-schema files, a workspace."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlite_utils import Database

from therapytimer.core.catalog import Catalog, Discipline, load_catalog
from therapytimer.core.clock import Clock
from therapytimer.core.rules import Rule, Service, UnitResult, compute
from therapytimer.core.settings import Settings
from therapytimer.services.context import Context
from therapytimer.services.preferences import Preferences
from therapytimer.services.workspace import Workspace
from therapytimer.storage.database import MIGRATIONS

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


def first_schema_database(path: Path, session_id: str, day: str) -> Database:
    """A database at schema 0001 (before payer profiles) holding one PT session, for upgrade tests."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="0002_payers_and_day_index")
    db.table("sessions").insert(
        {
            "id": session_id,
            "patient": "MT",
            "discipline": "PT",
            "rule": "cms",
            "date": day,
            "created_at": f"{day}T15:00:00.000000Z",
        }
    )
    return db


def open_workspace(path: Path, clock: Clock, *, settings: Settings | None = None, create: bool = True) -> Workspace:
    """A workspace on the database at `path` with the built-in catalog and `settings` (defaults), as the
    faces open one; settings changes are saved beside the database."""
    prefs = Preferences(settings or Settings(), CATALOG, path.parent / "settings.json")
    context = Context(path, prefs, clock, path.parent / "log")
    return Workspace.open(context, create=create)
