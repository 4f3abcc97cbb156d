"""The console's productivity tab: each interviewer's hours, time in each state, calls,
contacts, completes per hour and refusal rate by day and shift, for a range of days, and the
same as a workbook. Reads run on the worker."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QFileDialog,
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

SHIFT_NAMES = {"morning": QT_TRANSLATE_NOOP("ProductivityPanel", "上午"),
               "afternoon": QT_TRANSLATE_NOOP("ProductivityPanel", "下午"),
               "evening": QT_TRANSLATE_NOOP("ProductivityPanel", "晚上")}


def _minutes(row, prefix: str) -> str:
    total = sum(v for k, v in row.seconds.items() if k == prefix or k.startswith(prefix + ":"))
    return f"{total / 60:.0f}"


class ProductivityPanel(QWidget):
    def __init__(self, read, write, tasks: TaskRunner, time_zone: str = "Asia/Shanghai",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._read, self._write, self.tasks = read, write, tasks
        self.rows: list[Any] = []
        # The days are the project's (its time zone), not the workstation's: at 00:30 in Beijing
        # a workstation on UTC is still on the day before.
        today = QDate(dt.datetime.now(ZoneInfo(time_zone)).date())
        self.first = QDateEdit(today.addDays(-6))
        self.last = QDateEdit(today)
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.refresh_button = QPushButton(self.tr("查询 Show"))
        self.export_button = QPushButton(self.tr("导出… Export…"))
        self.status = plain_label()
        headers = [self.tr("日期"), self.tr("班次"), self.tr("访问员"), self.tr("在线小时"),
                   self.tr("就绪分钟"), self.tr("通话分钟"), self.tr("访问分钟"),
                   self.tr("暂停分钟"), self.tr("拨打"), self.tr("接通"), self.tr("完成"),
                   self.tr("每小时完成"), self.tr("拒访率")]
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        row = QHBoxLayout()
        for widget in (plain_label(self.tr("从")), self.first, plain_label(self.tr("到")),
                       self.last, self.refresh_button, self.export_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.refresh_button.clicked.connect(lambda _checked=False: self.refresh())
        self.export_button.clicked.connect(lambda _checked=False: self.ask_export())
        self.export_dialog: QFileDialog | None = None

    def refresh(self) -> None:
        first, last = self.first.date().toPython(), self.last.date().toPython()
        self.status.setText(self.tr("正在读取…"))
        self.tasks.run(lambda: self._read(first, last), self._show, self._failed)

    def _show(self, rows: list) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            values = [row.day.isoformat(), self.tr(SHIFT_NAMES.get(row.shift, row.shift)),
                      row.interviewer, f"{row.hours:.2f}", _minutes(row, "ready"),
                      _minutes(row, "call"), _minutes(row, "interviewing"),
                      _minutes(row, "paused"), str(row.calls), str(row.contacts),
                      str(row.completes),
                      "" if row.completes_per_hour is None else f"{row.completes_per_hour:.2f}",
                      "" if row.refusal_rate is None else f"{row.refusal_rate:.0%}"]
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.status.setText(self.tr("{n} 行").format(n=len(rows)))

    def _failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("出错：") + error_text(error))

    def ask_export(self) -> QFileDialog:
        dialog = QFileDialog(self, self.tr("导出绩效"), f"绩效-{dt.date.today():%Y%m%d}.xlsx",
                             "Excel (*.xlsx)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("xlsx")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.fileSelected.connect(self._export)
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def _export(self, path: str) -> None:
        rows = list(self.rows)
        self.status.setText(self.tr("正在导出…"))
        self.tasks.run(lambda: self._write(path, rows),
                       lambda written: self.status.setText(self.tr("已导出：") + written),
                       self._failed)
