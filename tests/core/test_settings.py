"""Settings: defaults, each field checked on its own, a bad file never blocks work, atomic saves."""

from __future__ import annotations

import json
import re
import stat
import tempfile
import types
import typing
from dataclasses import fields
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from therapytimer.core.catalog import Discipline
from therapytimer.core.session import Role
from therapytimer.core.settings import (
    CODES_MAX,
    DEFAULT_FAVORITES,
    DEFAULT_UNTIMED,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    Settings,
    Theme,
    WeekStart,
    parse_code,
    parse_fee,
    parse_provider,
)

SOURCE = "/clinic/settings.json"
FIELD_NAMES = [f.name for f in fields(Settings)]
DEEP = "[" * 100_000 + "]" * 100_000


def load(document: dict[str, Any] | str) -> tuple[Settings, list[str]]:
    return Settings.from_json(document if isinstance(document, str) else json.dumps(document), SOURCE)


def named(problems: list[str]) -> list[str]:
    """The field each problem line names (`<file>: <field>: ...`)."""
    assert all(p.startswith(f"{SOURCE}: ") for p in problems)
    return [p.split(": ")[1] for p in problems]


# ---- the file as a whole -----------------------------------------------------------------------------


def test_defaults_when_no_file(tmp_path: Path) -> None:
    settings, problems = Settings.load(tmp_path / "settings.json")
    assert problems == []
    assert settings.exclusive_timers and settings.forgotten_minutes == 90 and settings.week_start is WeekStart.MONDAY
    assert settings.role is Role.THERAPIST and settings.last_discipline is Discipline.PT
    assert settings.theme is Theme.SYSTEM and settings.text_size == 100
    assert settings.favorites["PT"] == DEFAULT_FAVORITES["PT"]
    assert settings.favorites is not Settings().favorites  # no shared mutable default
    assert settings.favorites["PT"] is not DEFAULT_FAVORITES["PT"]


@pytest.mark.posix  # file modes, links or devices: not what Windows has
def test_round_trip_and_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    settings = Settings(
        provider="Dana Lee",
        sound=True,
        week_start=WeekStart.SUNDAY,
        role=Role.ASSISTANT,
        last_discipline=Discipline.SLP,
        favorites={"PT": ["97110"], "OT": [], "SLP": ["92507"]},
        fees={"97110": Decimal("30.00"), "G0283": Decimal("0.50")},
        forgotten_minutes=1440,
        window_geometry="AdnQywADAAA=",
        theme=Theme.DARK,
        text_size=175,
    )
    settings.save(path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["fees"] == {"97110": "30.00", "G0283": "0.50"}  # text, never floats
    assert json.loads(path.read_text())["role"] == "assistant"
    assert json.loads(path.read_text())["theme"] == "dark"
    assert Settings.load(path) == (settings, [])
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    """A newer version may add settings; this one keeps working with its file."""
    settings, problems = load({"colour": [1, {"x": None}], "deep": json.loads("[" * 50 + "]" * 50), "sound": True})
    assert problems == [] and settings == Settings(sound=True)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "Expecting a quoted key: line 1 column 2"),
        ("[1, 2]", "Expecting '{': line 1 column 1"),
        ("", "Expecting '{'"),
        ('"provider"', "Expecting '{'"),
        ('{"provider": "Kim"} {}', "Extra data: line 1 column 21"),
        ('{"provider" "Kim"}', "Expecting ':'"),
        ('{"provider": "Kim" "sound": true}', "Expecting ',' or '}'"),
        ('{"provider": }', "Expecting value"),
        ('{"provider": "Kim', "Unterminated string"),
        ('{"favorites": {"PT": ["97110"]', "Unterminated value"),
        ('{"favorites": {"PT": ["97110",, "97112"]},\n "provider": "Kim"}', "Expecting value: line 1 column 31"),
        ('{"sound": tru}', "Expecting value"),
        ('{"colour": [1,, 2]}', "Expecting value"),  # an unknown key must still be JSON
        (DEEP, "Expecting '{'"),
    ],
    ids=[
        "not JSON",
        "a list",
        "empty",
        "a string",
        "extra data",
        "no colon",
        "no comma",
        "no value",
        "open string",
        "open object",
        "bad value",
        "bad literal",
        "bad unknown value",
        "nested 100000 deep",
    ],
)
def test_a_file_that_is_not_a_json_object_gives_defaults_and_one_line(text: str, why: str) -> None:
    settings, problems = load(text)
    assert settings == Settings() and len(problems) == 1
    assert problems[0].startswith(f"{SOURCE}: not a JSON object such as") and why in problems[0]
    assert problems[0].endswith("; using the default settings")


