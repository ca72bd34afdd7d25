"""Regenerates the README screenshots from the real window on a virtual 1366x768 screen.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python packaging/screenshot.py

Uses Qt's xcb platform (a real X11 window, as a user sees it), a temporary database and config folder,
and a fake clock, so the pictures show the same realistic afternoon every time: earlier visits this week,
then a Medicare PT session with six codes, 97530 running, and the patient's case in the header. It saves
each page at 1366x768 (session, day, week in the dark theme, codes) and compact mode, and checks that the
running timer shows on each one (the session switcher names it on every page).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "screenshots"
SIZE = (1366, 768)
WEEK = date(2026, 11, 23)  # a Monday
NOW = datetime(2026, 11, 26, 19, 5, tzinfo=UTC)  # Thursday afternoon in the clinic (UTC+0 on the runner)


def history(first_visit: date) -> dict[str, object]:
    """Earlier visits of the week, and nine earlier PT visits of the patient on screen, as an import file."""
    sessions: list[dict[str, object]] = []
    visits = [  # (weekday offset, alias, discipline, codes)
        (0, "JK 1", "PT", [("97110", 23), ("97140", 15)]),
        (0, "AB 2", "OT", [("97530", 30), ("97535", 10)]),
        (1, "RS 4", "PT", [("97112", 25), ("97110", 12)]),
        (1, "JK 1", "PT", [("97110", 30), ("97116", 9)]),
        (2, "AB 2", "OT", [("97530", 40)]),
        (2, "LP 7", "SLP", [("92507", 0)]),
        (3, "RS 4", "PT", [("97112", 20), ("97140", 18)]),
    ]
    for offset, alias, discipline, codes in visits:
        sessions.append(
            {
                "patient": alias,
                "discipline": discipline,
                "rule": "cms",
                "date": (WEEK + timedelta(days=offset)).isoformat(),
                "provider": "Dana Lee, PT",
                "codes": [{"code": c, "minutes": m} if m else {"code": c} for c, m in codes],
            }
        )
    day = first_visit
    for n in range(8):  # MT 3's episode: an evaluation, then seven treatment days (today is the ninth)
        codes = [{"code": "97110", "minutes": 23}, {"code": "97140", "minutes": 15}]
        if n == 0:
            codes.insert(0, {"code": "97161"})
        sessions.append({"patient": "MT 3", "discipline": "PT", "rule": "cms", "date": day.isoformat(), "codes": codes})
        day += timedelta(days=3 if day.weekday() == 4 else 1)
    return {"format": "therapytimer-sessions/1", "sessions": sessions}


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="therapytimer-shot-"))
    os.environ["THERAPYTIMER_CONFIG_DIR"] = str(work)
    os.environ["THERAPYTIMER_LOG_DIR"] = str(work / "log")
    from PySide6.QtWidgets import QWidget

    from therapytimer.core.catalog import Discipline
    from therapytimer.core.clock import FakeClock
    from therapytimer.core.session import Role, Who
    from therapytimer.core.settings import Theme
    from therapytimer.services.context import build_context
    from therapytimer.ui import app as ui_app
    from therapytimer.ui import theme
    from therapytimer.ui.dialogs import NewSession

    qt = ui_app.application()
    if qt.platformName() != "xcb":
        print(f"expected a real X11 window, got platform {qt.platformName()!r}", file=sys.stderr)
        return 1
    clock = FakeClock(NOW - timedelta(minutes=40))
    context = build_context(str(work / "shot.db"), clock=clock, settings_file=work / "settings.json")
    context.prefs.update(provider="Dana Lee, PT", assistants=True, clinician_asked=True)
    ui_app.dress(qt, context)
    window = ui_app.create_window(context)
    workspace = window.workspace
    workspace.records.import_text(json.dumps(history(date(2026, 11, 13))))
    workspace.cases.set_plan("MT 3", Discipline.PT, date(2026, 11, 13), date(2026, 12, 4))
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()
    # The clinician's own steps: New session, then a tap per code (the panel's buttons' actions).
    window.ask_new_session = lambda *_args: NewSession(
        "MT 3", Discipline.PT, "Medicare", "Dana Lee, PT", Role.THERAPIST
    )
    session = window.new_session()
    assert session is not None
    panel = window.panel
    for code, minutes in (("97112", 9), ("97110", 11), ("97140", 8), ("97116", 4), ("97535", 2)):
        panel.start_code(code)
        clock.advance(minutes=minutes, seconds=20)
    panel.start_code("97530")
    panel.set_who("97530", Who.TOGETHER.value)
    clock.advance(minutes=5, seconds=45)
    OUT.mkdir(exist_ok=True)
    saved: list[Path] = []

    def grab(widget: QWidget, name: str) -> None:
        for _ in range(3):
            window.tick()
            qt.processEvents()
        path = OUT / name
        if not widget.grab().save(str(path)):
            raise SystemExit(f"could not save {path}")
        saved.append(path)

    def running_shown() -> bool:
        return window.sessions.currentText().startswith("●")

    grab(window, "session.png")
    assert window.panel.now.isVisible() and running_shown(), "the running timer must show on the session page"
    window.tabs.setCurrentWidget(window.day)
    grab(window, "day.png")
    assert running_shown()
    context.prefs.update(theme=Theme.DARK)
    window.tabs.setCurrentWidget(window.week)
    grab(window, "week-dark.png")
    assert running_shown()
    context.prefs.update(theme=Theme.LIGHT)
    window.tabs.setCurrentWidget(window.codes)
    grab(window, "codes.png")
    assert running_shown()
    window.tabs.setCurrentIndex(0)
    window.enter_compact()
    compact = window.compact
    compact.move(0, 0)
    grab(compact, "compact.png")
    assert compact.code.text().startswith("● 97530"), "compact mode must show the running code"
    window.leave_compact()
    window.close()
    theme.apply(qt, context.prefs.settings)
    print("\n".join(str(p) for p in saved))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
