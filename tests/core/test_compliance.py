"""Compliance guards as data (issue #10 items 5 and 7): who may furnish what, CQ/CO by date of service, MUE
warnings, each rule with its source; the files themselves, and every entry that must refuse or warn."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import CATALOG, bill, keyed_units
from therapytimer.core import stopwatch
from therapytimer.core.assistant import Reading, split, split_service, split_timed
from therapytimer.core.catalog import Catalog, CodeSpec, Discipline, Kind
from therapytimer.core.compliance import (
    ComplianceError,
    Exclusion,
    Mue,
    Period,
    builtin,
    load_compliance,
    parse_evaluations,
    parse_exclusions,
    parse_mue,
    parse_periods,
)
from therapytimer.core.exchange import FORMAT, ExchangeError, parse_sessions
from therapytimer.core.guidance import next_units
from therapytimer.core.live import live_view
from therapytimer.core.reports import DayBill, bill_day, day_pay, day_totals, week_report
from therapytimer.core.rules import Rule, RuleInputError, Service, UnitResult, compute, units_for
from therapytimer.core.session import CodeEntry, Role, Session, SessionError, Who
from therapytimer.paths import resource_path

BEFORE = date(2019, 12, 31)  # the last date of service without CQ/CO
CY2020 = date(2021, 6, 1)
CY2022 = date(2026, 11, 23)
AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
COMPLIANCE = builtin()
EVALUATIONS = [f"{n}" for n in range(97161, 97169)]
PERIODS_HEADER = "from,to,name,reading,payment_factor,source\n"


def on(day: date | None, minutes: dict[str, int], assistant: dict[str, int], discipline: str = "PT") -> UnitResult:
    services = [Service(CATALOG.get(c), minutes.get(c, 0), assistant.get(c, 0)) for c in minutes | assistant]
    return compute(services, Rule.CMS, CATALOG, discipline=Discipline(discipline), day=day)


def modifier_units(result: UnitResult) -> int:
    return sum(ln.units for ln in result.lines if {"CQ", "CO"} & set(ln.modifiers))


# ---- the shipped data ----------------------------------------------------------------------------------


def test_the_shipped_files_load_and_name_their_sources() -> None:
    """Every row of resources/compliance/ says where it comes from (resources/compliance/RULES.md)."""
    assert set(EVALUATIONS) <= set(COMPLIANCE.excluded)
    assert all(e.source and e.service for e in COMPLIANCE.excluded.values())
    assert all(p.source and p.name for p in COMPLIANCE.periods)
    for mue in COMPLIANCE.mue.values():
        assert mue.quarter and mue.table and mue.source.startswith("http"), mue
    assert "97110" not in COMPLIANCE.mue  # widely said to be 6, but no citable public value was found
    assert (resource_path("compliance/RULES.md")).read_text().startswith("# Compliance data")


def test_cq_co_periods_by_date_of_service() -> None:
    """None before 2020-01-01 (SSA §1834(v)(2)); the CY2020 rule paid in full (84 FR 62702-62707); from
    2022-01-01 the CY2022 reading (86 FR 64996) paid at 85 % (SSA §1834(v)(1))."""
    got = [(COMPLIANCE.period(d).reading, COMPLIANCE.period(d).payment) for d in (BEFORE, date(2020, 1, 1), CY2020)]
    one = Decimal(1)
    assert got == [(Reading.NONE, one), (Reading.UNIT_2020, one), (Reading.UNIT_2020, one)]
    assert COMPLIANCE.period(date(2021, 12, 31)).reading is Reading.UNIT_2020
    assert COMPLIANCE.period(date(2022, 1, 1)).payment == Decimal("0.85")
    assert COMPLIANCE.period(None) == COMPLIANCE.period(CY2022)  # None: the reading in force today
    assert [p.span() for p in COMPLIANCE.periods] == [
        "through 2019-12-31",
        "2020-01-01 to 2021-12-31",
        "from 2022-01-01",
    ]
    assert Period(None, None, "x", Reading.NONE, Decimal(1), "s").span() == "on every date"


def test_the_refusal_names_the_code_what_it_is_and_the_source() -> None:
    """Pub. 100-02 ch. 15 §230.1: "PTAs may not provide evaluative or assessment services"."""
    refusal = COMPLIANCE.refusal("97161")
    assert refusal is not None and refusal.startswith("an assistant may not furnish 97161 (a PT evaluation; ")
    assert "§230.1" in refusal
    assert COMPLIANCE.refusal("97110") is None


# ---- the engine: evaluations are an entry error -------------------------------------------------------


@pytest.mark.parametrize("code", [*EVALUATIONS, "96125"])
def test_compute_refuses_assistant_minutes_on_an_evaluation(code: str) -> None:
    """Pub. 100-02 ch. 15 §230.1/§230.2: assistant minutes on an evaluation are an entry error, not a CQ/CO line,
    on every date of service and under both rules."""
    discipline = "OT" if code in ("97165", "97166", "97167", "97168", "96125") else "PT"
    for day in (BEFORE, CY2020, CY2022):
        with pytest.raises(RuleInputError, match=f"an assistant may not furnish {code} "):
            on(day, {code: 30}, {code: 5}, discipline)
    assert bill({code: 30}, discipline=discipline).total_units >= 0  # the therapist's minutes bill as ever
    assert on(CY2022, {code: 30}, {code: 0}, discipline).total_units >= 0  # 0 assistant minutes: nothing to refuse


def test_an_add_on_is_refused_when_its_base_code_is_excluded() -> None:
    """The add-on's minutes are its base code's service (CPT): excluding the base excludes the pair."""
    only_base = replace(COMPLIANCE, excluded={"96112": Exclusion("96112", "a test", "source")})
    services = [Service(CATALOG.get("96113"), 10, 20)]
    with pytest.raises(RuleInputError, match="may not furnish 96112"):
        compute(services, Rule.CMS, CATALOG, discipline=Discipline.OT, compliance=only_base)


# ---- the engine: CQ/CO by date of service ---------------------------------------------------------------


def test_before_2020_assistant_minutes_bill_without_a_modifier_and_say_so() -> None:
    """SSA §1834(v)(2): the modifier exists for dates of service from 2020-01-01; before, the assistant's
    minutes are simply the code's minutes."""
    result = on(BEFORE, {"97110": 13, "97140": 30}, {"97110": 23})
    assert [(ln.code, ln.modifiers, ln.minutes, ln.units) for ln in result.lines] == [
        ("97110", ("GP",), 36, 2),
        ("97140", ("GP",), 30, 2),
    ]
    why = next(e for e in result.explanation if "no assistant modifier" in e)
    assert why == (
        "97110: the therapist (alone or together with the assistant) furnished 13 min, the assistant alone 23 min; "
        "no assistant modifier applies to dates of service through 2019-12-31 (before CQ/CO), so all 36 min bill "
        "without CQ"
    )


