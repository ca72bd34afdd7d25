"""One context for every face: the database path, the catalog, the settings, the clock, the log folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import CATALOG
from therapytimer import paths
from therapytimer.core.catalog import CatalogError
from therapytimer.core.clock import FakeClock, SystemClock
from therapytimer.services.context import ContextError, build_context, resolve_db_path


def test_the_flag_then_the_environment_then_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {paths.DB_ENV: str(tmp_path / "env.db")}
    assert resolve_db_path(str(tmp_path / "flag.db"), env) == tmp_path / "flag.db"
    assert resolve_db_path(None, env) == tmp_path / "env.db"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_db_path(None, {}) == tmp_path / "xdg" / "therapytimer" / "therapytimer.db"


@pytest.mark.parametrize(
    ("flag", "env", "name"), [("", {}, "--db"), (" ", {}, "--db"), (None, {"THERAPYTIMER_DB": ""}, "THERAPYTIMER_DB")]
)
def test_an_empty_value_is_refused_everywhere(flag: str | None, env: dict[str, str], name: str) -> None:
    """0.1's window took `--db ""` to mean the clinician's real database."""
    with pytest.raises(ContextError, match=f"{name} is empty; it needs a database file name") as caught:
        resolve_db_path(flag, env)
    assert caught.value.hint is None  # nothing to add: the message says what is needed


def test_build_context_gathers_what_every_face_needs(tmp_path: Path, user_dirs: Path) -> None:
    (user_dirs / "settings.json").write_text('{"week_start": "sunday", "fees": {"97110": "31.00"}, "sound": "yes"}')
    clock = FakeClock()
    context = build_context(str(tmp_path / "x.db"), clock=clock)
    assert context.db_path == tmp_path / "x.db" and context.clock is clock
    assert context.prefs.settings.week_start == "sunday" and context.catalog.get("97110").default_fee == 31
    assert [p.split(": ")[1] for p in context.problems] == ["sound"]  # one line, naming the field
    assert context.log_dir == paths.log_dir() and isinstance(build_context(str(tmp_path / "y.db")).clock, SystemClock)
    assert len(context.catalog) == len(CATALOG)


def test_a_broken_user_catalog_stops_a_command_but_not_the_window(tmp_path: Path, user_dirs: Path) -> None:
    (user_dirs / "codes.csv").write_text("code,short_name,kind\n97110,Dup,nonsense\n")
    with pytest.raises(CatalogError):
        build_context(str(tmp_path / "x.db"))
    context = build_context(str(tmp_path / "x.db"), strict_catalog=False)
    assert "only the built-in codes are available" in context.problems[0] and "97110" in context.catalog


def test_the_built_in_codes_a_user_file_replaces_are_shown_once(tmp_path: Path, user_dirs: Path) -> None:
    """Issue #10 item 6: a replaced built-in code is said on every load, by the window and the commands."""
    path = user_dirs / "codes.csv"
    path.write_text(
        "code,short_name,kind,disciplines,valid_to,replaces_builtin\n"
        "92507,Speech/language treatment,untimed,SLP,2027-06-30,yes\n"
    )
    (user_dirs / "settings.json").write_text('{"fees": {"92507": "80.00"}}')
    for strict in (True, False):
        context = build_context(str(tmp_path / "x.db"), strict_catalog=strict)
        assert context.problems == [f"built-in 92507 replaced by {path} line 2"]
        assert context.catalog.get("92507").valid_to is not None and context.catalog.get("92507").default_fee == 80


def test_a_fee_in_the_user_catalog_is_sent_to_the_fee_table(tmp_path: Path, user_dirs: Path) -> None:
    path = user_dirs / "codes.csv"
    path.write_text("code,default_fee_usd\n97110,31.00\n")
    advice = f"{path} line 2: to change 97110's fee, use the fee table in Settings (fees), not codes.csv"
    with pytest.raises(CatalogError) as caught:
        build_context(str(tmp_path / "x.db"))
    assert caught.value.problems == [advice]
    context = build_context(str(tmp_path / "x.db"), strict_catalog=False)
    assert (
        advice in context.problems[0] and context.catalog.get("97110").default_fee == CATALOG.get("97110").default_fee
    )
