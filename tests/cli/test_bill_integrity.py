"""A bill that cannot be silently wrong, from the command line: forgotten timers, unfinished days, the
day checks and a note that matches the bill (issue 10)."""

from __future__ import annotations

import json

from tests.cli.conftest import Cli
from therapytimer.core.clock import FakeClock

MONDAY = "2026-11-23"


def test_a_timer_started_on_monday_and_found_on_friday(cli: Cli, clock: FakeClock) -> None:
    """0.1: 1440:00 and 96 units on Friday, and Monday exported as `AB,97530,1440,96` without a word."""
    cli.ok("start", "97530", "--patient", "AB", "--discipline", "OT")
    clock.advance(days=4)
    code, out, err = cli("status", "--json", "--date", MONDAY)
    assert code == 0
    [session] = json.loads(out)["sessions"]
    assert session["timers"] == [
        {"code": "97530", "running": False, "seconds": 5400, "who": "therapist", "over_limit": False}
    ]
    assert session["total_units"] == 6 and session["state"] == "open"
    assert err == (
        "note: 97530 for AB (OT), started 2026-11-23 15:00: its day is over, so it was stopped and flagged\n"
    )
    code, out, err = cli("export", "--date", MONDAY)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "export: 2026-11-23 is not finished: 2 things still open or running; nothing was exported. "
        "Close them first, or add --allow-open:",
        "  AB (OT): session open",
        "  AB: 97530 (started 2026-11-23 15:00) was still running after 2026-11-23: not confirmed past the "
        "90-minute limit: stopped where the limit was reached; check its minutes before closing the session",
    ]
    code, out, err = cli("export", "--date", MONDAY, "--allow-open")
    assert code == 0 and ",AB,OT,,cms,97530,Therapeutic activities,GO,90,6,90,90,Medicare" in out
    assert "note: exported with 2 things not finished" in err
    code, out, _ = cli("check", "--date", MONDAY)
    assert code == 1 and out.splitlines()[:3] == [
        "2026-11-23: 3 findings",
        "  error    open-session       AB (OT): session open",
        "  error    stopped-by-itself  AB: 97530 (started 2026-11-23 15:00) was still running after 2026-11-23: not "
        "confirmed past the 90-minute limit: stopped where the limit was reached; check its minutes before closing "
        "the session",
    ]
    assert cli.refused("close", "--patient", "AB") == "close: no open session for AB today"
    history = cli.ok("close", "--patient", "AB", "--date", MONDAY)
    assert "Total timed code treatment minutes: 90" in history
    code, out, _ = cli("export", "--date", MONDAY)
    assert code == 0 and ",97530,Therapeutic activities,GO,90,6," in out


