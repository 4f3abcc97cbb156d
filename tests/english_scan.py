"""What of a window is still Chinese in the English interface: the program's own words on
screen (labels, buttons, group titles, tab names, table headers, actions, tooltips, placeholder
texts), not the data it shows (a table's cells, a list's items, a combo box's entries)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QTabWidget,
    QTextEdit,
    QWidget,
)

HAN = re.compile(r"[\u4e00-\u9fff]")


def own_words(widget: QWidget) -> list[tuple[str, str]]:
    """(widget class, text) of every visible piece of the window's own words under ``widget``."""
    texts: list[tuple[str, str]] = []
    for child in [widget, *widget.findChildren(QWidget), *widget.findChildren(QAction)]:
        if isinstance(child, QWidget) and not child.isVisible():
            continue
        found: list[str] = []
        if isinstance(child, QLabel | QAbstractButton):
            found.append(child.text())
        if isinstance(child, QGroupBox):
            found.append(child.title())
        if isinstance(child, QLineEdit | QPlainTextEdit | QTextEdit):
            found.append(child.placeholderText())
        if isinstance(child, QAction) and child.isVisible():
            found.append(child.text())
        if isinstance(child, QTabWidget):
            found += [child.tabText(i) for i in range(child.count())]
        if isinstance(child, QTableView) and child.model() is not None:
            model = child.model()
            found += [str(model.headerData(i, Qt.Orientation.Horizontal) or "")
                      for i in range(model.columnCount())]
        if isinstance(child, QWidget):
            found.append(child.toolTip())
        texts += [(type(child).__name__, text) for text in found if text]
    return texts


def chinese_words(widget: QWidget, *, data: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The pieces of ``own_words`` with Chinese in them, leaving out those that contain one of
    ``data`` (the questionnaire's or the project's own words, shown as they were written)."""
    return sorted({(kind, text) for kind, text in own_words(widget)
                   if HAN.search(text) and not any(d in text for d in data)})