def test_cy2020_tests_each_unit_without_the_therapists_midpoint() -> None:
    """CY2020 final rule (84 FR 62702-62707, per billed unit, as AAPC and PT Management summarised it in 2020):
    13 + 2 min is one unit whose assistant share is 13 % > 10 %: CQ. The CY2022 rule (86 FR 64996) gives it to
    the therapist, who furnished past its midpoint (vector dm-2min-cy2022)."""
    assert keyed_units(on(CY2020, {"97110": 13}, {"97110": 2})) == {"97110": 0, "97110-CQ": 1}
    assert keyed_units(on(CY2022, {"97110": 13}, {"97110": 2})) == {"97110": 1, "97110-CQ": 0}
    # Two units left, 12 + 12 min: both take CQ in 2020-2021; one with and one without from 2022.
    assert modifier_units(on(CY2020, {"97110": 12}, {"97110": 12})) == 2
    assert modifier_units(on(CY2022, {"97110": 12}, {"97110": 12})) == 1
    why = next(e for e in on(CY2020, {"97110": 12}, {"97110": 12}).explanation if " CQ (" in e)
    assert why == (
        "97110 assistant modifier CQ (CY2020 rule, paid in full): the therapist (alone or together with the "
        "assistant) furnished 12 min, the assistant alone 12 min; the assistant furnished 12 of the last 24 min "
        "(over 10 %: 2 units with)"
    )


