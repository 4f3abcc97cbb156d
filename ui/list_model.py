"""One table model for the panels that show a list of rows a service returned.

A panel states its columns (``Column``: the header, the text of a row, and optionally the
alignment, a tooltip, colours, a font, an editor's value) and hands over the rows; the model
does the rest (counts, headers, roles, resets and inserts). Rows are the services' plain
dataclasses, kept in a list in the order shown.

Decisions:
- Every tooltip goes through ``plain_tip``: a row's text comes from respondents, phone lists
  and other people, and Qt would render one that looks like HTML.
- A column with ``edited`` is editable, but an edit never changes the row: ``edited`` asks
  the panel to save, and the saved row comes back through ``update_row`` (what is shown is
  what is stored; a refused save leaves the row as it was).
- ``key`` names a row (a stratum, a username, an id) so a saved row replaces the shown one;
  ``order`` keeps the rows sorted, also when ``update_row`` inserts one.
- Headers are read each time Qt asks, so one that depends on the moment (the workstation's
  time zone) may be a function.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ui.plain import plain_tip

R = TypeVar("R")
AnyIndex = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()
DISPLAY, EDIT = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its header and how each role reads a row (None: Qt's default)."""

    header: str | Callable[[], str]
    text: Callable[[R], str]
    align: Qt.AlignmentFlag | None = None
    tooltip: Callable[[R], str | None] | None = None
    foreground: Callable[[R], QColor | None] | None = None
    background: Callable[[R], QColor | None] | None = None
    font: Callable[[R], QFont | None] | None = None
    edit: Callable[[R], Any] | None = None  # the editor's value (EditRole)
    edited: Callable[[R, Any], None] | None = None  # a value typed in; makes it editable
    roles: Mapping[int, Callable[[R], Any]] = field(default_factory=dict)  # e.g. a UserRole


class ListTableModel(QAbstractTableModel, Generic[R]):
    """Rows in a list, shown by ``columns`` (or, in a subclass, by what ``columns()`` gives).

    ``foreground`` and ``background`` colour a whole row (a column's own colour wins);
    ``key`` and ``order`` are described in the module docstring."""

    def __init__(self, parent: Any = None, *, columns: Iterable[Column[R]] | None = None,
                 key: Callable[[R], Hashable] | None = None,
                 order: Callable[[R], Any] | None = None,
                 foreground: Callable[[R], QColor | None] | None = None,
                 background: Callable[[R], QColor | None] | None = None) -> None:
        super().__init__(parent)
        self.rows: list[R] = []
        self._key, self._order = key, order
        self._foreground, self._background = foreground, background
        self._columns = tuple(self.columns() if columns is None else columns)

    def columns(self) -> Iterable[Column[R]]:
        """A subclass's columns (called once, after the model exists, so ``self.tr`` works)."""
        return ()

    # -- what Qt asks ---------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role != DISPLAY:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        if not 0 <= section < len(self._columns):
            return None
        header = self._columns[section].header
        return header if isinstance(header, str) else header()

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        cell = self._cell(index)
        if cell is not None and cell[1].edited is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: AnyIndex, role: int = DISPLAY) -> Any:
        cell = self._cell(index)
        if cell is None:
            return None
        row, column = cell
        if role == DISPLAY:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = column.tooltip(row) if column.tooltip is not None else None
            if not tip:
                return None
            return plain_tip(tip)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return None if column.align is None else int(column.align)
        if role == Qt.ItemDataRole.ForegroundRole:
            return _brush(row, column.foreground, self._foreground)
        if role == Qt.ItemDataRole.BackgroundRole:
            return _brush(row, column.background, self._background)
        if role == Qt.ItemDataRole.FontRole:
            return None if column.font is None else column.font(row)
        if role == EDIT:
            return None if column.edit is None else column.edit(row)
        read = column.roles.get(role)
        return None if read is None else read(row)

    def setData(self, index: AnyIndex, value: Any, role: int = EDIT) -> bool:
        cell = self._cell(index)
        if cell is not None and cell[1].edited is not None and role == EDIT:
            cell[1].edited(cell[0], value)
        return False  # the row changes when the saved one comes back (update_row)

    def _cell(self, index: AnyIndex) -> tuple[R, Column[R]] | None:
        """The row and the column of a valid index; None for any other."""
        if not index.isValid() or not 0 <= index.column() < len(self._columns) \
                or not 0 <= index.row() < len(self.rows):
            return None
        return self.rows[index.row()], self._columns[index.column()]

    # -- the rows -------------------------------------------------------------------------------

    def row_at(self, position: int) -> R | None:
        return self.rows[position] if 0 <= position < len(self.rows) else None

    def set_rows(self, rows: Iterable[R]) -> None:
        self.beginResetModel()
        self.rows = sorted(rows, key=self._order) if self._order is not None else list(rows)
        self.endResetModel()

    def append_rows(self, rows: Iterable[R]) -> None:
        """More rows after the shown ones (a next page), in the order given."""
        rows = list(rows)
        if not rows:
            return
        first = len(self.rows)
        self.beginInsertRows(NO_PARENT, first, first + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def row_of(self, key: Hashable) -> int:
        """The position of the row with that key; -1 when none is shown."""
        assert self._key is not None, "a model without key has no row_of"
        return next((i for i, row in enumerate(self.rows) if self._key(row) == key), -1)

    def update_row(self, row: R, *, insert: bool = False) -> int:
        """Shows ``row`` in place of the one with its key; with ``insert``, a new one goes where
        ``order`` puts it (at the end without). Its position, or -1 when not shown."""
        assert self._key is not None, "a model without key has no update_row"
        position = self.row_of(self._key(row))
        if position >= 0:
            self.rows[position] = row
            self.dataChanged.emit(self.index(position, 0),
                                  self.index(position, len(self._columns) - 1))
            return position
        if not insert:
            return -1
        order = self._order
        position = len(self.rows) if order is None else \
            sum(1 for old in self.rows if order(old) < order(row))
        self.beginInsertRows(NO_PARENT, position, position)
        self.rows.insert(position, row)
        self.endInsertRows()
        return position

    def remove_row(self, key: Hashable) -> bool:
        """Removes the row with that key; False when none is shown."""
        position = self.row_of(key)
        if position < 0:
            return False
        self.beginRemoveRows(NO_PARENT, position, position)
        del self.rows[position]
        self.endRemoveRows()
        return True


def _brush(row: Any, own: Callable[[Any], QColor | None] | None,
           whole_row: Callable[[Any], QColor | None] | None) -> QBrush | None:
    colour = own(row) if own is not None else None
    if colour is None and whole_row is not None:
        colour = whole_row(row)
    return None if colour is None else QBrush(colour)
