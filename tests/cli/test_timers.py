"""start, pause, close and status from the command line: exact seconds and units read back with
`status --json`, every refusal as one line and exit 2, and the global options before or after a command.

In-process tests drive the timers with a FakeClock through `main(..., clock=...)`; one test runs real
processes under faketime, as a script or a foot pedal would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import therapytimer.cli.timers
from tests.cli.conftest import Cli
from tests.conftest import REPO
from tests.helpers import open_workspace
from therapytimer.core.clock import FakeClock
from therapytimer.core.session import Session
from therapytimer.services.timers import Timers

DAY = "2026-11-23"
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
LABEL = re.compile(r"session ([0-9a-f]{8})")


def timers_of(session: dict[str, Any]) -> dict[str, tuple[int, bool, str]]:
    """Code → (seconds, running, who) of one session of `status --json`."""
    return {t["code"]: (t["seconds"], t["running"], t["who"]) for t in session["timers"]}


def lines_of(session: dict[str, Any]) -> list[tuple[str, list[str], int, int]]:
    return [(ln["code"], ln["modifiers"], ln["minutes"], ln["units"]) for ln in session["lines"]]


def by_patient(status: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["patient"], s["discipline"]): s for s in status["sessions"]}


def started(out: str, code: str, who: str, patient: str, discipline: str, *, exclusive: bool = True) -> str:
    """The short session id a `start` names, after checking the rest of its line (one at a time says that
    every other timer is paused)."""
    match = LABEL.search(out)
    assert match, out
    short = match.group(1)
    label = f"{patient} · {discipline} · session {short}"
    paused = " (every other timer is paused)" if exclusive else ""
    assert out == f"Started {code} ({who}) for {label}{paused}.\n"
    return short


# ---- start ------------------------------------------------------------------------------------------


def test_start_opens_the_patients_session_of_today_and_reuses_it(cli: Cli, clock: FakeClock) -> None:
    first = started(cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT"), "97110", "therapist", "MT", "PT")
    clock.advance(minutes=8, seconds=30)
    again = started(cli.ok("start", "97112", "--patient", " MT "), "97112", "therapist", "MT", "PT")
    assert again == first  # the alias is trimmed, and no second session is opened
    clock.advance(minutes=11, seconds=30)
    assert cli.ok("pause", "--all") == "Paused 1 timer.\n"
    clock.advance(minutes=30)  # paused: nothing more counts
    status = cli.status()
    assert status["now"] == "2026-11-23T15:50:00+00:00"
    [session] = status["sessions"]
    assert session["id"].startswith(first) and len(session["id"]) == 32
    assert {k: session[k] for k in ("patient", "discipline", "payer", "rule", "date", "state")} == {
        "patient": "MT",
        "discipline": "PT",
        "payer": "Medicare",
        "rule": "cms",
        "date": DAY,
        "state": "open",
    }
    assert timers_of(session) == {"97110": (510, False, "therapist"), "97112": (690, False, "therapist")}
    assert (session["total_units"], session["other_rule_units"]) == (1, 2)
    assert lines_of(session) == [("97110", ["GP"], 8, 0), ("97112", ["GP"], 11, 1)]
    assert session["next_unit"][0] == {
        "code": None,
        "more_minutes": 4,
        "code_units": 0,
        "total_units": 2,
        "text": "4 more min of any 15-minute code bills a unit (2 in all)",
    }


def test_start_opens_a_new_session_on_a_new_day_and_for_another_discipline(cli: Cli, clock: FakeClock) -> None:
    pt = started(cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT"), "97110", "therapist", "MT", "PT")
    clock.advance(minutes=10)
    ot = started(cli.ok("start", "97530", "--patient", "MT", "--discipline", "OT"), "97530", "therapist", "MT", "OT")
    assert ot != pt  # OT's own session, beside PT's
    clock.advance(minutes=10)
    assert cli.ok("close").startswith(f"Closed MT · OT · session {ot}.")
    clock.advance(hours=24)
    assert cli.refused("close", "--patient", "MT") == "close: no open session for MT today"
    today = started(cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT"), "97110", "therapist", "MT", "PT")
    assert today != pt  # yesterday's PT session, still open, is not today's
    clock.advance(minutes=5)
    yesterday = by_patient(cli.status("--date", DAY))
    assert timers_of(yesterday["MT", "PT"]) == {"97110": (600, False, "therapist")}
    assert timers_of(yesterday["MT", "OT"]) == {"97530": (600, False, "therapist")}
    assert yesterday["MT", "OT"]["state"] == "closed" and yesterday["MT", "PT"]["state"] == "open"
    [today] = cli.status()["sessions"]
    assert (today["date"], today["discipline"], timers_of(today)) == (
        "2026-11-24",
        "PT",
        {"97110": (300, True, "therapist")},
    )


def test_start_without_a_patient_uses_the_session_that_ran_last(cli: Cli, clock: FakeClock) -> None:
    mt = started(cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT"), "97110", "therapist", "MT", "PT")
    clock.advance(minutes=5)
    jk = started(cli.ok("start", "97530", "--patient", "JK", "--discipline", "OT"), "97530", "therapist", "JK", "OT")
    clock.advance(minutes=5)
    assert started(cli.ok("start", "97535"), "97535", "therapist", "JK", "OT") == jk
    clock.advance(minutes=5)
    assert started(cli.ok("start", "97110", "--patient", "MT"), "97110", "therapist", "MT", "PT") == mt
    clock.advance(minutes=5)
    assert started(cli.ok("start", "97112"), "97112", "therapist", "MT", "PT") == mt
    clock.advance(minutes=5)
    sessions = by_patient(cli.status())
    assert timers_of(sessions["MT", "PT"]) == {"97110": (600, False, "therapist"), "97112": (300, True, "therapist")}
    assert timers_of(sessions["JK", "OT"]) == {"97530": (300, False, "therapist"), "97535": (300, False, "therapist")}


def test_start_without_an_open_session_is_refused(cli: Cli, db: Path) -> None:
    no_session = "start: no open session; give --patient ALIAS (and --discipline) to open one"
    assert cli.refused("start", "97110") == no_session
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    cli.ok("close")
    assert cli.refused("start", "97110") == no_session  # a closed session is not resumed
    [session] = cli.status()["sessions"]
    assert session["state"] == "closed" and timers_of(session) == {"97110": (0, False, "therapist")}


def test_start_in_a_session_closed_meanwhile_is_refused(
    cli: Cli, clock: FakeClock, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window closes the session between the command's lookup and its start: the start is decided
    from the session as stored then, so it is refused and the session stays closed."""
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    clock.advance(minutes=3)
    find = therapytimer.cli.timers.find_session

    def closed_by_the_window(timers: Timers, patient: str | None, discipline: str | None) -> Session | None:
        found = find(timers, patient, discipline)
        assert found is not None
        window = open_workspace(db, clock, create=False)
        window.timers.close(found.id)
        window.close()
        return found

    monkeypatch.setattr(therapytimer.cli.timers, "find_session", closed_by_the_window)
    assert cli.refused("start", "97112") == "start: the session for MT is closed; reopen it to change it"
    monkeypatch.setattr(therapytimer.cli.timers, "find_session", find)
    clock.advance(minutes=3)
    [session] = cli.status()["sessions"]
    assert session["state"] == "closed" and timers_of(session) == {"97110": (180, False, "therapist")}