def test_check_exits_0_on_a_finished_clean_day_and_1_with_findings(cli: Cli, clock: FakeClock) -> None:
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT", "--provider", "Dana Lee")
    clock.advance(minutes=23)
    code, out, _ = cli("check", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["date"] == MONDAY and [f["kind"] for f in data["findings"]] == ["open-session", "running-timer"]
    assert set(data["findings"][0]) == {"kind", "severity", "session", "code", "message"}
    cli.ok("close")
    assert cli("check") == (0, "2026-11-23: clean (every session closed, no timer running, nothing to look at)\n", "")
    assert cli("check", "--date", "2026-11-22")[0] == 0
    assert cli.refused("check", "--date", "someday").startswith("therapytimer check: argument --date")


def test_a_clinic_without_a_clinician_name_is_told(cli: Cli, clock: FakeClock) -> None:
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    clock.advance(minutes=10)
    cli.ok("close")
    code, out, _ = cli("check")
    assert code == 1 and "no-provider" in out and "no clinician named on the session" in out


def test_still_treating_and_stop_at_a_chosen_time(cli: Cli, clock: FakeClock) -> None:
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT")
    clock.advance(minutes=95)
    _, _, err = cli("status")
    assert "97110 for MT (PT), started 2026-11-23 15:00: past the limit; still treating? (therapytimer confirm)" in err
    assert cli.ok("confirm").startswith("Still treating: the timers past the limit of MT · PT")
    clock.advance(minutes=10)
    [s] = cli.status()["sessions"]
    assert s["timers"][0]["seconds"] == 105 * 60 and not s["timers"][0]["over_limit"]
    assert cli.refused("confirm", "97110") == "confirm: 97110 is not running past the 90-minute limit"
    assert cli.ok("pause", "97110", "--at", "16:30").startswith("Stopped 97110 of MT · PT")
    [s] = cli.status()["sessions"]
    assert s["timers"][0] == {
        "code": "97110",
        "running": False,
        "seconds": 90 * 60,
        "who": "therapist",
        "over_limit": False,
    }
    assert cli.refused("pause", "--at", "16:30") == "pause: --at needs the CODE to stop, e.g. pause 97110 --at 10:30"
    cli.ok("start", "97110")
    assert "is not a time" in cli.refused("pause", "97110", "--at", "half past")
    assert "can stop between its start" in cli.refused("pause", "97110", "--at", "09:00")


def test_the_note_has_every_line_and_adds_up(cli: Cli, clock: FakeClock) -> None:
    """Therapist and assistant minutes on 97110 and a 4-minute 97035: the note's lines (the CQ line and the
    0-unit code included) add up to its total timed minutes, and it names the clinician."""
    cli.ok("start", "97110", "--patient", "MT", "--discipline", "PT", "--provider", "Dana Lee")
    clock.advance(minutes=25)
    cli.ok("start", "97110", "--who", "assistant")
    clock.advance(minutes=9)
    cli.ok("start", "97035", "--who", "therapist")
    clock.advance(minutes=4)
    cli.ok("pause", "--all")
    note = json.loads(cli.ok("note", "--json"))
    timed = [ln for ln in note["lines"]]
    assert sum(ln["minutes"] for ln in timed) == note["total_timed_minutes"] == 38
    assert {(ln["code"], tuple(ln["modifiers"]), ln["who"]) for ln in timed} == {
        ("97110", ("GP",), "therapist"),
        ("97110", ("GP", "CQ"), "assistant"),
        ("97035", ("GP",), "therapist"),
    }
    assert next(ln for ln in timed if ln["code"] == "97035")["units"] == 0
    assert "Clinician: Dana Lee" in note["text"] and cli.ok("note").rstrip("\n") == note["text"]
    assert cli.ok("note", "--patient", "MT", "--date", MONDAY).rstrip("\n") == note["text"]
    assert (
        cli.refused("note", "--patient", "ZZ")
        == "note: no session for ZZ on 2026-11-23; give --patient ALIAS (and --date)"
    )
    cli.ok("start", "97530", "--patient", "MT", "--discipline", "OT")
    assert cli.refused("note", "--patient", "MT") == "note: MT has OT and PT sessions on 2026-11-23: give --discipline"
    assert "· OT ·" in cli.ok("note", "--patient", "MT", "--discipline", "OT")


def test_the_week_bills_a_forgotten_timer_up_to_the_limit_only(cli: Cli, clock: FakeClock) -> None:
    """0.1's week showed $6,529.59 instead of $3,241.64 for one forgotten timer."""
    cli.ok("start", "97530", "--patient", "AB", "--discipline", "OT")
    clock.advance(days=4)
    week = json.loads(cli.ok("week", "--json", "--date", MONDAY))
    assert week["totals"]["codes"]["97530"] == {"minutes": 90, "units": 6}
    assert week["days"][0]["units"] == 6


def test_check_names_units_above_a_codes_published_limit(cli: Cli, clock: FakeClock) -> None:
    """97035's per-day limit (MUE) is 2 in the shipped data; 38 minutes bill 3 units."""
    cli.ok("start", "97035", "--patient", "MT", "--discipline", "PT", "--provider", "Dana Lee")
    clock.advance(minutes=38)
    cli.ok("close")
    code, out, _ = cli("check", "--json")
    [finding] = json.loads(out)["findings"]
    assert code == 1 and finding["kind"] == "mue" and finding["code"] == "97035"
    assert finding["message"].startswith("MT (PT): 97035: 3 units is above its per-day limit (MUE 2")
