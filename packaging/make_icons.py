"""Renders resources/icons/therapytimer.svg to the PNG sizes desktops want, into a folder.

    QT_QPA_PLATFORM=offscreen python packaging/make_icons.py OUT_DIR

Run by packaging/build.sh, so no rendered icon is committed (the SVG is the source). Writes
therapytimer-<size>.png for 16, 24, 32, 48, 64, 128, 256 and 512 pixels, and therapytimer.ico when a
Windows icon is wanted (Qt writes .ico).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SVG = Path(__file__).resolve().parents[1] / "resources" / "icons" / "therapytimer.svg"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    for size in SIZES:
        if not render(renderer, size).save(str(out / f"therapytimer-{size}.png")):
            print(f"cannot write {out}", file=sys.stderr)
            return 1
    render(renderer, 256).save(str(out / "therapytimer.ico"))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
