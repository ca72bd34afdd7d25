"""The context carries the compliance data with the user's MUE file: a command stops on a broken file, the
window says why and uses the built-in values; the use cases bill with it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.helpers import open_workspace
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.compliance import ComplianceError, builtin
from therapytimer.core.rules import Rule
from therapytimer.core.session import Who
from therapytimer.services.context import build_context


def test_the_users_mue_file_reaches_the_context(tmp_path: Path, user_dirs: Path) -> None:
    assert build_context(str(tmp_path / "x.db")).compliance is builtin()
    (user_dirs / "mue.csv").write_text("code,units\n97110,6\n")
    limit = build_context(str(tmp_path / "x.db")).compliance.limit("97110")
    assert limit is not None and limit.units == 6


def test_a_broken_mue_file_stops_a_command_but_not_the_window(tmp_path: Path, user_dirs: Path) -> None:
    (user_dirs / "mue.csv").write_text("code,units\n97110,six\n")
    with pytest.raises(ComplianceError):
        build_context(str(tmp_path / "x.db"))
    context = build_context(str(tmp_path / "x.db"), strict_catalog=False)
    (problem,) = [p for p in context.problems if "MUE" in p]
    assert problem.startswith("Your MUE file has problems, so only the built-in MUE values are used:\n")
    assert "line 2: units 'six'" in problem and context.compliance is builtin()


def test_the_bedside_view_bills_with_the_sessions_date(tmp_path: Path) -> None:
    """A session dated 2019 (before CQ/CO) shows the assistant's minutes on the plain line."""
    clock = FakeClock(datetime(2019, 12, 31, 14, 0, tzinfo=UTC))
    ws = open_workspace(tmp_path / "t.db", clock)
    session = ws.timers.open_session("MT", Discipline.PT, rule=Rule.CMS, day=date(2019, 12, 31))
    ws.timers.start(session.id, "97110", who=Who.ASSISTANT)
    clock.advance(20 * 60)
    view = ws.timers.live(session.id)
    assert [(ln.code, ln.modifiers, ln.units) for ln in view.result.lines] == [("97110", ("GP",), 1)]