def test_the_cq_explanation_names_both_clinicians_minutes() -> None:
    """Issue #10 item 7: plain words: who furnished how much, then why."""
    result = on(CY2022, {"97110": 13, "97140": 30}, {"97110": 23})
    assert (
        "97110 assistant modifier CQ (CY2022 rule, paid at 85 %): the therapist (alone or together with the "
        "assistant) furnished 13 min, the assistant alone 23 min; 1 unit wholly by the assistant alone takes the "
        "modifier; the therapist furnished 13 of the last 21 min, past the unit's midpoint: 1 unit without"
    ) in result.explanation


def test_the_service_reading_is_all_or_none() -> None:
    """The CY2020 proposed rule's reading (10 % of the code's minutes, every unit alike) stays available to
    the data: a period may name it."""
    whole = replace(COMPLIANCE, periods=(Period(None, None, "per service", Reading.SERVICE, Decimal(1), "s"),))
    services = [Service(CATALOG.get("97110"), 30, 4)]
    result = compute(services, Rule.CMS, CATALOG, discipline=Discipline.PT, compliance=whole)
    assert keyed_units(result) == {"97110": 0, "97110-CQ": 2}
    assert "all 2 units with the modifier" in result.explanation[-2]
    services = [Service(CATALOG.get("97110"), 30, 3)]  # 3 of 33 min: 9 %
    assert modifier_units(compute(services, Rule.CMS, CATALOG, discipline=Discipline.PT, compliance=whole)) == 0
    assert split_service(0, 0, 10).flags == ()
    untimed = compute(
        [Service(CATALOG.get("97150"), 0, 10)], Rule.CMS, CATALOG, discipline=Discipline.PT, compliance=whole
    )
    assert keyed_units(untimed) == {"97150-CQ": 1}


def test_split_dispatches_on_the_reading() -> None:
    assert split(Reading.NONE, True, 2, 10, 20).flags == (False, False)
    assert split(Reading.UNIT_2020, False, 1, 30, 4).flags == (True,)  # untimed: one service, 10 % test
    assert split(Reading.UNIT_2020, True, 1, 13, 2).flags == (True,)
    assert split(Reading.UNIT_2022, True, 1, 13, 2).flags == (False,)


@given(st.integers(0, 120), st.integers(0, 120))
def test_before_2020_no_line_ever_carries_cq(therapist: int, assistant: int) -> None:
    """SSA §1834(v)(2): no CQ/CO before 2020; the units are those of all the minutes, as if one clinician."""
    result = on(BEFORE, {"97110": therapist}, {"97110": assistant})
    assert not any({"CQ", "CO"} & set(ln.modifiers) for ln in result.lines)
    assert result.total_units == units_for(therapist + assistant)
    assert sum(ln.minutes for ln in result.lines) == therapist + assistant


@given(st.integers(0, 120), st.integers(0, 120), st.integers(0, 60))
def test_cy2020_never_gives_fewer_cq_units_than_cy2022(therapist: int, assistant: int, other: int) -> None:
    """The CY2022 rule (86 FR 64996) only added the therapist's midpoint, which takes units off CQ: for the
    same minutes, 2020-2021 bills at least as many CQ units, and the same total."""
    minutes, helped = {"97110": therapist, "97140": other}, {"97110": assistant}
    cy2020, cy2022 = on(CY2020, minutes, helped), on(CY2022, minutes, helped)
    assert cy2020.total_units == cy2022.total_units
    assert modifier_units(cy2022) <= modifier_units(cy2020) <= cy2020.total_units


