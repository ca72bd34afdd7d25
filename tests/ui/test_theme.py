"""The look (issue #11, items 4 and 7): contrast computed from the palettes the app applies, a 2 px focus ring
that is really drawn, the text size, following the settings, and the chart's colour-blind-safe colours.

Every test puts the application's palette, font and stylesheet back as it found them, so no other test runs
in a theme it did not ask for.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.helpers import CATALOG
from therapytimer.core.settings import Settings, Theme
from therapytimer.services.preferences import Preferences
from therapytimer.ui import theme

Role, Group = QPalette.ColorRole, QPalette.ColorGroup
THEMES = [Theme.LIGHT, Theme.DARK]


def applied(app: QApplication, chosen: Theme, text_size: int = 100) -> QPalette:
    theme.apply(app, Settings(theme=chosen, text_size=text_size))
    return app.palette()


# ---- contrast (item 4) --------------------------------------------------------------------------------


def test_contrast_is_the_wcag_ratio() -> None:
    black, white = QColor("#000000"), QColor("#FFFFFF")
    assert theme.contrast(black, white) == pytest.approx(21) and theme.contrast(white, black) == pytest.approx(21)
    assert theme.contrast(white, white) == 1
    assert theme.contrast(QColor("#767676"), white) == pytest.approx(4.54, abs=0.01)  # the classic 4.5:1 grey
    assert theme.contrast(QColor("#949494"), white) == pytest.approx(3.03, abs=0.01)


@pytest.mark.parametrize("chosen", THEMES)
def test_text_reaches_4_5_to_1_on_every_background_of_the_applied_palette(app: QApplication, chosen: Theme) -> None:
    palette = applied(app, chosen)
    pairs = [
        (Role.WindowText, Role.Window),
        (Role.Text, Role.Base),
        (Role.Text, Role.AlternateBase),
        (Role.ButtonText, Role.Button),
        (Role.Text, Role.Window),  # labels drawn in Text on the window (the session cards)
        (Role.HighlightedText, Role.Highlight),
        (Role.ToolTipText, Role.ToolTipBase),
        (Role.PlaceholderText, Role.Base),
        (Role.Link, Role.Base),
        (Role.Link, Role.Window),
    ]
    for fore, back in pairs:
        ratio = theme.contrast(palette.color(Group.Active, fore), palette.color(Group.Active, back))
        assert ratio >= 4.5, (chosen, fore.name, back.name, round(ratio, 2))


@pytest.mark.parametrize("chosen", THEMES)
def test_borders_and_the_focus_ring_reach_3_to_1_against_what_they_sit_on(app: QApplication, chosen: Theme) -> None:
    """The stylesheet draws every control's border in Mid and the focus ring in Highlight (WCAG 1.4.11)."""
    palette = applied(app, chosen)
    assert "border: 1px solid palette(mid)" in app.styleSheet()
    assert f"border: {theme.FOCUS_RING_PX}px solid palette(highlight)" in app.styleSheet()
    for line in (Role.Mid, Role.Highlight):
        for back in (Role.Window, Role.Base, Role.Button):
            ratio = theme.contrast(palette.color(line), palette.color(back))
            assert ratio >= 3, (chosen, line.name, back.name, round(ratio, 2))
    # a checked button is filled with Highlight: it must stand out from an unchecked one too
    assert theme.contrast(palette.color(Role.Highlight), palette.color(Role.Button)) >= 3


@pytest.mark.parametrize("chosen", THEMES)
def test_disabled_text_stays_readable_and_looks_disabled(app: QApplication, chosen: Theme) -> None:
    """WCAG exempts disabled controls, but a clinician must still read a disabled Save (and the message
    under it says why), so disabled text keeps 3:1, the large-text floor, while plainly dimmer than
    enabled text (under 4.5:1: never mistaken for a control that works)."""
    palette = applied(app, chosen)
    for fore, back in ((Role.ButtonText, Role.Button), (Role.Text, Role.Base), (Role.WindowText, Role.Window)):
        disabled = theme.contrast(palette.color(Group.Disabled, fore), palette.color(Group.Disabled, back))
        enabled = theme.contrast(palette.color(Group.Active, fore), palette.color(Group.Active, back))
        assert 3 <= disabled < 4.5 < enabled, (chosen, fore.name, round(disabled, 2))


def test_the_stylesheet_names_palette_roles_only() -> None:
    """No colour is written into the stylesheet: switching the palette restyles every control at once."""
    for dark in (False, True):
        sheet = theme.stylesheet(theme.palette_for(Theme.DARK if dark else Theme.LIGHT) or QPalette())
        assert sheet.count("palette(") > 20
        assert not re.search(r"#|rgb|hsv|\b(white|black|gray|grey|red|blue)\b", re.sub(r'url\("[^"]*"\)', "", sheet))
        assert f"down-arrow-for-{'dark' if dark else 'light'}.svg" in sheet


# ---- the focus ring is drawn 2 px wide, in the highlight --------------------------------------------


def _ring(image: QImage, color: QColor, x: int, y: int) -> int:
    """How many pixels from (x, y) rightwards are the ring's colour."""
    run = 0
    while x + run < image.width() and QColor(image.pixel(x + run, y)) == color:
        run += 1
    return run


