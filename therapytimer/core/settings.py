"""User settings: one small object, stored as JSON in the config folder, passed in (never global).

Each field is parsed and checked on its own, so a bad field (a typo, a hand edit, a hostile file) costs only
that field: it falls back to its default, is reported once as one line naming the file and the field, and
the rest of the file is kept. The file's top level is split into its fields without recursion and a field
nested too deeply is never handed to the JSON parser, so no file can make loading raise. A file that is
too large, not JSON or not an object gives the defaults and one line. Either way a bad settings file never
keeps a clinician from working. Saving writes a temporary file and renames it into place.
"""

from __future__ import annotations

import json
import json.decoder
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from therapytimer.core.catalog import CODE_PATTERN, MAX_FEE, Discipline
from therapytimer.core.files import discard, make_private_dirs, new_temp
from therapytimer.core.session import FORGOTTEN_AFTER, PROVIDER_MAX, Role, clean_text

MAX_FILE_BYTES = 256 * 1024  # a real settings file is about 2 KiB
MAX_DEPTH = 8  # the deepest real field (favorites) nests 2 levels
PAYER_MAX = 80
GEOMETRY_MAX = 4096  # Qt's saved geometry is about 70 characters of base64
CODES_MAX = 100  # favorite or untimed buttons per discipline
FORGOTTEN_RANGE = (5, 24 * 60)
FOLDER_MAX = 4096  # characters: longer than any path a system accepts
TEXT_SIZE_RANGE = (100, 200)  # percent of the platform's text size: 200 % for a clinician reading from 2 m
EXAMPLES = 3  # bad entries quoted in a problem line; the rest are counted
CENT = Decimal("0.01")
FEE_TEXT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?")
BASE64 = re.compile(r"[A-Za-z0-9+/=]*")
_E = TypeVar("_E", bound=StrEnum)

DEFAULT_FAVORITES = {
    "PT": ["97110", "97112", "97140", "97530", "97116", "97535"],
    "OT": ["97530", "97535", "97110", "97112", "97140", "97533"],
    "SLP": ["97129", "92526", "92507", "96105"],
}
DEFAULT_UNTIMED = {
    "PT": ["97161", "97162", "97163", "97164", "97150", "G0283"],
    "OT": ["97165", "97166", "97167", "97168", "97150", "G0283"],
    "SLP": ["92521", "92522", "92523", "92524", "92526", "92507"],
}


class WeekStart(StrEnum):
    MONDAY = "monday"
    SUNDAY = "sunday"


class Theme(StrEnum):
    SYSTEM = "system"  # the platform's colours (follows its light or dark mode)
    LIGHT = "light"
    DARK = "dark"


