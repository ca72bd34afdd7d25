"""The patient's case: treatment days, the progress-report countdown, plan-of-care periods and the therapy
threshold, counted from the stored sessions of one alias (issue #12's done-when, in core)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.helpers import CATALOG
from therapytimer.core.case import (
    ONLY_HERE,
    PLAN_MAX_DAYS,
    Case,
    PlanError,
    PlanOfCare,
    allowed_line,
    build_case,
    money,
    plan_line,
    plan_of_care,
    progress_line,
)
from therapytimer.core.catalog import Discipline
from therapytimer.core.checks import Kind, case_findings
from therapytimer.core.compliance import builtin
from therapytimer.core.fees import load_fee_data
from therapytimer.core.rules import Rule
from therapytimer.core.session import CodeEntry, Session, SessionError

PT, OT, SLP = Discipline.PT, Discipline.OT, Discipline.SLP
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
FEES = load_fee_data()
EVAL_DAY = date(2025, 1, 6)
TREATMENT = (CodeEntry("97110", 23), CodeEntry("97140", 15))  # 38 min: 97110 x 2 + 97140 x 1, $71.32 with MPPR


def visit(
    day: date,
    *codes: CodeEntry,
    discipline: Discipline = PT,
    rule: Rule = Rule.CMS,
    report: bool = False,
    kx: bool = False,
    patient: str = "AB",
) -> Session:
    sid = f"{patient}-{discipline.value}-{day}-{rule.value}"
    created = datetime.combine(day, datetime.min.time(), UTC)
    return Session(
        sid,
        patient,
        discipline,
        rule,
        day,
        created,
        codes=codes or TREATMENT,
        progress_report=report,
        kx=kx,
    )


def pt_case(days: int, start: date = EVAL_DAY, reports: tuple[int, ...] = ()) -> list[Session]:
    """The issue's case: an evaluation day (97161 with 97110 x 23 + 97140 x 15), then the same treatment on
    each further weekday; `reports` are the (1-based) treatment days a progress report was written on."""
    out = []
    day = start
    for n in range(1, days + 1):
        codes = (CodeEntry("97161"), *TREATMENT) if n == 1 else TREATMENT
        out.append(visit(day, *codes, report=n in reports))
        day += timedelta(days=3 if day.weekday() == 4 else 1)
    return out


def case_of(
    sessions: list[Session], year: int = 2025, as_of: date | None = None, plans: tuple[PlanOfCare, ...] = ()
) -> Case:
    last = as_of or max((s.date for s in sessions), default=date(year, 12, 31))
    return build_case("AB", sessions, plans, year, last, CATALOG, builtin(), FEES, NOW)


# ---- treatment days and the progress report -----------------------------------------------------------


def test_the_evaluation_day_is_treatment_day_1_and_a_report_is_due_after_9_without_one() -> None:
    eight = case_of(pt_case(8)).of(PT)
    assert eight is not None and (eight.treatment_days, eight.since_report, eight.due) == (8, 8, False)
    nine = case_of(pt_case(9)).of(PT)
    assert nine is not None and (nine.treatment_days, nine.since_report, nine.due) == (9, 9, True)
    assert nine.to_dict() == {
        "discipline": "PT",
        "treatment_days": 9,
        "since_progress_report": 9,
        "progress_report_due": True,
        "plan_of_care": None,
    }
    assert progress_line(nine, nine.last_day or EVAL_DAY) == "PT visit 9 without a progress report: due next visit"


def test_a_report_on_day_10_and_two_more_days_is_not_due() -> None:
    case = case_of(pt_case(12, reports=(10,)))
    progress = case.of(PT)
    assert progress is not None
    assert (progress.treatment_days, progress.since_report, progress.due) == (12, 2, False)
    assert progress.last_report == pt_case(12)[9].date
    assert progress.overdue == ()
    assert progress_line(progress, date(2025, 3, 3)) == "PT visit 2 since the last progress report: due in 8 visits"


def test_the_10th_day_without_a_report_is_overdue_from_then_on() -> None:
    sessions = pt_case(11)
    progress = case_of(sessions).of(PT)
    assert progress is not None and progress.since_report == 11
    assert progress.overdue == (sessions[9].date, sessions[10].date)
    assert progress_line(progress, sessions[10].date) == (
        "PT visit 11 without a progress report: OVERDUE, write it at this visit"
    )
    assert progress_line(progress, date(2025, 3, 3)).endswith("OVERDUE, write it at the next visit")
    ten = case_of(sessions[:10]).of(PT)
    assert ten is not None and progress_line(ten, sessions[9].date).endswith(": due at this visit")


def test_a_report_written_on_a_day_with_no_billed_unit_still_ends_the_period() -> None:
    sessions = [*pt_case(5), visit(date(2025, 1, 20), CodeEntry("97110", 5), report=True)]  # 5 min: 0 units
    progress = case_of(sessions).of(PT)
    assert progress is not None and (progress.treatment_days, progress.since_report) == (5, 0)
    assert progress_line(progress, date(2025, 1, 20)) == "PT progress report written 2025-01-20"


def test_a_new_evaluation_starts_a_new_episode_at_1_and_a_re_evaluation_does_not() -> None:
    first = pt_case(7)
    again = visit(date(2025, 6, 2), CodeEntry("97162"), *TREATMENT)
    progress = case_of([*first, again]).of(PT)
    assert progress is not None and (progress.treatment_days, progress.since_report) == (8, 1)
    reeval = visit(date(2025, 6, 2), CodeEntry("97164"), *TREATMENT)
    progress = case_of([*first, reeval]).of(PT)
    assert progress is not None and progress.since_report == 8  # only a written report ends a period


def test_the_count_runs_across_new_year_while_treatment_days_are_per_year() -> None:
    sessions = pt_case(6, start=date(2025, 12, 23))  # 23, 24, 25, 26, 29, 30 Dec
    sessions += [visit(date(2026, 1, 2)), visit(date(2026, 1, 5))]
    progress = case_of(sessions, year=2026).of(PT)
    assert progress is not None and (progress.treatment_days, progress.since_report) == (2, 8)
    last_year = case_of(sessions, year=2025, as_of=date(2025, 12, 31)).of(PT)
    assert last_year is not None and (last_year.treatment_days, last_year.since_report) == (6, 6)


def test_a_visit_under_way_counts_before_its_first_unit() -> None:
    sessions = [*pt_case(9), visit(date(2025, 1, 19), CodeEntry("97110", 3))]  # 3 min so far: 0 units
    case = build_case("AB", sessions, (), 2025, date(2025, 1, 19), CATALOG, builtin(), FEES, NOW, visit=PT)
    progress = case.of(PT)
    assert progress is not None and (progress.since_report, progress.overdue) == (10, ())
    assert progress_line(progress, date(2025, 1, 19)) == "PT visit 10 without a progress report: due at this visit"
    after = case_of(sessions, as_of=date(2025, 1, 19)).of(PT)  # afterwards, billed nothing: not a treatment day
    assert after is not None and after.since_report == 9


def test_an_ot_day_counts_apart_from_pt() -> None:
    sessions = [*pt_case(9), visit(date(2025, 1, 17), CodeEntry("97530", 30), discipline=OT)]
    case = case_of(sessions)
    pt, ot = case.of(PT), case.of(OT)
    assert pt is not None and ot is not None
    assert (pt.treatment_days, pt.since_report, pt.due) == (9, 9, True)
    assert (ot.treatment_days, ot.since_report, ot.due) == (1, 1, False)
    assert case.of(SLP) is None


def test_another_patients_sessions_and_later_days_are_not_counted() -> None:
    sessions = [*pt_case(3), visit(date(2025, 1, 7), patient="CD"), visit(date(2025, 3, 3))]
    progress = case_of(sessions, as_of=date(2025, 1, 31)).of(PT)
    assert progress is not None and progress.treatment_days == 3


# ---- the plan of care --------------------------------------------------------------------------------


def test_a_plan_of_care_may_be_certified_for_at_most_90_calendar_days_both_ends_counted() -> None:
    plan = plan_of_care(" AB ", PT, date(2025, 1, 1), date(2025, 3, 31))
    assert (plan.patient, plan.days) == ("AB", PLAN_MAX_DAYS)
    with pytest.raises(PlanError, match=r"at most 90 calendar days; 2025-01-01 to 2025-04-01 is 91 \(the latest"):
        plan_of_care("AB", PT, date(2025, 1, 1), date(2025, 4, 1))
    with pytest.raises(PlanError, match=r"ends \(2025-01-31\) before it starts"):
        plan_of_care("AB", PT, date(2025, 2, 1), date(2025, 1, 31))
    with pytest.raises(PlanError):
        plan_of_care("", PT, date(2025, 2, 1), date(2025, 3, 1))
    assert issubclass(PlanError, ValueError) and not issubclass(PlanError, SessionError)


def test_days_left_and_sessions_outside_the_certified_period() -> None:
    plan = plan_of_care("AB", PT, date(2025, 1, 6), date(2025, 1, 20))
    sessions = pt_case(12)  # 6 Jan .. 21 Jan
    progress = case_of(sessions, as_of=date(2025, 1, 14), plans=(plan,)).of(PT)
    assert progress is not None and progress.plan == plan and progress.outside_plan == ()
    assert plan_line(progress, date(2025, 1, 14)) == "PT plan of care ends in 6 days (2025-01-20)"
    assert plan_line(progress, date(2025, 1, 20)) == "PT plan of care ends today"
    later = case_of(sessions, plans=(plan,)).of(PT)
    assert later is not None and later.outside_plan == (date(2025, 1, 21),)
    assert plan_line(later, date(2025, 1, 21)) == "PT plan of care ENDED 2025-01-20 (1 day ago): recertify"
    assert later.to_dict()["plan_of_care"] == {"start": "2025-01-06", "end": "2025-01-20"}


def test_the_period_in_force_is_chosen_and_no_plan_means_no_outside_warning() -> None:
    first = plan_of_care("AB", PT, date(2025, 1, 6), date(2025, 1, 31))
    second = plan_of_care("AB", PT, date(2025, 2, 1), date(2025, 4, 30))
    sessions = [*pt_case(3), visit(date(2025, 2, 3))]
    progress = case_of(sessions, plans=(first, second)).of(PT)
    assert progress is not None and progress.plan == second and progress.outside_plan == ()
    bare = case_of(sessions).of(PT)
    assert bare is not None and bare.plan is None and bare.outside_plan == ()
    assert plan_line(bare, date(2025, 2, 3)) == "PT plan of care: not entered"
    ot_plan = plan_of_care("AB", OT, date(2025, 3, 1), date(2025, 3, 31))
    upcoming = case_of(sessions, plans=(ot_plan,)).of(OT)  # a plan alone lists the discipline
    assert upcoming is not None and upcoming.treatment_days == 0 and upcoming.plan == ot_plan
    assert plan_line(upcoming, date(2025, 2, 3)) == "OT plan of care starts 2025-03-01 (in 26 days)"


# ---- the therapy threshold --------------------------------------------------------------------------


def test_the_allowed_estimate_follows_mppr_and_passes_2410_on_the_33rd_treatment_day() -> None:
    """Evaluation day: 97161 in full ($98.01, the highest PE) and the treatment's 3 units reduced ($64.36);
    every later day $71.32. 32 days: $2,373.29; 33 days: $2,444.61."""
    at_32 = case_of(pt_case(32)).allowed_of(PT)
    assert (at_32.estimate, at_32.over) == (Decimal("2373.29"), False)
    sessions = pt_case(33)
    at_33 = case_of(sessions).allowed_of(PT)
    assert (at_33.estimate, at_33.over, at_33.crossed_on) == (Decimal("2444.61"), True, sessions[32].date)
    assert at_33.kx_due(sessions[32].date) and not at_33.kx_due(sessions[31].date)
    assert at_33.to_dict() == {
        "disciplines": ["PT", "SLP"],
        "threshold": "2410.00",
        "allowed_estimate": "2444.61",
        "over": True,
    }
    assert allowed_line(at_32) == "PT+SLP $2,373.29 of $2,410 (2025 therapy threshold)"
    crossed = sessions[32].date
    assert (
        allowed_line(at_33)
        == f"PT+SLP $2,444.61 of $2,410 (2025 therapy threshold): past it since {crossed}, KX on the lines"
    )


def test_ot_counts_apart_slp_with_pt_and_only_medicare_sessions_are_counted() -> None:
    sessions = [
        visit(EVAL_DAY, CodeEntry("97110", 15)),
        visit(EVAL_DAY, CodeEntry("92507"), discipline=SLP),
        visit(EVAL_DAY, CodeEntry("97530", 15), discipline=OT),
        visit(date(2025, 1, 7), CodeEntry("97110", 60), rule=Rule.AMA),  # another payer: not Medicare's amount
    ]
    case = case_of(sessions)
    pt_slp, ot = case.allowed
    # One day, MPPR across the three disciplines: 92507 has the highest PE (0.99) and is paid in full.
    assert pt_slp.disciplines == (PT, SLP) and pt_slp.estimate == Decimal("75.04") + Decimal("21.83")
    assert ot.disciplines == (OT,) and ot.estimate == Decimal("24.58")  # 97530 with half its PE
    assert ot.to_dict() == {
        "disciplines": ["OT"],
        "threshold": "2410.00",
        "allowed_estimate": "24.58",
        "over": False,
    }


def test_cq_units_count_at_85_percent_after_mppr() -> None:
    """97110: 23 min by the therapist, 23 by the assistant alone: 2 plain units and 1 CQ unit (2025)."""
    case = case_of([visit(EVAL_DAY, CodeEntry("97110", 23, 23))])
    assert case.allowed_of(PT).estimate == Decimal("28.79") + Decimal("21.83") + Decimal("18.56")


def test_thresholds_are_per_calendar_year() -> None:
    sessions = [*pt_case(33, start=date(2024, 11, 1)), visit(date(2025, 1, 2))]
    this_year = case_of(sessions, year=2025)
    assert this_year.allowed_of(PT).estimate == Decimal("71.32")  # the only 2025 day; a full first unit
    assert this_year.allowed_of(PT).threshold.amount == Decimal("2410.00")
    last_year = case_of(sessions, year=2024, as_of=date(2024, 12, 31))
    assert last_year.allowed_of(PT).threshold.amount == Decimal("2330.00")
    assert last_year.allowed_of(PT).over  # 2024 days at the nearest year's (2025) rates
    assert "estimated at 2025 rates" in last_year.notes


def test_a_date_past_the_newest_fee_year_uses_it_and_says_so() -> None:
    case = case_of([visit(date(2026, 3, 2))], year=2026)
    assert case.allowed_of(PT).estimate == Decimal("71.32")
    assert case.allowed_of(PT).threshold.amount == Decimal("2480.00")
    assert case.notes == (ONLY_HERE, "estimated at 2025 rates")
    future = case_of([visit(date(2031, 3, 3))], year=2031)
    assert "the 2026 threshold (none published here for 2031)" in future.notes


def test_a_code_with_no_fee_data_is_named_not_guessed() -> None:
    case = case_of([visit(EVAL_DAY, CodeEntry("96105", 60), discipline=SLP)])
    assert case.allowed_of(SLP).estimate == Decimal("0.00")
    assert case.notes == (ONLY_HERE, "No fee data for 96105: not counted in the allowed amounts")


def test_past_the_review_threshold_says_so() -> None:
    case = case_of(pt_case(45))
    assert allowed_line(case.allowed_of(PT)).endswith("past $3,000: targeted medical review possible")


def test_case_json_has_the_issues_shape() -> None:
    case = case_of(pt_case(2))
    data = case.to_dict()
    assert list(data) == ["patient", "year", "disciplines", "thresholds", "notes"]
    assert data["patient"] == "AB" and data["year"] == 2025
    assert data["thresholds"] == [a.to_dict() for a in case.allowed]
    assert [a.to_dict()["disciplines"] for a in case.allowed] == [["PT", "SLP"], ["OT"]]
    assert data["notes"] == [ONLY_HERE]


def test_money_reads_at_a_glance() -> None:
    assert (money(Decimal("2410.00")), money(Decimal("2310.5")), money(Decimal("0"))) == ("$2,410", "$2,310.50", "$0")


# ---- the day checks of a case --------------------------------------------------------------------------


def test_case_findings_name_a_late_report_a_visit_outside_the_plan_and_kx_not_confirmed() -> None:
    sessions = pt_case(33)
    day = sessions[32].date
    plan = plan_of_care("AB", PT, EVAL_DAY, EVAL_DAY + timedelta(days=30))
    found = case_findings(day, sessions, case_of(sessions, plans=(plan,)))
    assert [f.kind for f in found] == [Kind.PROGRESS_REPORT, Kind.PLAN_OF_CARE, Kind.THRESHOLD]
    assert found[0].message == (
        "AB (PT): treatment day 33 without a progress report (one is due at least every 10); write it and tick "
        "it on the session"
    )
    assert found[2].message.endswith("KX is not confirmed on the day's lines")
    assert all(f.session == sessions[32].id for f in found)
    fixed = [*sessions[:32], visit(day, report=True, kx=True)]
    assert case_findings(day, fixed, case_of(fixed)) == []