def test_two_open_disciplines_need_discipline(cli: Cli, clock: FakeClock) -> None:
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    clock.advance(minutes=2)
    cli.ok("start", "97530", "--patient", "MT", "--discipline", "OT")
    clock.advance(minutes=2)
    which = "MT has open OT and PT sessions today: give --discipline"
    assert cli.refused("start", "97112", "--patient", "MT") == which
    assert cli.refused("pause", "--patient", "MT") == which
    assert cli.refused("close", "--patient", "MT") == which
    started(cli.ok("start", "97112", "--patient", "MT", "--discipline", "pt"), "97112", "therapist", "MT", "PT")
    clock.advance(minutes=2)
    assert cli.ok("pause", "--patient", "MT", "--discipline", "PT").startswith("Paused every timer of MT · PT · ")
    assert cli.ok("close", "--patient", "MT", "--discipline", "OT").startswith("Closed MT · OT · ")
    sessions = by_patient(cli.status())
    assert timers_of(sessions["MT", "PT"]) == {"97110": (120, False, "therapist"), "97112": (120, False, "therapist")}
    assert sessions["MT", "PT"]["state"] == "open"
    assert timers_of(sessions["MT", "OT"]) == {"97530": (120, False, "therapist")}
    assert sessions["MT", "OT"]["state"] == "closed"


