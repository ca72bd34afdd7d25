"""Table model of the code catalog: what each code is and how its time turns into units."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from therapytimer.core.catalog import Catalog, CodeSpec

_Index = QModelIndex | QPersistentModelIndex
_HEADERS = ("Code", "Name", "Time shape", "Disciplines", "Default fee", "Dates")


class CatalogModel(QAbstractTableModel):
    """Read-only rows of `CodeSpec`; the view never sees the catalog object itself."""

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self._rows: list[CodeSpec] = sorted(catalog, key=lambda s: s.code)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(_HEADERS)

    def spec(self, row: int) -> CodeSpec:
        return self._rows[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        spec = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            fee = f"${spec.default_fee:.2f}" if spec.default_fee is not None else "—"
            return (
                spec.code,
                spec.short_name,
                spec.shape(),
                spec.discipline_text(),
                fee,
                spec.validity(),
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return spec.note or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _HEADERS[section]
        return None
