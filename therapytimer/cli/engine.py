"""`units` and `codes`: answers from the catalog and the rules engine alone.

They import neither Qt nor the storage layer, so `therapytimer units` starts fast.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from therapytimer.cli.common import UsageError, explained, table
from therapytimer.core.catalog import CODE_PATTERN, Catalog, CodeError, Discipline
from therapytimer.core.compliance import Compliance
from therapytimer.core.guidance import next_units
from therapytimer.core.rules import MAX_MINUTES, Rule, RuleInputError, Service, UnitResult, compute
from therapytimer.paths import user_catalog_path

NAME_WIDTH = 48  # the built-in names fit; longer user names are shortened with an ellipsis


def _parse_code_minutes(arg: str, *, need_minutes: bool, label: str = "") -> tuple[str, int | None]:
    """`97110=23` → ("97110", 23); `97161` → ("97161", None). Raises UsageError naming `arg`."""
    where = f"{label}{arg}"
    code, sep, minutes = arg.partition("=")
    code = code.strip().upper()
    if not CODE_PATTERN.match(code):
        raise UsageError(f"{where}: {code!r} is not a code (5 characters: five digits, or a letter and four digits)")
    if not sep:
        if need_minutes:
            raise UsageError(f"{where}: give the minutes as {code}=MIN")
        return code, None
    minutes = minutes.strip()
    if not (minutes.isascii() and minutes.isdecimal()) or len(minutes) > 4 or int(minutes) > MAX_MINUTES:
        raise UsageError(f"{where}: minutes must be a whole number from 0 to {MAX_MINUTES}")
    return code, int(minutes)


def _services(args: argparse.Namespace, catalog: Catalog, compliance: Compliance) -> list[Service]:
    if not args.codes:
        raise UsageError("units: give at least one code, e.g. therapytimer units 97110=23")
    minutes: dict[str, int] = {}
    specs = {}
    for arg in args.codes:
        code, value = _parse_code_minutes(arg, need_minutes=False)
        if code in minutes:
            raise UsageError(f"{arg}: {code} is given twice; give each code once")
        if code not in catalog:
            raise UsageError(f"{arg}: {code} is not in the code catalog (list codes with: therapytimer codes)")
        try:
            spec = catalog.lookup(code, args.date)
        except CodeError as exc:
            raise UsageError(f"{arg}: {exc}") from None
        if value is None and spec.timed:
            raise UsageError(f"{arg}: {code} is a timed code; give its minutes as {code}=MIN")
        minutes[code], specs[code] = value or 0, spec
    assistant: dict[str, int] = {}
    for arg in args.assistant:
        code, value = _parse_code_minutes(arg, need_minutes=True, label="--assistant ")
        if code not in minutes:
            raise UsageError(f"--assistant {arg}: {code} is not among the codes given; list it too, e.g. {code}=0")
        if code in assistant:
            raise UsageError(f"--assistant {arg}: {code} is given twice")
        refusal = compliance.refusal(code) if value else None
        if refusal:
            raise UsageError(f"--assistant {arg}: {refusal}")
        assistant[code] = value or 0
    for code in args.prefer:
        if code.upper() not in minutes:
            raise UsageError(f"--prefer {code}: not among the codes given")
    return [Service(specs[c], m, assistant.get(c, 0)) for c, m in minutes.items()]


def _human(result: UnitResult, hints: list[str], day: date) -> str:
    parts = [result.rule.long_name, day.isoformat()] + ([result.discipline.value] if result.discipline else [])
    head = " · ".join(parts)
    rows = [("CODE", "NAME", "MIN", "UNITS", "MODIFIERS")]
    for ln in result.lines:
        name = ln.short_name if len(ln.short_name) <= NAME_WIDTH else ln.short_name[: NAME_WIDTH - 1] + "…"
        rows.append((ln.code, name, str(ln.minutes), str(ln.units), " ".join(ln.modifiers)))
    out = [head, "", *table(rows, {2, 3}), ""]
    out.append(
        f"Total timed minutes {result.total_timed_minutes} · total treatment minutes "
        f"{result.total_treatment_minutes} · total units {result.total_units}"
    )
    sections = [("Why", list(result.explanation)), ("Next unit", hints), ("Warnings", list(result.warnings))]
    for title, items in sections:
        if items:
            out += ["", title, *(f"  - {item}" for item in items)]
    return "\n".join(out)


def cmd_units(args: argparse.Namespace) -> int:
    catalog, compliance = args.context.catalog, args.context.compliance
    args.date = args.date or args.context.clock.today()
    services = _services(args, catalog, compliance)
    discipline = Discipline(args.discipline) if args.discipline else None
    rule, prefer, day = Rule(args.rule), [c.upper() for c in args.prefer], args.date
    try:
        result = compute(services, rule, catalog, discipline=discipline, prefer=prefer, day=day, compliance=compliance)
    except RuleInputError as exc:
        raise UsageError(explained(exc, "units")) from None
    hints = next_units(services, rule, catalog, discipline=discipline, prefer=prefer, day=day, compliance=compliance)
    if args.json:
        payload = result.to_dict()
        payload["date"] = args.date.isoformat()
        payload["next_unit"] = [h.to_dict() for h in hints]
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(_human(result, [h.text() for h in hints], args.date))
    return 0


def cmd_codes(args: argparse.Namespace) -> int:
    catalog = args.context.catalog
    args.date = args.date or args.context.clock.today()
    specs = catalog.search(args.search or "", None if args.all else args.date)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "code": s.code,
                        "short_name": s.short_name,
                        "kind": s.kind.value,
                        "shape": s.shape(),
                        "disciplines": s.discipline_text().split(),
                        "valid_from": s.valid_from.isoformat() if s.valid_from else None,
                        "valid_to": s.valid_to.isoformat() if s.valid_to else None,
                        "default_fee_usd": str(s.default_fee) if s.default_fee is not None else None,
                        "source": s.source,
                        **({"replaces": s.replaces} if s.replaces else {}),  # "built-in": this row replaces it
                    }
                    for s in specs
                ],
                ensure_ascii=False,
            )
        )
        return 0
    rows = [("CODE", "NAME", "SHAPE", "FOR", "FEE", "DATES")]
    for s in specs:
        fee = f"{s.default_fee:.2f}" if s.default_fee is not None else "-"
        rows.append((s.code, s.short_name, s.shape(), s.discipline_text(), fee, s.validity()))
    print("\n".join(table(rows, {4})))
    path = user_catalog_path()
    state = "loaded" if path.exists() else "not present"
    print(f"\n{len(specs)} codes. User catalog ({state}): {path}")
    for note in catalog.notes:
        print(note)
    return 0