def test_empty_object_and_whitespace_are_fine() -> None:
    assert load(" \n{ }\r\n\t") == (Settings(), [])


def test_an_oversize_file_gives_defaults_and_one_line_naming_its_size(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"provider": "Kim", "colour": "x" * MAX_FILE_BYTES}))
    size = path.stat().st_size
    settings, problems = Settings.load(path)
    assert settings == Settings()
    assert problems == [
        f"{path}: {size:,} bytes, more than a settings file may have (262,144); using the default settings"
    ]


def test_two_million_fee_entries_give_one_line(tmp_path: Path) -> None:
    """2.2 million entries once gave 2.2 million warning lines and an 8.6 s start."""
    path = tmp_path / "settings.json"
    path.write_text('{"fees": {' + ", ".join(f'"X{n % 10_000:04d}": "1.00"' for n in range(2_200_000)) + "}}")
    size = path.stat().st_size
    assert Settings.load(path) == (
        Settings(),
        [f"{path}: {size:,} bytes, more than a settings file may have (262,144); using the default settings"],
    )


def test_unreadable_and_non_utf8_files_give_defaults_and_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "settings.json"
    folder.mkdir()
    settings, problems = Settings.load(folder)
    assert settings == Settings() and problems == [
        f"{folder}: cannot be read (Is a directory); using the default settings"
    ]
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"provider": "Zoë"}'.encode("latin-1"))
    assert Settings.load(latin) == (Settings(), [f"{latin}: not UTF-8 text; using the default settings"])
    bom = tmp_path / "bom.json"
    bom.write_bytes('{"provider": "Zoë"}'.encode("utf-8-sig"))  # as Notepad saves it
    assert Settings.load(bom) == (Settings(provider="Zoë"), [])


# ---- one field at a time -------------------------------------------------------------------------------


def test_a_field_nested_100000_deep_costs_only_that_field() -> None:
    settings, problems = load('{"favorites": ' + DEEP + ', "provider": "Kim", "sound": true}')
    assert settings == Settings(provider="Kim", sound=True)
    assert problems == [f"{SOURCE}: favorites: nested more than 8 levels deep; using the default"]


def test_nesting_up_to_the_limit_is_parsed() -> None:
    inner = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # in {"PT": ...}: MAX_DEPTH levels in all
    assert named(load('{"favorites": {"PT": ' + inner + "}}")[1]) == ["favorites.PT"]  # parsed: the wrong shape
    _, problems = load('{"favorites": {"PT": [' + inner + ']}, "sound": [' + inner + "]}")
    assert problems == [
        f"{SOURCE}: favorites: nested more than 8 levels deep; using the default",
        f"{SOURCE}: sound: must be true or false (without quotes); using the default",
    ]


def test_a_bad_discipline_costs_only_that_discipline() -> None:
    """{"favorites": {"PT": 5}} once raised TypeError whenever a PT session was shown."""
    settings, problems = load({"favorites": {"PT": 5, "OT": ["97530", "G0283"]}})
    assert settings.favorites == {
        "PT": DEFAULT_FAVORITES["PT"],
        "OT": ["97530", "G0283"],
        "SLP": DEFAULT_FAVORITES["SLP"],
    }
    assert problems == [
        f'{SOURCE}: favorites.PT: must be a list of codes such as ["97110"] (at most {CODES_MAX}); using the default'
    ]


@pytest.mark.parametrize(
    "value",
    [["97110", 5], ["9711"], ["g0283"], ["97110\n"], ["٩٧١١٠"], ["97110"] * (CODES_MAX + 1), "97110", None],
    ids=["a number", "short", "lower case", "newline", "Arabic digits", "too many", "not a list", "null"],
)
def test_codes_must_be_codes(value: object) -> None:
    settings, problems = load({"untimed": {"SLP": value, "XX": 5}})  # an unknown discipline is ignored
    assert settings.untimed == DEFAULT_UNTIMED and named(problems) == ["untimed.SLP"]


def test_favorites_must_be_an_object_by_discipline() -> None:
    settings, problems = load({"favorites": ["97110"], "untimed": {"OT": []}})
    assert settings.favorites == DEFAULT_FAVORITES and settings.untimed["OT"] == [] and named(problems) == ["favorites"]
    assert 'must be an object such as {"PT": ["97110"], "OT": ["97530"]}' in problems[0]


