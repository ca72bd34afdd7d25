"""The look: light or dark colours, the text size, and one application stylesheet with a visible focus ring.

Every widget takes its colours from the application palette, and the one stylesheet here names only
`palette()` roles, so applying a theme restyles every open window at once: no widget sets a colour of its
own. The light and dark palettes are chosen for contrast (text >= 4.5:1, control borders and the focus ring
>= 3:1; tests/ui/test_theme.py computes the ratios from these palettes), and the chart's series colours are
colour-blind-safe and readable on either background. Light and dark use the Fusion style, which draws
everything from the palette (native styles on Windows and macOS ignore parts of it); Fusion is used for
"system" too, so one theme never looks unlike another but for its colours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from therapytimer.core.settings import Settings, Theme
from therapytimer.paths import resource_path

if TYPE_CHECKING:
    from therapytimer.services.preferences import Preferences

FOCUS_RING_PX = 2
STYLE = "Fusion"
STYLED = "therapytimer-styled"  # set on an application made in STYLE (ui.app.application)

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup

# Text 10-17:1 on every background, borders (mid) 3.5-5.3:1, the highlight >= 5:1 as a focus ring, disabled
# text 3.1-4.3:1: readable, and still plainly dimmer than what can be used.
LIGHT: Mapping[QPalette.ColorRole, str] = {
    _Role.Window: "#F3F3F3",
    _Role.WindowText: "#1A1A1A",
    _Role.Base: "#FFFFFF",
    _Role.AlternateBase: "#F0F0F0",
    _Role.Text: "#1A1A1A",
    _Role.Button: "#E4E4E4",
    _Role.ButtonText: "#1A1A1A",
    _Role.BrightText: "#FFFFFF",
    _Role.Light: "#FFFFFF",
    _Role.Midlight: "#D4D4D4",
    _Role.Mid: "#767676",
    _Role.Dark: "#5A5A5A",
    _Role.Shadow: "#000000",
    _Role.Highlight: "#0B57D0",
    _Role.HighlightedText: "#FFFFFF",
    _Role.Accent: "#0B57D0",
    _Role.Link: "#0B57D0",
    _Role.LinkVisited: "#6A3DB8",
    _Role.ToolTipBase: "#FFFFFF",
    _Role.ToolTipText: "#1A1A1A",
    _Role.PlaceholderText: "#5F6368",
}
LIGHT_DISABLED: Mapping[QPalette.ColorRole, str] = {
    _Role.WindowText: "#7A7A7A",
    _Role.Text: "#7A7A7A",
    _Role.ButtonText: "#7A7A7A",
    _Role.Highlight: "#9E9E9E",
    _Role.HighlightedText: "#FFFFFF",
}
DARK: Mapping[QPalette.ColorRole, str] = {
    _Role.Window: "#1F2023",
    _Role.WindowText: "#E6E6E6",
    _Role.Base: "#17181A",
    _Role.AlternateBase: "#232427",
    _Role.Text: "#E6E6E6",
    _Role.Button: "#2D2F33",
    _Role.ButtonText: "#E6E6E6",
    _Role.BrightText: "#FFFFFF",
    _Role.Light: "#4A4D52",
    _Role.Midlight: "#3C3F44",
    _Role.Mid: "#8A8D93",
    _Role.Dark: "#101113",
    _Role.Shadow: "#000000",
    _Role.Highlight: "#8AB4F8",
    _Role.HighlightedText: "#0B1F3A",
    _Role.Accent: "#8AB4F8",
    _Role.Link: "#8AB4F8",
    _Role.LinkVisited: "#C58AF9",
    _Role.ToolTipBase: "#2D2F33",
    _Role.ToolTipText: "#E6E6E6",
    _Role.PlaceholderText: "#9AA0A6",
}
DARK_DISABLED: Mapping[QPalette.ColorRole, str] = {
    _Role.WindowText: "#7A7A7A",
    _Role.Text: "#7A7A7A",
    _Role.ButtonText: "#7A7A7A",
    _Role.Highlight: "#4A4D52",
    _Role.HighlightedText: "#B0B0B0",
}

# The week chart's series, a colour per code. Light: Okabe-Ito's blue and vermillion with Paul Tol's darker
# hues (the pale Okabe-Ito colours fall under 3:1 on white); dark: Okabe-Ito, its black made light grey.
# Each is >= 3:1 on its chart background and the colours stay apart for protan, deutan and tritan vision.
SERIES_LIGHT = ("#0072B2", "#D55E00", "#117733", "#AA3377", "#332288", "#BB7766", "#9977FF", "#000000")
SERIES_DARK = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#D55E00", "#0072B2", "#E0E0E0")

# Borders and rings keep their outer size in every state (a 1 px border inside a 1 px margin becomes a 2 px
# ring without one), so focusing a control never moves its neighbours. No sizes here: a stylesheet's min-width
# or min-height replaces the minimum a widget sets in code (a 48 px main action would shrink to the sheet's
# 44) and the text's own minimum width (a layout could then squeeze a label); widgets set their sizes.
_STYLESHEET = """
QPushButton, QToolButton {{
    background-color: palette(button); border: 1px solid palette(mid); border-radius: 4px;
    margin: 1px; padding: 6px 10px;
}}
QToolButton {{ padding: 6px 8px; }}
QPushButton:hover, QToolButton:hover {{ background-color: palette(midlight); }}
QPushButton:pressed, QToolButton:pressed {{ background-color: palette(midlight); border-color: palette(highlight); }}
QPushButton:checked, QToolButton:checked {{
    background-color: palette(highlight); color: palette(highlighted-text); border-color: palette(highlight);
}}
QPushButton:default {{ border-color: palette(highlight); }}
QLineEdit, QAbstractSpinBox, QComboBox, QPlainTextEdit, QTextEdit, QTableView, QListView, QTreeView {{
    background-color: palette(base); border: 1px solid palette(mid); border-radius: 3px; margin: 1px;
}}
QTableView {{ gridline-color: palette(midlight); }}
QLineEdit, QAbstractSpinBox, QComboBox {{ padding: 4px 6px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ width: 0px; border: none; }}
QComboBox::drop-down {{ width: 28px; border: none; }}
QComboBox::down-arrow {{ image: url("{arrow}"); width: 12px; height: 8px; }}
QComboBox QAbstractItemView {{ margin: 0px; }}
QTabWidget::pane {{ border: 1px solid palette(mid); }}
QTabBar::tab {{
    background-color: palette(button); border: 1px solid palette(mid); border-radius: 3px;
    margin: 1px; padding: 8px 16px;
}}
QTabBar::tab:selected {{ background-color: palette(base); border-bottom: 3px solid palette(highlight); }}
QCheckBox, QRadioButton {{
    border: {ring}px solid transparent; border-radius: 4px; padding: 4px; spacing: 8px;
}}
QCheckBox::indicator, QRadioButton::indicator {{
    width: 14px; height: 14px; border: 2px solid palette(text); background-color: palette(base); padding: 2px;
}}
QCheckBox::indicator {{ border-radius: 3px; }}
QRadioButton::indicator {{ border-radius: 10px; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{
    background-color: palette(highlight); background-clip: content;
}}
QPushButton:focus, QToolButton:focus, QLineEdit:focus, QAbstractSpinBox:focus, QComboBox:focus,
QPlainTextEdit:focus, QTextEdit:focus, QTableView:focus, QListView:focus, QTreeView:focus, QTabBar::tab:focus {{
    border: {ring}px solid palette(highlight); margin: 0px;
}}
QCheckBox:focus, QRadioButton:focus {{ border-color: palette(highlight); }}
"""


def stylesheet(palette: QPalette) -> str:
    """The application stylesheet for a palette: only the drop-down arrow's picture depends on it (dark or
    light), everything else names palette roles."""
    arrow = resource_path(f"icons/down-arrow-for-{'dark' if is_dark(palette) else 'light'}.svg").as_posix()
    return _STYLESHEET.format(ring=FOCUS_RING_PX, arrow=arrow)


def palette_for(theme: Theme) -> QPalette | None:
    """The palette a theme sets; None for the system's own."""
    if theme is Theme.SYSTEM:
        return None
    colors, disabled = (LIGHT, LIGHT_DISABLED) if theme is Theme.LIGHT else (DARK, DARK_DISABLED)
    palette = QPalette()
    for role, color in colors.items():
        palette.setColor(role, QColor(color))  # every group; the disabled one is dimmed below
    for role, color in disabled.items():
        palette.setColor(_Group.Disabled, role, QColor(color))
    return palette


