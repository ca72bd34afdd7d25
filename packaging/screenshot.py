"""Regenerates the README screenshots from the real window on a virtual screen.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python packaging/screenshot.py

Uses Qt's xcb platform (a real X11 window, as a user sees it), a temporary database and config folder,
and a fake clock, so the pictures show the same realistic morning every time: a PT session with three
timers (one running) and the week view.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

OUT = Path(__file__).resolve().parent / "screenshots"


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="therapytimer-shot-"))
    os.environ["THERAPYTIMER_CONFIG_DIR"] = str(work)
    from PySide6.QtWidgets import QApplication, QWidget

    from therapytimer.core.catalog import Discipline
    from therapytimer.core.clock import FakeClock
    from therapytimer.core.session import Who
    from therapytimer.ui.app import create_window

    app = QApplication(sys.argv[:1])
    if app.platformName() != "xcb":
        print(f"expected a real X11 window, got platform {app.platformName()!r}", file=sys.stderr)
        return 1
    clock = FakeClock(datetime(2026, 11, 26, 14, 5, tzinfo=UTC))
    window = create_window(work / "shot.db", clock, work / "settings.json")
    store = window.store
    # Earlier in the week: a few visits, so the week view has something to show.
    visits = (
        (23, "JK", (23, 15)),
        (23, "AB", (30, 8)),
        (24, "MT", (38, 10)),
        (24, "RS", (12, 20)),
        (25, "JK", (45, 9)),
    )
    for day, patient, minutes in visits:
        earlier = FakeClock(datetime(2026, 11, day, 15, 0, tzinfo=UTC))
        store.clock = earlier
        s = store.open_session(patient, Discipline.PT, provider="Dana Lee")
        store.start(s.id, "97110")
        earlier.advance(minutes=minutes[0])
        store.start(s.id, "97140")
        earlier.advance(minutes=minutes[1])
        store.close_session(s.id)
    store.clock = clock
    window.settings.assistants = True
    session = store.open_session("MT", Discipline.PT, provider="Dana Lee")
    store.start(session.id, "97112")
    clock.advance(minutes=16, seconds=12)
    store.start(session.id, "97110")
    clock.advance(minutes=11, seconds=40)
    store.start(session.id, "97140")
    clock.advance(minutes=7, seconds=3)
    store.set_who(session.id, "97140", Who.TOGETHER)
    clock.advance(seconds=35)
    store.add_service(session.id, "97161", 30)
    window._fill_sessions(session.id)
    window.panel.set_session(session.id)
    window.show()
    OUT.mkdir(exist_ok=True)

    def grab(widget: QWidget, name: str) -> bool:
        for _ in range(30):
            app.processEvents()
        return widget.grab().save(str(OUT / name))

    ok = grab(window, "session.png")
    window.tabs.setCurrentWidget(window.week)
    window.week.refresh()
    ok = grab(window, "week.png") and ok
    window.close()
    print("\n".join(str(OUT / n) for n in ("session.png", "week.png")))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