def test_a_fee_of_1e400_is_left_out_and_the_others_kept() -> None:
    """Decimal('1E+400') is finite: it once passed every check and made the week's revenue sum raise."""
    settings, problems = load({"fees": {"97110": "1e400", "97112": "33.5", "97140": 40, "97530": 12.25}})
    assert settings.fees == {"97112": Decimal("33.50"), "97140": Decimal("40.00"), "97530": Decimal("12.25")}
    assert [str(fee) for fee in settings.fees.values()] == ["33.50", "40.00", "12.25"]
    assert problems == [
        f'{SOURCE}: fees: 1 entry is not a code with an amount from 0 to 100000 in whole cents such as "97110": '
        '"30.00" ("97110": "1e400"); left out'
    ]


def test_ten_thousand_bad_fees_give_one_line_with_a_few_examples() -> None:
    settings, problems = load({"fees": {f"{n:05d}": "lots" for n in range(10_000)} | {"97110": "30"}})
    assert settings.fees == {"97110": Decimal("30.00")} and len(problems) == 1
    assert "10000 entries are not a code with an amount" in problems[0]
    assert '("00000": "lots", "00001": "lots", "00002": "lots" and 9997 more); left out' in problems[0]


def test_fees_must_be_an_object() -> None:
    settings, problems = load({"fees": [["97110", "30.00"]], "provider": "Kim"})
    assert settings == Settings(provider="Kim") and named(problems) == ["fees"]


def test_fee_examples_are_short_and_plain() -> None:
    """A problem line quotes at most a few characters of each entry, escaped, so it can hide or flood nothing."""
    _, problems = load({"fees": {"97110\u202e" + "x" * 1000: ["1"] * 1000, "97112": "1e999999999999"}})
    assert '("97110\\u202exxxxxxxxxxx…: ["1", "1", "1", "1", "1…, "97112": "1e999999999999")' in problems[0]


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("30.00", "30.00"),
        (" 30 ", "30.00"),
        ("0", "0.00"),
        ("100000", "100000.00"),
        ("28.790", "28.79"),
        (Decimal("12.5"), "12.50"),
        ("0.00000", "0.00"),
    ],
)
def test_parse_fee_accepts_amounts_in_whole_cents(value: object, amount: str) -> None:
    assert str(parse_fee(value)) == amount


@pytest.mark.parametrize(
    "value",
    ["1e400", "1E+2", "-1", "-0", "100000.01", "30.005", "NaN", "Infinity", "sNaN", "1_000", "٣٠", "", "30.", ".5",
     "1" * 13, Decimal("1E+400"), Decimal("NaN"), 30, 30.0, True, None, ["30"]],
)  # fmt: skip
def test_parse_fee_refuses_anything_else(value: object) -> None:
    with pytest.raises(
        ValueError, match=re.escape('must be an amount from 0 to 100000 in whole cents, such as "30.00"')
    ):
        parse_fee(value)


def test_parse_code_and_provider() -> None:
    assert parse_code("G0283") == "G0283" and parse_provider("") == "" and parse_provider("Dana Lee") == "Dana Lee"
    for bad in ("g0283", 97110, "97110 "):
        with pytest.raises(ValueError, match="must be a code such as 97110 or G0283"):
            parse_code(bad)
    with pytest.raises(ValueError, match=r"^must be at most 80 characters$"):
        parse_provider("x" * 81)


@pytest.mark.parametrize("field_name", ["exclusive_timers", "assistants", "sound", "compact_on_top"])
@pytest.mark.parametrize("value", ["yes", "false", 1, 0, None])
def test_booleans_must_be_true_or_false(field_name: str, value: object) -> None:
    """ "false" in quotes once counted as true for anything that tested it."""
    settings, problems = load({field_name: value, "provider": "Kim"})
    assert settings == Settings(provider="Kim")
    assert problems == [f"{SOURCE}: {field_name}: must be true or false (without quotes); using the default"]


