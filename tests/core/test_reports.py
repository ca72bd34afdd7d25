"""Day and week reports: Medicare pools a patient's whole day per discipline, so billing is per date, patient,
discipline and rule over every session, with each session's time floored to whole minutes once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.helpers import CATALOG
from therapytimer.core.catalog import CodeError, Discipline
from therapytimer.core.fees import FeeDataError, parse_rvus
from therapytimer.core.reports import (
    CodeTotal,
    DayBill,
    DayTotals,
    WeekReport,
    bill_day,
    day_pay,
    day_totals,
    session_minutes,
    week_bounds,
    week_report,
)
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Correction, Segment, Session, Who

MONDAY = date(2026, 11, 23)
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)


def seg(session_id: str, code: str, seconds: float, who: Who = Who.THERAPIST, at_min: int = 0) -> Segment:
    """A stopped stopwatch run of `seconds`, starting `at_min` minutes after START."""
    begin = START + timedelta(minutes=at_min)
    return Segment(0, session_id, code, who, begin, begin + timedelta(seconds=seconds))


def make(
    sid: str,
    *codes: CodeEntry,
    patient: str = "AB",
    discipline: Discipline = Discipline.PT,
    rule: Rule = Rule.CMS,
    day: date = MONDAY,
    segments: tuple[Segment, ...] = (),
    provider: str = "",
    payer: str | None = None,
) -> Session:
    return Session(
        sid,
        patient,
        discipline,
        rule,
        day,
        START,
        payer=payer,
        provider=provider,
        codes=codes,
        segments=segments,
    )


def one(sessions: list[Session]) -> DayBill:
    bills = bill_day(sessions, CATALOG, NOW)
    assert len(bills) == 1
    return bills[0]


# --- session_minutes ------------------------------------------------------------------------------------


def test_session_minutes_floors_each_code_and_keeps_assistant_time_apart() -> None:
    """Together time is the therapist's; only time the assistant furnished alone feeds CQ/CO."""
    s = make(
        "s1",
        CodeEntry("97110"),
        CodeEntry("97140", minutes=10),
        segments=(
            seg("s1", "97110", 7 * 60 + 40),
            seg("s1", "97110", 2 * 60 + 30, Who.TOGETHER, at_min=10),
            seg("s1", "97110", 8 * 60 + 59, Who.ASSISTANT, at_min=20),
        ),
    )
    minutes = session_minutes(s, NOW)
    assert minutes == {"97110": (10, 8), "97140": (10, 0)}
    assert list(minutes) == ["97110", "97140"]  # the order codes were added


def test_session_minutes_counts_a_running_timer_up_to_now_and_respects_corrections() -> None:
    """A running segment has no end: its time is `now - start`; a correction replaces what came before it."""
    running = Segment(0, "s1", "97110", Who.THERAPIST, NOW - timedelta(minutes=12, seconds=30))
    fix = Correction(0, "s1", "97140", START + timedelta(minutes=30), 3, 0, 20, 0, "timer forgotten")
    s = make(
        "s1",
        CodeEntry("97110"),
        CodeEntry("97140"),
        segments=(running, seg("s1", "97140", 180), seg("s1", "97140", 300, at_min=40)),
    )
    s = replace(s, corrections=(fix,))  # 3 min timed before the fix are replaced by 20; 5 min after it add
    assert session_minutes(s, NOW) == {"97110": (12, 0), "97140": (25, 0)}


# --- bill_day -------------------------------------------------------------------------------------------


def test_each_session_is_floored_on_its_own_before_pooling() -> None:
    """Two sessions of 7 min 40 s each are 7 + 7 = 14 billed minutes, not 15 (flooring happens per session)."""
    bill = one(
        [
            make("s1", CodeEntry("97110"), segments=(seg("s1", "97110", 460),)),
            make("s2", CodeEntry("97110"), segments=(seg("s2", "97110", 460, at_min=60),)),
        ]
    )
    assert [(ln.code, ln.minutes, ln.units) for ln in bill.result.lines] == [("97110", 14, 1)]
    assert bill.result.total_timed_minutes == 14
    single = one([make("s3", CodeEntry("97110"), segments=(seg("s3", "97110", 920),))])
    assert single.result.lines[0].minutes == 15


