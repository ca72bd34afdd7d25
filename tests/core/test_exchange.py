"""The `therapytimer-sessions/1` file: import is all or nothing, so every problem must be found at once and
named by its place; ids must make a second import of the same file a no-op; a backup must re-import as is."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import CATALOG
from therapytimer.core.catalog import Discipline
from therapytimer.core.exchange import (
    FORMAT,
    SESSION_KEYS,
    ExchangeError,
    ImportedCode,
    ImportedSession,
    dump_sessions,
    parse_sessions,
)
from therapytimer.core.reports import bill_day
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Correction, Segment, Session, Who

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
MINUTES_RULE = "must be a whole number from 0 to 1440"


def good(**changes: Any) -> dict[str, Any]:
    """A valid session object; `changes` replace fields (a value of ... removes the field)."""
    item: dict[str, Any] = {
        "patient": "AB",
        "discipline": "PT",
        "rule": "cms",
        "date": "2026-11-23",
        "codes": [{"code": "97110", "minutes": 23}],
    }
    item.update(changes)
    return {k: v for k, v in item.items() if v is not ...}


def document(*sessions: Any, **extra: Any) -> str:
    return json.dumps({"format": FORMAT, "sessions": list(sessions), **extra})


def problems(text: str) -> list[str]:
    with pytest.raises(ExchangeError) as info:
        parse_sessions(text, CATALOG)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def code_problems(entry: dict[str, Any], **changes: Any) -> list[str]:
    return problems(document(good(codes=[entry], **changes)))


# --- a valid file ---------------------------------------------------------------------------------------


def test_a_full_session_is_read_and_normalised() -> None:
    """Codes are trimmed and upper-cased, the alias trimmed and its spaces collapsed, as typed by hand."""
    item = good(
        id="paper-17",
        patient="  A   B ",
        discipline="OT",
        rule="ama",
        provider="Zoe Ng, OT",
        payer="Aetna",
        note="home program reviewed",
        codes=[{"code": " 97530 ", "minutes": 20, "assistant_minutes": 9}, {"code": "97165"}],
    )
    assert parse_sessions(document(item), CATALOG) == [
        ImportedSession(
            "paper-17",
            "A B",
            Discipline.OT,
            Rule.AMA,
            date(2026, 11, 23),
            "Zoe Ng, OT",
            (ImportedCode("97530", 20, 9), ImportedCode("97165", None, None)),
            "home program reviewed",
            "Aetna",
        )
    ]


def test_an_empty_file_and_the_edges_of_each_limit_are_accepted() -> None:
    assert parse_sessions(document(), CATALOG) == []
    edge = good(
        id="x" * 100,
        patient="P" * 40,
        provider="p" * 80,
        note="n" * 2000,
        codes=[{"code": "97110", "minutes": 1440, "assistant_minutes": 0}, {"code": "97140", "minutes": 0}],
    )
    (session,) = parse_sessions(document(edge, good(codes=[])), CATALOG)[:1]
    assert session.codes == (ImportedCode("97110", 1440, 0), ImportedCode("97140", 0, None))
    assert (len(session.id), len(session.patient), len(session.provider), len(session.note)) == (100, 40, 80, 2000)


def test_a_code_is_accepted_on_the_last_day_it_is_valid() -> None:
    (session,) = parse_sessions(document(good(discipline="SLP", date="2026-12-31", codes=[{"code": "92507"}])), CATALOG)
    assert session.codes == (ImportedCode("92507", None, None),)


# --- the file as a whole: these stop at once, nothing else can be read ----------------------------------


def test_malformed_json_names_line_and_column() -> None:
    assert problems('{\n  "format": }') == ["not valid JSON: Expecting value at line 2, column 13"]
    assert problems("") == ["not valid JSON: Expecting value at line 1, column 1"]


@pytest.mark.parametrize("text", ["[]", '"sessions"', "42", "null"])
def test_the_file_must_be_one_object(text: str) -> None:
    assert problems(text) == ['the file must hold one JSON object with "format" and "sessions"']


@pytest.mark.parametrize(
    ("data", "found"),
    [
        ({"sessions": []}, "None"),
        ({"format": "therapytimer-sessions/2", "sessions": []}, "'therapytimer-sessions/2'"),
        ({"format": 1, "sessions": []}, "1"),
    ],
)
def test_the_format_tag_is_checked_first(data: dict[str, Any], found: str) -> None:
    assert problems(json.dumps(data)) == [f"format: must be 'therapytimer-sessions/1' (found {found})"]


@pytest.mark.parametrize("sessions", [None, {}, "s", 3])
def test_sessions_must_be_a_list(sessions: Any) -> None:
    data: dict[str, Any] = {"format": FORMAT}
    if sessions is not None:
        data["sessions"] = sessions
    assert problems(json.dumps(data)) == ["sessions: must be a list"]


def test_unknown_top_level_fields_are_named() -> None:
    assert problems(document(good(), zeta=1, alpha=2)) == ["alpha: unknown field", "zeta: unknown field"]


# --- one session ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", [1, "AB", None, [good()]])
def test_a_session_must_be_an_object(item: Any) -> None:
    assert problems(document(good(), item)) == ["sessions[1]: must be an object"]


def test_unknown_session_fields_are_named_with_the_known_ones() -> None:
    known = ", ".join(sorted(SESSION_KEYS))
    assert {"codes", "date", "discipline", "id", "note", "patient", "provider", "rule"} <= SESSION_KEYS
    assert problems(document(good(visit=2, Patient="AB"))) == [
        f"sessions[0].Patient: unknown field (fields are {known})",
        f"sessions[0].visit: unknown field (fields are {known})",
    ]


def test_required_fields() -> None:
    required = ("patient", "discipline", "rule", "date", "codes")
    assert problems(document({})) == [f"sessions[0].{key}: required" for key in required]


@pytest.mark.parametrize("patient", ["", "   ", "P" * 41, 12, None, ["AB"]])
def test_patient_alias_is_1_to_40_characters(patient: Any) -> None:
    assert problems(document(good(patient=patient))) == [
        "sessions[0].patient: must be 1 to 40 characters (initials or a short ID)"
    ]


@pytest.mark.parametrize("discipline", ["pt", "PTA", "", None, 1])
def test_discipline_is_pt_ot_or_slp(discipline: Any) -> None:
    assert problems(document(good(discipline=discipline))) == ["sessions[0].discipline: must be PT, OT or SLP"]


@pytest.mark.parametrize("rule", ["CMS", "medicare", "", None, 0])
def test_rule_is_cms_or_ama(rule: Any) -> None:
    assert problems(document(good(rule=rule))) == ["sessions[0].rule: must be cms or ama"]


@pytest.mark.parametrize(("field", "value"), [("discipline", ["PT"]), ("rule", {"name": "cms"})])
def test_a_list_or_object_as_discipline_or_rule_is_reported_not_a_crash(field: str, value: Any) -> None:
    """`value not in set(Discipline)` raises TypeError for a list or dict: the import dies with a traceback."""
    assert len(problems(document(good(**{field: value})))) == 1


@pytest.mark.parametrize(
    "day", ["2026-13-01", "2026-02-30", "23/11/2026", "2026-11-23T10:00", "2026-11-2", "", 20261123, None]
)
def test_date_must_be_yyyy_mm_dd(day: Any) -> None:
    assert problems(document(good(date=day))) == ["sessions[0].date: must be a date as YYYY-MM-DD"]


@pytest.mark.parametrize("day", ["2026-W48-1", "20261123  "])
def test_only_the_yyyy_mm_dd_form_is_a_date(day: str) -> None:
    """date.fromisoformat (Python 3.11+) reads "2026-W48-1" (ISO week date) as 2026-11-23 and "20261123  " too:
    the length check lets them through, so a file that breaks the documented format imports without a word."""
    assert problems(document(good(date=day))) == ["sessions[0].date: must be a date as YYYY-MM-DD"]


@pytest.mark.parametrize(("field", "limit"), [("provider", 80), ("payer", 80), ("note", 2000)])
@pytest.mark.parametrize("kind", ["too long", "not text", "null"])
def test_provider_payer_and_note_are_bounded_text(field: str, limit: int, kind: str) -> None:
    value = {"too long": "x" * (limit + 1), "not text": 5, "null": None}[kind]
    assert problems(document(good(**{field: value}))) == [
        f"sessions[0].{field}: must be text of at most {limit} characters"
    ]


@pytest.mark.parametrize("session_id", ["", "x" * 101, 5, False])
def test_id_is_1_to_100_characters_of_text(session_id: Any) -> None:
    assert problems(document(good(id=session_id))) == ["sessions[0].id: must be text of 1 to 100 characters"]


def test_an_empty_payer_means_no_payer() -> None:
    (session,) = parse_sessions(document(good(payer="")), CATALOG)
    assert session.payer is None


def test_a_null_id_means_no_id() -> None:
    (session,) = parse_sessions(document(good(id=None)), CATALOG)
    assert session.id.startswith("import-")


# --- codes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("codes", [{"code": "97110"}, "97110", 1])
def test_codes_must_be_a_list(codes: Any) -> None:
    assert problems(document(good(codes=codes))) == ["sessions[0].codes: must be a list"]


@pytest.mark.parametrize("entry", ["97110", 97110, None, ["97110"]])
def test_a_code_entry_must_be_an_object(entry: Any) -> None:
    assert problems(document(good(codes=[{"code": "97110"}, entry]))) == ["sessions[0].codes[1]: must be an object"]


def test_unknown_code_entry_fields_are_named() -> None:
    assert code_problems({"code": "97110", "seconds": 60, "modifier": "CQ"}) == [
        "sessions[0].codes[0].modifier: unknown field (fields are code, minutes, assistant_minutes)",
        "sessions[0].codes[0].seconds: unknown field (fields are code, minutes, assistant_minutes)",
    ]


@pytest.mark.parametrize("entry", [{}, {"code": 97110}, {"code": None, "minutes": 5}])
def test_the_code_is_required_as_text(entry: dict[str, Any]) -> None:
    assert code_problems(entry) == ['sessions[0].codes[0].code: required, as text such as "97110"']


def test_an_unknown_code_is_named() -> None:
    assert code_problems({"code": "99999", "minutes": 10}) == [
        "sessions[0].codes[0].code: 99999 is not in the code catalog"
    ]


def test_a_code_must_be_valid_on_the_date_of_service() -> None:
    """92507 was deleted by CPT 2027: a 2027 session cannot bill it."""
    assert code_problems({"code": "92507"}, discipline="SLP", date="2027-01-01") == [
        "sessions[0].codes[0].code: 92507 is not valid on 2027-01-01 (valid through 2026-12-31)"
    ]


def test_codes_are_still_checked_when_the_date_is_bad() -> None:
    """Without a date only the date-free check runs: an unknown code is still named, a dated one is not."""
    assert problems(document(good(date="soon", codes=[{"code": "99999"}, {"code": "92507"}]))) == [
        "sessions[0].date: must be a date as YYYY-MM-DD",
        "sessions[0].codes[0].code: 99999 is not in the code catalog",
    ]


def test_a_code_given_twice_in_a_session_is_refused() -> None:
    """Written "97110" and " 97110" the two are the same code after normalising."""
    assert problems(document(good(codes=[{"code": "97110", "minutes": 8}, {"code": " 97110", "minutes": 9}]))) == [
        "sessions[0].codes[1].code: 97110 appears twice in this session; give its minutes once"
    ]


@pytest.mark.parametrize("field", ["minutes", "assistant_minutes"])
@pytest.mark.parametrize("value", [-1, 1441, 10**12, 15.0, 15.5, "15", True, False, [15]])
def test_minutes_are_whole_numbers_from_0_to_1440(field: str, value: Any) -> None:
    """A bool is an int to Python but never a number of minutes."""
    assert code_problems({"code": "97110", field: value}) == [f"sessions[0].codes[0].{field}: {MINUTES_RULE}"]


def test_slp_has_no_assistant_modifier() -> None:
    assert code_problems({"code": "92507", "assistant_minutes": 10}, discipline="SLP") == [
        "sessions[0].codes[0].assistant_minutes: SLP has no assistant modifier (CQ is PT, CO is OT)"
    ]
    (ok,) = parse_sessions(document(good(discipline="SLP", codes=[{"code": "92507", "assistant_minutes": 0}])), CATALOG)
    assert ok.codes == (ImportedCode("92507", None, 0),)


def test_assistant_minutes_with_an_unknown_discipline_report_only_the_discipline() -> None:
    assert code_problems({"code": "97110", "assistant_minutes": 10}, discipline="PTA") == [
        "sessions[0].discipline: must be PT, OT or SLP"
    ]


# --- the whole file -------------------------------------------------------------------------------------


def test_ids_must_be_unique_in_a_file() -> None:
    assert problems(document(good(id="a"), good(id="b"), good(id="a"), good(id="a", patient="CD"))) == [
        "sessions[2].id: 'a' is also used by sessions[0]",
        "sessions[3].id: 'a' is also used by sessions[0]",
    ]


def test_every_problem_in_the_file_is_reported_at_once_in_file_order() -> None:
    text = document(
        good(),
        good(patient="", discipline="XX", codes=[{"code": "97110", "minutes": -5}, {"code": "00000"}]),
        "not a session",
        good(rule="per-visit", date="2026-02-30", note=None),
        extra=True,
    )
    assert problems(text) == [
        "extra: unknown field",
        "sessions[1].patient: must be 1 to 40 characters (initials or a short ID)",
        "sessions[1].discipline: must be PT, OT or SLP",
        f"sessions[1].codes[0].minutes: {MINUTES_RULE}",
        "sessions[1].codes[1].code: 00000 is not in the code catalog",
        "sessions[2]: must be an object",
        "sessions[3].rule: must be cms or ama",
        "sessions[3].date: must be a date as YYYY-MM-DD",
        "sessions[3].note: must be text of at most 2000 characters",
    ]


# --- keys given twice: JSON readers silently keep the last one ------------------------------------------


def session_text(**changes: Any) -> str:
    """A valid session as JSON text, to splice raw (repeated) keys into."""
    return json.dumps(good(**changes))


def test_a_key_given_twice_in_a_code_entry_is_named() -> None:
    """`"minutes": 5, "minutes": 1440` imported as 1440 minutes without a word."""
    text = document(good(), good(), good(codes=[{"code": "97110", "minutes": 5}]))
    text = text.replace('"minutes": 5}', '"minutes": 5, "minutes": 1440}')
    assert problems(text) == ['sessions[2].codes[0]: key "minutes" appears twice']


def test_a_key_given_twice_in_a_session_is_named_even_with_the_same_value() -> None:
    twice = session_text()[:-1] + ', "patient": "CD"}'
    same = session_text()[:-1] + ', "date": "2026-11-23"}'
    assert problems(f'{{"format": "{FORMAT}", "sessions": [{twice}, {same}]}}') == [
        'sessions[0]: key "patient" appears twice',
        'sessions[1]: key "date" appears twice',
    ]


@pytest.mark.parametrize("key", ["format", "sessions"])
def test_a_top_level_key_given_twice_is_named(key: str) -> None:
    """A second "sessions" would hide the first list entirely."""
    first = {"format": f'"{FORMAT}"', "sessions": f"[{session_text(patient='')}]"}[key]
    text = f'{{"{key}": {first}, "format": "{FORMAT}", "sessions": []}}'
    assert problems(text) == [f'top level: key "{key}" appears twice']


def test_a_top_level_key_given_twice_is_named_beside_a_bad_format_or_sessions() -> None:
    assert problems(f'{{"format": "{FORMAT}", "format": "other", "sessions": []}}') == [
        'top level: key "format" appears twice',
        "format: must be 'therapytimer-sessions/1' (found 'other')",
    ]
    assert problems(f'{{"format": "{FORMAT}", "sessions": [], "sessions": 1}}') == [
        'top level: key "sessions" appears twice',
        "sessions: must be a list",
    ]


def test_keys_given_twice_anywhere_are_named_with_every_other_problem() -> None:
    """Inside unknown fields, inside a session that is not an object, three times, written with an escape."""
    text = (
        f'{{"format": "{FORMAT}", "extra": {{"a": [{{"b": 1, "b": 2, "b": 3}}]}}, "sessions": ['
        f'{session_text()[:-1]}, "codes": [{{"code": "97110", "minutes": 5, "min\\u0075tes": 9}}], "visit": 2}}, '
        '[{"x": 1, "x": 1}], '
        f'{session_text(rule="x")[:-1]}, "note": "a", "note": "b", "payer": "c", "payer": "d"}}]}}'
    )
    assert problems(text) == [
        'extra.a[0]: key "b" appears 3 times',
        "extra: unknown field",
        'sessions[0]: key "codes" appears twice',
        'sessions[0].codes[0]: key "minutes" appears twice',
        f"sessions[0].visit: unknown field (fields are {', '.join(sorted(SESSION_KEYS))})",
        'sessions[1][0]: key "x" appears twice',
        "sessions[1]: must be an object",
        'sessions[2]: key "note" appears twice',
        'sessions[2]: key "payer" appears twice',
        "sessions[2].rule: must be cms or ama",
    ]


def test_a_key_given_twice_deep_inside_is_named_with_its_whole_place() -> None:
    depth = 400
    text = f'{{"format": "{FORMAT}", "sessions": [], "x": ' + '{"y": ' * depth + '{"k": 1, "k": 2}' + "}" * (depth + 1)
    assert problems(text) == ["x" + ".y" * depth + ': key "k" appears twice', "x: unknown field"]


def test_a_key_given_once_is_not_a_repeat_whatever_its_case() -> None:
    assert problems(document(good(Patient="CD"))) == [
        f"sessions[0].Patient: unknown field (fields are {', '.join(sorted(SESSION_KEYS))})"
    ]


# --- hidden characters: they change what the biller sees in the CSV -------------------------------------

HIDDEN = {"NUL": "\x00", "RLO": "\u202e", "ZWSP": "\u200b", "ESC": "\x1b", "BOM": "\ufeff", "DEL": "\x7f"}
HIDDEN_RULE = "must not contain control or formatting characters"


@pytest.mark.parametrize("bad", HIDDEN.values(), ids=HIDDEN.keys())
@pytest.mark.parametrize("field", ["provider", "payer", "id", "note", "patient"])
def test_control_and_formatting_characters_are_refused_in_every_text_field(field: str, bad: str) -> None:
    """Refused in the alias before; provider, payer, id and note went into the database and the CSV as given."""
    assert problems(document(good(**{field: f"Dana{bad}Lee"}))) == [f"sessions[0].{field}: {HIDDEN_RULE}"]


@pytest.mark.parametrize("field", ["provider", "payer", "id", "note", "patient"])
def test_a_lone_surrogate_is_refused_in_every_text_field(field: str) -> None:
    """JSON may spell half of a character (\\ud800): no UTF-8 file or database can store it."""
    text = document(good(**{field: "Dana Lee"})).replace("Dana Lee", "Dana\\ud800Lee")
    assert problems(text) == [f"sessions[0].{field}: {HIDDEN_RULE}"]


@pytest.mark.parametrize("bad", ["\n", "\t", "\r\n", "\r"])
@pytest.mark.parametrize("field", ["provider", "payer", "id"])
def test_one_line_fields_refuse_line_breaks_and_tabs(field: str, bad: str) -> None:
    assert problems(document(good(**{field: f"Dana{bad}Lee"}))) == [f"sessions[0].{field}: {HIDDEN_RULE}"]


def test_a_note_over_several_lines_is_accepted_with_crlf_as_lf() -> None:
    note = "Pain 3/10 at start.\r\nHEP reviewed:\n\t- bridges x10\n\t- clamshells x10\n"
    (session,) = parse_sessions(document(good(note=note)), CATALOG)
    assert session.note == "Pain 3/10 at start.\nHEP reviewed:\n\t- bridges x10\n\t- clamshells x10\n"


@pytest.mark.parametrize("note", ["a\rb", "a\r", "a\x0bb", "a\u2028\x00", "\x1b[2J"])
def test_a_note_refuses_every_other_control_character(note: str) -> None:
    assert problems(document(good(note=note))) == [f"sessions[0].note: {HIDDEN_RULE}"]


def test_hidden_characters_are_named_with_every_other_problem() -> None:
    text = document(good(provider="Dana\x00", payer="\u202eMedicare", id="a\u200b"), good(note="\x1b", rule="x"))
    assert problems(text) == [
        f"sessions[0].provider: {HIDDEN_RULE}",
        f"sessions[0].payer: {HIDDEN_RULE}",
        f"sessions[0].id: {HIDDEN_RULE}",
        "sessions[1].rule: must be cms or ama",
        f"sessions[1].note: {HIDDEN_RULE}",
    ]


def test_names_are_spaced_as_typed_in_the_window_and_ids_kept_exactly() -> None:
    """Provider and payer are trimmed and their spaces collapsed (NFC too), as the window stores them; an id is
    matched against stored ones, so it is never rewritten."""
    item = good(id=" clinic  17 ", provider="  Zoe\u0308   Ng,\u00a0PT ", payer=" Aetna  PPO", note=" as  written ")
    (session,) = parse_sessions(document(item), CATALOG)
    assert (session.id, session.provider, session.payer, session.note) == (
        " clinic  17 ",
        "Zo\u00eb Ng, PT",
        "Aetna PPO",
        " as  written ",
    )


def test_a_payer_of_only_spaces_means_no_payer() -> None:
    (session,) = parse_sessions(document(good(payer="   ")), CATALOG)
    assert session.payer is None


@pytest.mark.parametrize("code", ["971\x0010", "\u202e97110", "97110\u200b", "\x1b97110", "97110\ufeff"])
def test_a_code_with_hidden_characters_is_not_a_code_and_is_shown_escaped(code: str) -> None:
    """Only a catalog code is ever stored, and the message shows what was there without letting an escape
    sequence or a right-to-left override reach the terminal."""
    (problem,) = code_problems({"code": code, "minutes": 10})
    shown = repr(code.strip().upper())
    assert problem == f"sessions[0].codes[0].code: {shown} is not a code (five digits, or a letter and four digits)"
    assert problem.isprintable()


def test_unknown_field_names_are_shown_escaped() -> None:
    with pytest.raises(ExchangeError) as caught:
        parse_sessions(document(good(**{"x\x1b[31m": 1})), CATALOG)
    fields = "codes, date, discipline, id, kx, note, patient, payer, progress_report, provider, rule"
    assert caught.value.problems == [f"sessions[0].'x\\x1b[31m': unknown field (fields are {fields})"]


# --- derived ids ----------------------------------------------------------------------------------------


def derived_id(item: dict[str, Any]) -> str:
    (session,) = parse_sessions(document(item), CATALOG)
    return session.id


def test_a_derived_id_is_stable_for_identical_content() -> None:
    """Re-importing a file without ids must skip what the first import stored, in any later version of the app:
    the id is pinned so that changing how it is derived is a visible decision."""
    first = derived_id(good())
    assert first == derived_id(good()) == derived_id(good(patient=" AB ", codes=[{"code": "97110 ", "minutes": 23}]))
    assert first == "import-601155c6df82615c533915d8f7e5273b"


@pytest.mark.parametrize(
    "change",
    [
        {"patient": "AC"},
        {"discipline": "OT"},
        {"rule": "ama"},
        {"date": "2026-11-24"},
        {"provider": "Zoe"},
        {"payer": "Medicare"},
        {"note": "x"},
        {"codes": [{"code": "97110", "minutes": 24}]},
        {"codes": [{"code": "97110"}]},
        {"codes": [{"code": "97110", "minutes": 23, "assistant_minutes": 1}]},
        {"codes": [{"code": "97112", "minutes": 23}]},
        {"codes": [{"code": "97110", "minutes": 23}, {"code": "97140", "minutes": 0}]},
        {"codes": []},
    ],
    ids=lambda c: "+".join(c),
)
def test_a_derived_id_changes_with_any_content(change: dict[str, Any]) -> None:
    assert derived_id(good(**change)) != derived_id(good())
    assert derived_id(good(**change)).startswith("import-")


def test_a_given_id_is_kept() -> None:
    assert derived_id(good(id="clinic-2026-11-23-AB")) == "clinic-2026-11-23-AB"


# --- dump_sessions --------------------------------------------------------------------------------------


def stored_sessions() -> list[Session]:
    """What the store holds: timed segments (therapist, together, assistant), a correction, recorded minutes."""

    def run(sid: str, code: str, minute: int, seconds: int, who: Who = Who.THERAPIST) -> Segment:
        begin = START + timedelta(minutes=minute)
        return Segment(0, sid, code, who, begin, begin + timedelta(seconds=seconds))

    pt = Session(
        "0f6c1a2e-pt",
        "AB",
        Discipline.PT,
        Rule.CMS,
        date(2026, 11, 23),
        START,
        payer="Medicare",
        provider="Zoe Ng, PT",
        note='tolerated well; "quotes" and ünïcode',
        codes=(CodeEntry("97110"), CodeEntry("97140"), CodeEntry("97161")),
        segments=(
            run("0f6c1a2e-pt", "97110", 0, 7 * 60 + 40),
            run("0f6c1a2e-pt", "97110", 10, 5 * 60 + 30, Who.TOGETHER),
            run("0f6c1a2e-pt", "97110", 20, 9 * 60 + 59, Who.ASSISTANT),
            run("0f6c1a2e-pt", "97140", 40, 4 * 60),
            run("0f6c1a2e-pt", "97140", 60, 2 * 60 + 10),
        ),
        corrections=(Correction(0, "0f6c1a2e-pt", "97140", START + timedelta(minutes=50), 4, 0, 12, 0, "forgot"),),
    )
    ot = Session(
        "7d2b-ot",
        "cd 12",
        Discipline.OT,
        Rule.AMA,
        date(2026, 11, 23),
        START,
        codes=(CodeEntry("97530"),),
        segments=(Segment(0, "7d2b-ot", "97530", Who.THERAPIST, NOW - timedelta(minutes=17, seconds=5)),),  # running
    )
    return [pt, ot]


def test_dump_writes_whole_minutes_and_leaves_out_empty_optional_fields() -> None:
    assert dump_sessions(stored_sessions(), NOW) == {
        "format": FORMAT,
        "sessions": [
            {
                "id": "0f6c1a2e-pt",
                "patient": "AB",
                "discipline": "PT",
                "rule": "cms",
                "date": "2026-11-23",
                "provider": "Zoe Ng, PT",
                "payer": "Medicare",
                "codes": [
                    {"code": "97110", "minutes": 13, "assistant_minutes": 9},  # 7:40 + 5:30 together; 9:59 alone
                    {"code": "97140", "minutes": 14},  # corrected to 12, then 2:10 more
                    {"code": "97161", "minutes": 0},
                ],
                "note": 'tolerated well; "quotes" and ünïcode',
            },
            {
                "id": "7d2b-ot",
                "patient": "cd 12",
                "discipline": "OT",
                "rule": "ama",
                "date": "2026-11-23",
                "codes": [{"code": "97530", "minutes": 17}],  # still running: counted up to now
            },
        ],
    }


def test_a_backup_round_trips_through_import_to_the_same_bill() -> None:
    sessions = stored_sessions()
    text = json.dumps(dump_sessions(sessions, NOW), ensure_ascii=False, indent=2)
    imported = parse_sessions(text, CATALOG)
    assert [(s.id, s.patient, s.discipline, s.rule, s.date, s.provider, s.payer, s.note) for s in imported] == [
        (s.id, s.patient, s.discipline, s.rule, s.date, s.provider, s.payer, s.note) for s in sessions
    ]
    assert imported[0].codes == (
        ImportedCode("97110", 13, 9),
        ImportedCode("97140", 14, None),
        ImportedCode("97161", 0, None),
    )
    rebuilt = [
        Session(
            s.id,
            s.patient,
            s.discipline,
            s.rule,
            s.date,
            START,
            provider=s.provider,
            payer=s.payer,
            note=s.note,
            codes=tuple(CodeEntry(c.code, c.minutes, c.assistant_minutes) for c in s.codes),
        )
        for s in imported
    ]
    later = NOW + timedelta(days=3)  # imported minutes are fixed; the original's running timer was stopped by then
    assert [b.result.lines for b in bill_day(rebuilt, CATALOG, later)] == [
        b.result.lines for b in bill_day(sessions, CATALOG, NOW)
    ]


def test_the_progress_report_and_kx_round_trip_and_leave_older_files_ids_alone() -> None:
    """Flags are written only when set, so a file from before them derives the same ids as it did."""
    pt, ot = stored_sessions()
    flagged = replace(pt, progress_report=True, kx=True)
    doc = dump_sessions([flagged, ot], NOW)
    assert (doc["sessions"][0]["progress_report"], doc["sessions"][0]["kx"]) == (True, True)
    assert "progress_report" not in doc["sessions"][1] and "kx" not in doc["sessions"][1]
    back = parse_sessions(json.dumps(doc), CATALOG)
    assert [(s.progress_report, s.kx) for s in back] == [(True, True), (False, False)]
    bare = {k: v for k, v in doc["sessions"][1].items() if k != "id"}
    (plain,) = parse_sessions(json.dumps({"format": FORMAT, "sessions": [bare]}), CATALOG)
    (ticked,) = parse_sessions(json.dumps({"format": FORMAT, "sessions": [{**bare, "progress_report": True}]}), CATALOG)
    (unticked,) = parse_sessions(json.dumps({"format": FORMAT, "sessions": [{**bare, "kx": False}]}), CATALOG)
    assert plain.id == unticked.id != ticked.id


def test_a_backup_of_a_timer_left_running_overnight_re_imports() -> None:
    """A forgotten timer counts only up to the forgotten-timer limit (90 min by default; 0.1 counted up to a
    whole day), and never past a day even with no limit, so its backup re-imports."""
    running = Segment(0, "s", "97110", Who.THERAPIST, START)
    session = Session(
        "s", "AB", Discipline.PT, Rule.CMS, date(2026, 11, 23), START, codes=(CodeEntry("97110"),), segments=(running,)
    )
    later = START + timedelta(days=1, minutes=1)
    (back,) = parse_sessions(json.dumps(dump_sessions([session], later)), CATALOG)
    assert back.codes == (ImportedCode("97110", 90, None),)
    (back,) = parse_sessions(json.dumps(dump_sessions([session], later, timedelta(days=3))), CATALOG)
    assert back.codes == (ImportedCode("97110", 1440, None),)


def test_the_same_visit_twice_without_ids_gets_numbered_ids() -> None:
    """Two identical sessions without ids (treated twice, same minutes) are both kept, and a second
    import of the file still adds nothing: the repeats are numbered in file order."""
    text = document(good(), good())
    first, second = parse_sessions(text, CATALOG)
    assert second.id == first.id + "-2"
    assert [s.id for s in parse_sessions(text, CATALOG)] == [first.id, second.id]