def test_booleans_are_kept() -> None:
    settings, problems = load({"exclusive_timers": False, "assistants": True, "sound": True})
    assert problems == [] and (settings.exclusive_timers, settings.assistants, settings.sound) == (False, True, True)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"role": "boss"}, 'role: must be "therapist" or "assistant"'),
        ({"role": "Therapist"}, 'role: must be "therapist" or "assistant"'),
        ({"week_start": "friday"}, 'week_start: must be "monday" or "sunday"'),
        ({"week_start": 1}, 'week_start: must be "monday" or "sunday"'),
        ({"last_discipline": "PTA"}, 'last_discipline: must be "PT", "OT" or "SLP"'),
        ({"last_discipline": ["PT"]}, 'last_discipline: must be "PT", "OT" or "SLP"'),
        ({"theme": "Dark"}, 'theme: must be "system", "light" or "dark"'),
        ({"theme": None}, 'theme: must be "system", "light" or "dark"'),
    ],
)
def test_choices_must_be_one_of_theirs(document: dict[str, Any], message: str) -> None:
    settings, problems = load(document | {"sound": True})
    assert settings == Settings(sound=True) and problems == [f"{SOURCE}: {message}; using the default"]


def test_choices_become_their_enums() -> None:
    settings, problems = load({"role": "assistant", "week_start": "sunday", "last_discipline": "OT", "theme": "light"})
    assert problems == []
    assert settings.role is Role.ASSISTANT and settings.week_start is WeekStart.SUNDAY
    assert settings.last_discipline is Discipline.OT and settings.theme is Theme.LIGHT


@pytest.mark.parametrize("value", [4, 1441, -90, True, 90.0, "90", None])
def test_forgotten_minutes_must_be_a_whole_number_from_5_to_1440(value: object) -> None:
    """Out of range is the default, not the nearest limit: a typo of 1 would otherwise flag every timer."""
    settings, problems = load({"forgotten_minutes": value})
    assert settings.forgotten_minutes == 90
    assert problems == [
        f"{SOURCE}: forgotten_minutes: must be a whole number of minutes from 5 to 1440; using the default"
    ]


def test_forgotten_minutes_limits_are_kept() -> None:
    assert load({"forgotten_minutes": 5})[0].forgotten_minutes == 5
    assert load({"forgotten_minutes": 1440})[0].forgotten_minutes == 1440


@pytest.mark.parametrize("value", [99, 201, 0, True, 150.0, "150", "150%", None])
def test_text_size_must_be_a_whole_percentage_from_100_to_200(value: object) -> None:
    settings, problems = load({"text_size": value, "theme": "dark"})
    assert settings == Settings(theme=Theme.DARK)
    assert problems == [f"{SOURCE}: text_size: must be a whole percentage from 100 to 200; using the default"]


def test_text_size_limits_are_kept() -> None:
    assert load({"text_size": 100})[0].text_size == 100
    assert load({"text_size": 200})[0].text_size == 200


def test_a_number_too_long_for_python_costs_only_its_field() -> None:
    settings, problems = load('{"forgotten_minutes": ' + "9" * 5000 + ', "provider": "Kim"}')
    assert settings == Settings(provider="Kim")
    assert problems == [f"{SOURCE}: forgotten_minutes: holds a number too long to read; using the default"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Dana\x00", "must not contain control or formatting characters"),
        ("Dana\u202eeeL", "must not contain control or formatting characters"),
        ("Dana\u200b", "must not contain control or formatting characters"),
        ("\ud800", "must not contain control or formatting characters"),
        ("Dana\nLee", "must not contain control or formatting characters"),
        ("x" * 81, "must be at most 80 characters"),
        (5, "must be text of 0 to 80 characters"),
        (None, "must be text of 0 to 80 characters"),
    ],
    ids=["NUL", "bidi override", "zero width", "lone surrogate", "newline", "too long", "number", "null"],
)
def test_provider_must_be_plain_text(value: object, message: str) -> None:
    """The same check as the store applies to what the window types (`session.clean_text`)."""
    settings, problems = load({"provider": value, "default_payer": "Aetna"})
    assert settings == Settings(default_payer="Aetna")
    assert problems == [f"{SOURCE}: provider: {message}; using the default"]


@pytest.mark.parametrize("value", ["", "   ", "x" * 81, "Aetna\x1b[2J"])
def test_default_payer_must_be_1_to_80_plain_characters(value: str) -> None:
    settings, problems = load({"default_payer": value})
    assert settings.default_payer == "Medicare" and named(problems) == ["default_payer"]
    assert "must be 1 to 80 characters" in problems[0] or "must not contain control" in problems[0]


def test_plain_text_is_kept() -> None:
    settings, problems = load({"default_payer": "Blue Cross", "provider": "Zoë Ñúñez-Łukasz 李"})
    assert problems == [] and settings.provider == "Zoë Ñúñez-Łukasz 李" and settings.default_payer == "Blue Cross"