def test_sessions_of_one_discipline_on_one_date_are_pooled() -> None:
    """10 + 10 minutes in two visits pool to 20 minutes: 1 unit for the day, not 1 per visit."""
    bill = one(
        [
            make("s1", CodeEntry("97110", minutes=10), provider="Zoe"),
            make("s2", CodeEntry("97140", minutes=10)),
        ]
    )
    assert bill.session_ids == ("s1", "s2")
    assert bill.result.pooled_minutes == 20
    assert bill.result.total_units == 1
    assert (bill.date, bill.patient, bill.discipline, bill.rule) == (MONDAY, "AB", Discipline.PT, Rule.CMS)
    assert bill.result.discipline is Discipline.PT and bill.result.rule is Rule.CMS
    assert all(ln.modifiers[0] == "GP" for ln in bill.result.lines)


def test_same_code_in_two_sessions_adds_therapist_and_assistant_minutes() -> None:
    bill = one([make("s1", CodeEntry("97110", 13, 9)), make("s2", CodeEntry("97110", 10, 14))])
    assert bill.result.total_timed_minutes == 46
    assert [(ln.modifiers, ln.minutes) for ln in bill.result.lines] == [(("GP",), 23), (("GP", "CQ"), 23)]


def test_bills_are_grouped_by_date_patient_discipline_and_rule_in_a_stable_order() -> None:
    """Patient order ignores case (ties broken by the exact alias), then discipline, then rule."""
    entry = CodeEntry("97110", minutes=8)
    sessions = [
        make("a", entry, day=MONDAY + timedelta(days=1)),
        make("b", entry, patient="CD"),
        make("c", entry, patient="ab"),
        make("d", entry, rule=Rule.AMA),
        make("e", entry, discipline=Discipline.OT),
        make("f", entry),
        make("g", entry),
    ]
    expected = [
        (MONDAY, "AB", Discipline.OT, Rule.CMS, ("e",)),
        (MONDAY, "AB", Discipline.PT, Rule.AMA, ("d",)),
        (MONDAY, "AB", Discipline.PT, Rule.CMS, ("f", "g")),
        (MONDAY, "ab", Discipline.PT, Rule.CMS, ("c",)),
        (MONDAY, "CD", Discipline.PT, Rule.CMS, ("b",)),
        (MONDAY + timedelta(days=1), "AB", Discipline.PT, Rule.CMS, ("a",)),
    ]
    got = [(b.date, b.patient, b.discipline, b.rule, b.session_ids) for b in bill_day(sessions, CATALOG, NOW)]
    assert got == expected
    reversed_keys = [(b.date, b.patient, b.discipline, b.rule) for b in bill_day(sessions[::-1], CATALOG, NOW)]
    assert reversed_keys == [k[:4] for k in expected]


def test_providers_and_payers_are_collected_once_each_in_sorted_order() -> None:
    entry = CodeEntry("97110", minutes=8)
    bill = one(
        [
            make("s1", entry, provider="Zoe Ng, PT", payer="Medicare"),
            make("s2", entry, provider="", payer=None),
            make("s3", entry, provider="Al Diaz, PTA", payer="Aetna"),
            make("s4", entry, provider="Zoe Ng, PT", payer="Medicare"),
        ]
    )
    assert bill.providers == ("Al Diaz, PTA", "Zoe Ng, PT")
    assert bill.payers == ("Aetna", "Medicare")


def test_a_session_without_codes_still_counts_but_bills_nothing() -> None:
    bill = one([make("s1")])
    assert bill.result.lines == () and bill.result.total_units == 0


def test_a_code_missing_from_the_catalog_is_an_error() -> None:
    """The CLI turns this into "add the code back to your catalog": it must not be billed silently."""
    with pytest.raises(CodeError, match="99999"):
        bill_day([make("s1", CodeEntry("99999", minutes=10))], CATALOG, NOW)


def test_no_sessions_no_bills() -> None:
    assert bill_day([], CATALOG, NOW) == []


# --- revenue and day totals -----------------------------------------------------------------------------


def paid(bills: list[DayBill]) -> list[tuple[str, Decimal, str]]:
    return [(p.unit.code, p.amount, p.how) for _, pay in day_pay(bills, CATALOG) for p in pay.paid]


