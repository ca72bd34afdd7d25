"""The week page (issue #11, item 7): the totals row pinned in sight, axis numbers that are whole and never cut
to "…", a total on each bar, colours and fonts that follow the theme at once, and finger-sized buttons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCharts import QValueAxis
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QBoxLayout, QPushButton
from pytestqt.qtbot import QtBot

from tests.helpers import open_workspace
from therapytimer.core.catalog import Discipline
from therapytimer.core.clock import FakeClock
from therapytimer.core.settings import Settings, Theme
from therapytimer.services.workspace import Workspace
from therapytimer.ui import theme
from therapytimer.ui.week_view import STEPS, WeekView, axis_scale
from therapytimer.ui.widgets import TOUCH

MONDAY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CODES = ["97110", "97112", "97140", "97530", "97116", "97535", "97113", "97750", "97542"]  # one more than colours
Role = QPalette.ColorRole


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """Monday to Friday, a PT session a day, nine codes in all (each day's bar stacks several)."""
    clock = FakeClock(MONDAY)
    ws = open_workspace(tmp_path / "week.db", clock)
    for day in range(5):
        session = ws.timers.open_session("MT", Discipline.PT)
        for i, code in enumerate(CODES):
            if (i + day) % 3 == 0 or i < 2:
                ws.timers.start(session.id, code)
                clock.advance(minutes=8 + 8 * ((i + day) % 4))
        ws.timers.pause_all()
        clock.advance(days=1)
    ws.context.clock = FakeClock(MONDAY)  # the page opens on that week
    yield ws
    ws.close()


def week_page(qtbot: QtBot, ws: Workspace, width: int = 1340, height: int = 560) -> WeekView:
    view = WeekView(ws.records, ws.context.prefs, ws.context.clock)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    QApplication.processEvents()
    return view


def test_the_axis_scale_is_whole_steps_with_room_above_the_tallest_bar() -> None:
    for units in range(0, 400):
        for ticks in range(0, 9):
            top, step = axis_scale(units, ticks)
            assert top > units and top % step == 0 and step in STEPS
            assert top // step <= max(ticks, 1)  # at most that many steps: as many labels as fit
    assert axis_scale(7) == (8, 1) and axis_scale(13) == (14, 2) and axis_scale(40) == (50, 10)


def test_the_totals_row_stays_in_sight_below_the_scrolling_table(qtbot: QtBot, workspace: Workspace) -> None:
    view = week_page(qtbot, workspace, 1000, 560)
    model, table, footer = view.model, view.table, view.footer
    last = model.rowCount() - 1
    assert last == len(CODES) and model.index(last, 0).data() == "All codes"
    assert [table.isRowHidden(r) for r in range(last + 1)] == [False] * last + [True]
    assert [footer.isRowHidden(r) for r in range(last + 1)] == [True] * last + [False]
    assert table.verticalScrollBar().maximum() > 0  # more codes than the table shows: it scrolls
    for end in (table.verticalScrollBar().maximum(), 0):
        table.verticalScrollBar().setValue(end)
        QApplication.processEvents()
        assert footer.isVisible() and footer.rowViewportPosition(last) == 0
        assert footer.visualRect(model.index(last, 8)).height() > 0
    below = footer.mapTo(view, QPoint(0, 0)).y()
    assert below >= table.mapTo(view, QPoint(0, table.height())).y()  # under the table, not inside it
    widths = [table.columnWidth(c) for c in range(model.columnCount())]
    assert widths == [footer.columnWidth(c) for c in range(model.columnCount())]
    assert footer.viewport().width() == table.viewport().width()  # cells as wide: they scroll alike
    assert not footer.focusPolicy() & Qt.FocusPolicy.TabFocus  # the table is the one stop
    view.resize(1000, 1000)  # room for every row: no scroll bar, and the footer as wide again
    QApplication.processEvents()
    assert table.verticalScrollBar().maximum() == 0 and footer.viewport().width() == table.viewport().width()
    view.resize(500, 560)  # narrow: the table scrolls sideways, its totals row with it
    QApplication.processEvents()
    table.horizontalScrollBar().setValue(table.horizontalScrollBar().maximum())
    assert table.horizontalScrollBar().maximum() > 0
    assert footer.horizontalScrollBar().value() == table.horizontalScrollBar().value()
    view.go(-7)  # an empty week: no totals row to pin
    assert model.rowCount() == 0 and not footer.isVisible()


@pytest.mark.parametrize(
    ("width", "height", "size"), [(1340, 560, 100), (1090, 420, 100), (600, 500, 100), (1340, 700, 200)]
)
def test_axis_numbers_are_whole_and_never_cut(
    app: QApplication, qtbot: QtBot, workspace: Workspace, tmp_path: Path, width: int, height: int, size: int
) -> None:
    theme.apply(app, Settings(theme=Theme.LIGHT, text_size=size))
    view = week_page(qtbot, workspace, width, height)
    axis = view.units_axis
    assert isinstance(axis, QValueAxis) and axis.labelFormat() == "%d" and axis.min() == 0
    top, ticks = axis.max(), axis.tickCount()
    assert top == int(top) and int(top) % (ticks - 1) == 0  # every tick a whole number
    assert not axis.labelsTruncated() and not view.days_axis.labelsTruncated()
    plot = view.chart.plotArea()
    line = view.fontMetrics().height()
    assert plot.height() >= (ticks - 1) * line  # each number has a line to itself: none hides another
    assert plot.width() >= 7 * view.fontMetrics().horizontalAdvance("Wed")
    assert view.chart_view.height() >= view.chart_view.minimumHeight() > 0
    assert view.grab().save(str(tmp_path / f"week-{width}x{height}-{size}.png"))  # to look at: pytest --basetemp


def test_each_bar_carries_its_days_total(qtbot: QtBot, workspace: Workspace) -> None:
    view = week_page(qtbot, workspace)
    assert view.report is not None
    totals = [(i, d.units) for i, d in enumerate(view.report.days) if d.units]
    assert [(p.x(), p.y()) for p in view.day_totals.points()] == totals and len(totals) == 5
    assert view.day_totals.pointLabelsVisible() and view.day_totals.pointLabelsFormat() == "@yPoint"
    assert not view.day_totals.pointLabelsClipping()
    assert view.units_axis.max() > max(units for _, units in totals)  # room for the label above the bar
    sums = [sum(bar.at(i) for bar in view.bars.barSets()) for i in range(7)]
    assert [int(s) for s in sums] == [d.units for d in view.report.days]


def test_the_legend_lists_every_code_as_stacked_and_the_ninth_is_hatched(qtbot: QtBot, workspace: Workspace) -> None:
    view = week_page(qtbot, workspace)
    text = view.legend.text()
    assert [text.index(code) for code in sorted(CODES, reverse=True)] == sorted(text.index(c) for c in CODES)
    bars = view.bars.barSets()
    assert [b.label() for b in bars] == sorted(CODES)
    assert all(b.brush().style() == Qt.BrushStyle.SolidPattern for b in bars[:8])
    assert bars[8].brush().style() == Qt.BrushStyle.BDiagPattern and "▨" in text
    assert len({b.brush().color().name() for b in bars[:8]}) == 8


def test_switching_the_theme_restyles_the_chart_at_once(app: QApplication, qtbot: QtBot, workspace: Workspace) -> None:
    theme.apply(app, Settings(theme=Theme.LIGHT))
    view = week_page(qtbot, workspace)

    def shown() -> dict[str, object]:
        return {
            "background": view.chart.backgroundBrush().color(),
            "labels": view.units_axis.labelsBrush().color(),
            "days": view.days_axis.labelsBrush().color(),
            "totals": view.day_totals.pointLabelsColor(),
            "bars": [b.brush().color().name().upper() for b in view.bars.barSets()[:8]],
            "legend": view.legend.text(),
        }

    light = shown()
    assert light["background"] == QColor(theme.LIGHT[Role.Base]) and light["labels"] == QColor(theme.LIGHT[Role.Text])
    assert light["bars"] == list(theme.SERIES_LIGHT)
    theme.apply(app, Settings(theme=Theme.DARK))  # no refresh: the palette change alone
    dark = shown()
    assert dark["background"] == QColor(theme.DARK[Role.Base]) and dark["labels"] == QColor(theme.DARK[Role.Text])
    assert dark["days"] == dark["totals"] == QColor(theme.DARK[Role.Text])
    assert dark["bars"] == list(theme.SERIES_DARK) and theme.SERIES_DARK[0].lower() in str(dark["legend"]).lower()
    assert view.chart_view.backgroundBrush().color() == QColor(theme.DARK[Role.Base])
    small = view.units_axis.labelsFont().pointSizeF()
    row = view.footer.height()
    theme.apply(app, Settings(theme=Theme.DARK, text_size=200))
    assert view.units_axis.labelsFont().pointSizeF() == pytest.approx(2 * small)
    assert view.day_totals.pointLabelsFont().bold() and view.footer.height() > row


def test_the_chart_sits_beside_the_table_only_when_both_fit(qtbot: QtBot, workspace: Workspace) -> None:
    view = week_page(qtbot, workspace, 1340, 560)
    assert view.body.direction() == QBoxLayout.Direction.LeftToRight
    assert view.table.width() == view.table.minimumWidth() > 0  # the whole table, no sideways scrolling
    assert view.table.horizontalScrollBar().maximum() == 0
    view.resize(1000, 560)
    QApplication.processEvents()
    assert view.body.direction() == QBoxLayout.Direction.TopToBottom
    assert view.chart_box.width() > 900  # the chart takes the full width below


def test_week_controls_are_a_fingers_size_and_named(qtbot: QtBot, workspace: Workspace) -> None:
    view = week_page(qtbot, workspace)
    buttons = view.findChildren(QPushButton)
    assert len(buttons) == 3
    for button in buttons:
        assert button.height() >= TOUCH and button.width() >= TOUCH and button.accessibleName(), button.text()
    for widget in (view.table, view.footer, view.chart_view, view.legend):
        assert widget.accessibleName()


def test_a_short_window_scrolls_the_page_instead_of_squeezing_or_growing(
    app: QApplication, qtbot: QtBot, workspace: Workspace
) -> None:
    """A small screen at a large text size (1366 × 768 at 125 %, text 150 %): the page asks the window for
    little height, nothing overlaps, and the totals row stays right under the table."""
    theme.apply(app, Settings(theme=Theme.DARK, text_size=150))
    view = week_page(qtbot, workspace, 1079, 420)
    assert view.minimumSizeHint().height() < 200  # the window can still fit the screen
    assert view.scroller.verticalScrollBar().maximum() > 0
    assert view.chart_view.height() >= view.chart_view.minimumHeight()  # not squeezed under the legend
    gap = view.footer.mapTo(view, QPoint(0, 0)).y() - view.table.mapTo(view, QPoint(0, view.table.height())).y()
    assert 0 <= gap < 8
    assert not view.units_axis.labelsTruncated() and not view.days_axis.labelsTruncated()