@given(st.integers(0, 10), st.integers(0, 200), st.integers(0, 200))
def test_the_service_reading_gives_all_or_none_of_a_codes_units(units: int, therapist: int, assistant: int) -> None:
    """The per-service reading (CY2020 proposed rule): all or none of a code's units carry the modifier."""
    flags = split(Reading.SERVICE, True, units, therapist, assistant).flags
    assert len(flags) == units and len(set(flags)) <= 1


@given(st.integers(0, 10), st.integers(0, 200), st.integers(0, 200))
def test_without_the_midpoint_the_assistant_never_loses_a_unit(units: int, therapist: int, assistant: int) -> None:
    with_midpoint = split_timed(units, therapist, assistant)
    without = split_timed(units, therapist, assistant, midpoint=False)
    assert with_midpoint.modifier_units <= without.modifier_units


# ---- MUE warnings ------------------------------------------------------------------------------------------


def test_units_above_the_mue_warn_with_the_value_its_table_and_quarter() -> None:
    """CMS MUE: the most units of a code per patient per day on most claims; the excess is denied."""
    mine = COMPLIANCE.with_mue([Mue("97110", 6, "", "2025Q4", "CMS practitioner table")])
    result = compute([Service(CATALOG.get("97110"), 98)], Rule.CMS, CATALOG, compliance=mine)  # 7 units
    assert result.warnings == (
        "97110: 7 units is above its per-day limit (MUE 6, CMS practitioner table 2025Q4): most payers deny the excess",
    )
    six = compute([Service(CATALOG.get("97110"), 90)], Rule.CMS, CATALOG, compliance=mine)
    assert six.warnings == ()


def test_the_shipped_ultrasound_value_warns_and_says_what_its_mai_means() -> None:
    """97035: 2 units, MAI 3 (as reported by Functional Pathways, 2017; see resources/compliance/mue.csv)."""
    (warning,) = bill({"97035": 38}).warnings
    assert warning == (
        "97035: 3 units is above its per-day limit (MUE 2, CMS table as reported by Functional Pathways 2017Q3): "
        "most payers deny the excess; MAI 3: the excess may be paid on appeal with documentation"
    )
    assert bill({"97035": 37}).warnings == ()
    assert bill({"97035": 38}, "ama").warnings == (warning,)  # the edit is the payer's, whatever the rule


def test_mue_counts_the_units_of_each_billed_code_across_its_lines() -> None:
    """An MUE is per code and day: CQ and plain lines of a code add up; an add-on code has its own value."""
    mine = COMPLIANCE.with_mue([Mue("97530", 2, "2"), Mue("97130", 1, "1")])
    services = [Service(CATALOG.get("97530"), 23, 23)]
    (warning,) = compute(services, Rule.CMS, CATALOG, discipline=Discipline.PT, compliance=mine).warnings
    assert warning == (
        "97530: 3 units is above its per-day limit (MUE 2, from built-in): most payers deny the excess; "
        "MAI 2: an absolute per-day limit, not paid even on appeal"
    )
    (warning,) = compute([Service(CATALOG.get("97129"), 45)], Rule.CMS, CATALOG, compliance=mine).warnings
    assert warning.startswith("97130: 2 units is above") and warning.endswith("; MAI 1: a claim-line edit")


# ---- revenue: the payment factor comes from the periods ---------------------------------------------------


def _bill(day: date, result: UnitResult) -> DayBill:
    return DayBill(day, "AB", Discipline.PT, Rule.CMS, (), (), (), result)


