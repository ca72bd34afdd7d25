"""The `therapytimer-sessions/1` file: sessions recorded elsewhere, and backups of our own.

Import is all or nothing: the whole file is validated first and every problem is reported with its
place (`sessions[3].codes[1].minutes: ...`); a key given twice in one object, which JSON readers settle by
silently keeping one, is such a problem too. A session without an `id` gets one derived from its
content, so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from therapytimer.core.catalog import CODE_PATTERN, Catalog, CodeError, Discipline
from therapytimer.core.compliance import Compliance, builtin
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.rules import ASSISTANT_MODIFIER, MAX_MINUTES, Rule
from therapytimer.core.session import (
    FORGOTTEN_AFTER,
    NOTE_MAX,
    PROVIDER_MAX,
    Session,
    SessionError,
    clean_patient,
    clean_text,
)

FORMAT = "therapytimer-sessions/1"
SESSION_KEYS = {
    "id",
    "patient",
    "discipline",
    "rule",
    "date",
    "provider",
    "payer",
    "codes",
    "note",
    "progress_report",
    "kx",
}
FLAGS = ("progress_report", "kx")  # true when the visit's progress report was written / KX was confirmed
CODE_KEYS = {"code", "minutes", "assistant_minutes"}
ID_MAX = 100
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ExchangeError(TherapyTimerError, ValueError):
    """The file cannot be imported; `problems` lists every one with its place."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportedCode:
    code: str
    minutes: int | None
    assistant_minutes: int | None


@dataclass(frozen=True)
class ImportedSession:
    id: str
    patient: str
    discipline: Discipline
    rule: Rule
    date: date
    provider: str
    codes: tuple[ImportedCode, ...]
    note: str
    payer: str | None = None
    progress_report: bool = False
    kx: bool = False


