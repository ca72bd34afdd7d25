"""The week: units and minutes per day and code, a stacked bar chart, totals and revenue.

The chart takes its colours and fonts from the window's palette and font (Qt Charts' own themes would keep
it light and 10 pt), so switching the theme or the text size restyles it at once. Its series colours are
colour-blind-safe (`theme.series_colors`), each bar carries its day's total, and the units axis counts in
whole steps, as many as its height shows legibly, so its numbers never crowd or shrink to "…". The week's
totals row is pinned under the table, outside its scrolling, so it stays in sight however many codes the
week has; the chart sits beside the table when the page is wide enough for both, else below it. Only a window
too short for the page (a small screen at a large text size) scrolls the page itself, so the page never makes
the window taller than the screen.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QScatterSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QEvent, QMargins, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from therapytimer.core.clock import Clock
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.reports import WeekReport
from therapytimer.services.preferences import Preferences
from therapytimer.services.records import Records
from therapytimer.ui import theme
from therapytimer.ui.models import WeekModel
from therapytimer.ui.widgets import explained, nav_row, table_view

STEPS = tuple(k * 10**e for e in range(7) for k in (1, 2, 5))  # units axis steps: 1, 2, 5, 10, 20, 50...
MAX_TICKS = 8
UNLIMITED = 16777215  # QWIDGETSIZE_MAX
_Role = QPalette.ColorRole
_Direction = QBoxLayout.Direction


def axis_scale(units: int, ticks: int = MAX_TICKS) -> tuple[int, int]:
    """(top, step) of the units axis: whole-number steps, at most `ticks` of them, and a step of room above
    the tallest bar for its total."""
    step = next(s for s in STEPS if units < max(ticks, 1) * s)
    return (units // step + 1) * step, step


class WeekView(QWidget):
    """The Week tab: a week's table with its pinned totals, the chart and its legend, and week navigation."""

    def __init__(self, records: Records, prefs: Preferences, clock: Clock) -> None:
        super().__init__()
        self.records, self.prefs, self.clock = records, prefs, clock
        self.anchor = clock.today()
        self.report: WeekReport | None = None
        self.model = WeekModel()
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.table = table = table_view(self.model)
        table.setAccessibleName("Units and minutes per code and day")
        self.footer = footer = table_view(self.model)  # the same model, showing only its last row: the totals
        footer.setAccessibleName("The week's totals per day")
        footer.horizontalHeader().hide()
        footer.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the table above is the one Tab stop
        footer.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        footer.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        footer.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for view in (table, footer):
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.horizontalScrollBar().valueChanged.connect(footer.horizontalScrollBar().setValue)
        self.gutter = QWidget()  # under the table's scroll bar: the footer's cells are as wide as the table's
        self.gutter.setFixedWidth(0)
        table.verticalScrollBar().rangeChanged.connect(self._line_up)
        self.model.modelReset.connect(self._pin_totals)
        self._table_width = 0
        self._tallest = 0

        self.chart = QChart()
        self.chart.setMargins(QMargins(4, 8, 8, 4))
        self.chart.setBackgroundRoundness(0)
        self.chart.legend().hide()  # Qt's legend cuts codes to "97…" when short of room: a wrapping label instead
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Chart legend: the colour of each code")
        self.days_axis = QBarCategoryAxis()
        self.units_axis = QValueAxis()
        self.units_axis.setLabelFormat("%d")
        self.units_axis.setTitleText("Units")
        self.units_axis.setMinorTickCount(0)
        self.units_axis.setTruncateLabels(False)  # a number is short: never "…"
        self.chart.addAxis(self.days_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.units_axis, Qt.AlignmentFlag.AlignLeft)
        self.bars = QStackedBarSeries()
        self.day_totals = QScatterSeries()  # an invisible point on each bar's top, labelled with its total
        self.day_totals.setPointLabelsFormat("@yPoint")
        self.day_totals.setPointLabelsVisible(True)
        self.day_totals.setPointLabelsClipping(False)
        self.day_totals.setMarkerSize(1)
        for series in (self.bars, self.day_totals):
            self.chart.addSeries(series)
            series.attachAxis(self.days_axis)
            series.attachAxis(self.units_axis)
        # after the chart's layout, not inside it: a new range lays the chart out again (and Qt Charts crashes
        # when that happens within its own layout)
        self.chart.plotAreaChanged.connect(self._fit_chart, Qt.ConnectionType.QueuedConnection)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setAccessibleName("Chart of units per day, by code")
        self.chart_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a picture of the table: nothing to operate
        self.chart_view.setFrameShape(QFrame.Shape.NoFrame)
        self.chart_box = QFrame()  # the chart and its legend on one background, the one the colours were chosen for
        self.chart_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.chart_box.setAutoFillBackground(True)
        self.chart_box.setBackgroundRole(_Role.Base)
        inside = QVBoxLayout(self.chart_box)
        inside.addWidget(self.chart_view, 1)
        inside.addWidget(self.legend)

        steps = (("◀ Previous week", -7), ("This week", 0), ("Next week ▶", 7))
        nav = nav_row([(text, partial(self.go, step)) for text, step in steps])
        codes = QVBoxLayout()
        codes.setSpacing(0)
        codes.addWidget(table, 1)
        footer_row = QHBoxLayout()
        footer_row.setSpacing(0)
        footer_row.addWidget(footer, 1)
        footer_row.addWidget(self.gutter)
        codes.addLayout(footer_row)
        self.body = QBoxLayout(_Direction.TopToBottom)
        self.body.addLayout(codes, 2)
        self.body.addWidget(self.chart_box, 3)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.title)
        layout.addLayout(nav)
        layout.addWidget(self.totals)
        layout.addLayout(self.body, 1)
        # the page scrolls only in a window too short for it, the totals row still right under the table
        self.scroller = QScrollArea()
        self.scroller.setWidget(content)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # it reflows instead
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroller)
        self._restyle()
        self.refresh()

    def go(self, days: int) -> None:
        self.anchor = self.clock.today() if days == 0 else self.anchor + timedelta(days=days)
        self.refresh()

    def refresh(self) -> None:
        try:
            report = self.records.week(self.anchor)  # the week start the settings say
        except TherapyTimerError as exc:
            self.totals.setText(f"Cannot show this week: {explained(exc)}")
            return
        first, last = report.week_start, report.week_end
        self.title.setText(f"<h2>Week {first.strftime('%a %Y-%m-%d')} to {last.strftime('%a %Y-%m-%d')}</h2>")
        self.report = report
        catalog = self.prefs.catalog
        self.model.set_report(report, {code: catalog.get(code).short_name for code in report.totals.codes})
        t = report.totals
        missing = f" · no fee for {', '.join(t.missing_fees)}" if t.missing_fees else ""
        rates = f" ({'; '.join(t.notes)})" if t.notes else ""  # "estimated at 2025 rates"
        self.totals.setText(
            f"<b>{t.sessions}</b> sessions · <b>{t.timed_minutes}</b> timed minutes · <b>{t.units}</b> units · "
            f"estimated revenue <b>${t.revenue:,.2f}</b>{rates}{missing}"
        )
        self.totals.setToolTip(
            "Medicare's amounts: RVUs with the multiple procedure payment reduction per patient and day, "
            "CQ/CO at their share; a code in the clinic's fee table at that fee"
        )
        self._draw(report)

    # ---- the table and its pinned totals ------------------------------------------------------

    def _pin_totals(self) -> None:
        """The last row (all codes) shows in the footer only; the table scrolls the codes above it. Both
        views get the same column widths, wide enough for the widest cell of either."""
        rows = self.model.rowCount()
        for row in range(rows):
            self.table.setRowHidden(row, row == rows - 1)
            self.footer.setRowHidden(row, row != rows - 1)
        self.footer.setVisible(rows > 0)
        for column in range(self.model.columnCount()):
            width = max(
                self.table.sizeHintForColumn(column),
                self.footer.sizeHintForColumn(column),
                self.table.horizontalHeader().sectionSizeHint(column),
            )
            self.table.setColumnWidth(column, width)
            self.footer.setColumnWidth(column, width)
        scroll_bar = self.table.verticalScrollBar().sizeHint().width()
        self._table_width = self.table.horizontalHeader().length() + 2 * self.table.frameWidth() + scroll_bar
        self._reflow()

    def _reflow(self) -> None:
        """The chart beside the table when the table fits whole beside a chart wide enough for seven days and
        its legend; else below it (the table then scrolls sideways, its totals row with it)."""
        chart_width = self.fontMetrics().horizontalAdvance("Wed 28") * 14
        wide = self.width() >= self._table_width + chart_width
        self.body.setDirection(_Direction.LeftToRight if wide else _Direction.TopToBottom)
        self.table.setMinimumWidth(self._table_width if wide else 0)
        self.table.setMaximumWidth(self._table_width if wide else UNLIMITED)

    def _line_up(self, low: int, high: int) -> None:
        """The table scrolls (its scroll bar shows): the footer leaves that much room, so both views' cells
        are as wide, scroll sideways alike and keep their columns in line."""
        self.gutter.setFixedWidth(self.table.verticalScrollBar().sizeHint().width() if high > low else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._reflow()
        super().resizeEvent(event)

    # ---- the chart ----------------------------------------------------------------------------

    def _draw(self, report: WeekReport) -> None:
        """One stacked bar per day, a segment per code, and each day's total above its bar; the series and
        axes are made once and refilled."""
        self.bars.clear()
        for code in sorted(report.totals.codes):
            bar = QBarSet(code)
            for day in report.days:
                total = day.codes.get(code)
                bar.append(total.units if total else 0)
            self.bars.append(bar)
        self.day_totals.clear()
        for index, day in enumerate(report.days):
            if day.units:
                self.day_totals.append(index, day.units)
        self.days_axis.clear()
        self.days_axis.append([d.date.strftime("<center>%a<br>%d</center>") for d in report.days])  # narrow: 2 lines
        self._tallest = max(d.units for d in report.days)
        self._paint_series()
        self._fit_chart(self.chart.plotArea())

    def _fit_chart(self, plot: QRectF) -> None:
        """As many whole-number ticks as the plot's height shows legibly (a label every two lines)."""
        line = self.fontMetrics().height()
        top, step = axis_scale(self._tallest, int(plot.height() // (2 * line)) if plot.height() > 0 else MAX_TICKS)
        if (self.units_axis.max(), self.units_axis.tickCount()) != (top, top // step + 1):
            self.units_axis.setRange(0, top)
            self.units_axis.setTickCount(top // step + 1)

    def _paint_series(self) -> None:
        """Each code's colour from the theme's colour-blind-safe list (hatched once the list is used up), with
        an edge in the background's colour so neighbouring segments stay apart."""
        palette = self.palette()
        colors = theme.series_colors(palette)
        edge = QPen(palette.color(_Role.Base), 1.5)
        entries = []
        for index, bar in enumerate(self.bars.barSets()):
            color = colors[index % len(colors)]
            solid = index < len(colors)
            bar.setBrush(QBrush(color, Qt.BrushStyle.SolidPattern if solid else Qt.BrushStyle.BDiagPattern))
            bar.setPen(edge if solid else QPen(color, 1.5))
            mark = "■" if solid else "▨"
            entries.append(f'<span style="color:{color.name()}">{mark}</span>&nbsp;{bar.label()}')
        self.legend.setText(" &nbsp; ".join(reversed(entries)))  # the top segment first, as they are stacked
        self.legend.setVisible(bool(entries))

    def _restyle(self) -> None:
        """The chart in the window's colours and text size (Qt Charts keeps its own otherwise), and the rows
        and the chart sized by the text."""
        palette, font = self.palette(), self.font()
        text, mid = palette.color(_Role.Text), palette.color(_Role.Mid)
        self.chart.setBackgroundBrush(palette.color(_Role.Base))
        self.chart.setBackgroundPen(QPen(Qt.PenStyle.NoPen))
        self.chart.setPlotAreaBackgroundVisible(False)
        self.chart_view.setBackgroundBrush(palette.color(_Role.Base))
        bold = QFont(font)
        bold.setBold(True)
        for axis in (self.days_axis, self.units_axis):
            axis.setLabelsFont(font)
            axis.setLabelsColor(text)
            axis.setTitleFont(font)
            axis.setTitleBrush(text)
            axis.setLinePenColor(mid)
            axis.setGridLineColor(palette.color(_Role.Midlight))
        self.day_totals.setPointLabelsFont(bold)
        self.day_totals.setPointLabelsColor(text)
        self.day_totals.setColor(QColor(Qt.GlobalColor.transparent))
        self.day_totals.setBorderColor(QColor(Qt.GlobalColor.transparent))
        line = self.fontMetrics().lineSpacing()
        self.chart_view.setMinimumHeight(line * 10)  # two-line days and a plot a few ticks high
        row = self.fontMetrics().height() + 10
        for view in (self.table, self.footer):
            view.verticalHeader().setDefaultSectionSize(row)
        self.footer.setFixedHeight(row + 2 * self.footer.frameWidth())
        self.table.setMinimumHeight(2 * row + self.table.horizontalHeader().sizeHint().height())
        self._paint_series()
        self._pin_totals()

    def changeEvent(self, event: QEvent) -> None:
        """A new theme or text size: restyle the chart at once (the widgets follow on their own)."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._restyle()
        super().changeEvent(event)
