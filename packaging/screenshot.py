"""Regenerates the README screenshots from the real window on a virtual screen.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python packaging/screenshot.py

Uses Qt's xcb platform (a real X11 window, as a user sees it) and a temporary, empty config folder so
that nobody's own catalog ends up in the picture.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "screenshots"


def main() -> int:
    os.environ["THERAPYTIMER_CONFIG_DIR"] = tempfile.mkdtemp(prefix="therapytimer-shot-")
    from PySide6.QtWidgets import QApplication

    from therapytimer.ui.app import create_window

    app = QApplication(sys.argv[:1])
    if app.platformName() != "xcb":
        print(f"expected a real X11 window, got platform {app.platformName()!r}", file=sys.stderr)
        return 1
    window = create_window()
    window.show()
    for _ in range(20):
        app.processEvents()
    OUT.mkdir(exist_ok=True)
    path = OUT / "main-window.png"
    if not window.grab().save(str(path)):
        print(f"could not write {path}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