@pytest.mark.parametrize("value", ["A" * 4097, "AdnQ\ud800", "<geometry>", 5])
def test_window_geometry_must_be_base64(value: object) -> None:
    """A lone surrogate once stopped the window from starting (it cannot be encoded for Qt)."""
    settings, problems = load({"window_geometry": value})
    assert settings.window_geometry == "" and named(problems) == ["window_geometry"]
    assert load({"window_geometry": "A" * 4096})[0].window_geometry == "A" * 4096


@pytest.mark.parametrize("value", ["C:\\Users\\x\nDocuments", "/tmp/\x00", "x" * 4097, 5, None])
def test_export_folder_must_be_one_line_of_text(value: object) -> None:
    settings, problems = load({"export_folder": value})
    assert settings.export_folder == "" and named(problems) == ["export_folder"]


def test_export_folder_keeps_spaces_and_accents() -> None:
    folder = "C:\\Users\\Zoë Müller\\My Documents\\Billing"
    assert load({"export_folder": folder, "compact_on_top": False})[0] == Settings(
        export_folder=folder, compact_on_top=False
    )


def test_a_repeated_key_is_reported_once_and_uses_the_default() -> None:
    text = '{"sound": true, "provider": "Kim", "sound": false, "sound": true, "colour": 1, "colour": 2}'
    settings, problems = load(text)
    assert settings == Settings(provider="Kim")
    assert problems == [f"{SOURCE}: sound: given 3 times; using the default"]


def test_every_bad_field_is_reported_once_and_the_good_ones_kept() -> None:
    document = {field_name: {"bad": [1]} for field_name in FIELD_NAMES} | {"provider": "Kim", "sound": True}
    settings, problems = load(document)
    assert settings == Settings(provider="Kim", sound=True)
    assert sorted(named(problems)) == sorted(set(FIELD_NAMES) - {"provider", "sound", "favorites", "untimed"})


# ---- for any input ---------------------------------------------------------------------------------


def _has_type(value: object, hint: Any) -> bool:
    """Whether `value` is of the annotated type (the few shapes Settings uses); bool is not an int here."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is dict:
        return isinstance(value, dict) and all(
            _has_type(k, args[0]) and _has_type(v, args[1]) for k, v in value.items()
        )
    if origin is list:
        return isinstance(value, list) and all(_has_type(item, args[0]) for item in value)
    if hint is int:
        return type(value) is int
    assert origin is None and not isinstance(hint, types.UnionType), hint
    return isinstance(value, hint)


HINTS = typing.get_type_hints(Settings)
GOOD_VALUES = st.sampled_from(
    [
        *("97110", "G0283", "30.00", "1e400", "monday", "sunday", "PT", "OT", "therapist", "assistant", "Kim"),
        *("system", "light", "dark", 90, 5, 1440, 100, 150, 200),
    ]
)
KEYS = st.sampled_from([*FIELD_NAMES, "PT", "OT", "SLP", "97110", "G0283"]) | st.text(max_size=6)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | GOOD_VALUES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=16,
)


@given(st.dictionaries(KEYS, JSON_VALUES, max_size=10))
def test_loading_never_raises_and_every_field_is_typed_and_valid(document: dict[str, Any]) -> None:
    settings, problems = load(json.dumps(document))
    for name, hint in HINTS.items():
        assert _has_type(getattr(settings, name), hint), name
    assert sorted(settings.favorites) == sorted(settings.untimed) == sorted(d.value for d in Discipline)
    assert len(named(problems)) == len(set(named(problems)))  # each field at most once
    assert Settings.from_json(settings.to_json(), "again") == (settings, [])  # every field passes its own check


@given(st.text(alphabet='{}[]":, \\0123456789abeflnrstu\n', max_size=60) | st.text(max_size=30))
def test_any_text_loads_without_raising(text: str) -> None:
    settings, problems = Settings.from_json(text, SOURCE)
    assert isinstance(settings, Settings) and all(p.startswith(SOURCE) for p in problems)


@given(st.dictionaries(KEYS, JSON_VALUES, max_size=6))
def test_saving_and_loading_a_file_keeps_what_was_loaded(document: dict[str, Any]) -> None:
    settings, _ = load(json.dumps(document))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        settings.save(path)
        assert Settings.load(path) == (settings, [])