def text_font(size: int) -> QFont:
    """The platform's text font at `size` percent: scaled from the platform's, never from the last setting."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
    font.setPointSizeF(font.pointSizeF() * size / 100)
    return font


def apply(app: QApplication, settings: Settings) -> None:
    """Set the theme's palette (the platform's for "system"), the text size and the stylesheet.

    The stylesheet is set again each time: Qt resolves its `palette()` roles when it polishes a widget, so
    setting it again after the palette repolishes every widget in the new colours.

    An application made in the style (`STYLED`) is not asked for its style: the Python object of a QStyle
    costs some 4 ms at start-up (its enums are made with it), and the first paint needs none."""
    if not app.styleSheet() and not app.property(STYLED) and app.style().name() != STYLE.lower():
        app.setStyle(STYLE)  # the first time; once a stylesheet is set, app.style() names no style: it stays
    app.setPalette(palette_for(settings.theme) or QPalette())  # an empty palette: the platform's
    app.setFont(text_font(settings.text_size))
    app.setStyleSheet(stylesheet(app.palette()))


def follow(prefs: Preferences, app: QApplication) -> None:
    """Apply the settings now and again whenever the theme or the text size changes (other settings do
    not repolish the window), and when the platform switches between light and dark."""
    applied = [(prefs.settings.theme, prefs.settings.text_size)]

    def changed() -> None:
        wanted = (prefs.settings.theme, prefs.settings.text_size)
        if wanted != applied[0]:
            applied[0] = wanted
            apply(app, prefs.settings)

    def platform_changed() -> None:
        if prefs.settings.theme is Theme.SYSTEM:
            apply(app, prefs.settings)

    apply(app, prefs.settings)
    prefs.subscribe(changed)
    QGuiApplication.styleHints().colorSchemeChanged.connect(platform_changed)


def is_dark(palette: QPalette) -> bool:
    """Whether the palette is a dark one: light text on a dark window (the platform's may be either)."""
    return palette.color(_Role.Window).lightnessF() < palette.color(_Role.WindowText).lightnessF()


def series_colors(palette: QPalette) -> tuple[QColor, ...]:
    """The chart's colours for one code after another, for the palette's background."""
    return tuple(QColor(c) for c in (SERIES_DARK if is_dark(palette) else SERIES_LIGHT))


def luminance(color: QColor) -> float:
    """WCAG 2 relative luminance of an opaque colour."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(color.redF()) + 0.7152 * linear(color.greenF()) + 0.0722 * linear(color.blueF())


def contrast(first: QColor, second: QColor) -> float:
    """WCAG 2 contrast ratio, 1 to 21: text needs 4.5, large text, control borders and focus rings 3."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