def _minutes(value: Any, where: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINUTES:
        problems.append(f"{where}: must be a whole number from 0 to {MAX_MINUTES}")
        return None
    return value


class _Object(dict[str, Any]):
    """A JSON object as read, remembering the keys the file gave more than once (the last value is kept)."""

    repeated: dict[str, int]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    counts = {} if len(obj) == len(pairs) else Counter(key for key, _ in pairs)
    obj.repeated = {key: n for key, n in counts.items() if n > 1}
    return obj


def _repeats(obj: _Object, where: str) -> list[str]:
    return [
        f"{where}: key {json.dumps(key, ensure_ascii=False)} appears {'twice' if n == 2 else f'{n} times'}"
        for key, n in obj.repeated.items()
    ]


def _repeated_keys(value: Any, where: str, problems: list[str]) -> None:
    """Name every key given twice in `value` and in everything inside it, in file order. A loop, not
    recursion: the reader accepts nesting almost as deep as the recursion limit."""
    stack = [(value, where)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _Object):
            problems.extend(_repeats(value, where))
            stack.extend(reversed([(v, f"{where}.{k}") for k, v in value.items() if isinstance(v, dict | list)]))
        elif isinstance(value, list):
            stack.extend(reversed([(v, f"{where}[{i}]") for i, v in enumerate(value) if isinstance(v, dict | list)]))


def _clean(value: str, key: str, where: str, limit: int, problems: list[str], *, multiline: bool = False) -> str:
    try:
        return clean_text(value, key, limit, multiline=multiline)
    except SessionError as exc:
        problems.append(f"{where}.{key}: {str(exc).removeprefix(key + ' ')}")
        return ""


def _shown(key: str) -> str:
    """A name from the file as it may be printed: escaped unless every character is printable."""
    return key if key.isprintable() else repr(key)


def _text(
    item: dict[str, Any], key: str, where: str, limit: int, problems: list[str], *, multiline: bool = False
) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        problems.append(f"{where}.{key}: must be text of at most {limit} characters")
        return ""
    return _clean(value, key, where, limit, problems, multiline=multiline)


def _session(
    item: Any, where: str, catalog: Catalog, problems: list[str], compliance: Compliance
) -> ImportedSession | None:
    if not isinstance(item, dict):
        problems.append(f"{where}: must be an object")
        return None
    before = len(problems)
    for key in sorted(set(item) - SESSION_KEYS):
        problems.append(f"{where}.{_shown(key)}: unknown field (fields are {', '.join(sorted(SESSION_KEYS))})")
    for key in ("patient", "discipline", "rule", "date", "codes"):
        if key not in item:
            problems.append(f"{where}.{key}: required")
    patient = ""
    if "patient" in item:
        try:
            given = item["patient"]
            patient = clean_patient(given if isinstance(given, str) else "")
        except SessionError as exc:
            problems.append(f"{where}.patient: {str(exc).removeprefix('patient alias ')}")
    discipline = item.get("discipline")
    if "discipline" in item and not (isinstance(discipline, str) and discipline in set(Discipline)):
        problems.append(f"{where}.discipline: must be PT, OT or SLP")
    rule = item.get("rule")
    if "rule" in item and not (isinstance(rule, str) and rule in set(Rule)):
        problems.append(f"{where}.rule: must be cms or ama")
    day: date | None = None
    if "date" in item:
        text = item["date"]
        try:  # exactly YYYY-MM-DD: fromisoformat alone also takes week dates such as 2026-W48-1
            day = date.fromisoformat(text) if isinstance(text, str) and DATE_PATTERN.match(text) else None
        except ValueError:
            day = None
        if day is None:
            problems.append(f"{where}.date: must be a date as YYYY-MM-DD")
    provider = _text(item, "provider", where, PROVIDER_MAX, problems)
    payer = _text(item, "payer", where, PROVIDER_MAX, problems) or None
    note = _text(item, "note", where, NOTE_MAX, problems, multiline=True)
    flags = {}
    for key in FLAGS:
        flags[key] = item.get(key, False)
        if not isinstance(flags[key], bool):
            problems.append(f"{where}.{key}: must be true or false")
    session_id = item.get("id")
    if session_id is not None and (not isinstance(session_id, str) or not 1 <= len(session_id) <= ID_MAX):
        problems.append(f"{where}.id: must be text of 1 to {ID_MAX} characters")
    elif session_id is not None:  # only checked: an id is matched exactly against stored ones, never rewritten
        _clean(session_id, "id", where, ID_MAX, problems)
    codes_in = item.get("codes", [])
    codes: list[ImportedCode] = []
    if not isinstance(codes_in, list):
        problems.append(f"{where}.codes: must be a list")
        codes_in = []
    seen: set[str] = set()
    for j, entry in enumerate(codes_in):
        at = f"{where}.codes[{j}]"
        if not isinstance(entry, dict):
            problems.append(f"{at}: must be an object")
            continue
        for key in sorted(set(entry) - CODE_KEYS):
            problems.append(f"{at}.{_shown(key)}: unknown field (fields are code, minutes, assistant_minutes)")
        code = entry.get("code")
        if not isinstance(code, str):
            problems.append(f'{at}.code: required, as text such as "97110"')
            continue
        code = code.strip().upper()
        if not CODE_PATTERN.match(code):  # shown escaped: an ESC sequence must not reach the terminal
            problems.append(f"{at}.code: {code!r} is not a code (five digits, or a letter and four digits)")
            continue
        try:
            catalog.lookup(code, day) if day else catalog.get(code)
        except CodeError as exc:
            problems.append(f"{at}.code: {exc}")
            continue
        if code in seen:
            problems.append(f"{at}.code: {code} appears twice in this session; give its minutes once")
        seen.add(code)
        minutes = _minutes(entry.get("minutes"), f"{at}.minutes", problems)
        assistant = _minutes(entry.get("assistant_minutes"), f"{at}.assistant_minutes", problems)
        refusal = compliance.refusal(code) if assistant else None
        if refusal:  # an evaluation: an entry error whatever the discipline
            problems.append(f"{at}.assistant_minutes: {refusal}")
        elif assistant and discipline in set(Discipline) and Discipline(discipline) not in ASSISTANT_MODIFIER:
            problems.append(f"{at}.assistant_minutes: {discipline} has no assistant modifier (CQ is PT, CO is OT)")
        codes.append(ImportedCode(code, minutes, assistant))
    if len(problems) > before or day is None:
        return None
    assert isinstance(discipline, str) and isinstance(rule, str)
    fields = (
        patient,
        discipline,
        rule,
        day.isoformat(),
        provider,
        [(c.code, c.minutes, c.assistant_minutes) for c in codes],
        note,
        payer,
        *[key for key in FLAGS if flags[key]],  # only when set: files from before the flags keep their ids
    )
    derived = "import-" + hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:32]
    return ImportedSession(
        session_id or derived,
        patient,
        Discipline(discipline),
        Rule(rule),
        day,
        provider,
        tuple(codes),
        note,
        payer,
        flags["progress_report"],
        flags["kx"],
    )


