"""Appointments for the supervisor: by time, with who booked them; move or cancel one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cati.services.appointments import AppointmentRow
from cati.services.clock import utc_now
from ui.appointment_dialog import AppointmentDialog
from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text

STATUS = {"open": "待拨", "kept": "已拨", "missed": "已错过", "cancelled": "已取消"}


class AppointmentsPanel(QWidget):
    """``service`` has list(include_closed) -> rows, move(id, start, end), cancel(id)."""

    changed = Signal()

    def __init__(self, load: Callable[[bool], list[AppointmentRow]],
                 move: Callable[[int, dt.datetime, dt.datetime], AppointmentRow],
                 cancel: Callable[[int], AppointmentRow], tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load, self._move, self._cancel, self._tasks = load, move, cancel, tasks
        self.rows: list[AppointmentRow] = []
        headers = [self.tr("预约时间(对方当地)"), self.tr("号码"), self.tr("样本层"),
                   self.tr("类型"), self.tr("预约人"), self.tr("专属访问员"), self.tr("备注"),
                   self.tr("状态")]
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.show_closed = QCheckBox(self.tr("显示已结束的预约"))
        self.refresh_button = QPushButton(self.tr("刷新"))
        self.move_button = QPushButton(self.tr("改约…"))
        self.cancel_button = QPushButton(self.tr("取消预约"))
        self.status = plain_label()
        row = QHBoxLayout()
        for widget in (self.show_closed, self.refresh_button, self.move_button,
                       self.cancel_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.show_closed.toggled.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.move_button.clicked.connect(self.move_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.dialog: AppointmentDialog | None = None
        self._selection_changed()

    def refresh(self) -> None:
        closed = self.show_closed.isChecked()
        self._tasks.run(lambda: self._load(closed), self._show, self._failed)

    def _show(self, rows: list[AppointmentRow]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            zone = ZoneInfo(row.time_zone)
            start, end = row.window_start.astimezone(zone), row.window_end.astimezone(zone)
            values = (f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}", row.phone_e164, row.stratum,
                      self.tr("硬约") if row.hard else self.tr("软约"), row.booked_by,
                      row.interviewer, row.note, self.tr(STATUS[row.status]))
            for column, value in enumerate(values):
                self.table.setItem(index, column, QTableWidgetItem(value))
        self.status.setText(self.tr("共 %1 个预约").replace("%1", str(len(rows))))
        self._selection_changed()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(error_text(error))

    def selected(self) -> AppointmentRow | None:
        index = self.table.currentRow()
        selected = self.table.selectionModel().hasSelection()
        return self.rows[index] if selected and 0 <= index < len(self.rows) else None

    def _selection_changed(self) -> None:
        row = self.selected()
        can_change = row is not None and row.status == "open"
        self.move_button.setEnabled(can_change)
        self.cancel_button.setEnabled(can_change)

    def move_selected(self) -> None:
        row = self.selected()
        if row is None or row.status != "open":
            return
        dialog = AppointmentDialog(row.time_zone, utc_now(), self, note=row.note)
        zone = ZoneInfo(row.time_zone)
        dialog.set_local_window(row.window_start.astimezone(zone).replace(tzinfo=None),
                                row.window_end.astimezone(zone).replace(tzinfo=None))

        def accepted() -> None:
            self.dialog = None
            start, end = dialog.window_utc()
            self._tasks.run(lambda: self._move(row.id, start, end), self._done, self._failed)

        dialog.accepted.connect(accepted)
        self.dialog = dialog
        dialog.open()

    def cancel_selected(self) -> None:
        row = self.selected()
        if row is None or row.status != "open":
            return
        self._tasks.run(lambda: self._cancel(row.id), self._done, self._failed)

    def _done(self, _row: AppointmentRow) -> None:
        self.changed.emit()
        self.refresh()