@pytest.mark.parametrize(
    ("code", "args", "message"),
    [
        ("abc", [], "'ABC' is not a code (five digits, or a letter and four digits)"),
        ("99999", [], "start: 99999 is not in the code catalog"),
        ("97130", [], "start: 97130 is billed from 97129's minutes: time 97129 instead"),
        ("97161", [], "start: 97161 is untimed: add it as a service (one unit), not a timer"),
        ("97530", ["--discipline", "SLP"], "start: 97530 is billed by PT OT, not SLP"),
        (
            "97129",
            ["--discipline", "SLP", "--who", "assistant"],
            "start: SLP has no assistant modifier (CQ is PT, CO is OT): record the time as the therapist's or together",
        ),
        ("97110", ["--payer", "Acme"], "start: no payer profile named 'Acme'; known: "),
        ("97110", ["--who", "nobody"], "therapytimer start: argument --who: invalid choice: 'nobody'"),
    ],
    ids=["not a code", "unknown", "add-on", "untimed", "other discipline", "no assistant", "payer", "who"],
)
def test_a_refused_start_leaves_nothing_behind(
    cli: Cli, clock: FakeClock, code: str, args: list[str], message: str
) -> None:
    cli.ok("init")
    assert cli.refused("start", code, "--patient", "ZZ", *args).startswith(message)
    assert cli.status()["sessions"] == []  # no new, empty session for ZZ
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    clock.advance(minutes=4)
    if "--discipline" not in args and "--payer" not in args:  # the same code refused in an existing session
        assert cli.refused("start", code, *args).startswith(message)
    clock.advance(minutes=4)
    [session] = cli.status()["sessions"]
    assert session["patient"] == "MT" and timers_of(session) == {"97110": (480, True, "therapist")}


def test_one_at_a_time_pauses_every_other_timer_also_another_patients(cli: Cli, clock: FakeClock) -> None:
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    clock.advance(minutes=5)
    cli.ok("start", "97530", "--patient", "JK", "--discipline", "OT")
    clock.advance(minutes=3)
    sessions = by_patient(cli.status())
    assert timers_of(sessions["MT", "PT"]) == {"97110": (300, False, "therapist")}
    assert timers_of(sessions["JK", "OT"]) == {"97530": (180, True, "therapist")}
    cli.ok("start", "97110", "--patient", "MT")  # resumes MT's timer, pauses JK's at the same instant
    clock.advance(minutes=2)
    cli.ok("start", "97140")  # MT's second code: 97110 pauses
    clock.advance(minutes=1)
    sessions = by_patient(cli.status())
    assert timers_of(sessions["MT", "PT"]) == {"97110": (420, False, "therapist"), "97140": (60, True, "therapist")}
    assert timers_of(sessions["JK", "OT"]) == {"97530": (180, False, "therapist")}


def test_concurrent_timers_when_the_settings_allow_them(cli: Cli, clock: FakeClock, user_dirs: Path) -> None:
    """With one-at-a-time off, starting a timer leaves the others running; pause CODE, pause (the
    session) and pause --all then each stop what they name."""
    (user_dirs / "settings.json").write_text(json.dumps({"exclusive_timers": False}))
    out = cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    mt = started(out, "97110", "therapist", "MT", "PT", exclusive=False)
    clock.advance(minutes=1)
    assert cli.ok("start", "97035") == f"Started 97035 (therapist) for MT · PT · session {mt}.\n"
    clock.advance(minutes=1)
    out = cli.ok("start", "97530", "--patient", "JK", "--discipline", "OT")
    assert re.fullmatch(r"Started 97530 \(therapist\) for JK · OT · session [0-9a-f]{8}\.\n", out)  # none paused
    clock.advance(minutes=1)
    assert cli.ok("pause", "97035", "--patient", "MT") == f"Paused 97035 of MT · PT · session {mt}.\n"
    assert cli.ok("pause", "97035", "--patient", "MT") == f"97035 was not running in MT · PT · session {mt}.\n"
    clock.advance(minutes=1)
    assert cli.ok("pause", "--patient", "MT") == f"Paused every timer of MT · PT · session {mt}.\n"
    assert cli.ok("pause", "--patient", "MT") == f"No timer was running in MT · PT · session {mt}.\n"
    clock.advance(minutes=1)
    sessions = by_patient(cli.status())
    assert timers_of(sessions["MT", "PT"]) == {"97110": (240, False, "therapist"), "97035": (120, False, "therapist")}
    assert timers_of(sessions["JK", "OT"]) == {"97530": (180, True, "therapist")}  # another session's runs on
    cli.ok("start", "97110", "--patient", "MT")
    cli.ok("start", "97035", "--patient", "MT")
    clock.advance(minutes=1)
    assert cli.ok("pause", "--all") == "Paused 3 timers.\n"
    assert cli.ok("pause", "--all") == "Paused 0 timers.\n"
    clock.advance(minutes=5)
    sessions = by_patient(cli.status())
    assert timers_of(sessions["MT", "PT"]) == {"97110": (300, False, "therapist"), "97035": (180, False, "therapist")}
    assert timers_of(sessions["JK", "OT"]) == {"97530": (240, False, "therapist")}