@pytest.mark.parametrize("chosen", THEMES)
def test_every_kind_of_control_shows_a_2_px_focus_ring(app: QApplication, qtbot: QtBot, chosen: Theme) -> None:
    highlight = applied(app, chosen).color(Role.Highlight)
    page = QWidget()
    qtbot.addWidget(page)
    tabs = QTabWidget()
    tabs.addTab(QWidget(), "Session")
    tabs.addTab(QWidget(), "Week")
    check = QCheckBox("Sound")
    controls: list[QWidget] = [QPushButton("Pause"), QLineEdit("97110"), QComboBox(), QTableView(), check]
    layout = QVBoxLayout(page)
    for widget in (*controls, tabs):
        layout.addWidget(widget)
    page.resize(300, 420)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)

    def ring(widget: QWidget, left: Callable[[QWidget], tuple[int, int]]) -> tuple[int, int]:
        """(ring width focused, ring width not focused) at `left`'s point."""
        widths = []
        for focused in (True, False):
            (widget if focused else page).setFocus(Qt.FocusReason.TabFocusReason)
            QApplication.processEvents()
            assert widget.hasFocus() is focused
            x, y = left(widget)
            widths.append(_ring(widget.grab().toImage(), highlight, x, y))
        return widths[0], widths[1]

    for widget in controls:
        assert ring(widget, lambda w: (0, w.height() // 2)) == (theme.FOCUS_RING_PX, 0), type(widget).__name__
    bar = tabs.tabBar()
    assert ring(bar, lambda w: (bar.tabRect(0).left(), bar.tabRect(0).center().y())) == (theme.FOCUS_RING_PX, 0)


# ---- text size, following the settings -------------------------------------------------------------


def test_the_text_size_scales_the_platform_font_without_compounding(app: QApplication, qtbot: QtBot) -> None:
    platform = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont).pointSizeF()
    for size in (150, 150, 200, 100):
        applied(app, Theme.SYSTEM, size)
        assert app.font().pointSizeF() == pytest.approx(platform * size / 100)
    applied(app, Theme.SYSTEM, 200)
    label = QPushButton("97110")
    qtbot.addWidget(label)
    assert label.font().pointSizeF() == pytest.approx(platform * 2)  # a widget made afterwards has it too


def test_system_leaves_the_platform_palette_but_keeps_the_ring_and_the_size(app: QApplication) -> None:
    applied(app, Theme.DARK)
    palette = applied(app, Theme.SYSTEM, 125)
    assert palette.color(Role.Window) == app.style().standardPalette().color(Role.Window)  # offscreen: the style's
    assert palette.color(Role.Window) != QColor(theme.DARK[Role.Window])
    assert "palette(highlight)" in app.styleSheet()
    sheet = app.styleSheet()
    app.setStyleSheet("")  # only then does app.style() name the style under the sheet
    assert app.style().name() == theme.STYLE.lower()
    app.setStyleSheet(sheet)


def test_follow_reapplies_when_the_theme_or_text_size_changes_and_only_then(
    app: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefs = Preferences(Settings(), CATALOG)
    calls: list[tuple[Theme, int]] = []
    real = theme.apply

    def counting(application: QApplication, settings: Settings) -> None:
        calls.append((settings.theme, settings.text_size))
        real(application, settings)

    monkeypatch.setattr(theme, "apply", counting)
    theme.follow(prefs, app)
    assert calls == [(Theme.SYSTEM, 100)]  # at once
    prefs.update(theme=Theme.DARK)
    assert app.palette().color(Role.Window) == QColor(theme.DARK[Role.Window])
    assert "down-arrow-for-dark" in app.styleSheet()
    prefs.update(sound=True, week_start=prefs.settings.week_start)  # nothing about the look
    prefs.update(text_size=175)
    assert calls == [(Theme.SYSTEM, 100), (Theme.DARK, 100), (Theme.DARK, 175)]
    prefs.update(theme=Theme.LIGHT)
    assert app.palette().color(Role.Window) == QColor(theme.LIGHT[Role.Window])
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # the platform switched
    assert len(calls) == 4  # a chosen theme does not follow the platform
    prefs.update(theme=Theme.SYSTEM)
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert calls[-2:] == [(Theme.SYSTEM, 175), (Theme.SYSTEM, 175)]  # "system" does


# ---- the chart's colours (item 7) ---------------------------------------------------------------------

# Machado, Oliveira and Fernandes (2009), severity 1: what protan, deutan and tritan vision sees, in linear RGB.
CVD = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protan": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deutan": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritan": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
DISTINCT = 12  # CIELAB ΔE: neighbouring segments well apart, for every kind of vision


def _lab(color: QColor, vision: str) -> tuple[float, float, float]:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rgb = [linear(c) for c in (color.redF(), color.greenF(), color.blueF())]
    r, g, b = (min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in CVD[vision])
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


@pytest.mark.parametrize("chosen", THEMES)
def test_chart_colours_are_readable_and_tell_apart_for_colour_blind_eyes(app: QApplication, chosen: Theme) -> None:
    palette = applied(app, chosen)
    colors = theme.series_colors(palette)
    background = palette.color(Role.Base)  # the chart and its legend sit on Base
    assert len(colors) == 8
    for color in colors:
        assert theme.contrast(color, background) >= 3, (chosen, color.name())
    for vision in CVD:
        for first, second in itertools.combinations(colors, 2):
            distance = math.dist(_lab(first, vision), _lab(second, vision))
            assert distance >= DISTINCT, (chosen, vision, first.name(), second.name(), round(distance, 1))


def test_the_series_follow_whether_the_palette_is_dark(app: QApplication) -> None:
    assert [c.name().upper() for c in theme.series_colors(applied(app, Theme.LIGHT))] == list(theme.SERIES_LIGHT)
    assert [c.name().upper() for c in theme.series_colors(applied(app, Theme.DARK))] == list(theme.SERIES_DARK)
    assert not theme.is_dark(applied(app, Theme.LIGHT)) and theme.is_dark(applied(app, Theme.DARK))