def parse_sessions(text: str, catalog: Catalog, compliance: Compliance | None = None) -> list[ImportedSession]:
    """Validate a whole `therapytimer-sessions/1` document; raises ExchangeError listing every problem.
    `compliance` says which codes an assistant may not furnish (None: the built-in table)."""
    try:
        data = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ExchangeError([f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    except (ValueError, RecursionError):  # a number of thousands of digits, or nesting thousands deep
        raise ExchangeError(["not valid JSON for TherapyTimer: a number is too long or nesting too deep"]) from None
    if not isinstance(data, _Object):  # every JSON object is read as one
        raise ExchangeError(['the file must hold one JSON object with "format" and "sessions"'])
    problems = _repeats(data, "top level")  # with the first problem found, as it may be the cause
    for key, value in data.items():
        if key != "sessions":  # a session's are named with its other problems
            _repeated_keys(value, key, problems)
    if data.get("format") != FORMAT:
        raise ExchangeError([*problems, f"format: must be {FORMAT!r} (found {data.get('format')!r})"])
    sessions = data.get("sessions")
    if not isinstance(sessions, list):
        raise ExchangeError([*problems, "sessions: must be a list"])
    for key in sorted(set(data) - {"format", "sessions"}):
        problems.append(f"{_shown(key)}: unknown field")
    parsed = []
    for i, item in enumerate(sessions):
        _repeated_keys(item, f"sessions[{i}]", problems)
        parsed.append(_session(item, f"sessions[{i}]", catalog, problems, compliance or builtin()))
    ids: dict[str, int] = {}
    derived: dict[str, int] = {}
    for i, s in enumerate(parsed):
        if s is None:
            continue
        if sessions[i].get("id") is None:  # the same visit twice in a file: number the repeats
            derived[s.id] = derived.get(s.id, 0) + 1
            if derived[s.id] > 1:
                s = parsed[i] = replace(s, id=f"{s.id}-{derived[s.id]}")
        if s.id in ids:
            problems.append(f"sessions[{i}].id: {s.id!r} is also used by sessions[{ids[s.id]}]")
        ids.setdefault(s.id, i)
    if problems:
        raise ExchangeError(problems)
    return [s for s in parsed if s is not None]


def dump_sessions(sessions: Sequence[Session], now: datetime, limit: timedelta = FORGOTTEN_AFTER) -> dict[str, Any]:
    """Sessions as a `therapytimer-sessions/1` document: whole minutes per code, as billed (a running timer up
    to the forgotten-timer `limit`)."""
    out = []
    for s in sessions:
        codes = []
        for code, t in s.times(now, limit).items():
            entry: dict[str, Any] = {"code": code, "minutes": t.minutes}
            if t.assistant_minutes:
                entry["assistant_minutes"] = t.assistant_minutes
            codes.append(entry)
        item: dict[str, Any] = {
            "id": s.id,
            "patient": s.patient,
            "discipline": s.discipline.value,
            "rule": s.rule.value,
            "date": s.date.isoformat(),
        }
        if s.provider:
            item["provider"] = s.provider
        if s.payer:
            item["payer"] = s.payer
        item["codes"] = codes
        if s.note:
            item["note"] = s.note
        if s.progress_report:
            item["progress_report"] = True
        if s.kx:
            item["kx"] = True
        out.append(item)
    return {"format": FORMAT, "sessions": out}