def test_who_switches_on_a_running_timer_and_the_cq_line_appears(cli: Cli, clock: FakeClock) -> None:
    mt = started(cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT"), "97110", "therapist", "MT", "PT")
    clock.advance(minutes=7)
    assert cli.ok("start", "97110", "--who", "assistant") == (
        f"Started 97110 (assistant) for MT · PT · session {mt} (every other timer is paused).\n"
    )
    clock.advance(minutes=10)
    [session] = cli.status()["sessions"]
    assert timers_of(session) == {"97110": (1020, True, "assistant")}
    assert lines_of(session) == [("97110", ["GP"], 7, 0), ("97110", ["GP", "CQ"], 10, 1)]
    assert session["total_units"] == 1
    cli.ok("start", "97110")  # without --who: goes on as whoever treated last
    clock.advance(minutes=5)
    cli.ok("start", "97110", "--who", "therapist")
    clock.advance(minutes=4)
    [session] = cli.status()["sessions"]
    assert timers_of(session) == {"97110": (1560, True, "therapist")}
    assert lines_of(session) == [("97110", ["GP"], 11, 1), ("97110", ["GP", "CQ"], 15, 1)]
    assert session["total_units"] == 2


def test_pause_without_an_open_session(cli: Cli) -> None:
    cli.ok("init")
    assert cli.refused("pause") == "pause: no open session"
    assert cli.refused("pause", "97110", "--patient", "MT") == "pause: no open session for MT today"
    assert cli.refused("pause", "9711") == "'9711' is not a code (five digits, or a letter and four digits)"
    assert cli.ok("pause", "--all") == "Paused 0 timers.\n"


# ---- close ------------------------------------------------------------------------------------------


def test_close_prints_the_note_summary_and_stops_the_clock(cli: Cli, clock: FakeClock) -> None:
    mt = started(cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT"), "97110", "therapist", "MT", "PT")
    clock.advance(minutes=23)
    cli.ok("start", "97112")
    clock.advance(minutes=10)
    assert cli.ok("close") == (
        f"Closed MT · PT · session {mt}. For the note:\n"
        "\n"
        "2026-11-23 · MT · PT · Medicare 8-minute rule (pooled)\n"
        "Clinician: (not named)\n"
        "Treatment times: 15:00–15:33\n"
        "Total timed code treatment minutes: 33\n"
        "Total treatment time: 33 minutes\n"
        "Total units: 2\n"
        "Timed codes (every one, billed or not):\n"
        "  97110 GP: 23 min, therapist, alone or with the assistant, 1 unit (Therapeutic exercise)\n"
        "  97112 GP: 10 min, therapist, alone or with the assistant, 1 unit (Neuromuscular re-education)\n"
    )
    clock.advance(minutes=30)
    [session] = cli.status()["sessions"]
    assert session["state"] == "closed" and session["total_units"] == 2
    assert timers_of(session) == {"97110": (1380, False, "therapist"), "97112": (600, False, "therapist")}
    assert cli.refused("close") == "close: no open session"
    assert cli.refused("close", "--patient", "MT") == "close: no open session for MT today"


def test_a_refused_restore_leaves_the_running_timer_running(cli: Cli, clock: FakeClock, tmp_path: Path) -> None:
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"not a database " * 100)
    assert (
        cli.refused("restore", str(bogus), "--yes")
        == f"restore: {bogus} is not a TherapyTimer backup; nothing was restored"
    )
    clock.advance(minutes=5)
    [session] = cli.status()["sessions"]
    assert timers_of(session) == {"97110": (300, True, "therapist")}


# ---- status -----------------------------------------------------------------------------------------


def test_status_prints_a_readable_table(cli: Cli, clock: FakeClock) -> None:
    cli.ok("init")
    assert cli.ok("status") == f"No sessions on {DAY}.\n"
    mt = started(cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT"), "97110", "therapist", "MT", "PT")
    clock.advance(minutes=8, seconds=30)
    cli.ok("start", "97112")
    clock.advance(minutes=11, seconds=30)
    jk = started(cli.ok("start", "97530", "--patient", "JK", "--discipline", "OT"), "97530", "therapist", "JK", "OT")
    clock.advance(minutes=3, seconds=5)
    assert cli.ok("status") == (
        f"MT · PT · session {mt} · Medicare · open · 1 unit\n"
        "  CODE    TIME  STATE   UNITS\n"
        "  97110   8:30  paused      0\n"
        "  97112  11:30  paused      1\n"
        "  PT visit 1 without a progress report: due in 9 visits\n"
        "  PT plan of care: not entered\n"
        "  PT+SLP $32.02 of $2,480 (2026 therapy threshold)\n"  # 97112 in full, at 2025 rates
        "\n"
        f"JK · OT · session {jk} · Medicare · open · 0 units\n"
        "  CODE   TIME  STATE      UNITS\n"
        "  97530  3:05  ● running      0\n"
        "  OT visit 1 without a progress report: due in 9 visits\n"  # the visit under way counts
        "  OT plan of care: not entered\n"
        "  OT $0 of $2,480 (2026 therapy threshold)\n"
    )
    assert cli.ok("status", "--date", "2026-11-22") == "No sessions on 2026-11-22.\n"
    assert cli.status("--date", "2026-11-22") == {"now": "2026-11-23T15:23:05+00:00", "sessions": []}


def test_status_lists_an_untimed_service_but_not_as_a_timer(cli: Cli, clock: FakeClock, db: Path) -> None:
    mt = started(cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT"), "97110", "therapist", "MT", "PT")
    clock.advance(minutes=9)
    workspace = open_workspace(db, clock, create=False)
    [found] = workspace.timers.open_sessions()
    workspace.timers.add_service(found.id, "97161", 30)
    workspace.close()
    [session] = cli.status()["sessions"]
    assert timers_of(session) == {"97110": (540, True, "therapist")}
    assert lines_of(session) == [("97110", ["GP"], 9, 1), ("97161", ["GP"], 30, 1)]
    assert cli.ok("status") == (
        f"MT · PT · session {mt} · Medicare · open · 2 units\n"
        "  CODE   TIME  STATE      UNITS\n"
        "  97110  9:00  ● running      1\n"
        "  97161     -  service        1\n"
        "  PT visit 1 without a progress report: due in 9 visits\n"
        "  PT plan of care: not entered\n"
        "  PT+SLP $119.84 of $2,480 (2026 therapy threshold)\n"  # 97161 98.01 in full + 97110 21.83 reduced
    )


def test_reading_commands_never_create_a_database(cli: Cli, db: Path) -> None:
    for args in (["status"], ["pause"], ["pause", "--all"], ["close"]):
        message = cli.refused(*args)
        assert message.startswith("therapytimer: there is no database at") and "a mistyped file name" in message
    assert not db.exists() and not db.parent.exists()


# ---- global options -----------------------------------------------------------------------------------


def test_db_before_or_after_the_command(cli: Cli, clock: FakeClock, tmp_path: Path, db: Path) -> None:
    other = tmp_path / "elsewhere.db"
    cli.ok("--db", str(other), "start", "97110", "--patient", "MT", "--discipline", "PT")
    clock.advance(minutes=2)
    cli.ok("start", "97112", "--db", str(other))
    clock.advance(minutes=1)
    before = json.loads(cli.ok("--db", str(other), "status", "--json"))
    after = json.loads(cli.ok("status", "--json", "--db", str(other)))
    assert before == after
    assert timers_of(before["sessions"][0]) == {"97110": (120, False, "therapist"), "97112": (60, True, "therapist")}
    assert not db.exists()  # the default database was never touched
    assert cli.ok("--log-level", "debug", "--db", str(other), "pause", "--all") == "Paused 1 timer.\n"
    assert cli.ok("close", "--log-level", "warning", "--db", str(other)).startswith("Closed MT · PT · ")


@pytest.mark.parametrize(
    "args",
    [
        ["--db", "", "status"],
        ["status", "--db", ""],
        ["--db", " ", "start", "97110", "--patient", "MT"],
        ["pause", "--all", "--db", ""],
        ["--db", "", "units", "97110=23"],
        ["--db", "", "gui"],
        ["gui", "--db", ""],
    ],
)
def test_an_empty_db_is_refused_everywhere(cli: Cli, db: Path, args: list[str]) -> None:
    assert cli.refused(*args) == "therapytimer: --db is empty; it needs a database file name"
    assert not db.parent.exists()


def test_an_empty_therapytimer_db_is_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("THERAPYTIMER_DB", "")
    for args in (["status"], ["start", "97110", "--patient", "MT"], ["week"], ["units", "97110=23"], ["gui"]):
        assert cli.refused(*args) == "therapytimer: THERAPYTIMER_DB is empty; it needs a database file name"
    chosen = tmp_path / "chosen.db"
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT", "--db", str(chosen))  # --db wins
    assert chosen.exists()


def test_log_level_before_or_after_and_a_bad_one(cli: Cli, log_dir: Path) -> None:
    log = log_dir / "therapytimer.log"
    cli.ok("--log-level", "error", "start", "97110", "--patient", "MT", "--discipline", "PT")
    assert not log.exists() or " INFO " not in log.read_text()
    cli.ok("start", "97112", "--log-level", "info")
    assert log.read_text().count(" INFO ") == 1 and ": 97112 started" in log.read_text()
    cli.ok("--log-level", "warning", "pause", "--all")
    assert "paused" not in log.read_text()
    cli.ok("pause", "--all")  # the default level is info
    assert "all timers paused (0)" in log.read_text()
    assert "MT" not in log.read_text()  # session ids and codes, never a patient alias
    assert "argument --log-level: invalid choice: 'loud'" in cli.refused("status", "--log-level", "loud")
    assert "argument --log-level: invalid choice: 'loud'" in cli.refused("--log-level", "loud", "status")


def test_week_starts_where_the_settings_say_unless_asked(cli: Cli, user_dirs: Path) -> None:
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    assert json.loads(cli.ok("week", "--date", "2026-11-26", "--json"))["week_start"] == "2026-11-23"
    (user_dirs / "settings.json").write_text(json.dumps({"week_start": "sunday"}))
    sunday = json.loads(cli.ok("week", "--date", "2026-11-26", "--json"))
    assert (sunday["week_start"], sunday["week_end"]) == ("2026-11-22", "2026-11-28")
    assert cli.ok("week", "--date", "2026-11-26").startswith("Week Sun 2026-11-22 to Sat 2026-11-28\n")
    monday = json.loads(cli.ok("week", "--date", "2026-11-26", "--week-start", "monday", "--json"))
    assert (monday["week_start"], monday["week_end"]) == ("2026-11-23", "2026-11-29")


# ---- a real process -------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("faketime") is None, reason="needs faketime (apt-get install faketime)")
@pytest.mark.slow
def test_real_processes_under_faketime(tmp_path: Path) -> None:
    """What a script or a foot pedal does: one process per press, each at its own (frozen) time."""
    db = tmp_path / "pedal.db"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "THERAPYTIMER_DB")}
    env |= {
        "THERAPYTIMER_CONFIG_DIR": str(tmp_path / "config"),
        "THERAPYTIMER_LOG_DIR": str(tmp_path / "log"),
        "TZ": "UTC",
    }

    def therapytimer(at: str | None, *args: str) -> str:
        command = [sys.executable, "-m", "therapytimer", "--db", str(db), *args]
        if at is not None:
            command = ["faketime", "-f", at, *command]
        proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
        assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
        return proc.stdout

    out = therapytimer("2026-11-23 10:00:00", "start", "97110", "--patient", "MT", "--discipline", "PT")
    short = started(out, "97110", "therapist", "MT", "PT")
    assert started(therapytimer("2026-11-23 10:08:30", "start", "97112"), "97112", "therapist", "MT", "PT") == short
    assert therapytimer("2026-11-23 10:20:00", "pause", "--all") == "Paused 1 timer.\n"
    status = json.loads(therapytimer(None, "status", "--json", "--date", DAY))
    [session] = status["sessions"]
    assert session["id"].startswith(short) and session["date"] == DAY
    assert timers_of(session) == {"97110": (510, False, "therapist"), "97112": (690, False, "therapist")}
    assert lines_of(session) == [("97110", ["GP"], 8, 0), ("97112", ["GP"], 11, 1)]
    assert (session["total_units"], session["other_rule_units"]) == (1, 2)


def test_start_without_a_patient_never_times_into_an_older_days_session(cli: Cli, clock: FakeClock) -> None:
    """The session that ran last may be yesterday's, left open: today's minutes must not land on its date."""
    assert cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    clock.advance(hours=1)
    assert cli.ok("pause", "--all")
    clock.advance(days=1)
    assert cli.refused("start", "97112") == (
        "start: the session that ran last (MT, 2026-11-23) is not today's; "
        "give --patient ALIAS to start today's session"
    )
