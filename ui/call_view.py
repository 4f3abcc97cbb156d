"""The call screen: the claimed number, who and where it is, its history, and the outcome buttons.

The view only shows values and emits what the interviewer chose; the owner does the saving on
the worker thread and calls `set_busy` meanwhile.

A follow-up (call-back) case shows what the resident complained of, its category, the unit
responsible, the unit's reply and its date (the case data create_follow_up wrote) in a framed
panel, so the interviewer knows what the call is about before dialling.

Keys: each outcome button has the project's shortcut (F2–F8 by default); F9 or Ctrl+Enter
starts the interview; F10 books an appointment; F11 hands the respondent a web link (they prefer
to answer on the web). A project shortcut that collides with those, or with an earlier button,
is left off its button.

With the softphone (a seat with phone.json, ui.softphone) a bar under the number shows the
call's progress: dialling, ringing with its seconds, the talk timer, the end with its reason.
Ctrl+D dials (F9 stays "start interview", as the interviewers know it), Ctrl+H hangs up, Esc
stops a preview countdown. When a call ends unanswered the disposition the SIP ending proposes
is highlighted and has the focus: Enter confirms it, any other outcome key chooses another. The
number is then plain text, not a tel: link (a second softphone of the desktop would dial it
twice). Without phone.json nothing of this shows: the manual mode is unchanged.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cati.services.clock import utc_now
from cati.services.workstation import AppointmentLine, AttemptLine, CallInfo, DispositionButton
from ui.appointment_dialog import AppointmentDialog
from ui.i18n import in_language
from ui.plain import plain_label, plain_tip, rich_label

Clock = Callable[[], dt.datetime]

START_KEYS = ("F9", "Ctrl+Return", "Ctrl+Enter")
APPOINTMENT_KEYS = ("F10",)
DIAL_KEYS = ("Ctrl+D",)
HANG_UP_KEYS = ("Ctrl+H",)
CONFIRM_KEYS = ("Return", "Enter")
PROPOSED_STYLE = "border: 4px solid #d35400; background: #fdebd0;"
WEB_KEYS = ("F11",)
CLOCK_INTERVAL_MS = 30_000
OUTCOME_COLUMNS = 4
HISTORY_TIME_FORMAT = "%Y-%m-%d %H:%M"
TEL_URI = re.compile(r"tel:\+?[0-9]{1,20}")  # what the number label links to
# The case data a follow-up case carries (cati.services.suggestions.create_follow_up).
FOLLOW_UP_KEYS = ("suggestion_text", "suggestion_category", "suggestion_unit",
                  "suggestion_reply", "suggestion_reply_date")


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _portable(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)


def _key_text(keys: Sequence[str]) -> str:
    return " / ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
                      for k in keys)


class OutcomeButton(QPushButton):
    """A big button: the Chinese label, and under it small the code and the key."""

    def __init__(self, button: DispositionButton, key: QKeySequence | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.disposition = button
        key_text = key.toString(QKeySequence.SequenceFormat.NativeText) if key else ""
        name = in_language(button.label_zh, button.label_en)
        self.label = plain_label(name)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        big = self.label.font()
        big.setPointSizeF(big.pointSizeF() * 1.3)
        big.setBold(True)
        self.label.setFont(big)
        self.detail = plain_label(" · ".join(part for part in (button.code, key_text) if part))
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        small = self.detail.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        self.detail.setFont(small)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)
        layout.setContentsMargins(10, 8, 10, 8)
        for label in (self.label, self.detail):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        self.setMinimumHeight(64)
        self.setAccessibleName(f"{name} {button.code} {key_text}".strip())
        tip = f"{button.label_en or name} ({button.code})"  # the AAPOR name in English
        if button.final:
            tip += "\n" + self.tr("最终结果:号码将结案 (final: the number is closed)")
        self.setToolTip(plain_tip(tip))


class CallView(QWidget):
    """The held case and its outcome buttons. `now` is the clock (aware UTC), for tests."""

    outcome_chosen = Signal(str, str)  # code, note
    start_interview = Signal()
    appointment_chosen = Signal(object, object, bool, str)  # start UTC, end UTC, hard, note
    web_chosen = Signal()  # the respondent prefers to answer on the web
    dial_requested = Signal()
    hang_up_requested = Signal()

    def __init__(self, parent: QWidget | None = None, now: Clock = utc_now) -> None:
        super().__init__(parent)
        self._now = now
        self._info: CallInfo | None = None
        self._buttons: tuple[DispositionButton, ...] = ()
        self._busy = False
        self.outcome_buttons: dict[str, OutcomeButton] = {}
        self._outcome_shortcuts: list[QShortcut] = []
        self.appointment_dialog: AppointmentDialog | None = None
        self.phone_mode = False
        self.phone_stage = ""  # "" | idle | dialling | ringing | answered | ended | failed
        self._phone_since: dt.datetime | None = None
        self._phone_text = ""
        self._auto_dial_left = 0
        self.proposed: str | None = None
        self._build()
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_INTERVAL_MS)
        self._clock.timeout.connect(self.refresh_local_time)
        self.clear()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.number_label = rich_label()  # the number is a tel: link; see show_call
        number_font = QFont(self.number_label.font())
        number_font.setPointSize(32)
        number_font.setBold(True)
        self.number_label.setFont(number_font)
        self.number_label.setOpenExternalLinks(True)
        self.number_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction)
        self.place_label = plain_label()
        self.stratum_label = plain_label()
        self.local_time_label = plain_label()
        time_font = self.local_time_label.font()
        time_font.setPointSizeF(time_font.pointSizeF() * 1.3)
        self.local_time_label.setFont(time_font)
        self.attempts_label = plain_label()
        self.resume_label = plain_label()
        self.resume_label.setStyleSheet("color: #0b5394; font-weight: bold;")
        self.appointment_label = plain_label()
        self.appointment_label.setWordWrap(True)
        self.appointment_box = QFrame()
        self.appointment_box.setObjectName("appointmentBox")
        self.appointment_box.setStyleSheet(
            "#appointmentBox { background: #fff4c2; border: 2px solid #e0a800;"
            " border-radius: 6px; }")
        box_layout = QVBoxLayout(self.appointment_box)
        box_layout.addWidget(self.appointment_label)
        self.follow_up_box = QFrame()
        self.follow_up_box.setObjectName("followUpBox")
        self.follow_up_box.setStyleSheet(
            "#followUpBox { background: #e8f1fb; border: 2px solid #0b5394;"
            " border-radius: 6px; }")
        follow_layout = QFormLayout(self.follow_up_box)
        self.follow_up_labels: dict[str, QLabel] = {}
        titles = (self.tr("反映的问题 Complaint"), self.tr("分类 Category"),
                  self.tr("责任单位 Unit"), self.tr("处理答复 Reply"),
                  self.tr("答复日期 Reply date"))
        follow_layout.addRow(plain_label(self.tr("回访:群众反映的问题及处理情况 "
                                                 "Call-back: the complaint and its handling")))
        for key, title in zip(FOLLOW_UP_KEYS, titles, strict=True):
            label = plain_label()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            follow_layout.addRow(plain_label(title), label)
            self.follow_up_labels[key] = label
        self.history_table = self._history_table()
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(self.tr("备注:随拨打结果一起保存 (note)"))
        self.start_button = QPushButton(
            self.tr("开始访问 Start interview") + f"  [{_key_text(START_KEYS[:2])}]")
        self.appointment_button = QPushButton(
            self.tr("约访 Appointment") + f"  [{_key_text(APPOINTMENT_KEYS)}]")
        self.web_button = QPushButton(
            self.tr("网上填答 Web link") + f"  [{_key_text(WEB_KEYS)}]")
        self.web_button.setToolTip(self.tr("受访者愿意用手机网页填答：发给他个人链接，"
                                           "号码在链接有效期内不再拨打"))
        for big in (self.start_button, self.appointment_button, self.web_button):
            big.setMinimumHeight(48)
        start_font = self.start_button.font()
        start_font.setBold(True)
        self.start_button.setFont(start_font)
        self.start_button.clicked.connect(self._start_clicked)
        self.appointment_button.clicked.connect(self.open_appointment)
        self.web_button.clicked.connect(self._web_clicked)
        self._fixed_shortcuts = [
            *self._shortcuts(START_KEYS, self.start_button.click),
            *self._shortcuts(APPOINTMENT_KEYS, self.appointment_button.click),
            *self._shortcuts(WEB_KEYS, self.web_button.click),
        ]
        self._build_phone()
        self.outcome_grid = QGridLayout()
        self.status_label = plain_label()
        self.status_label.setStyleSheet("color: #555;")
        self._lay_out()

    def _build_phone(self) -> None:
        self.phone_box = QFrame()
        self.phone_box.setObjectName("phoneBox")
        self.phone_box.setStyleSheet("#phoneBox { background: #eef6ee; border: 2px solid "
                                     "#2e7d32; border-radius: 6px; }")
        self.phone_label = plain_label()
        self.phone_label.setObjectName("phoneState")
        phone_font = self.phone_label.font()
        phone_font.setPointSizeF(phone_font.pointSizeF() * 1.6)
        phone_font.setBold(True)
        self.phone_label.setFont(phone_font)
        self.phone_label.setWordWrap(True)
        self.dial_button = QPushButton(self.tr("拨号 Dial") + f"  [{_key_text(DIAL_KEYS)}]")
        self.hang_up_button = QPushButton(
            self.tr("挂断 Hang up") + f"  [{_key_text(HANG_UP_KEYS)}]")
        for button in (self.dial_button, self.hang_up_button):
            button.setMinimumHeight(40)
        self.hang_up_button.setStyleSheet("QPushButton:enabled { color: #b71c1c; }")
        self.dial_button.clicked.connect(self._dial_clicked)
        self.hang_up_button.clicked.connect(self._hang_up_clicked)
        row = QHBoxLayout(self.phone_box)
        row.addWidget(self.phone_label, 3)
        row.addWidget(self.dial_button, 1)
        row.addWidget(self.hang_up_button, 1)
        self._phone_shortcuts = [
            *self._shortcuts(DIAL_KEYS, self.dial_button.click),
            *self._shortcuts(HANG_UP_KEYS, self.hang_up_button.click),
            *self._shortcuts(("Esc",), self.cancel_auto_dial),
        ]
        self._confirm_shortcuts = self._shortcuts(CONFIRM_KEYS, self._confirm_proposed)
        self._phone_timer = QTimer(self)
        self._phone_timer.setInterval(1000)
        self._phone_timer.timeout.connect(self._phone_tick)
        self.phone_box.hide()

    def _history_table(self) -> QTableWidget:
        table = QTableWidget(0, 4)
        table.setHorizontalHeaderLabels([
            self.tr("时间(对方当地)Time"), self.tr("访问员 Interviewer"),
            self.tr("结果 Outcome"), self.tr("备注 Note")])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    def _shortcuts(self, keys: Sequence[str], slot: Callable[[], None]) -> list[QShortcut]:
        made = []
        for key in keys:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(slot)
            made.append(shortcut)
        return made

    def _lay_out(self) -> None:
        top = QVBoxLayout()
        number_row = QHBoxLayout()  # the call's progress beside the number: no height added
        number_row.addWidget(self.number_label)
        number_row.addWidget(self.phone_box, 1)
        top.addLayout(number_row)
        top.addWidget(self.place_label)
        top.addWidget(self.stratum_label)
        top.addWidget(self.local_time_label)
        top.addWidget(self.attempts_label)
        top.addWidget(self.resume_label)
        top.addWidget(self.appointment_box)
        top.addWidget(self.follow_up_box)
        actions = QHBoxLayout()
        actions.addWidget(self.start_button, 2)
        actions.addWidget(self.appointment_button, 1)
        actions.addWidget(self.web_button, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(plain_label(self.tr("拨打记录 Call history")))
        layout.addWidget(self.history_table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.note_edit)
        layout.addLayout(self.outcome_grid)
        layout.addWidget(self.status_label)

    # -- what the owner calls -----------------------------------------------------------------

    def show_call(self, info: CallInfo, buttons: Sequence[DispositionButton]) -> None:
        """Show a newly held case (the note field starts empty) with the project's buttons."""
        self._info = info
        if tuple(buttons) != self._buttons:
            self._make_outcome_buttons(tuple(buttons))
        number = html.escape(info.phone_display)
        if self.phone_mode:  # the softphone dials it (Ctrl+D): no second way to dial
            self.number_label.setText(number)
            self.number_label.setToolTip("")
        elif TEL_URI.fullmatch(info.tel_uri):
            self.number_label.setText(
                f'<a href="{html.escape(info.tel_uri, quote=True)}">{number}</a>')
            self.number_label.setToolTip(plain_tip(self.tr(
                "点击用软电话拨打 (click to dial) {uri}").format(uri=info.tel_uri)))
        else:  # not a number a softphone dials (only ever a link to tel:+digits)
            self.number_label.setText(number)
            self.number_label.setToolTip("")
        self.place_label.setText(" · ".join(p for p in (info.region, info.carrier) if p)
                                 or self.tr("归属地未知 (region unknown)"))
        self.stratum_label.setText(self.tr("样本层 Stratum:{stratum}").format(
            stratum=info.stratum or "—"))
        self.attempts_label.setText(self.tr("已拨打 {n} 次 (attempts)").format(n=info.attempts))
        self._show_resume(info)
        self._show_follow_up(info)
        self._show_history(info.history)
        self.note_edit.clear()
        self.refresh_local_time()
        self._clock.start()
        self._enable()

    def clear(self) -> None:
        """No case held: an empty screen, nothing to press."""
        self._info = None
        self._clock.stop()
        self.number_label.setText(self.tr("暂无号码 (no number held)"))
        self.number_label.setToolTip("")
        for label in (self.place_label, self.stratum_label, self.local_time_label,
                      self.attempts_label):
            label.clear()
        self.resume_label.hide()
        self.appointment_box.hide()
        self.follow_up_box.hide()
        self.history_table.setRowCount(0)
        self.note_edit.clear()
        self._phone_timer.stop()
        self.phone_stage = ""
        self._auto_dial_left = 0
        self.propose(None)
        self.phone_box.hide()
        self._enable()

    # -- the softphone ------------------------------------------------------------------------

    def set_phone_mode(self, on: bool) -> None:
        """Softphone (True) or manual mode (False, the tel: link): before show_call."""
        self.phone_mode = on

    def phone_idle(self, auto_dial_s: int = 0) -> None:
        """A case is shown, nothing dialled yet; ``auto_dial_s`` > 0: dial after so long."""
        self.phone_stage = "idle"
        self._auto_dial_left = auto_dial_s
        self.phone_box.show()
        self._show_phone()
        if auto_dial_s > 0:
            self._phone_timer.start()
        self._enable()

    @Slot()
    def cancel_auto_dial(self) -> None:
        if self.phone_stage == "idle" and self._auto_dial_left > 0:
            self._auto_dial_left = 0
            self._show_phone()

    def call_progress(self, stage: str, at: dt.datetime | None, text: str = "") -> None:
        """The call's progress: dialling | ringing | answered | ended | failed; ``at`` when it
        happened (the SIP event's time), ``text`` what ended it."""
        self.phone_stage = stage
        self._phone_since = at
        self._phone_text = text
        self._auto_dial_left = 0
        self.phone_box.show()
        self._show_phone()
        if stage in ("ringing", "answered"):
            self._phone_timer.start()
        else:
            self._phone_timer.stop()
        self._enable()

    def propose(self, code: str | None) -> None:
        """Highlight the disposition the call's ending proposes (None: none); Enter confirms."""
        old = self.outcome_buttons.get(self.proposed or "")
        if old is not None:
            old.setStyleSheet("")
        self.proposed = code if code in self.outcome_buttons else None
        widget = self.outcome_buttons.get(self.proposed or "")
        if widget is not None:
            widget.setStyleSheet(PROPOSED_STYLE)
            widget.setFocus()
        for shortcut in self._confirm_shortcuts:
            shortcut.setEnabled(widget is not None)
        if widget is not None:
            self.status_label.setText(self.tr(
                "建议结果 {code}:{label}(按 Enter 确认,或选择其他结果) · Proposed: Enter "
                "confirms").format(code=code, label=widget.label.text()))

    def _phone_tick(self) -> None:
        if self.phone_stage == "idle" and self._auto_dial_left > 0:
            self._auto_dial_left -= 1
            if self._auto_dial_left == 0:
                self._phone_timer.stop()
                self._dial_clicked()
                return
        self._show_phone()

    def _show_phone(self) -> None:
        stage, since = self.phone_stage, self._phone_since
        seconds = int((self._now() - since).total_seconds()) if since is not None else 0
        seconds = max(0, seconds)
        if stage == "idle":
            text = (self.tr("{n} 秒后自动拨号(Esc 取消) · Dialling in {n} s").format(
                n=self._auto_dial_left) if self._auto_dial_left > 0 else
                self.tr("看好号码后按 Ctrl+D 拨号 · Press Ctrl+D to dial"))
        elif stage == "dialling":
            text = self.tr("正在拨号… · Dialling")
        elif stage == "ringing":
            text = self.tr("振铃 {s} 秒 · Ringing {s} s").format(s=seconds)
        elif stage == "answered":
            text = self.tr("通话中 {m}:{s:02d} · Talking").format(m=seconds // 60, s=seconds % 60)
        elif stage == "ended":
            text = self.tr("已挂断:{reason} · Ended").format(reason=self._phone_text)
        elif stage == "failed":
            text = self.tr("软电话未能拨打:{reason}。请用话机拨打 · Softphone failed: dial by "
                           "hand").format(reason=self._phone_text)
        else:
            text = ""
        self.phone_label.setText(text)

    @Slot()
    def _dial_clicked(self) -> None:
        if self._info is not None and not self._busy and self.phone_stage == "idle":
            self._auto_dial_left = 0
            self.dial_requested.emit()

    @Slot()
    def _hang_up_clicked(self) -> None:
        if self.phone_stage in ("dialling", "ringing", "answered"):
            self.hang_up_requested.emit()

    @Slot()
    def _confirm_proposed(self) -> None:
        widget = self.outcome_buttons.get(self.proposed or "")
        if widget is not None and widget.isEnabled():
            widget.click()

    def set_busy(self, busy: bool, text: str = "") -> None:
        """While the owner's background work runs: nothing can be pressed; `text` says why."""
        self._busy = busy
        self.status_label.setText(text)
        self._enable()

    @Slot()
    def refresh_local_time(self) -> None:
        """Redraw what depends on the clock: the respondent's local time, the appointment."""
        if self._info is None:
            return
        zone = _zone(self._info.time_zone)
        if zone is None:
            self.local_time_label.setText(self.tr("对方时区未知 (unknown time zone) {zone}")
                                          .format(zone=self._info.time_zone))
        else:
            local = self._now().astimezone(zone)
            self.local_time_label.setText(self.tr("对方当地时间 {time} ({zone})").format(
                time=local.strftime("%H:%M"), zone=self._info.time_zone))
        self._show_appointment(self._info.appointment)

    # -- parts --------------------------------------------------------------------------------

    def _local(self, instant: dt.datetime) -> dt.datetime:
        zone = _zone(self._info.time_zone) if self._info else None
        return instant.astimezone(zone or dt.UTC)

    def _show_follow_up(self, info: CallInfo) -> None:
        data = info.case_data
        if not data.get("suggestion_text"):
            self.follow_up_box.hide()
            return
        for key, label in self.follow_up_labels.items():
            label.setText(data.get(key) or "—")
        self.follow_up_box.show()

    def _show_resume(self, info: CallInfo) -> None:
        if info.interview_id is None:
            self.resume_label.hide()
            return
        self.resume_label.setText(self.tr("续访:将从第 {question} 题继续 (resumes at {question})")
                                  .format(question=info.resume_at or "—"))
        self.resume_label.show()

    def _show_history(self, history: Sequence[AttemptLine]) -> None:
        self.history_table.setRowCount(len(history))
        for row, attempt in enumerate(history):
            if attempt.disposition is None:
                outcome = in_language(attempt.label_zh, attempt.label_en) or self.tr("约访")
            else:
                outcome = f"{in_language(attempt.label_zh, attempt.label_en)} " \
                          f"({attempt.disposition})"
            cells = (self._local(attempt.started_at).strftime(HISTORY_TIME_FORMAT),
                     attempt.interviewer or "—", outcome, attempt.note)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setToolTip(plain_tip(attempt.label_en))
                self.history_table.setItem(row, column, item)

    def _show_appointment(self, appointment: AppointmentLine | None) -> None:
        if appointment is None:
            self.appointment_box.hide()
            return
        start, end = self._local(appointment.window_start), self._local(appointment.window_end)
        end_format = "%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"
        now = self._now()
        if now < appointment.window_start:
            when = self.tr("未到 (upcoming)")
        elif now < appointment.window_end:
            when = self.tr("正在约定时间内 (now)")
        else:
            when = self.tr("已过约定时间 (missed)")
        kind = self.tr("硬约 (hard)") if appointment.hard else self.tr("软约 (soft)")
        lines = [self.tr("约访 Appointment:{start} – {end}(对方当地时间)· {kind} · {when}").format(
            start=start.strftime("%Y-%m-%d %H:%M"), end=end.strftime(end_format), kind=kind,
            when=when)]
        people = self.tr("预约人 Booked by:{name}").format(name=appointment.booked_by or "—")
        if appointment.hard and appointment.interviewer:
            people += " · " + self.tr("保留给 Reserved for:{name}").format(
                name=appointment.interviewer)
        lines.append(people)
        if appointment.note:
            lines.append(self.tr("备注 Note:{note}").format(note=appointment.note))
        self.appointment_label.setText("\n".join(lines))
        self.appointment_box.show()

    def _make_outcome_buttons(self, buttons: tuple[DispositionButton, ...]) -> None:
        for shortcut in self._outcome_shortcuts:
            shortcut.setEnabled(False)  # deleteLater is deferred; stop it answering now
            shortcut.deleteLater()
        for widget in self.outcome_buttons.values():
            self.outcome_grid.removeWidget(widget)
            widget.deleteLater()
        self._outcome_shortcuts, self.outcome_buttons = [], {}
        self.proposed = None
        taken = {_portable(k) for k in (*START_KEYS, *APPOINTMENT_KEYS, *WEB_KEYS, *DIAL_KEYS,
                                        *HANG_UP_KEYS, *CONFIRM_KEYS, "Esc")}
        for index, button in enumerate(buttons):
            key = QKeySequence(button.shortcut) if button.shortcut else None
            if key is not None and (key.isEmpty() or _portable(button.shortcut) in taken):
                key = None
            widget = OutcomeButton(button, key, self)
            widget.clicked.connect(lambda _=False, code=button.code: self._outcome_clicked(code))
            if key is not None:
                taken.add(_portable(button.shortcut))
                self._outcome_shortcuts += self._shortcuts([button.shortcut], widget.click)
            self.outcome_grid.addWidget(widget, index // OUTCOME_COLUMNS, index % OUTCOME_COLUMNS)
            self.outcome_buttons[button.code] = widget
        self._buttons = buttons

    def _enable(self) -> None:
        usable = self._info is not None and not self._busy
        for widget in (self.start_button, self.appointment_button, self.web_button,
                       *self.outcome_buttons.values()):
            widget.setEnabled(usable)
        self.note_edit.setReadOnly(not usable)
        self.dial_button.setEnabled(usable and self.phone_stage == "idle")
        self.hang_up_button.setEnabled(self._info is not None and self.phone_stage in (
            "dialling", "ringing", "answered"))

    # -- the interviewer's choices ------------------------------------------------------------

    def _outcome_clicked(self, code: str) -> None:
        if self._info is not None and not self._busy:
            self.outcome_chosen.emit(code, self.note_edit.text().strip())

    @Slot()
    def _start_clicked(self) -> None:
        if self._info is not None and not self._busy:
            self.start_interview.emit()

    @Slot()
    def _web_clicked(self) -> None:
        if self._info is not None and not self._busy:
            self.web_chosen.emit()

    @Slot()
    def open_appointment(self) -> None:
        """Open the appointment dialog (non-modal wait: the event loop keeps running)."""
        if self._info is None or self._busy:
            return
        zone = self._info.time_zone if _zone(self._info.time_zone) else "UTC"
        dialog = AppointmentDialog(zone, self._now(), self, note=self.note_edit.text().strip())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._appointment_accepted(dialog))
        dialog.finished.connect(self._appointment_closed)
        self.appointment_dialog = dialog
        dialog.open()

    def _appointment_accepted(self, dialog: AppointmentDialog) -> None:
        start, end = dialog.window_utc()
        self.appointment_chosen.emit(start, end, dialog.hard(), dialog.note())

    @Slot()
    def _appointment_closed(self) -> None:
        self.appointment_dialog = None