def test_cq_units_are_paid_in_full_before_2022_and_at_85_percent_from_2022() -> None:
    """SSA §1834(v)(1): the 85 % payment applies from 2022-01-01; in 2020-2021 the modifier was reported only.
    The share applies after MPPR (one 97110 unit in full, the others with half their practice expense)."""
    result = on(CY2020, {"97110": 23}, {"97110": 23})
    assert keyed_units(result) == {"97110": 1, "97110-CQ": 2}  # the last 8 + 8 min: 50 % > 10 %
    full, reduced = Decimal("28.79"), Decimal("21.83")
    ((_, pay),) = day_pay([_bill(CY2020, result)], CATALOG)
    assert pay.total == full + 2 * reduced and pay.note == "estimated at 2025 rates"
    ((_, pay),) = day_pay([_bill(CY2022, on(CY2022, {"97110": 23}, {"97110": 23}))], CATALOG)
    assert [p.amount for p in pay.paid] == [full, reduced, (reduced * Decimal("0.85")).quantize(Decimal("0.01"))]
    cheap = replace(COMPLIANCE, periods=(Period(None, None, "x", Reading.UNIT_2022, Decimal("0.5"), "s"),))
    ((_, pay),) = day_pay([_bill(CY2022, result)], CATALOG, cheap)
    assert pay.total == full + 2 * Decimal("10.92")  # 21.83 / 2, to the cent


def _session(day: date, *codes: CodeEntry, sid: str = "s1") -> Session:
    return Session(sid, "AB", Discipline.PT, Rule.CMS, day, AT, codes=codes)


def test_reports_bill_each_day_by_its_own_date_of_service() -> None:
    """A week report across 2021-12-31 and 2022-01-01 pays the CQ unit in full, then at 85 %."""
    sessions = [
        _session(date(2021, 12, 31), CodeEntry("97110", 13, 2), sid="a"),
        _session(date(2022, 1, 1), CodeEntry("97110", 13, 2), sid="b"),
    ]
    now = datetime(2022, 1, 2, tzinfo=UTC)
    bills = bill_day(sessions, CATALOG, now)
    assert [keyed_units(b.result) for b in bills] == [{"97110": 0, "97110-CQ": 1}, {"97110": 1, "97110-CQ": 0}]
    report = week_report(sessions, CATALOG, now, date(2021, 12, 27), date(2022, 1, 2), compliance=COMPLIANCE)
    assert [d.revenue for d in report.days if d.units] == [Decimal("28.79"), Decimal("28.79")]
    mine = COMPLIANCE.with_mue([Mue("97110", 0)])
    (flagged,) = bill_day(sessions[:1], CATALOG, now, compliance=mine)
    assert flagged.result.warnings and day_totals(flagged.date, sessions[:1], [flagged], CATALOG, mine).units == 1


def test_the_live_view_bills_the_sessions_date() -> None:
    """The bedside window bills the session's date of service: a 2019 session shows no CQ."""
    session = _session(BEFORE, CodeEntry("97110", 13, 10))
    view = live_view(session, [session], CATALOG, datetime(2020, 1, 1, tzinfo=UTC), compliance=COMPLIANCE)
    assert keyed_units(view.result) == {"97110": 2}


# ---- next-unit hints ----------------------------------------------------------------------------------------


def test_a_hint_that_depends_on_a_tie_says_how_the_tie_goes() -> None:
    """Pub. 100-04 ch. 5 §20.2: equal leftovers are the clinician's choice; the hint says which way it went."""
    services = [Service(CATALOG.get("97110"), 23), Service(CATALOG.get("97112"), 24)]
    by_code = {h.code: h for h in next_units(services, Rule.CMS, CATALOG)}
    assert by_code["97112"].text().endswith("(4 in all; the tie goes to 97112 by default)")
    preferred = {h.code: h for h in next_units(services, Rule.CMS, CATALOG, prefer=["97110"])}
    assert preferred["97110"].tie == "the tie goes to 97110 as preferred"
    assert by_code["97110"].tie is None  # 25 min outweighs 9: no tie involved