def test_mppr_pays_the_highest_practice_expense_in_full_and_halves_the_rest() -> None:
    """The issue's example: 97110 x 2 + 97140 x 1 on one day were $84.75 without MPPR; with it, $71.32."""
    bill = one([make("s1", CodeEntry("97110", 30), CodeEntry("97140", 15))])
    assert paid([bill]) == [
        ("97110", Decimal("28.79"), "full"),
        ("97110", Decimal("21.83"), "MPPR: half its practice expense"),
        ("97140", Decimal("20.70"), "MPPR: half its practice expense"),
    ]
    assert day_totals(MONDAY, [], [bill], CATALOG).revenue == Decimal("71.32")


def test_cq_units_are_paid_at_85_percent_after_mppr_under_medicare_only() -> None:
    """23 min by the therapist and 23 by the assistant alone: 2 plain units and 1 CQ unit of 97110."""
    cms = one([make("s1", CodeEntry("97110", 23, 23))])
    assert [amount for _, amount, _ in paid([cms])] == [Decimal("28.79"), Decimal("21.83"), Decimal("18.56")]
    ama = one([make("s1", CodeEntry("97110", 23, 23), rule=Rule.AMA)])
    assert [ln.modifiers for ln in ama.result.lines] == [("GP",), ("GP", "CQ")]
    assert [amount for _, amount, _ in paid([ama])] == [Decimal("28.79"), Decimal("21.83"), Decimal("21.83")]


def test_co_units_are_paid_at_85_percent_under_medicare() -> None:
    bill = one([make("s1", CodeEntry("97530", 0, 23), discipline=Discipline.OT)])
    assert [(ln.modifiers, ln.units) for ln in bill.result.lines] == [(("GO", "CO"), 2)]
    assert [amount for _, amount, _ in paid([bill])] == [Decimal("29.42"), Decimal("20.89")]  # 34.61, 24.58 x 0.85


def test_mppr_runs_across_the_patients_disciplines_and_never_reduces_indicator_0() -> None:
    """PT 97110 and OT 97530 the same day: one unit in full across both; 97129 (indicator 0) is never reduced."""
    pt = make("p", CodeEntry("97110", 15))
    ot = make("o", CodeEntry("97530", 15), CodeEntry("97129", 15), discipline=Discipline.OT)
    assert paid(bill_day([pt, ot], CATALOG, NOW)) == [
        ("97530", Decimal("34.61"), "full"),  # the highest practice expense of the day (0.62)
        ("97129", Decimal("21.67"), "full"),  # indicator 0: never reduced
        ("97110", Decimal("21.83"), "MPPR: half its practice expense"),  # PT's unit, halved by OT's
    ]


def test_the_clinic_fee_table_replaces_the_rvu_amount_without_mppr() -> None:
    bill = one([make("s1", CodeEntry("97110", 30), CodeEntry("97140", 15))])
    ((_, pay),) = day_pay([bill], CATALOG, clinic_fees={"97110": Decimal("40.00")})
    assert [(p.unit.code, p.amount, p.how) for p in pay.paid] == [
        ("97110", Decimal("40.00"), "clinic fee"),
        ("97110", Decimal("40.00"), "clinic fee"),
        ("97140", Decimal("27.17"), "full"),  # now the only unit MPPR applies to
    ]


def test_codes_without_any_fee_are_listed_not_guessed_and_bundled_ones_pay_nothing() -> None:
    """96105 has no RVU here and no default fee: left out and named. 97010 is bundled (status B): $0."""
    bill = one([make("s1", CodeEntry("96105", minutes=61), CodeEntry("97010"), rule=Rule.AMA)])
    ((_, pay),) = day_pay([bill], CATALOG)
    assert pay.missing == ("96105",) and [(p.unit.code, p.amount, p.how) for p in pay.paid] == [
        ("97010", Decimal("0.00"), "not paid (status B)")
    ]


def test_a_code_without_rvus_is_paid_its_catalog_fee_without_mppr() -> None:
    """A code of the user's catalog, or one CMS prices locally: its default fee, never reduced."""
    catalog, _ = CATALOG.with_fees({"96105": Decimal("50.00")})
    bill = one([make("s1", CodeEntry("96105", minutes=61), CodeEntry("97110", 15), rule=Rule.AMA)])
    ((_, pay),) = day_pay([bill], catalog)
    assert pay.missing == () and [(p.unit.code, p.amount, p.how) for p in pay.paid] == [
        ("96105", Decimal("50.00"), "default fee"),  # 61 minutes: one unit
        ("97110", Decimal("28.79"), "full"),
    ]


