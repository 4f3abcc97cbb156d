"""Booking an appointment: a window in the respondent's local time, soft or hard, and a note.

The pickers show the respondent's wall-clock time (the case's IANA zone), whatever zone the
workstation is in; `window_utc()` converts to aware UTC with zoneinfo.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ui.plain import plain_label

DEFAULT_LENGTH = dt.timedelta(hours=1)
PICKER_FORMAT = "yyyy-MM-dd HH:mm"


def local_to_utc(wall_clock: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A naive wall-clock time in `zone` as aware UTC.

    fold=0: an ambiguous time (clocks going back) is its first occurrence; a time that does not
    exist (clocks going forward) is read with the offset in force before the change.
    """
    return wall_clock.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def next_full_hour(now_utc: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The next full hour on the respondent's wall clock, naive."""
    local = now_utc.astimezone(zone).replace(tzinfo=None)
    return local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


def _to_qdatetime(wall_clock: dt.datetime) -> QDateTime:
    # The pickers hold the respondent's wall clock in a UTC QDateTime, so the workstation's own
    # zone (and its DST gaps) never shifts what the interviewer typed.
    return QDateTime(QDate(wall_clock.year, wall_clock.month, wall_clock.day),
                     QTime(wall_clock.hour, wall_clock.minute), QTimeZone.utc())


def _from_qdatetime(value: QDateTime) -> dt.datetime:
    date, time = value.date(), value.time()
    return dt.datetime(date.year(), date.month(), date.day(), time.hour(), time.minute())


class AppointmentDialog(QDialog):
    """Pick start and end in the respondent's local time, soft or hard, and a note."""

    def __init__(self, time_zone: str, now_utc: dt.datetime, parent: QWidget | None = None,
                 note: str = "") -> None:
        super().__init__(parent)
        self._zone = ZoneInfo(time_zone)
        self._now_utc = now_utc
        self.setWindowTitle(self.tr("约访 Appointment"))
        start = next_full_hour(now_utc, self._zone)
        self.start_edit = self._picker(start)
        self.end_edit = self._picker(start + DEFAULT_LENGTH)
        self._length = DEFAULT_LENGTH
        self.length_label = plain_label()
        self.soft_radio = QRadioButton(self.tr("软约:到时优先拨打,谁都可以打 (soft)"))
        self.hard_radio = QRadioButton(self.tr("硬约:到约定时间结束前只由我拨打 (hard)"))
        self.soft_radio.setChecked(True)
        kinds = QButtonGroup(self)
        kinds.addButton(self.soft_radio)
        kinds.addButton(self.hard_radio)
        self.note_edit = QLineEdit(note)
        self.note_edit.setPlaceholderText(self.tr("如:请找户主,晚饭后方便 (note)"))
        self.message_label = plain_label()
        self.message_label.setStyleSheet("color: #b00020;")
        self.message_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("预约 Book"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(
            self.tr("取消 Cancel"))
        self._lay_out(time_zone)
        self.start_edit.dateTimeChanged.connect(self._start_moved)
        self.end_edit.dateTimeChanged.connect(self._validate)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._validate()

    def _picker(self, wall_clock: dt.datetime) -> QDateTimeEdit:
        edit = QDateTimeEdit()
        edit.setTimeZone(QTimeZone.utc())
        edit.setDisplayFormat(PICKER_FORMAT)
        edit.setCalendarPopup(True)
        edit.setDateTime(_to_qdatetime(wall_clock))
        return edit

    def _lay_out(self, time_zone: str) -> None:
        zone_line = plain_label(self.tr("以下时间均为对方当地时间 ({zone})").format(zone=time_zone))
        form = QFormLayout()
        form.addRow(self.tr("开始 Start"), self.start_edit)
        form.addRow(self.tr("结束 End"), self.end_edit)
        form.addRow(self.tr("时长 Length"), self.length_label)
        kind_box = QVBoxLayout()
        kind_box.addWidget(self.soft_radio)
        kind_box.addWidget(self.hard_radio)
        form.addRow(self.tr("类型 Kind"), kind_box)
        form.addRow(self.tr("备注 Note"), self.note_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(zone_line)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

    # -- what the owner reads after accept --------------------------------------------------

    def local_window(self) -> tuple[dt.datetime, dt.datetime]:
        """Start and end as picked: naive wall-clock times in the respondent's zone."""
        return _from_qdatetime(self.start_edit.dateTime()), _from_qdatetime(
            self.end_edit.dateTime())

    def window_utc(self) -> tuple[dt.datetime, dt.datetime]:
        """Start and end as aware UTC datetimes."""
        start, end = self.local_window()
        return local_to_utc(start, self._zone), local_to_utc(end, self._zone)

    def hard(self) -> bool:
        return self.hard_radio.isChecked()

    def note(self) -> str:
        return self.note_edit.text().strip()

    def set_local_window(self, start: dt.datetime, end: dt.datetime) -> None:
        """Put naive wall-clock times (respondent's zone) into the pickers."""
        self.start_edit.setDateTime(_to_qdatetime(start))
        self.end_edit.setDateTime(_to_qdatetime(end))

    def problem(self) -> str:
        """Why the window cannot be booked, in words; "" when it can."""
        start_utc, end_utc = self.window_utc()
        if end_utc <= start_utc:
            return self.tr("结束时间必须晚于开始时间 (the end must be after the start)")
        if start_utc < self._now_utc.replace(second=0, microsecond=0):
            return self.tr("开始时间已经过去 (the start is in the past)")
        return ""

    # -- reactions -----------------------------------------------------------------------------

    @Slot()
    def _start_moved(self) -> None:
        # Moving the start keeps the length the interviewer had, as calendars do.
        start, _end = self.local_window()
        if self._length > dt.timedelta(0):
            self.end_edit.setDateTime(_to_qdatetime(start + self._length))
        self._validate()

    @Slot()
    def _validate(self) -> None:
        start_utc, end_utc = self.window_utc()
        if end_utc > start_utc:
            self._length = end_utc - start_utc
            minutes = int(self._length.total_seconds() // 60)
            self.length_label.setText(self.tr("{hours} 小时 {minutes} 分").format(
                hours=minutes // 60, minutes=minutes % 60))
        else:
            self.length_label.setText("—")
        problem = self.problem()
        self.message_label.setText(problem)
        self.message_label.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    @Slot()
    def accept(self) -> None:
        if self.problem():
            self._validate()
            return
        super().accept()
