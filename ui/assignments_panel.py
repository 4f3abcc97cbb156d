"""The console's assignments tab: which named interviewers the chosen project, or one of its
strata, is assigned to (cati.services.assignments), and adding or removing one.

One row of choices adds: an interviewer (the active ones), the whole project or one stratum of
its sample, and "only these strata" (enabled for a stratum alone: a project assignment is always
exclusive). Removing takes the row chosen in the table. Reads and changes run on the worker;
every change is audited by the service and announced with ``changed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text


class AssignmentsPanel(QWidget):
    """``load()`` -> (assignments, (interviewers [(username, name)], strata));
    ``add(username, stratum | None, only)``; ``remove(username, stratum | None)``."""

    changed = Signal()

    def __init__(self, load: Callable[[], Any], add: Callable[[str, str | None, bool], Any],
                 remove: Callable[[str, str | None], Any], tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load, self._add, self._remove, self._tasks = load, add, remove, tasks
        self.rows: list[Any] = []
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([self.tr("访问员"), self.tr("指派范围"),
                                              self.tr("只拨所指派的分层")])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._enable)
        self.interviewer = QComboBox()
        self.scope = QComboBox()
        self.scope.currentIndexChanged.connect(self._enable)
        self.only = QCheckBox(self.tr("只拨所指派的分层"))
        self.add_button = QPushButton(self.tr("指派"))
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton(self.tr("取消所选指派"))
        self.remove_button.clicked.connect(self.remove)
        self.status = plain_label()
        row = QHBoxLayout()
        row.addWidget(plain_label(self.tr("访问员：")))
        row.addWidget(self.interviewer, 1)
        row.addWidget(plain_label(self.tr("范围：")))
        row.addWidget(self.scope, 1)
        row.addWidget(self.only)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(self.tr(
            "指派给指定访问员的项目或分层只分给他们；分层的指派访问员优先拨打自己的分层")))
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.remove_button)
        layout.addLayout(bottom)
        self._enable()

    def refresh(self) -> None:
        self._tasks.run(self._load, self._show, self._failed)

    def _show(self, loaded) -> None:
        rows, (interviewers, strata) = loaded
        self.rows = list(rows)
        chosen_user, chosen_scope = self.interviewer.currentData(), self.scope.currentData()
        self.interviewer.clear()
        for username, name in interviewers:
            self.interviewer.addItem(f"{name} ({username})" if name != username else username,
                                     username)
        self.scope.clear()
        self.scope.addItem(self.tr("整个项目"), None)
        for stratum in strata:
            self.scope.addItem(stratum, stratum)
        for combo, chosen in ((self.interviewer, chosen_user), (self.scope, chosen_scope)):
            index = combo.findData(chosen)
            if index >= 0:
                combo.setCurrentIndex(index)
        self.table.setRowCount(len(self.rows))
        for index, assignment in enumerate(self.rows):
            name = assignment.display_name
            who = f"{name} ({assignment.user})" if name != assignment.user else assignment.user
            for column, value in enumerate((
                    who, assignment.stratum or self.tr("整个项目"),
                    self.tr("是") if assignment.only else "")):
                self.table.setItem(index, column, QTableWidgetItem(value))
        self._enable()

    def _enable(self) -> None:
        stratum_chosen = self.scope.currentData() is not None
        self.only.setEnabled(stratum_chosen)
        if not stratum_chosen:
            self.only.setChecked(False)
        self.add_button.setEnabled(self.interviewer.count() > 0)
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def add(self) -> None:
        username = self.interviewer.currentData()
        if username is None:
            return
        stratum, only = self.scope.currentData(), self.only.isChecked()
        self.add_button.setEnabled(False)
        self.status.setText(self.tr("正在保存…"))
        self._tasks.run(lambda: self._add(username, stratum, only), self._done, self._failed)

    def remove(self) -> None:
        chosen = self.table.selectionModel().selectedRows()
        if not chosen:
            return
        assignment = self.rows[chosen[0].row()]
        self.remove_button.setEnabled(False)
        self.status.setText(self.tr("正在保存…"))
        self._tasks.run(lambda: self._remove(assignment.user, assignment.stratum),
                        self._done, self._failed)

    def _done(self, _result) -> None:
        self.status.setText(self.tr("已保存"))
        self.changed.emit()
        self.refresh()

    def _failed(self, error) -> None:
        self.status.setText(self.tr("失败：") + error_text(error))
        self._enable()