@dataclass
class Settings:
    default_payer: str = "Medicare"
    provider: str = ""
    role: Role = Role.THERAPIST
    exclusive_timers: bool = True  # one-on-one: starting a timer pauses the others
    assistants: bool = False  # show "who is treating" on running timers
    favorites: dict[str, list[str]] = field(default_factory=lambda: _copy(DEFAULT_FAVORITES))
    untimed: dict[str, list[str]] = field(default_factory=lambda: _copy(DEFAULT_UNTIMED))
    fees: dict[str, Decimal] = field(default_factory=dict)  # the clinic's own fee per code, for revenue estimates
    week_start: WeekStart = WeekStart.MONDAY
    sound: bool = False
    forgotten_minutes: int = int(FORGOTTEN_AFTER.total_seconds() // 60)
    last_discipline: Discipline = Discipline.PT
    window_geometry: str = ""
    clinician_asked: bool = False  # the window asked for the clinician's name once (on its first start)
    theme: Theme = Theme.SYSTEM
    text_size: int = 100  # percent of the platform's text size
    export_folder: str = ""  # where the last export went: the next one starts there
    compact_on_top: bool = True  # the compact window stays above the EMR

    @classmethod
    def load(cls, path: Path) -> tuple[Settings, list[str]]:
        """Settings from `path` (the defaults if there is none) and one line per problem found.

        Only the first MAX_FILE_BYTES + 1 bytes are read, so a huge file costs no time or memory."""
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
                size = max(os.fstat(handle.fileno()).st_size, len(data))
        except FileNotFoundError:
            return cls(), []
        except OSError as exc:
            return cls(), [f"{path}: cannot be read ({exc.strerror or exc}); using the default settings"]
        if len(data) > MAX_FILE_BYTES:
            return cls(), [
                f"{path}: {size:,} bytes, more than a settings file may have ({MAX_FILE_BYTES:,}); "
                "using the default settings"
            ]
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return cls(), [f"{path}: not UTF-8 text; using the default settings"]
        return cls.from_json(text, str(path))

    @classmethod
    def from_json(cls, text: str, source: str) -> tuple[Settings, list[str]]:
        """Settings from the JSON `text` of the file named `source` (used in the problem lines)."""
        try:
            members = [
                (key, depth, _decode(key, text, start, end) if depth <= MAX_DEPTH else None)
                for key, start, end, depth in _members(text)
            ]
        except json.JSONDecodeError as exc:
            return cls(), [
                f'{source}: not a JSON object such as {{"provider": "Dana Lee"}} ({exc.msg}: line {exc.lineno} '
                f"column {exc.colno}); using the default settings"
            ]
        problems: list[str] = []

        def report(name: str, message: str, outcome: str = "using the default") -> None:
            problems.append(f"{source}: {name}: {message}; {outcome}")

        counts = Counter(key for key, _, _ in members)
        values: dict[str, Any] = {}
        for key, depth, value in members:
            parse = _FIELDS.get(key)
            if parse is None or counts[key] == 0:
                continue  # unknown (a newer version's), or a repeated key already reported
            if counts[key] > 1:
                report(key, f"given {counts[key]} times")
                counts[key] = 0
            elif depth > MAX_DEPTH:
                report(key, f"nested more than {MAX_DEPTH} levels deep")
            elif value is _UNREADABLE:
                report(key, "holds a number too long to read")
            else:
                try:
                    values[key] = parse(value, report)
                except ValueError as exc:
                    report(key, str(exc))
        return cls(**values), problems

    def to_json(self) -> str:
        """The file's text; fees are written as text ("30.00"), so no amount ever passes through a float."""
        data = asdict(self)
        data["fees"] = {code: str(fee) for code, fee in self.fees.items()}
        return json.dumps(data, indent=2, sort_keys=True)

    def save(self, path: Path) -> None:
        """Write atomically (temporary file, then rename); folders are created owner-only."""
        make_private_dirs(path.parent)
        tmp = new_temp(path)
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(self.to_json())
            os.replace(tmp, path)
        finally:
            discard(tmp)


# ---- what each field may hold: one function per rule, shared with the settings dialog ----------


def parse_code(value: object) -> str:
    """A billing code as the catalog writes it: five digits, or a capital letter and four digits."""
    if isinstance(value, str) and value.isascii() and CODE_PATTERN.fullmatch(value):
        return value
    raise ValueError("must be a code such as 97110 or G0283")


def parse_fee(value: object) -> Decimal:
    """An amount such as "30.00": 0 to MAX_FEE in whole cents, so a revenue sum can never overflow or hold part of a
    cent. The settings file and the settings dialog both use it: one place says what a fee is."""
    text = value.strip() if isinstance(value, str) else str(value) if isinstance(value, Decimal) else ""
    if FEE_TEXT.fullmatch(text):
        amount = Decimal(text)
        cents = amount.quantize(CENT)
        if amount <= MAX_FEE and cents == amount:
            return cents
    raise ValueError(f'must be an amount from 0 to {MAX_FEE} in whole cents, such as "30.00"')


def parse_provider(value: object) -> str:
    """The clinician's name as the bill shows it (may be empty)."""
    return _text(value, 0, PROVIDER_MAX)


def _text(value: object, shortest: int, longest: int) -> str:
    """One line of plain text, checked as the store checks what the window types (`clean_text`)."""
    if not isinstance(value, str):
        raise ValueError(f"must be text of {shortest} to {longest} characters")
    return clean_text(value, "", longest, required=shortest > 0)


def _codes(value: object) -> list[str]:
    if isinstance(value, list) and len(value) <= CODES_MAX:
        try:
            return [parse_code(code) for code in value]
        except ValueError:
            pass
    raise ValueError(f'must be a list of codes such as ["97110"] (at most {CODES_MAX})')


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false (without quotes)")


def _minutes(value: object) -> int:
    low, high = FORGOTTEN_RANGE
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    raise ValueError(f"must be a whole number of minutes from {low} to {high}")


def _text_size(value: object) -> int:
    """The text size in percent of the platform's; outside the range is the default, not the nearest limit."""
    low, high = TEXT_SIZE_RANGE
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    raise ValueError(f"must be a whole percentage from {low} to {high}")


def _geometry(value: object) -> str:
    """Qt's saved window geometry in base64; anything else could not be restored."""
    if isinstance(value, str) and len(value) <= GEOMETRY_MAX and BASE64.fullmatch(value):
        return value
    raise ValueError(f"must be the window's saved geometry (base64 text of at most {GEOMETRY_MAX} characters)")


def _folder(value: object) -> str:
    """A folder as the system named it: one line, any characters a file name may hold (spaces, accents)."""
    if isinstance(value, str) and len(value) <= FOLDER_MAX and not any(c in value for c in "\x00\n\r"):
        return value
    raise ValueError(f"must be a folder path: one line of at most {FOLDER_MAX} characters")


def _choice(kind: type[_E]) -> Callable[[object], _E]:
    def parse(value: object) -> _E:
        if isinstance(value, str) and value in {member.value for member in kind}:
            return kind(value)
        names = [f'"{member.value}"' for member in kind]
        raise ValueError(f"must be {', '.join(names[:-1])} or {names[-1]}")

    return parse


def _per_discipline(name: str, defaults: dict[str, list[str]]) -> _Parse:
    """Codes per discipline, each discipline a field of its own (`favorites.PT`): a bad one costs only itself."""

    def parse(value: object, report: _Report) -> dict[str, list[str]]:
        if not isinstance(value, dict):
            raise ValueError('must be an object such as {"PT": ["97110"], "OT": ["97530"]}')
        result = _copy(defaults)
        for discipline in Discipline:
            if discipline.value in value:
                try:
                    result[discipline.value] = _codes(value[discipline.value])
                except ValueError as exc:
                    report(f"{name}.{discipline.value}", str(exc))
        return result

    return parse


def _fees(value: object, report: _Report) -> dict[str, Decimal]:
    """Code → amount. Each entry stands alone: the bad ones are left out, reported in one line however many."""
    if not isinstance(value, dict):
        raise ValueError('must be an object of codes and amounts such as {"97110": "30.00"}')
    fees: dict[str, Decimal] = {}
    bad: list[str] = []
    for code, amount in value.items():
        try:
            fees[parse_code(code)] = parse_fee(amount)
        except ValueError:
            bad.append(f"{_show(code)}: {_show(amount)}")
    if bad:
        count = "1 entry is" if len(bad) == 1 else f"{len(bad)} entries are"
        more = f" and {len(bad) - EXAMPLES} more" if len(bad) > EXAMPLES else ""
        report(
            "fees",
            f'{count} not a code with an amount from 0 to {MAX_FEE} in whole cents such as "97110": "30.00" '
            f"({', '.join(bad[:EXAMPLES])}{more})",
            "left out",
        )
    return fees


def _show(value: object) -> str:
    """A value as JSON, short and ASCII-only, so a problem line cannot hide or flood anything."""
    text = str(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 24 else text[:23] + "…"


def _copy(codes: dict[str, list[str]]) -> dict[str, list[str]]:
    return {discipline: list(values) for discipline, values in codes.items()}


def _simple(parse: Callable[[object], object]) -> _Parse:
    return lambda value, _report: parse(value)


class _Report(Protocol):
    def __call__(self, name: str, message: str, outcome: str = ...) -> None: ...


_Parse = Callable[[object, _Report], object]
_FIELDS: dict[str, _Parse] = {
    "default_payer": _simple(lambda value: _text(value, 1, PAYER_MAX)),
    "provider": _simple(parse_provider),
    "role": _simple(_choice(Role)),
    "exclusive_timers": _simple(_flag),
    "assistants": _simple(_flag),
    "favorites": _per_discipline("favorites", DEFAULT_FAVORITES),
    "untimed": _per_discipline("untimed", DEFAULT_UNTIMED),
    "fees": _fees,
    "week_start": _simple(_choice(WeekStart)),
    "sound": _simple(_flag),
    "forgotten_minutes": _simple(_minutes),
    "last_discipline": _simple(_choice(Discipline)),
    "window_geometry": _simple(_geometry),
    "clinician_asked": _simple(_flag),
    "theme": _simple(_choice(Theme)),
    "text_size": _simple(_text_size),
    "export_folder": _simple(_folder),
    "compact_on_top": _simple(_flag),
}
assert set(_FIELDS) == {f.name for f in fields(Settings)}, "every field has its rule"


# ---- the file's top level, split into fields without recursion ----------------------------------

_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_UNREADABLE = object()  # valid JSON that Python cannot hold: an integer of thousands of digits
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r'[^\s,:\[\]{}"]+')
_PLAIN = re.compile(r'[^"\[\]{}]*')  # inside a container: everything but strings and brackets


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where a run of `pattern` (which also matches nothing) starting at `pos` ends."""
    match = pattern.match(text, pos)
    assert match is not None, "the pattern matches the empty string"
    return match.end()


def _members(text: str) -> list[tuple[str, int, int, int]]:
    """The top-level object's (key, value start, value end, nesting depth) in file order.

    JSONDecodeError if `text` is not one JSON object."""
    pos = _skip(_WHITESPACE, text, 0)
    if text[pos : pos + 1] != "{":
        raise json.JSONDecodeError("Expecting '{'", text, pos)
    pos = _skip(_WHITESPACE, text, pos + 1)
    members: list[tuple[str, int, int, int]] = []
    if text[pos : pos + 1] == "}":
        pos += 1
    else:
        while True:
            if text[pos : pos + 1] != '"':
                raise json.JSONDecodeError("Expecting a quoted key", text, pos)
            key, pos = _scanstring(text, pos + 1)
            pos = _skip(_WHITESPACE, text, pos)
            if text[pos : pos + 1] != ":":
                raise json.JSONDecodeError("Expecting ':'", text, pos)
            start = _skip(_WHITESPACE, text, pos + 1)
            pos, depth = _value_end(text, start)
            members.append((key, start, pos, depth))
            pos = _skip(_WHITESPACE, text, pos)
            if text[pos : pos + 1] == "}":
                pos += 1
                break
            if text[pos : pos + 1] != ",":
                raise json.JSONDecodeError("Expecting ',' or '}'", text, pos)
            pos = _skip(_WHITESPACE, text, pos + 1)
    pos = _skip(_WHITESPACE, text, pos)
    if pos != len(text):
        raise json.JSONDecodeError("Extra data", text, pos)
    return members


def _value_end(text: str, pos: int) -> tuple[int, int]:
    """Where the JSON value at `pos` ends and how deeply it nests, by counting brackets (no recursion).

    Only the extent is found here; a value shallow enough to parse is checked by json.loads afterwards."""
    first = text[pos : pos + 1]
    if first == '"':
        return _scanstring(text, pos + 1)[1], 0
    if first not in ("[", "{"):
        scalar = _SCALAR.match(text, pos)
        if scalar is None:
            raise json.JSONDecodeError("Expecting value", text, pos)
        return scalar.end(), 0
    start, depth, deepest = pos, 0, 0
    while True:
        ch = text[pos : pos + 1]
        if ch in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
            pos += 1
        elif ch in ("]", "}"):
            depth -= 1
            pos += 1
            if depth == 0:
                return pos, deepest
        elif ch == '"':
            pos = _scanstring(text, pos + 1)[1]
        elif ch:
            pos = _skip(_PLAIN, text, pos)
        else:
            raise json.JSONDecodeError("Unterminated value", text, start)


def _decode(key: str, text: str, start: int, end: int) -> object:
    """One field's value. Amounts become Decimal straight from their digits (never a float)."""
    span = text[start:end]
    try:
        if key == "fees":
            return json.loads(span, parse_float=Decimal, parse_int=Decimal)
        return json.loads(span)
    except json.JSONDecodeError as exc:
        raise json.JSONDecodeError(exc.msg, text, start + exc.pos) from None  # where it is in the file
    except (ValueError, RecursionError):
        return _UNREADABLE
