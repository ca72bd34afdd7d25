"""Table models: the timers of the active session, billing lines, and the week per code and day.

Models hold plain core objects and turn them into cells; views never reach past them. Updates say
exactly which cells changed, so a tick four times a second repaints only a running timer's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from therapytimer.core.catalog import Catalog, CodeSpec
from therapytimer.core.live import TimerRow
from therapytimer.core.reports import WeekReport
from therapytimer.core.rules import Line, Rule

_Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
_NO_PARENT = QModelIndex()


class _Table(QAbstractTableModel):
    headers: tuple[str, ...] = ()
    right_aligned: frozenset[int] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[tuple[Any, ...]] = []

    def rowCount(self, parent: _Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def cells(self, row: int) -> tuple[Any, ...]:
        return self._rows[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self._rows[index.row()][index.column()])
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.right_aligned:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def _replace(self, rows: list[tuple[Any, ...]]) -> None:
        """Reset when the rows change shape; otherwise signal only the cells that changed."""
        if len(rows) != len(self._rows) or [r[0] for r in rows] != [r[0] for r in self._rows]:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
            return
        old, self._rows = self._rows, rows
        for i, (before, after) in enumerate(zip(old, rows, strict=True)):
            changed = [c for c, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
            if changed:
                self.dataChanged.emit(self.index(i, min(changed)), self.index(i, max(changed)))


class CatalogModel(_Table):
    """The code catalog: what each code is and how its time turns into units (notes as tooltips)."""

    headers = ("Code", "Name", "Time shape", "Disciplines", "Default fee", "Dates")
    right_aligned = frozenset({4})

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self._specs = sorted(catalog, key=lambda s: s.code)
        self._rows = [
            (
                s.code,
                s.short_name,
                s.shape(),
                s.discipline_text(),
                f"${s.default_fee:.2f}" if s.default_fee is not None else "—",
                s.validity(),
            )
            for s in self._specs
        ]

    def spec(self, row: int) -> CodeSpec:
        return self._specs[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole:
            return self._specs[index.row()].note or None
        return super().data(index, role)


class TimersModel(_Table):
    """The active session's codes: one row per timer card. The next unit and why a code bills none are
    cells too, so a card repaints when another code's minutes change them."""

    headers = ("Code", "Name", "Elapsed", "Units", "State", "Who", "Next unit", "No unit because")
    right_aligned = frozenset({2, 3})

    def __init__(self) -> None:
        super().__init__()
        self._timers: list[TimerRow] = []

    def set_rows(self, timers: Sequence[TimerRow]) -> None:
        self._timers = list(timers)
        self._replace(
            [
                (
                    t.code,
                    t.short_name,
                    t.clock_text if t.timed else "untimed",
                    t.units,
                    ("RUNNING" if t.running else "paused") if t.timed else "service",
                    t.who.value if t.who else "",
                    t.next_text or "",
                    t.why_none or "",
                )
                for t in timers
            ]
        )

    def timer(self, row: int) -> TimerRow:
        return self._timers[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == ROW_ROLE:
            return self._timers[index.row()]
        return super().data(index, role)


class LinesModel(_Table):
    """Claim lines: the session's live bill, or the day's export rows."""

    headers = ("Code", "Modifiers", "Minutes", "Units")
    right_aligned = frozenset({2, 3})

    def __init__(self) -> None:
        super().__init__()
        self._names: list[str] = []

    def set_lines(self, lines: Sequence[Line]) -> None:
        billed = [ln for ln in lines if ln.units]
        self._names = [ln.short_name for ln in billed]
        self._replace([(ln.code, " ".join(ln.modifiers), ln.minutes, ln.units) for ln in billed])

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole:
            return self._names[index.row()]
        return super().data(index, role)


class ExportRowsModel(_Table):
    """The day's rows exactly as the CSV will have them."""

    headers = (
        "Patient",
        "Discipline",
        "Provider",
        "Rule",
        "Code",
        "Description",
        "Modifiers",
        "Minutes",
        "Units",
        "Timed min",
        "Treatment min",
        "Payer",
    )
    right_aligned = frozenset({7, 8, 9, 10})

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """The CSV's rows, with the rule in plain words (the CSV column keeps its codes, cms/ama)."""
        self._replace([(*r[1:4], Rule(r[4]).long_name, *r[5:]) for r in rows])


class WeekModel(_Table):
    """Units (and minutes) per code and day, with the week's total."""

    right_aligned = frozenset(range(1, 9))

    def __init__(self) -> None:
        super().__init__()
        self.headers = ("Code", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Week")
        self._names: dict[str, str] = {}

    def set_report(self, report: WeekReport, names: dict[str, str] | None = None) -> None:
        """One row per code (its name as a tooltip) and a last row with each day's totals."""
        self._names = names or {}
        days = [report.week_start + timedelta(days=i) for i in range(7)]
        self.headers = ("Code", *(_day_name(d) for d in days), "Week")
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.headers) - 1)
        rows: list[tuple[Any, ...]] = []
        for code in sorted(report.totals.codes):
            cells = [code]
            for d in report.days:
                t = d.codes.get(code)
                cells.append(f"{t.units} u · {t.minutes} min" if t and (t.units or t.minutes) else "")
            total = report.totals.codes[code]
            cells.append(f"{total.units} u · {total.minutes} min")
            rows.append(tuple(cells))
        if rows:
            per_day = [f"{d.units} u · {d.timed_minutes} min" if d.sessions else "" for d in report.days]
            rows.append(("All codes", *per_day, f"{report.totals.units} u · {report.totals.timed_minutes} min"))
        self._replace(rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return self._names.get(self._rows[index.row()][0])
        return super().data(index, role)


def _day_name(day: date) -> str:
    return day.strftime("%a %d")