def test_kx_goes_on_every_line_of_a_day_only_when_a_session_confirmed_it() -> None:
    plain = one([make("s1", CodeEntry("97110", 23), CodeEntry("97161"))])
    assert [ln.modifiers for ln in plain.result.lines] == [("GP",), ("GP",)]
    confirmed = replace(make("s2", CodeEntry("97110", 23, 8)), kx=True)
    bills = bill_day([make("s1", CodeEntry("97161")), confirmed], CATALOG, NOW)
    assert [(ln.code, ln.modifiers) for b in bills for ln in b.result.lines] == [
        ("97161", ("GP", "KX")),
        ("97110", ("GP", "KX")),
        ("97110", ("GP", "CQ", "KX")),
    ]


def test_fee_files_with_a_bad_number_name_the_file_and_line() -> None:
    header = "code,status,work_rvu,nonfacility_pe_rvu,mp_rvu,nonfacility_total_rvu,mult_proc,conversion_factor\n"
    with pytest.raises(FeeDataError, match=r"rvu2030\.csv line 2: 'x' is not a number"):
        parse_rvus(header + "97110,A,x,0.43,0.01,0.89,5,32.3465\n", 2030, "rvu2030.csv")


def test_day_totals_add_every_bill_of_the_day() -> None:
    sessions = [
        make("s1", CodeEntry("97110", 23, 23)),  # 2 + 1 CQ units: 28.79 + 21.83 + 18.56
        make("s2", CodeEntry("97110", minutes=10), CodeEntry("97026", minutes=8), patient="CD", rule=Rule.AMA),
    ]
    bills = bill_day(sessions, CATALOG, NOW)
    totals = day_totals(MONDAY, sessions, bills, CATALOG)
    assert totals == DayTotals(
        MONDAY,
        sessions=2,
        timed_minutes=46 + 10,
        units=3 + 2,
        revenue=Decimal("102.50"),  # MT 69.18; CD 97110 in full 28.79 + 97026 halved 4.53
        codes={"97110": CodeTotal(56, 4), "97026": CodeTotal(8, 1)},
        missing_fees=(),
        notes=("estimated at 2025 rates",),
    )
    assert totals.to_dict() == {
        "date": "2026-11-23",
        "sessions": 2,
        "timed_minutes": 56,
        "units": 5,
        "revenue": "102.50",
        "codes": {"97026": {"minutes": 8, "units": 1}, "97110": {"minutes": 56, "units": 4}},
    }
    assert json.dumps(totals.to_dict()["codes"]).startswith('{"97026"')  # codes sorted, for stable output


def test_an_empty_day_is_zero_with_two_decimals() -> None:
    totals = day_totals(MONDAY, [], [], CATALOG)
    assert totals.to_dict() == {
        "date": "2026-11-23",
        "sessions": 0,
        "timed_minutes": 0,
        "units": 0,
        "revenue": "0.00",
        "codes": {},
    }
    assert totals.missing_fees == ()


# --- week -----------------------------------------------------------------------------------------------

WEEK = [MONDAY + timedelta(days=i) for i in range(7)]  # Mon 2026-11-23 ... Sun 2026-11-29


@pytest.mark.parametrize("day", WEEK, ids=lambda d: d.strftime("%a"))
def test_week_bounds_monday_start(day: date) -> None:
    assert week_bounds(day) == week_bounds(day, "monday") == (date(2026, 11, 23), date(2026, 11, 29))


@pytest.mark.parametrize("day", WEEK, ids=lambda d: d.strftime("%a"))
def test_week_bounds_sunday_start(day: date) -> None:
    """Sunday belongs to the week it starts; Monday to Saturday to the week that began the Sunday before."""
    expected = (
        (date(2026, 11, 29), date(2026, 12, 5)) if day.weekday() == 6 else (date(2026, 11, 22), date(2026, 11, 28))
    )
    assert week_bounds(day, "sunday") == expected


def test_week_bounds_cross_the_new_year() -> None:
    assert week_bounds(date(2027, 1, 1)) == (date(2026, 12, 28), date(2027, 1, 3))
    assert week_bounds(date(2027, 1, 1), "sunday") == (date(2026, 12, 27), date(2027, 1, 2))


