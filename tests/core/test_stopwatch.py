"""The stopwatch rules, pure: what each action decides, and properties over any sequence of actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.helpers import CATALOG
from therapytimer.core import stopwatch
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import ClockStep
from therapytimer.core.rules import Rule
from therapytimer.core.session import NOTE_MAX, Role, Session, SessionError, State, Who
from therapytimer.core.stopwatch import NewCode, NewSegment, Plan, Written

AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
DAY = date(2026, 11, 23)


def fresh(discipline: Discipline = Discipline.PT, role: Role = Role.THERAPIST, sid: str = "s1") -> Session:
    return stopwatch.new_session("MT", discipline, Rule.CMS, day=DAY, at=AT, role=role, session_id=sid)


class Ids:
    """Stands in for the store: the next row ids."""

    def __init__(self) -> None:
        self.next = 1

    def written(self, plan: Plan) -> Written:
        segments = tuple(range(self.next, self.next + len(plan.start)))
        self.next += len(plan.start) + 1
        return Written(segments, self.next, tuple(range(self.next + 1, self.next + 1 + len(plan.events))))


def run(session: Session, plan: Plan, ids: Ids | None = None) -> Session:
    return stopwatch.apply(session, plan, (ids or Ids()).written(plan))


# ---- single decisions ----------------------------------------------------------------------------------


def test_start_adds_the_code_and_stops_every_other_timer() -> None:
    s = fresh()
    plan = stopwatch.start(s, "97110", CATALOG, AT)
    assert plan == Plan(
        "s1",
        AT,
        stop=(),
        stop_others=True,
        add_code=NewCode("97110", 0),
        start=(NewSegment("97110", Who.THERAPIST, AT),),
    )
    s = run(s, plan)
    later = AT + timedelta(minutes=5)
    second = stopwatch.start(s, "97112", CATALOG, later)
    assert second.stop == (s.segments[0].id,) and second.stop_others and second.add_code == NewCode("97112", 1)
    s = run(s, second, Ids())
    assert [seg.end for seg in s.segments] == [later, None] and [c.code for c in s.codes] == ["97110", "97112"]


def test_starting_a_running_timer_again_writes_nothing_or_only_the_others() -> None:
    s = run(fresh(), stopwatch.start(fresh(), "97110", CATALOG, AT))
    assert not stopwatch.start(s, "97110", CATALOG, AT, exclusive=False).changes
    again = stopwatch.start(s, "97110", CATALOG, AT)  # one at a time: every other timer anywhere stops
    assert again.stop == () and again.stop_others and again.start == ()


def test_concurrent_timers_stop_only_their_own_code() -> None:
    ids = Ids()
    s = fresh()
    s = run(s, stopwatch.start(s, "97110", CATALOG, AT, exclusive=False), ids)
    s = run(s, stopwatch.start(s, "97112", CATALOG, AT, exclusive=False), ids)
    assert [seg.code for seg in s.running()] == ["97110", "97112"]
    switch = stopwatch.start(s, "97110", CATALOG, AT, who=Who.ASSISTANT, exclusive=False)
    assert switch.stop == (s.segments[0].id,) and not switch.stop_others


def test_who_resumes_as_whoever_treated_last_else_by_role() -> None:
    s = fresh()
    assert stopwatch.resume_as(s, "97110") is Who.THERAPIST
    assert stopwatch.resume_as(fresh(role=Role.ASSISTANT), "97110") is Who.ASSISTANT
    s = run(s, stopwatch.start(s, "97110", CATALOG, AT, who=Who.TOGETHER))
    s = run(s, stopwatch.pause(s, "97110", AT + timedelta(minutes=3)), Ids())
    assert stopwatch.start(s, "97110", CATALOG, AT).start[0].who is Who.TOGETHER


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("97130", "billed from 97129's minutes: time 97129 instead"),
        ("97161", "is untimed: add it as a service"),
        ("92507", "is billed by SLP, not PT"),
        ("99999", "not in the code catalog"),
    ],
)
def test_codes_that_cannot_be_timed(code: str, message: str) -> None:
    session = fresh() if code != "97130" else fresh(Discipline.SLP)
    with pytest.raises(SessionError, match=message):
        stopwatch.start(session, code, CATALOG, AT)


def test_services_minutes_and_removal() -> None:
    s = fresh()
    with pytest.raises(SessionError, match="is a timed code"):
        stopwatch.add_service(s, "97110", CATALOG, AT)
    with pytest.raises(SessionError, match="minutes must be a whole number from 0 to 1440"):
        stopwatch.add_service(s, "97161", CATALOG, AT, 1441)
    with pytest.raises(SessionError, match="minutes must be a whole number"):
        stopwatch.add_service(s, "97161", CATALOG, AT, True)
    s = run(s, stopwatch.add_service(s, "97161", CATALOG, AT, 30))
    s = run(s, stopwatch.add_service(s, "97161", CATALOG, AT, 45))  # again: its minutes change
    assert [(c.code, c.minutes) for c in s.codes] == [("97161", 45)]
    s = run(s, stopwatch.add_code(s, "97140", CATALOG, AT))
    s = run(s, stopwatch.remove_code(s, "97140", AT))
    assert [c.code for c in s.codes] == ["97161"]
    with pytest.raises(SessionError, match="is not on this session"):
        stopwatch.remove_code(s, "97140", AT)
    s = run(s, stopwatch.start(s, "97110", CATALOG, AT))
    with pytest.raises(SessionError, match="has recorded time"):
        stopwatch.remove_code(s, "97110", AT)


def test_assistant_minutes_only_where_a_modifier_carries_them() -> None:
    slp = fresh(Discipline.SLP)
    with pytest.raises(SessionError, match="SLP has no assistant modifier"):
        stopwatch.start(slp, "97129", CATALOG, AT, who=Who.ASSISTANT)
    with pytest.raises(SessionError, match="SLP has no assistant modifier"):
        stopwatch.correct(slp, "97129", CATALOG, AT, 10, 5, "forgot")
    ot = run(fresh(Discipline.OT), stopwatch.start(fresh(Discipline.OT), "97530", CATALOG, AT))
    assert stopwatch.set_who(ot, "97530", Who.ASSISTANT, AT).start[0].who is Who.ASSISTANT
    assert not stopwatch.set_who(ot, "97530", Who.THERAPIST, AT).changes
    with pytest.raises(SessionError, match="97110 is not running"):
        stopwatch.set_who(ot, "97110", Who.ASSISTANT, AT)
    slp_running = run(slp, stopwatch.start(slp, "97129", CATALOG, AT))
    with pytest.raises(SessionError, match="no assistant modifier"):
        stopwatch.set_who(slp_running, "97129", Who.ASSISTANT, AT)


def test_corrections_keep_the_old_minutes_and_need_a_reason() -> None:
    s = run(fresh(), stopwatch.start(fresh(), "97110", CATALOG, AT))
    later = AT + timedelta(minutes=12, seconds=30)
    for reason in ("", "   ", "x" * (stopwatch.REASON_MAX + 1), "oops\x00"):
        with pytest.raises(SessionError, match="reason"):
            stopwatch.correct(s, "97110", CATALOG, later, 20, 0, reason)
    plan = stopwatch.correct(s, "97110", CATALOG, later, 20, 0, "  started late ")
    assert plan.correction is not None
    assert (plan.correction.old_minutes, plan.correction.minutes, plan.correction.reason) == (12, 20, "started late")
    after = run(s, plan)
    assert after.corrections[-1].minutes == 20 and after.code_time("97110", later).minutes == 20


def test_closed_sessions_refuse_every_change_until_reopened() -> None:
    s = run(fresh(), stopwatch.start(fresh(), "97110", CATALOG, AT))
    closed = run(s, stopwatch.close(s, AT + timedelta(minutes=9)), Ids())
    assert closed.state is State.CLOSED and closed.running() == []
    for act in (
        lambda: stopwatch.start(closed, "97110", CATALOG, AT),
        lambda: stopwatch.add_code(closed, "97112", CATALOG, AT),
        lambda: stopwatch.add_service(closed, "97161", CATALOG, AT),
        lambda: stopwatch.correct(closed, "97110", CATALOG, AT, 1, 0, "x"),
        lambda: stopwatch.remove_code(closed, "97110", AT),
        lambda: stopwatch.set_who(closed, "97110", Who.TOGETHER, AT),
        lambda: stopwatch.close(closed, AT),
    ):
        with pytest.raises(SessionError, match="is closed; reopen it"):
            act()
    reopened = run(closed, stopwatch.reopen(closed, AT))
    assert reopened.state is State.OPEN and not stopwatch.reopen(reopened, AT).changes


def test_text_limits() -> None:
    with pytest.raises(SessionError, match="patient alias must be 1 to 40"):
        stopwatch.new_session(" ", Discipline.PT, Rule.CMS, day=DAY, at=AT)
    with pytest.raises(SessionError, match="clinician name must not contain"):
        stopwatch.new_session("MT", Discipline.PT, Rule.CMS, day=DAY, at=AT, provider="Dana\u202e")
    with pytest.raises(SessionError, match="note must be at most 2000"):
        stopwatch.set_note(fresh(), "x" * (NOTE_MAX + 1), AT)
    s = stopwatch.new_session("MT", Discipline.PT, Rule.CMS, day=DAY, at=AT, payer="  Aetna  PPO ", provider=" Kim ")
    assert (s.payer, s.provider, s.id != "") == ("Aetna PPO", "Kim", True)
    assert stopwatch.new_session("MT", Discipline.PT, Rule.CMS, day=DAY, at=AT, payer="  ").payer is None
    assert run(fresh(), stopwatch.set_note(fresh(), "a\r\nb", AT)).note == "a\nb"


def test_codes_for_a_session_are_its_disciplines_on_its_date() -> None:
    codes = {s.code for s in stopwatch.codes_for(fresh(), CATALOG)}
    assert {"97110", "97161"} <= codes and "92507" not in codes  # 92507 is SLP's
    assert all(Discipline.PT in s.disciplines and s.valid_on(DAY) for s in stopwatch.codes_for(fresh(), CATALOG))
    old = stopwatch.new_session("MT", Discipline.SLP, Rule.CMS, day=date(2027, 1, 4), at=AT)
    assert "92507" not in {s.code for s in stopwatch.codes_for(old, CATALOG)}  # 92507 ends on 2026-12-31


def test_a_clock_step_splits_only_what_was_seen_running() -> None:
    ids = Ids()
    s = fresh()
    s = run(s, stopwatch.start(s, "97110", CATALOG, AT, exclusive=False), ids)
    s = run(s, stopwatch.start(s, "97112", CATALOG, AT, exclusive=False), ids)
    step = ClockStep(AT + timedelta(minutes=2), AT - timedelta(minutes=8))
    seen = {s.segments[0].id}
    plan = stopwatch.split_at_step(s, seen, step)
    assert plan.stop == (s.segments[0].id,) and plan.stop_at == step.before
    assert plan.start == (NewSegment("97110", Who.THERAPIST, step.after),) and plan.events[0].kind == "clock"
    after = run(s, plan, ids)
    assert after.segments[0].end == step.before and after.running()[0].code == "97112"
    assert not stopwatch.split_at_step(s, set(), step).changes


def test_a_timer_stopped_elsewhere() -> None:
    s = run(fresh(), stopwatch.start(fresh(), "97110", CATALOG, AT))
    later = AT + timedelta(minutes=4)
    stopped = stopwatch.stop_elsewhere(s, {s.segments[0].id}, later)
    assert stopped.running() == [] and stopped.segments[0].end == later
    assert stopwatch.stop_elsewhere(s, {999}, later) is s


# ---- properties over any sequence of actions -----------------------------------------------------------

TIMED = ("97110", "97112", "97140", "97530")


class Clinic(RuleBasedStateMachine):
    """Random actions on a few sessions, applied as the store would: one at a time must always hold,
    no segment ends before it began, closed sessions never change, and time is never counted twice."""

    def __init__(self) -> None:
        super().__init__()
        self.now = AT
        self.ids = Ids()
        self.sessions = {
            sid: fresh(discipline, sid=sid) for sid, discipline in (("a", Discipline.PT), ("b", Discipline.OT))
        }
        self.exclusive = True
        self.ever_concurrent = False
        self.closed_snapshots: dict[str, Session] = {}

    def _do(self, sid: str, decide: object) -> None:
        session = self.sessions[sid]
        try:
            plan = decide(session)  # type: ignore[operator]
        except SessionError:
            return
        if not plan.changes:
            return
        after = stopwatch.apply(session, plan, self.ids.written(plan))
        self.sessions[sid] = after
        if plan.stop_others:
            for other_id, other in self.sessions.items():
                if other_id != sid:
                    running = {seg.id for seg in other.running()}
                    self.sessions[other_id] = stopwatch.stop_elsewhere(other, running, plan.at)

    @rule(seconds=st.integers(0, 900))
    def wait(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(sid=st.sampled_from("ab"), code=st.sampled_from(TIMED), who=st.sampled_from([None, *Who]))
    def start(self, sid: str, code: str, who: Who | None) -> None:
        self._do(sid, lambda s: stopwatch.start(s, code, CATALOG, self.now, who=who, exclusive=self.exclusive))

    @rule(sid=st.sampled_from("ab"), code=st.sampled_from([None, *TIMED]))
    def pause(self, sid: str, code: str | None) -> None:
        self._do(sid, lambda s: stopwatch.pause(s, code, self.now))

    @rule(sid=st.sampled_from("ab"), code=st.sampled_from(TIMED), who=st.sampled_from(list(Who)))
    def switch(self, sid: str, code: str, who: Who) -> None:
        self._do(sid, lambda s: stopwatch.set_who(s, code, who, self.now))

    @rule(sid=st.sampled_from("ab"), code=st.sampled_from(TIMED), minutes=st.integers(0, 90))
    def correct(self, sid: str, code: str, minutes: int) -> None:
        self._do(sid, lambda s: stopwatch.correct(s, code, CATALOG, self.now, minutes, 0, "by hand"))

    @rule(sid=st.sampled_from("ab"))
    def close(self, sid: str) -> None:
        self._do(sid, lambda s: stopwatch.close(s, self.now))
        if self.sessions[sid].state is State.CLOSED:
            self.closed_snapshots[sid] = self.sessions[sid]

    @precondition(lambda self: not self.exclusive or all(len(s.running()) <= 1 for s in self.sessions.values()))
    @rule()
    def concurrent(self) -> None:
        self.exclusive = not self.exclusive
        self.ever_concurrent = True
        if self.exclusive:  # back to one at a time: as the window does, stop every timer first
            for sid in self.sessions:
                self._do(sid, lambda s: stopwatch.pause(s, None, self.now))

    @invariant()
    def one_at_a_time(self) -> None:
        if self.exclusive:
            assert sum(len(s.running()) for s in self.sessions.values()) <= 1

    @invariant()
    def segments_are_sane(self) -> None:
        for s in self.sessions.values():
            for seg in s.segments:
                assert seg.end is None or seg.end >= seg.start
            assert len({c.code for c in s.codes}) == len(s.codes)
            assert {seg.code for seg in s.segments} <= {c.code for c in s.codes}

    @invariant()
    def closed_sessions_do_not_change(self) -> None:
        for sid, snapshot in self.closed_snapshots.items():
            if self.sessions[sid].state is State.CLOSED:
                assert self.sessions[sid] == snapshot

    @invariant()
    def never_counted_twice(self) -> None:
        """One at a time all along: the timed seconds of every session together are at most the time passed."""
        if not self.ever_concurrent:
            seconds = sum(seg.seconds(self.now) for s in self.sessions.values() for seg in s.segments)
            assert seconds <= (self.now - AT).total_seconds()


TestClinic = Clinic.TestCase


@given(st.lists(st.sampled_from(TIMED), min_size=1, max_size=12), st.lists(st.integers(0, 600), min_size=12))
def test_one_at_a_time_time_adds_up_to_the_wall_clock(codes: list[str], waits: list[int]) -> None:
    """Starting codes one after another (one at a time) splits the elapsed time among them exactly."""
    s = fresh()
    now = AT
    ids = Ids()
    for code, wait in zip(codes, waits, strict=False):
        s = run(s, stopwatch.start(s, code, CATALOG, now), ids)
        now += timedelta(seconds=wait)
    total = sum(t.therapist_seconds for t in s.times(now).values())
    assert total == (now - AT).total_seconds()
    assert len(s.running()) == 1 and s.running()[0].code == codes[-1]
