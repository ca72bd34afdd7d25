"""The week: units and minutes per day and code, a stacked bar chart, totals and revenue."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QChart, QChartView, QStackedBarSeries, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from therapytimer.core.clock import Clock
from therapytimer.core.errors import TherapyTimerError
from therapytimer.core.reports import WeekReport
from therapytimer.services.preferences import Preferences
from therapytimer.services.records import Records
from therapytimer.ui.models import WeekModel
from therapytimer.ui.widgets import explained, nav_row, table_view


class WeekView(QWidget):
    def __init__(self, records: Records, prefs: Preferences, clock: Clock) -> None:
        super().__init__()
        self.records, self.prefs, self.clock = records, prefs, clock
        self.anchor = clock.today()
        self.report: WeekReport | None = None
        self.model = WeekModel()
        self.title = QLabel()
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.table = table = table_view(self.model)
        self.chart = QChart()
        self.chart.setTitle("Units per day, by code")
        self.chart.legend().setVisible(True)
        self.days_axis = QBarCategoryAxis()
        self.units_axis = QValueAxis()
        self.units_axis.setLabelFormat("%d")
        self.chart.addAxis(self.days_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.units_axis, Qt.AlignmentFlag.AlignLeft)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(260)
        steps = (("◀ Previous week", -7), ("This week", 0), ("Next week ▶", 7))
        nav = nav_row([(text, partial(self.go, step)) for text, step in steps])
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(nav)
        layout.addWidget(self.totals)
        layout.addWidget(table, 1)
        layout.addWidget(self.chart_view, 1)
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
        missing = f" · no default fee for {', '.join(t.missing_fees)}" if t.missing_fees else ""
        self.totals.setText(
            f"<b>{t.sessions}</b> sessions · <b>{t.timed_minutes}</b> timed minutes · <b>{t.units}</b> units · "
            f"estimated revenue <b>${t.revenue:,.2f}</b>{missing}"
        )
        self._draw(report)

    def _draw(self, report: WeekReport) -> None:
        """One stacked bar per day, a segment per code; the axes are made once and reused."""
        self.chart.removeAllSeries()
        series = QStackedBarSeries()
        for code in sorted(report.totals.codes):
            bar = QBarSet(code)
            for day in report.days:
                total = day.codes.get(code)
                bar.append(total.units if total else 0)
            series.append(bar)
        self.chart.addSeries(series)
        self.days_axis.clear()
        self.days_axis.append([d.date.strftime("%a %d") for d in report.days])
        top = max([d.units for d in report.days] + [1])
        self.units_axis.setRange(0, top)
        self.units_axis.setTickCount(min(top, 10) + 1)
        series.attachAxis(self.days_axis)
        series.attachAxis(self.units_axis)