def week_sessions() -> list[Session]:
    wednesday = MONDAY + timedelta(days=2)
    return [
        make("m1", CodeEntry("97110"), segments=(seg("m1", "97110", 460),)),
        make("m2", CodeEntry("97110"), segments=(seg("m2", "97110", 460, at_min=60),)),
        make("m3", CodeEntry("97110", 23, 23), patient="CD"),
        make(
            "w1",
            CodeEntry("92507", minutes=45),
            CodeEntry("96105", minutes=61),
            patient="EF",
            discipline=Discipline.SLP,
            rule=Rule.AMA,
            day=wednesday,
        ),
        make("next", CodeEntry("97110", minutes=60), day=MONDAY + timedelta(days=7)),  # outside the week
        make("before", CodeEntry("97110", minutes=60), day=MONDAY - timedelta(days=1)),  # outside the week
    ]


def test_week_report_has_every_day_and_the_documented_json_shape() -> None:
    start, end = week_bounds(MONDAY)
    report = week_report(week_sessions(), CATALOG, NOW, start, end)
    data = report.to_dict()
    empty = {"sessions": 0, "timed_minutes": 0, "units": 0, "revenue": "0.00", "codes": {}}
    days = [{"date": d.isoformat(), **empty} for d in WEEK]
    days[0] = {
        "date": "2026-11-23",
        "sessions": 3,
        "timed_minutes": 14 + 46,
        "units": 1 + 3,
        "revenue": "97.97",  # MT 28.79 + CD 69.18
        "codes": {"97110": {"minutes": 60, "units": 4}},
    }
    days[2] = {
        "date": "2026-11-25",
        "sessions": 1,
        "timed_minutes": 61,  # 92507 is untimed: its 45 min are treatment time only
        "units": 2,
        "revenue": "75.04",
        "codes": {"92507": {"minutes": 45, "units": 1}, "96105": {"minutes": 61, "units": 1}},
    }
    assert data == {
        "week_start": "2026-11-23",
        "week_end": "2026-11-29",
        "days": days,
        "totals": {
            "sessions": 4,
            "timed_minutes": 121,
            "units": 6,
            "revenue": "173.01",
            "codes": {
                "92507": {"minutes": 45, "units": 1},
                "96105": {"minutes": 61, "units": 1},
                "97110": {"minutes": 60, "units": 4},
            },
        },
        "missing_fees": ["96105"],
        "notes": ["estimated at 2025 rates"],
    }
    assert json.loads(json.dumps(data)) == data  # plain JSON types only


def test_week_totals_are_the_sum_of_the_days() -> None:
    start, end = week_bounds(MONDAY)
    report = week_report(week_sessions(), CATALOG, NOW, start, end)
    totals = report.totals
    assert totals.date == start
    assert totals.sessions == sum(d.sessions for d in report.days) == 4
    assert totals.revenue == sum(d.revenue for d in report.days) == Decimal("173.01")
    assert totals.missing_fees == ("96105",)
    assert totals.codes["97110"] == CodeTotal(60, 4)


def test_week_report_with_a_sunday_start_takes_the_sunday_before() -> None:
    start, end = week_bounds(MONDAY, "sunday")
    report = week_report(week_sessions(), CATALOG, NOW, start, end)
    assert [d.date for d in report.days] == [date(2026, 11, 22) + timedelta(days=i) for i in range(7)]
    assert report.days[0].sessions == 1 and report.days[0].units == 4  # "before": 60 min of 97110
    assert report.totals.sessions == 5


def test_empty_week_totals_are_zero() -> None:
    report = WeekReport(MONDAY, MONDAY + timedelta(days=6), ())
    assert report.to_dict() == {
        "week_start": "2026-11-23",
        "week_end": "2026-11-29",
        "days": [],
        "totals": {"sessions": 0, "timed_minutes": 0, "units": 0, "revenue": "0.00", "codes": {}},
        "missing_fees": [],
        "notes": [],
    }


def test_week_bounds_accepts_any_case_and_refuses_other_days() -> None:
    assert week_bounds(date(2026, 11, 25), "Sunday") == (date(2026, 11, 22), date(2026, 11, 28))
    with pytest.raises(ValueError, match="monday or sunday"):
        week_bounds(date(2026, 11, 25), "friday")