def test_the_any_code_hint_only_where_the_discipline_has_15_minute_codes() -> None:
    """Issue #10 item 7: an SLP day of untimed codes, or a discipline with no 15-minute code in the catalog,
    gets no "more min of any 15-minute code" hint."""
    slp_day = [Service(CATALOG.get("92507")), Service(CATALOG.get("92526"))]
    assert next_units(slp_day, Rule.CMS, CATALOG, discipline=Discipline.SLP, day=CY2022) == []
    own = Catalog(
        [
            CodeSpec("X0001", "timed", Kind.TIMED, frozenset({Discipline.PT})),
            CodeSpec("X0002", "untimed", Kind.UNTIMED, frozenset({Discipline.SLP})),
        ]
    )
    services = [Service(own.get("X0001"), 10), Service(own.get("X0002"))]
    slp = next_units(services, Rule.CMS, own, discipline=Discipline.SLP)
    assert [h.code for h in slp] == ["X0001"]  # its own hint stays; no "any 15-minute code"
    assert [h.code for h in next_units(services, Rule.CMS, own, discipline=Discipline.PT)] == [None, "X0001"]
    dated = Catalog([replace(own.get("X0001"), valid_to=date(2020, 12, 31))])
    assert [h.code for h in next_units([Service(dated.get("X0001"), 10)], Rule.CMS, dated, day=CY2022)] == ["X0001"]


def test_hints_follow_the_date_of_service() -> None:
    """Before 2020 the assistant's minutes count like the therapist's for the next unit as well."""
    services = [Service(CATALOG.get("97110"), 10, 10)]
    (_, hint) = next_units(services, Rule.CMS, CATALOG, discipline=Discipline.PT, day=BEFORE)
    assert (hint.more_minutes, hint.code_units) == (3, 2)


# ---- every entry refuses an assistant on an evaluation --------------------------------------------------------


def test_import_names_the_place_of_an_assistant_on_an_evaluation() -> None:
    """Pub. 100-02 ch. 15 §230.1: refused at import, with its place, on top of the discipline check."""
    item: dict[str, Any] = {
        "patient": "AB",
        "discipline": "PT",
        "rule": "cms",
        "date": "2026-11-23",
        "codes": [{"code": "97110", "minutes": 10}, {"code": "97161", "minutes": 30, "assistant_minutes": 5}],
    }
    text = json.dumps({"format": FORMAT, "sessions": [item]})
    with pytest.raises(ExchangeError) as caught:
        parse_sessions(text, CATALOG)
    (problem,) = caught.value.problems
    assert problem.startswith("sessions[0].codes[1].assistant_minutes: an assistant may not furnish 97161 (a PT ")
    item["codes"][1]["assistant_minutes"] = 0
    assert parse_sessions(json.dumps({"format": FORMAT, "sessions": [item]}), CATALOG, COMPLIANCE)


def _fresh(discipline: Discipline, role: Role = Role.THERAPIST) -> Session:
    return stopwatch.new_session("MT", discipline, Rule.CMS, day=CY2022, at=AT, role=role, session_id="s1")


def test_the_stopwatch_refuses_an_assistant_on_an_evaluation() -> None:
    """Pub. 100-02 ch. 15 §230.2 (OTAs): refused when an assistant starts, takes over or is corrected in."""
    ot = _fresh(Discipline.OT)
    with pytest.raises(SessionError, match=r"an assistant may not furnish 96125 .*record the time as the therapist"):
        stopwatch.start(ot, "96125", CATALOG, AT, who=Who.ASSISTANT)
    with pytest.raises(SessionError, match="may not furnish 96125"):
        stopwatch.start(_fresh(Discipline.OT, Role.ASSISTANT), "96125", CATALOG, AT)
    running = stopwatch.apply(ot, stopwatch.start(ot, "96125", CATALOG, AT), stopwatch.Written((1,), 2, ()))
    with pytest.raises(SessionError, match="may not furnish 96125"):
        stopwatch.set_who(running, "96125", Who.ASSISTANT, AT)
    with pytest.raises(SessionError, match="may not furnish 97165"):  # before "untimed": the first reason
        stopwatch.correct(ot, "97165", CATALOG, AT, 30, 5, "forgot")
    assert stopwatch.correct(ot, "97530", CATALOG, AT, 10, 5, "forgot").correction


