"""The console's web tab: completions per collection point in each of the last 24 hours (a point
whose count jumps in one hour is worth a look: ballot-stuffing shows there first), and today's
interviews by mode. Read on the worker; refreshed with the button and when the tab is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
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

MODES = {"phone": "电话", "field": "实地", "web": "网上"}


class WebPanel(QWidget):
    def __init__(self, load: Callable[[], Any], tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load, self._tasks = load, tasks
        self.activity = None  # cati.web.activity.WebActivity
        self.modes = plain_label()
        self.modes.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.refresh_button = QPushButton(self.tr("刷新"))
        self.refresh_button.clicked.connect(self.refresh)
        self.status = plain_label()
        row = QHBoxLayout()
        row.addWidget(plain_label(self.tr("各采集点每小时完成的网上问卷（近 24 小时）")))
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.modes)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        self._tasks.run(self._load, self._show, self._failed)

    def _show(self, activity) -> None:
        self.refresh_button.setEnabled(True)
        self.status.setText("")
        self.activity = activity
        parts = [self.tr("%1：完成 %2，进行中 %3，筛除 %4").replace("%1", MODES.get(m.mode, m.mode))
                 .replace("%2", str(m.complete)).replace("%3", str(m.in_progress))
                 .replace("%4", str(m.screened_out)) for m in activity.modes]
        self.modes.setText(self.tr("今日访问（按方式）：") + ("；".join(parts) or self.tr("无")))
        hours = activity.hours
        self.table.setColumnCount(len(hours) + 1)
        self.table.setHorizontalHeaderLabels([self.tr("{hour}时").format(hour=f"{h:%H}") for h in hours] + [self.tr("合计")])
        self.table.setRowCount(len(activity.points))
        self.table.setVerticalHeaderLabels(
            [p.point or self.tr("个人邀请") for p in activity.points])
        for r, point in enumerate(activity.points):
            for c, n in enumerate((*point.per_hour, point.total)):
                self.table.setItem(r, c, QTableWidgetItem(str(n) if n else ""))

    def _failed(self, error: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.status.setText(self.tr("读取失败：") + error_text(error))
