"""The call screen and the appointment dialog, as real widgets offscreen, with a fixed clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox

from cati.calling.dispositions import DEFAULT_DISPOSITIONS
from cati.services.workstation import (
    INTERVIEW_OR_RULE_CODES,
    AppointmentLine,
    AttemptLine,
    CallInfo,
    DispositionButton,
)
from ui.appointment_dialog import AppointmentDialog
from ui.call_view import CallView

UTC = dt.UTC
NOW = dt.datetime(2026, 5, 20, 6, 5, 30, tzinfo=UTC)  # 14:05 in Shanghai, 02:05 in New York

BUTTONS = [
    DispositionButton(d.code, d.label_zh, d.label_en, d.shortcut, d.final, d.contact)
    for d in DEFAULT_DISPOSITIONS
    if d.code not in INTERVIEW_OR_RULE_CODES
]
WITH_KEYS = [b for b in BUTTONS if b.shortcut]


def make_info(**changes) -> CallInfo:
    values = dict(
        case_id=7, project_id=1, phone_e164="+8613800138000", phone_display="138 0013 8000",
        tel_uri="tel:+8613800138000", region="河南省驻马店市", carrier="中国移动",
        stratum="东皇街道", time_zone="Asia/Shanghai", state="scheduled", attempts=2,
        history=(
            AttemptLine(dt.datetime(2026, 5, 19, 1, 30, tzinfo=UTC), "周", "3.13", "无人接听",
                        "No answer", ""),
            AttemptLine(dt.datetime(2026, 5, 19, 11, 0, tzinfo=UTC), "", "3.12", "忙音", "Busy",
                        "一直占线"),
        ),
        appointment=None, lease_expires_at=NOW + dt.timedelta(minutes=10), interview_id=None,
        resume_at=None,
    )
    values.update(changes)
    return CallInfo(**values)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def view(qtbot, clock) -> CallView:
    widget = CallView(now=clock)
    qtbot.addWidget(widget)
    widget.show_call(make_info(), BUTTONS)
    widget.show()
    widget.activateWindow()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


def record(signal) -> list[tuple]:
    seen: list[tuple] = []
    signal.connect(lambda *args: seen.append(args))
    return seen


def press(qtbot, widget, key_text: str) -> None:
    combination = QKeySequence(key_text)[0]
    qtbot.keyClick(widget, combination.key(), combination.keyboardModifiers())


def cell(view: CallView, row: int, column: int) -> str:
    return view.history_table.item(row, column).text()


# -- what the screen shows -------------------------------------------------------------------


def test_the_number_is_large_and_dials_through_the_softphone(view):
    label = view.number_label
    assert "138 0013 8000" in label.text()
    assert 'href="tel:+8613800138000"' in label.text()
    assert label.openExternalLinks()
    assert label.font().pointSize() >= 32
    assert "河南省驻马店市" in view.place_label.text()
    assert "中国移动" in view.place_label.text()
    assert "东皇街道" in view.stratum_label.text()
    assert "2" in view.attempts_label.text()


@pytest.mark.parametrize(("zone", "shown"), [
    ("Asia/Shanghai", "14:05"), ("America/New_York", "02:05"), ("Asia/Kolkata", "11:35"),
])
def test_the_respondents_local_time_follows_their_zone(view, zone, shown):
    view.show_call(make_info(time_zone=zone), BUTTONS)
    assert view.local_time_label.text() == f"对方当地时间 {shown} ({zone})"


def test_the_local_time_moves_with_the_clock(view, clock):
    clock.now = NOW + dt.timedelta(minutes=57)
    view.refresh_local_time()  # what the 30-second timer calls
    assert "15:02" in view.local_time_label.text()


def test_history_rows_are_in_the_respondents_local_time(view):
    table = view.history_table
    assert table.rowCount() == 2
    assert [cell(view, 0, c) for c in range(4)] == ["2026-05-19 09:30", "周", "无人接听 (3.13)", ""]
    assert [cell(view, 1, c) for c in range(4)] == [
        "2026-05-19 19:00", "—", "忙音 (3.12)", "一直占线"]
    view.show_call(make_info(time_zone="America/New_York"), BUTTONS)
    assert cell(view, 0, 0) == "2026-05-18 21:30"


def test_an_open_hard_appointment_is_shown_with_its_people(view):
    appointment = AppointmentLine(
        3, dt.datetime(2026, 5, 20, 11, 0, tzinfo=UTC), dt.datetime(2026, 5, 20, 12, 0, tzinfo=UTC),
        True, "王督导", "周", "晚饭后方便")
    view.show_call(make_info(appointment=appointment, state="appointment"), BUTTONS)
    text = view.appointment_label.text()
    assert not view.appointment_box.isHidden()
    assert "2026-05-20 19:00 – 20:00" in text
    assert "硬约" in text and "王督导" in text and "周" in text and "晚饭后方便" in text
    assert "未到" in text
    view.show_call(make_info(), BUTTONS)
    assert view.appointment_box.isHidden()


def test_a_soft_appointment_names_no_reserved_interviewer(view):
    appointment = AppointmentLine(
        4, dt.datetime(2026, 5, 20, 6, 0, tzinfo=UTC), dt.datetime(2026, 5, 20, 7, 0, tzinfo=UTC),
        False, "王督导", "", "")
    view.show_call(make_info(appointment=appointment), BUTTONS)
    text = view.appointment_label.text()
    assert "软约" in text and "保留给" not in text and "正在约定时间内" in text


def test_a_case_with_an_open_interview_says_where_it_resumes(view):
    assert view.resume_label.isHidden()
    view.show_call(make_info(interview_id=12, resume_at="q7", state="resume"), BUTTONS)
    assert not view.resume_label.isHidden()
    assert "q7" in view.resume_label.text()


def test_each_button_shows_its_label_code_and_key(view):
    assert list(view.outcome_buttons) == [b.code for b in BUTTONS]
    refusal = view.outcome_buttons["2.111"]
    assert refusal.label.text() == "拒访(户)"
    assert refusal.detail.text() == "2.111 · F2"
    assert view.outcome_buttons["4.33"].detail.text() == "4.33"
    assert "F9" in view.start_button.text()
    assert "F10" in view.appointment_button.text()


# -- what the interviewer does ---------------------------------------------------------------


@pytest.mark.parametrize("button", WITH_KEYS, ids=lambda b: f"{b.shortcut}-{b.code}")
def test_each_shortcut_records_its_outcome(qtbot, view, button):
    chosen = record(view.outcome_chosen)
    press(qtbot, view, button.shortcut)
    assert chosen == [(button.code, "")]


def test_the_note_travels_with_the_outcome(qtbot, view):
    chosen = record(view.outcome_chosen)
    view.note_edit.setFocus()
    qtbot.keyClicks(view.note_edit, " kid ")
    view.note_edit.insert("接的电话")  # QtTest types Latin-1 only; an input method commits text
    press(qtbot, view.note_edit, "F5")
    qtbot.mouseClick(view.outcome_buttons["4.51"], Qt.MouseButton.LeftButton)
    assert chosen == [("3.13", "kid 接的电话"), ("4.51", "kid 接的电话")]


def test_a_new_case_starts_with_an_empty_note(qtbot, view):
    qtbot.keyClicks(view.note_edit, "old note")
    view.show_call(make_info(case_id=8), BUTTONS)
    assert view.note_edit.text() == ""


@pytest.mark.parametrize("key", ["F9", "Ctrl+Return"])
def test_start_interview_from_the_keyboard(qtbot, view, key):
    started = record(view.start_interview)
    view.note_edit.setFocus()
    press(qtbot, view.note_edit, key)
    assert started == [()]


def test_busy_disables_everything_and_says_why(qtbot, view):
    chosen, started = record(view.outcome_chosen), record(view.start_interview)
    view.set_busy(True, "正在保存…")
    assert view.status_label.text() == "正在保存…"
    assert not any(b.isEnabled() for b in view.outcome_buttons.values())
    assert not view.start_button.isEnabled() and not view.appointment_button.isEnabled()
    press(qtbot, view, "F5")
    press(qtbot, view, "F9")
    press(qtbot, view, "F10")
    assert chosen == [] and started == [] and view.appointment_dialog is None
    view.set_busy(False)
    assert view.status_label.text() == ""
    press(qtbot, view, "F5")
    assert chosen == [("3.13", "")]


def test_with_no_case_held_nothing_can_be_pressed(qtbot, view):
    chosen = record(view.outcome_chosen)
    view.clear()
    assert "暂无号码" in view.number_label.text()
    assert view.history_table.rowCount() == 0
    assert not view.start_button.isEnabled()
    press(qtbot, view, "F5")
    assert chosen == []


def test_a_colliding_project_shortcut_is_left_off(qtbot, view):
    buttons = [replace(b, shortcut="F9") if b.code == "4.10" else b for b in BUTTONS]
    started, chosen = record(view.start_interview), record(view.outcome_chosen)
    view.show_call(make_info(), buttons)
    press(qtbot, view, "F9")
    assert started == [()] and chosen == []
    assert view.outcome_buttons["4.10"].detail.text() == "4.10"


def test_appointment_from_the_call_screen(qtbot, view):
    booked = record(view.appointment_chosen)
    view.note_edit.insert("找户主")
    press(qtbot, view, "F10")
    dialog = view.appointment_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.note_edit.text() == "找户主"
    assert dialog.local_window() == (dt.datetime(2026, 5, 20, 15, 0),
                                     dt.datetime(2026, 5, 20, 16, 0))
    dialog.set_local_window(dt.datetime(2026, 5, 21, 19, 30), dt.datetime(2026, 5, 21, 20, 30))
    dialog.hard_radio.setChecked(True)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert booked == [(dt.datetime(2026, 5, 21, 11, 30, tzinfo=UTC),
                       dt.datetime(2026, 5, 21, 12, 30, tzinfo=UTC), True, "找户主")]
    assert view.appointment_dialog is None


def test_a_cancelled_appointment_books_nothing(qtbot, view):
    booked = record(view.appointment_chosen)
    qtbot.mouseClick(view.appointment_button, Qt.MouseButton.LeftButton)
    view.appointment_dialog.reject()
    assert booked == [] and view.appointment_dialog is None


# -- the appointment dialog ------------------------------------------------------------------


@pytest.fixture
def dialog_for(qtbot):
    def make(zone: str, now: dt.datetime = NOW) -> AppointmentDialog:
        dialog = AppointmentDialog(zone, now)
        qtbot.addWidget(dialog)
        return dialog
    return make


def ok_enabled(dialog: AppointmentDialog) -> bool:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_defaults_are_the_next_full_local_hour_for_one_hour_soft(dialog_for):
    dialog = dialog_for("America/New_York")
    assert dialog.local_window() == (dt.datetime(2026, 5, 20, 3, 0), dt.datetime(2026, 5, 20, 4, 0))
    assert not dialog.hard()
    assert ok_enabled(dialog)
    assert dialog.window_utc() == (dt.datetime(2026, 5, 20, 7, 0, tzinfo=UTC),
                                   dt.datetime(2026, 5, 20, 8, 0, tzinfo=UTC))


@pytest.mark.parametrize(("zone", "local", "utc"), [
    ("Asia/Shanghai", dt.datetime(2026, 6, 1, 9, 0), dt.datetime(2026, 6, 1, 1, 0)),
    ("America/New_York", dt.datetime(2026, 7, 1, 10, 0), dt.datetime(2026, 7, 1, 14, 0)),
    ("America/New_York", dt.datetime(2026, 12, 1, 10, 0), dt.datetime(2026, 12, 1, 15, 0)),
    # clocks go back at 02:00 on 1 November 2026: 01:30 happens twice, the first (EDT) counts
    ("America/New_York", dt.datetime(2026, 11, 1, 1, 30), dt.datetime(2026, 11, 1, 5, 30)),
    # clocks go forward at 02:00 on 14 March 2027: 02:30 does not exist, read with EST
    ("America/New_York", dt.datetime(2027, 3, 14, 2, 30), dt.datetime(2027, 3, 14, 7, 30)),
])
def test_local_window_converts_to_utc(dialog_for, zone, local, utc):
    dialog = dialog_for(zone)
    dialog.set_local_window(local, local + dt.timedelta(hours=2))
    start, end = dialog.window_utc()
    assert start == utc.replace(tzinfo=UTC)
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert ok_enabled(dialog)


def test_moving_the_start_keeps_the_length(dialog_for):
    dialog = dialog_for("Asia/Shanghai")
    dialog.set_local_window(dt.datetime(2026, 5, 21, 9, 0), dt.datetime(2026, 5, 21, 11, 0))
    dialog.start_edit.setDateTime(dialog.start_edit.dateTime().addSecs(3600))
    assert dialog.local_window()[1] == dt.datetime(2026, 5, 21, 12, 0)
    assert "2 小时 0 分" in dialog.length_label.text()


@pytest.mark.parametrize("minutes", [0, -30])
def test_an_end_not_after_the_start_is_refused(dialog_for, minutes):
    dialog = dialog_for("Asia/Shanghai")
    start = dt.datetime(2026, 5, 21, 9, 0)
    dialog.set_local_window(start, start + dt.timedelta(minutes=minutes))
    assert not ok_enabled(dialog)
    assert not dialog.message_label.isHidden()
    assert "结束时间必须晚于开始时间" in dialog.message_label.text()
    dialog.accept()
    assert dialog.result() != AppointmentDialog.DialogCode.Accepted


def test_a_start_in_the_past_is_refused(dialog_for):
    dialog = dialog_for("Asia/Shanghai")
    dialog.set_local_window(dt.datetime(2026, 5, 20, 13, 0), dt.datetime(2026, 5, 20, 15, 0))
    assert not ok_enabled(dialog)
    assert "开始时间已经过去" in dialog.message_label.text()
    dialog.set_local_window(dt.datetime(2026, 5, 20, 14, 5), dt.datetime(2026, 5, 20, 15, 0))
    assert ok_enabled(dialog) and dialog.message_label.isHidden()