# ---- reading the files ----------------------------------------------------------------------------------------


def period_problems(text: str) -> list[str]:
    with pytest.raises(ComplianceError) as caught:
        parse_periods(text, "p.csv")
    return caught.value.problems


def test_periods_must_cover_every_date_once() -> None:
    good = PERIODS_HEADER + ",2019-12-31,a,none,1,s\n2020-01-01,,b,unit-2022,0.85,s\n"
    assert [p.reading for p in parse_periods(good, "p.csv")] == [Reading.NONE, Reading.UNIT_2022]
    assert period_problems(PERIODS_HEADER) == ["p.csv: no period is given"]
    assert period_problems(PERIODS_HEADER + "2000-01-01,2019-12-31,a,none,1,s\n2020-01-02,2030-01-01,b,none,1,s\n") == [
        "p.csv line 2: the first period must have no start (leave from empty)",
        "p.csv line 3: the last period must have no end (leave to empty)",
        "p.csv line 3: must start the day after the period before it ends (on 2020-01-01)",
    ]
    assert period_problems(PERIODS_HEADER + ",,a,none,1,s\n2020-01-01,,b,none,1,s\n") == [
        "p.csv line 3: must start the day after the period before it ends (never: the period before it has no end)"
    ]


def test_every_problem_of_a_period_row_is_listed() -> None:
    rows = ["2020-13-01,2019-01-01,,maybe,1.5", "2021-01-01,2020-01-01,x,none,abc,s", ",,x,none,0,s", ",,,,,", ""]
    text = PERIODS_HEADER + "\n".join(rows) + "\n"
    assert period_problems(text) == [
        "p.csv line 2, from: '2020-13-01' is not a date (use YYYY-MM-DD)",
        "p.csv line 2: name is required",
        "p.csv line 2: source is required",
        "p.csv line 2: reading 'maybe' must be one of none, service, unit-2020, unit-2022",
        "p.csv line 2: payment_factor '1.5' must be a number above 0, at most 1",
        "p.csv line 3: to 2020-01-01 is before from 2021-01-01",
        "p.csv line 3: payment_factor 'abc' must be a number above 0, at most 1",
        "p.csv line 4: payment_factor '0' must be a number above 0, at most 1",
    ]


def test_headers_are_checked_first() -> None:
    assert period_problems("from,to,name\n") == [
        "p.csv line 1: missing column(s) reading, payment_factor, source",
    ]
    with pytest.raises(ComplianceError) as caught:
        parse_exclusions("code,service,source,extra\n", "x.csv")
    assert caught.value.problems == [
        "x.csv line 1: unknown column(s) extra; columns are code, service, source",
    ]


def test_exclusion_rows_are_checked() -> None:
    text = "code,service,source\n9716,a,b\n97161,,\n97162,a,b\n97162,a,b\n97163,a,b,c\n"
    with pytest.raises(ComplianceError) as caught:
        parse_exclusions(text, "x.csv")
    assert caught.value.problems == [
        "x.csv line 6: more fields than the header has columns",  # found while the rows are read
        "x.csv line 2: code '9716' must be 5 characters: five digits, or a letter and four digits",
        "x.csv line 3: service is required",
        "x.csv line 3: source is required",
        "x.csv line 5: code 97162 appears twice in this file",
    ]


