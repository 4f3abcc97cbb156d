"""The console's audit log tab (supervisors and admins): who did what and when, newest first,
filtered by action, account and dates, a page at a time, and exported to .csv or .xlsx.

Every read and the export run on the worker (``TaskRunner``); the service checks the reading
account's role on each call, so a tab left open by a supervisor who was since demoted shows
the refusal instead of the log. Times are shown in this workstation's time zone; the date
filters are whole local days (the "to" day included).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati.services.audit import AuditFilters, AuditPage, AuditRow
from ui.list_model import Column, ListTableModel
from ui.plain import local_zone_label, plain_label
from ui.tasks import TaskRunner, error_text

PAGE_SIZE = 200
LISTED = 8  # a list of ids shows its first few and how many more

# The words of the details, as a supervisor reads them (other keys show as they are).
DETAIL_WORDS = {
    "username": "用户名", "file": "文件", "rows": "行", "format": "格式", "project": "项目",
    "with_phone": "含电话", "labels": "标签", "reason": "原因", "case_ids": "号码",
    "changed": "已更改", "voided_interviews": "作废的访问", "priority": "优先级",
    "added": "新增", "imported": "导入", "rejected": "拒绝", "batch": "批次", "sha256": "sha256",
    "role": "角色", "old": "原值", "new": "新值", "question": "问题", "interview_id": "访问",
    "include_partial": "含未完成", "include_void": "含作废", "command": "命令",
    "arguments": "参数", "error": "错误", "actor": "操作者",
}


def readable_details(details: str, *, multiline: bool = False) -> str:
    """An entry's details (compact JSON) as words: ``原因 reason: 再拨 · 号码 case_ids: 3, 4``,
    true/false as 是/否, long lists shortened; the tooltip shows every value, one per line."""
    try:
        parsed = json.loads(details) if details else {}
    except ValueError:
        return details
    if not isinstance(parsed, dict):
        return _value_text(parsed, multiline)
    parts = []
    for key, value in parsed.items():
        word = DETAIL_WORDS.get(key)
        name = f"{word} {key}" if word and word != key else key
        parts.append(f"{name}: {_value_text(value, multiline)}")
    return ("\n" if multiline else " · ").join(parts)


def _value_text(value: object, whole: bool) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "—"
    if isinstance(value, list):
        shown = value if whole or len(value) <= LISTED else value[:LISTED]
        text = ", ".join(_value_text(item, whole) for item in shown)
        return text + (f" … (+{len(value) - len(shown)})" if len(shown) < len(value) else "")
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value_text(v, whole)}" for k, v in value.items())
    return str(value)


class AuditTableModel(ListTableModel[AuditRow]):
    """The entries loaded so far (a page, then more on request): time, account, action,
    details (all of them in the tooltip). The time's header names this workstation's zone."""

    def columns(self) -> list[Column[AuditRow]]:
        return [
            Column(lambda: self.tr("时间") + f" ({local_zone_label()})",
                   lambda entry: f"{entry.at.astimezone():%Y-%m-%d %H:%M:%S}"),
            Column(self.tr("用户"), lambda entry: entry.username or "—"),
            Column(self.tr("操作"), lambda entry: entry.action),
            Column(self.tr("详情"), lambda entry: readable_details(entry.details),
                   tooltip=lambda entry: readable_details(entry.details, multiline=True)),
        ]

    @property
    def entries(self) -> list[AuditRow]:
        return self.rows

    def set_entries(self, entries: Iterable[AuditRow]) -> None:
        self.set_rows(entries)

    def append_entries(self, entries: Iterable[AuditRow]) -> None:
        self.append_rows(entries)


class AuditPanel(QWidget):
    """``service`` is a cati.services.audit.AuditService (page, actions, export)."""

    def __init__(self, service, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.model = AuditTableModel(self)
        self.total = 0
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.action = QComboBox()
        self.action.addItem(self.tr("全部操作"), None)
        self.user = QLineEdit()
        self.user.setPlaceholderText(self.tr("用户名"))
        self.since_on, self.since = QCheckBox(self.tr("从")), _date_edit()
        self.until_on, self.until = QCheckBox(self.tr("至")), _date_edit()
        self.search_button = QPushButton(self.tr("查询"))
        self.more_button = QPushButton(self.tr("更多"))
        self.export_button = QPushButton(self.tr("导出…"))
        self.status = plain_label()
        row = QHBoxLayout()
        for widget in (self.action, self.user, self.since_on, self.since, self.until_on,
                       self.until, self.search_button, self.more_button, self.export_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.search_button.clicked.connect(self.refresh)
        self.user.returnPressed.connect(self.refresh)
        self.action.currentIndexChanged.connect(lambda _i: self.refresh())
        self.more_button.clicked.connect(self.load_more)
        self.export_button.clicked.connect(lambda: self.export())
        self.more_button.setEnabled(False)

    def start(self) -> None:
        """Fill the action list, then show the newest entries."""
        self.tasks.run(self.service.actions, self._show_actions, self._failed)
        self.refresh()

    def filters(self) -> AuditFilters:
        """What the filter row says (read on the GUI thread, handed to the worker)."""
        return AuditFilters(
            action=self.action.currentData(), username=self.user.text().strip() or None,
            since=_local_midnight(self.since.date()) if self.since_on.isChecked() else None,
            until=_local_midnight(self.until.date().addDays(1))
            if self.until_on.isChecked() else None)

    def refresh(self) -> None:
        filters = self.filters()
        self.status.setText(self.tr("正在读取…"))
        self.tasks.run(lambda: self.service.page(filters, 0, PAGE_SIZE),
                       lambda page: self._show(page, replace=True), self._failed)

    def load_more(self) -> None:
        filters, offset = self.filters(), self.model.rowCount()
        self.more_button.setEnabled(False)
        self.tasks.run(lambda: self.service.page(filters, offset, PAGE_SIZE),
                       lambda page: self._show(page, replace=False), self._failed)

    def export(self, path: str | None = None) -> None:
        """Write the entries the filters select (all of them, not only those shown)."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("导出审计日志"), "audit.xlsx",
                                                  "Excel (*.xlsx);;CSV (*.csv)")
            if not path:
                return
        filters = self.filters()
        self.export_button.setEnabled(False)
        self.status.setText(self.tr("正在导出…"))
        self.tasks.run(lambda: self.service.export(path, filters), self._exported,
                       self._export_failed)

    def _show_actions(self, actions: list[str]) -> None:
        current = self.action.currentData()
        self.action.blockSignals(True)
        while self.action.count() > 1:
            self.action.removeItem(1)
        for action in actions:
            self.action.addItem(action, action)
        self.action.setCurrentIndex(max(0, self.action.findData(current)))
        self.action.blockSignals(False)

    def _show(self, page: AuditPage, *, replace: bool) -> None:
        if replace:
            self.model.set_entries(page.rows)
        else:
            self.model.append_entries(page.rows)
        self.total = page.total
        self.more_button.setEnabled(self.model.rowCount() < page.total)
        self.status.setText(self.tr("显示 %1 条，共 %2 条").replace(
            "%1", str(self.model.rowCount())).replace("%2", str(page.total)))

    def _exported(self, count: int) -> None:
        self.export_button.setEnabled(True)
        self.status.setText(self.tr("已导出 %1 条").replace("%1", str(count)))

    def _export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        self._failed(error)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(error_text(error))


def _date_edit() -> QDateEdit:
    edit = QDateEdit(QDate.currentDate())
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def _local_midnight(day: QDate) -> dt.datetime:
    """The start of that day in this workstation's time zone, as an aware datetime."""
    return dt.datetime(day.year(), day.month(), day.day()).astimezone()
