"""The one list-backed table model of the panels, seen through a real QTableView: the texts,
headers, alignment, colours and tooltips a person sees, rows that keep their order and the
selection when one is saved, added or removed, and an edit that asks for a save instead of
changing the row."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPalette, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QAbstractSpinBox, QStyleOptionViewItem, QTableView, QToolTip

from ui.list_model import RIGHT, Column, ListTableModel

FULL = QColor("#fde2e1")
HOSTILE = "<h1 style=color:red>账户已过期</h1>"


@dataclass(frozen=True)
class Stratum:
    name: str
    target: int
    completes: int
    note: str = ""


def columns(typed: list) -> list[Column[Stratum]]:
    return [
        Column("样本层", lambda s: s.name, tooltip=lambda s: s.note or None),
        Column(lambda: "目标", lambda s: str(s.target), align=RIGHT,
               edit=lambda s: s.target, edited=lambda s, value: typed.append((s.name, value))),
        Column("完成", lambda s: str(s.completes), align=RIGHT,
               foreground=lambda s: QColor("#b00020") if s.completes > s.target else None),
    ]


@pytest.fixture
def view(qtbot):
    typed: list = []
    model = ListTableModel(columns=columns(typed), key=lambda s: s.name,
                           order=lambda s: s.name,
                           background=lambda s: FULL if s.completes >= s.target else None)
    model.typed = typed
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    table.resize(600, 300)
    qtbot.addWidget(table)
    table.show()
    qtbot.waitExposed(table)
    return table


def painted(table: QTableView, row: int, column: int) -> QStyleOptionViewItem:
    """What the view's delegate paints in a cell: its text, alignment, colours."""
    option = QStyleOptionViewItem()
    table.itemDelegate().initStyleOption(option, table.model().index(row, column))
    return option


def texts(table: QTableView) -> list[list[str]]:
    model = table.model()
    return [[painted(table, row, column).text for column in range(model.columnCount())]
            for row in range(model.rowCount())]


def headers(table: QTableView) -> list[str]:
    model = table.model()
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def hover_tip(qtbot, table: QTableView, row: int, column: int) -> str:
    """Rests the mouse on a cell; the tooltip's text as a person reads it."""
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible())
    centre = table.visualRect(table.model().index(row, column)).center()
    viewport = table.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, centre, viewport.mapToGlobal(centre))
    table.viewportEvent(event)
    tip = QToolTip.text() if QToolTip.isVisible() else ""
    if not tip or not GuiQt.mightBeRichText(tip):
        return tip
    document = QTextDocument()
    document.setHtml(tip)
    return document.toPlainText()


def test_the_view_shows_the_columns_texts_alignment_colours_and_tooltips(qtbot, view):
    view.model().set_rows([Stratum("清河街道", 10, 3, note=HOSTILE), Stratum("古槐街道", 3, 4)])
    assert headers(view) == ["样本层", "目标", "完成"]
    assert texts(view) == [["古槐街道", "3", "4"], ["清河街道", "10", "3"]]  # by name
    assert painted(view, 0, 1).displayAlignment == RIGHT
    assert not painted(view, 0, 0).displayAlignment & Qt.AlignmentFlag.AlignRight
    assert painted(view, 0, 0).backgroundBrush.color() == FULL  # complete: the whole row
    assert painted(view, 1, 0).backgroundBrush.style() == Qt.BrushStyle.NoBrush
    over = painted(view, 0, 2)
    assert over.palette.color(QPalette.ColorRole.Text).name() == "#b00020"
    assert hover_tip(qtbot, view, 1, 0) == HOSTILE  # shown as typed, never as HTML
    assert hover_tip(qtbot, view, 0, 0) == ""


def test_a_saved_row_replaces_its_own_and_a_new_one_goes_in_order(view):
    model = view.model()
    model.set_rows([Stratum("a", 1, 0), Stratum("c", 1, 0)])
    view.selectRow(1)
    model.update_row(Stratum("b", 5, 0), insert=True)
    model.update_row(Stratum("c", 2, 2))
    assert texts(view) == [["a", "1", "0"], ["b", "5", "0"], ["c", "2", "2"]]
    assert [i.row() for i in view.selectionModel().selectedRows()] == [2]  # still "c"
    assert model.update_row(Stratum("d", 1, 0)) == -1  # not shown, not added
    assert model.remove_row("b") and not model.remove_row("b")
    model.append_rows([Stratum("0", 1, 0)])  # a next page: after the shown ones
    assert [row[0] for row in texts(view)] == ["a", "c", "0"]
    assert model.row_at(1) == Stratum("c", 2, 2) and model.row_at(3) is None


def test_typing_a_value_asks_for_a_save_and_leaves_the_row(qtbot, view):
    model = view.model()
    model.set_rows([Stratum("古槐街道", 3, 1)])
    view.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(view.viewport(), Qt.Key.Key_F2)
    assert view.state() != QTableView.State.EditingState  # the name is not editable
    view.setCurrentIndex(model.index(0, 1))
    qtbot.keyClick(view.viewport(), Qt.Key.Key_F2)
    [editor] = view.viewport().findChildren(QAbstractSpinBox)
    editor.selectAll()
    qtbot.keyClicks(editor, "7")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.state() != QTableView.State.EditingState)  # a queued commit
    assert model.typed == [("古槐街道", 7)]
    assert texts(view) == [["古槐街道", "3", "1"]]  # until the saved row comes back