def test_evaluation_rows_are_checked() -> None:
    text = "code,discipline,source\n9716,PT,a\n97161,XX,a\n97162,PT,\n97163,pt,a\n97163,PT,a\n"
    with pytest.raises(ComplianceError) as caught:
        parse_evaluations(text, "e.csv")
    assert caught.value.problems == [
        "e.csv line 2: code '9716' must be 5 characters: five digits, or a letter and four digits",
        "e.csv line 3: discipline 'XX' must be PT, OT or SLP",
        "e.csv line 4: source is required",
        "e.csv line 6: code 97163 appears twice in this file",
    ]
    assert builtin().evaluations["97161"] == "PT" and "97164" not in builtin().evaluations  # not a re-evaluation


def test_mue_rows_are_checked_with_their_lines() -> None:
    text = "code,units,mai,quarter\n97110,6,3,2025q4\n97112,x,4,25Q4\n97112,1\nabc,-1\n97530,10000\n97140,٣\n"
    with pytest.raises(ComplianceError) as caught:
        parse_mue(text, "mue.csv")
    assert caught.value.problems == [
        "mue.csv line 3: units 'x' must be a whole number from 0 to 9999",
        "mue.csv line 3: mai '4' must be 1, 2 or 3 (or empty when not known)",
        "mue.csv line 3: quarter '25Q4' must look like 2025Q4",
        "mue.csv line 4: code 97112 appears twice in this file",
        "mue.csv line 5: code 'abc' must be 5 characters: five digits, or a letter and four digits",
        "mue.csv line 5: units '-1' must be a whole number from 0 to 9999",
        "mue.csv line 6: units '10000' must be a whole number from 0 to 9999",
        "mue.csv line 7: units '٣' must be a whole number from 0 to 9999",
    ]
    (mue,) = parse_mue("code,units,mai,quarter\n97110,6,3,2025q4\n", "mue.csv")
    assert mue == Mue("97110", 6, "3", "2025Q4", "", "", "mue.csv") and mue.label == "2025Q4"


def test_the_users_mue_file_adds_and_overrides(user_dirs: Path) -> None:
    """Values change every quarter: the user's <config>/mue.csv wins over the shipped table, no release needed."""
    assert load_compliance() is builtin()  # no file: the shipped tables
    path = user_dirs / "mue.csv"
    path.write_text(
        "code,units,mai,quarter,table,source\n97110,6,3,2025Q4,CMS practitioner table,https://cms.gov\n97035,3\n"
    )
    mine = load_compliance()
    assert mine.limit("97110") == Mue("97110", 6, "3", "2025Q4", "CMS practitioner table", "https://cms.gov", str(path))
    limit = mine.limit("97035")
    assert limit is not None and limit.units == 3 and limit.label == f"from {path}"
    assert load_compliance(include_user=False) is builtin()
    assert mine.excluded == COMPLIANCE.excluded and mine.periods == COMPLIANCE.periods


def test_a_broken_users_mue_file_names_the_file_and_line(user_dirs: Path, tmp_path: Path) -> None:
    path = user_dirs / "mue.csv"
    path.write_text("code,units\n97110,six\n")
    with pytest.raises(ComplianceError, match=f"{path} line 2: units 'six'"):
        load_compliance()
    path.write_bytes(b"code,units\n97110,\xff\n")
    with pytest.raises(ComplianceError, match="not UTF-8 text"):
        load_compliance()
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(ComplianceError, match="cannot be read"):
        load_compliance(folder)


def test_an_unreadable_config_folder_is_a_clear_problem(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(self: Path) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "exists", refuse)
    with pytest.raises(ComplianceError, match="cannot be read \\(Permission denied\\)"):
        load_compliance(tmp_path / "mue.csv")


def test_a_compliance_error_is_a_catalog_error() -> None:
    """So every face reports a broken MUE file the way it reports a broken catalog."""
    from therapytimer.core.catalog import CatalogError

    assert issubclass(ComplianceError, CatalogError)
