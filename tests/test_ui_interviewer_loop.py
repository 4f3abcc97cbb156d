"""The interviewer's whole loop in the real window on the shipped questionnaire, driven from the
keyboard: log in, claim, no answer, the next call after the countdown, a screen-out, a complete,
an appointment, a break-off and its resume; what reached the database is checked after each step.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import insert, select, update
from ui_driving import answer, play_to_end, qtbot_wait

from cati.calling.hours import CallingHours, is_within_calling_hours
from cati.calling.queue import _all_zones
from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Answer, Appointment, CallAttempt, Case, Interview
from ui.app import CatiApp

WAIT = 15_000


def open_zone() -> str:
    """A time zone inside calling hours now and for the next hour (the test uses the real
    clock, as the window does)."""
    now = dt.datetime.now(dt.UTC)
    for zone in _all_zones():
        if all(is_within_calling_hours(now + dt.timedelta(minutes=m), zone, CallingHours())
               for m in (0, 30, 60)):
            return zone
    raise AssertionError("no zone in calling hours")  # cannot happen: zones span 26 hours


@pytest.fixture
def store(db_url):
    database = Database(db_url)
    database.upgrade()
    zone = open_zone()
    with database.unit() as session:
        add_user(session, "zhou", "interview-2026", "interviewer", "周")
        project = create_project(session, "LOOP", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380013800{n}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {},
             "time_zone": zone, "draw": n} for n in range(6)])
    yield database
    database.dispose()


@pytest.fixture
def app(qtbot, store, tmp_path):
    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    settings.setValue("interview/auto_next_seconds", 1)
    app = CatiApp(store.url, settings=settings, workstation="ws-loop", speech=False)
    qtbot.addWidget(app.login)
    app.login.show()
    qtbot.waitUntil(app.login.button.isEnabled, timeout=WAIT)
    yield app
    if app.main_window is not None:
        app.main_window.close()
    app.shutdown()


def rows(database, query):
    with database.unit(immediate=False) as session:
        return session.execute(query).all()


def wait_state(qtbot, window, state):
    qtbot.waitUntil(lambda: window.state == state and window.tasks.pending == 0, timeout=WAIT)


def logged_in(qtbot, app):
    """Log in as zhou the way a person does; the interviewer window at Ready."""
    qtbot.waitUntil(app.login.button.isEnabled, timeout=WAIT)
    qtbot.keyClicks(app.login.username, "zhou")
    qtbot.keyClicks(app.login.password, "interview-2026")
    key(qtbot, app.login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.main_window is not None, timeout=WAIT)
    window = app.main_window
    qtbot.addWidget(window)
    wait_state(qtbot, window, "ready")
    return window


def started_app(qtbot, store, tmp_path, workstation: str, *, auto_next: int | None = None,
                speech: bool = False):
    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    if auto_next is not None:
        settings.setValue("interview/auto_next_seconds", auto_next)
    app = CatiApp(store.url, settings=settings, workstation=workstation, speech=speech)
    qtbot.addWidget(app.login)
    app.login.show()
    return app


SCREEN_OUT = [("intro", None), ("phone_kind", "3"), ("age", "15"), ("other_adult", "2"),
              ("end_minor", None)]
COMPLETE = {"phone_kind": "3", "age": "46", "residence": "1", "occupation": "2",
            "township": "3", "urban_rural": "1", "safety": "3", "safety_worry": "1 2",
            "trend": "1", "sat_police": "1", "sat_procuratorate": "2", "sat_court": "1",
            "sat_justice": "4", "unsat_reason": "办事慢", "suggestion": "多巡逻",
            "campaign_aware": "1", "gang_exists": "2", "campaign_sat": "1",
            "pingan_aware": "1", "pingan_join": "2", "gender": "2", "follow_up_ok": "1"}


def key(qtbot, widget, key_, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(widget, key_, modifier)


def test_the_whole_interviewer_loop(qtbot, app, store):
    database = store
    login = app.login
    qtbot.keyClicks(login.username, "zhou")
    qtbot.keyClicks(login.password, "interview-2026")
    key(qtbot, login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.main_window is not None, timeout=WAIT)
    window = app.main_window
    qtbot.addWidget(window)
    wait_state(qtbot, window, "ready")  # the only active project opens by itself

    # Ready (F12): a number is claimed and held by this workstation.
    key(qtbot, window.ready_page.ready_button, Qt.Key.Key_F12)
    wait_state(qtbot, window, "call")
    first = window.case
    assert window.call_view.number_label.text().count(first.phone_display) >= 1
    assert rows(database, select(Case.lease_holder).where(Case.id == first.case_id)) == [
        ("ws-loop",)]

    # No answer (F5 on the call screen): an attempt, the case scheduled, the lease released;
    # after the 1-second countdown the next number comes by itself.
    key(qtbot, window.call_view, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.case is not None and window.case.case_id != first.case_id
                    and window.state == "call", timeout=WAIT)
    assert rows(database, select(CallAttempt.disposition).where(
        CallAttempt.case_id == first.case_id)) == [("3.13",)]
    assert rows(database, select(Case.state, Case.lease_holder).where(
        Case.id == first.case_id)) == [("scheduled", None)]

    # Start (F9) and a screen-out: a 15-year-old with no adult at home ends with 4.70.
    second = window.case
    key(qtbot, window.call_view, Qt.Key.Key_F9)
    wait_state(qtbot, window, "interview")
    for name, value in SCREEN_OUT:
        assert window.engine.current_item.name == name
        answer(qtbot_wait(qtbot), window, value)
    qtbot.waitUntil(lambda: window.state in ("ready", "call"), timeout=WAIT)
    interview = rows(database, select(Interview.id, Interview.state, Interview.disposition)
                     .where(Interview.case_id == second.case_id))
    assert [(state, code) for _, state, code in interview] == [("screened_out", "4.70")]
    stored = dict(rows(database, select(Answer.question, Answer.value).where(
        Answer.interview_id == interview[0][0])))
    assert {k: stored[k] for k in ("phone_kind", "age", "other_adult")} == {
        "phone_kind": "3", "age": "15", "other_adult": "2"}
    assert rows(database, select(Case.state, Case.disposition).where(
        Case.id == second.case_id)) == [("closed", "4.70")]

    # A full complete.
    wait_state(qtbot, window, "call")
    third = window.case
    key(qtbot, window.call_view, Qt.Key.Key_F9)
    wait_state(qtbot, window, "interview")
    play_to_end(qtbot_wait(qtbot), window, COMPLETE)
    done = rows(database, select(Interview.id, Interview.state, Interview.stratum)
                .where(Interview.case_id == third.case_id))
    assert [(state, stratum) for _, state, stratum in done] == [("complete", "东皇街道")]
    stored = dict(rows(database, select(Answer.question, Answer.value).where(
        Answer.interview_id == done[0][0])))
    for name, value in COMPLETE.items():
        assert stored[name] == value, name
    assert rows(database, select(Case.state, Case.disposition).where(
        Case.id == third.case_id)) == [("closed", "1.1")]

    # An appointment (F10 on the call screen): tomorrow at the default hour, soft.
    wait_state(qtbot, window, "call")
    fourth = window.case
    window.call_view.note_edit.insert("明天再打")
    key(qtbot, window.call_view, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: window.call_view.appointment_dialog is not None, timeout=WAIT)
    dialog = window.call_view.appointment_dialog
    start = dialog.local_window()[0] + dt.timedelta(days=1)
    dialog.set_local_window(start, start + dt.timedelta(hours=1))
    dialog.accept()
    window.activateWindow()  # as the desktop does when a dialog closes
    qtbot.waitUntil(lambda: window.case is None or window.case.case_id != fourth.case_id,
                    timeout=WAIT)
    booked = rows(database, select(Appointment.hard, Appointment.note, Appointment.window_start)
                  .where(Appointment.case_id == fourth.case_id))
    assert [(hard, note) for hard, note, _ in booked] == [(False, "明天再打")]
    assert rows(database, select(Case.state).where(Case.id == fourth.case_id)) == [
        ("appointment",)]

    # A break-off: three answers, the respondent hangs up (Ctrl+H), counted as 2.12.
    wait_state(qtbot, window, "call")
    fifth = window.case
    key(qtbot, window.call_view, Qt.Key.Key_F9)
    wait_state(qtbot, window, "interview")
    for name in ("intro", "phone_kind", "age"):
        answer(qtbot_wait(qtbot), window, COMPLETE.get(name))
    stopped_at = window.engine.current_item.name
    key(qtbot, window.interview_page, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.hangup_box is not None, timeout=WAIT)
    box = window.hangup_box
    [breakoff] = [b for b in box.buttons() if "2.12" in b.text()]
    breakoff.click()
    window.activateWindow()
    qtbot.waitUntil(lambda: window.state != "interview" and window.tasks.pending == 0,
                    timeout=WAIT)
    assert rows(database, select(Case.state, Case.disposition).where(
        Case.id == fifth.case_id)) == [("resume", "2.12")]
    [(open_id, open_state, at)] = rows(database, select(
        Interview.id, Interview.state, Interview.current_item).where(
        Interview.case_id == fifth.case_id))
    assert (open_state, at) == ("in_progress", stopped_at)

    # An hour later the break-off is called back first and resumes at the same question.
    window.set_paused(True)
    qtbot.waitUntil(lambda: window.state == "paused" or window.state == "call", timeout=WAIT)
    if window.state == "call":  # the countdown already claimed the next number: give it back
        key(qtbot, window.call_view, Qt.Key.Key_F6)  # busy
        qtbot.waitUntil(lambda: window.state == "paused", timeout=WAIT)
    with database.unit() as session:
        session.execute(update(Case).where(Case.id == fifth.case_id)
                        .values(next_call_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    key(qtbot, window.ready_page.ready_button, Qt.Key.Key_F12)
    wait_state(qtbot, window, "call")
    assert window.case.case_id == fifth.case_id
    assert window.case.resume_at == stopped_at
    key(qtbot, window.call_view, Qt.Key.Key_F9)
    wait_state(qtbot, window, "interview")
    assert window.interview.id == open_id
    assert window.engine.current_item.name == stopped_at
    play_to_end(qtbot_wait(qtbot), window, COMPLETE)
    assert rows(database, select(Interview.state).where(Interview.id == open_id)) == [
        ("complete",)]
    stored = dict(rows(database, select(Answer.question, Answer.value).where(
        Answer.interview_id == open_id)))
    assert stored["age"] == "46" and stored["follow_up_ok"] == "1"


def test_a_field_interview_without_a_call(qtbot, app, store):
    """Ctrl+N on the Ready page: a face-to-face interview (mode "field", no case), completed
    and stored; the window keeps its size in the settings file, not the database."""
    login = app.login
    qtbot.keyClicks(login.username, "zhou")
    qtbot.keyClicks(login.password, "interview-2026")
    key(qtbot, login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.main_window is not None, timeout=WAIT)
    window = app.main_window
    qtbot.addWidget(window)
    wait_state(qtbot, window, "ready")
    key(qtbot, window.ready_page.ready_button, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    wait_state(qtbot, window, "interview")
    assert window.case is None and window.interview.mode == "field"
    play_to_end(qtbot_wait(qtbot), window, COMPLETE)
    [(mode, state, case_id)] = rows(store, select(Interview.mode, Interview.state,
                                                  Interview.case_id))
    assert (mode, state, case_id) == ("field", "complete", None)
    assert rows(store, select(CallAttempt.id)) == []  # no call was made
    window.resize(900, 640)
    window.close()
    assert app.settings.value("geometry/interviewer") is not None


def test_reading_aloud_without_a_sound_device_says_so(qtbot, store, tmp_path, monkeypatch):
    """espeak-ng exits 0 when it cannot open the sound output; the window must say that the
    question was not read, not stay silent."""
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'no-sound-server'}")
    (tmp_path / "no-alsa.conf").write_text("")
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(tmp_path / "no-alsa.conf"))  # no device at all
    app = started_app(qtbot, store, tmp_path, "ws-mute", speech=True)
    try:
        window = logged_in(qtbot, app)
        qtbot.waitUntil(lambda: window.speaker is not None, timeout=WAIT)
        key(qtbot, window.ready_page.ready_button, Qt.Key.Key_F12)
        wait_state(qtbot, window, "call")
        key(qtbot, window.call_view, Qt.Key.Key_F9)
        wait_state(qtbot, window, "interview")
        key(qtbot, window.interview_view, Qt.Key.Key_F5)
        qtbot.waitUntil(lambda: "Cannot play sound" in window.statusBar().currentMessage(),
                        timeout=WAIT)
    finally:
        if app.main_window is not None:
            app.main_window.close()
        app.shutdown()


def test_a_full_quota_shows_closing_words_and_ends_when_they_were_read(qtbot, app, store):
    """The respondent is still on the line when the township's quota turns out full: the
    window shows the words to close with and waits; only Enter ends the interview (4.80),
    and only then does the next call's countdown start."""
    from cati.services.quotas import set_quota

    with store.unit(immediate=False) as session:
        project_id = session.scalar(select(Case.project_id).limit(1))
    set_quota(store, project_id, "东皇街道", 0)  # full from the start
    window = logged_in(qtbot, app)
    key(qtbot, window.ready_page.ready_button, Qt.Key.Key_F12)
    wait_state(qtbot, window, "call")
    case_id = window.case.case_id
    key(qtbot, window.call_view, Qt.Key.Key_F9)
    wait_state(qtbot, window, "interview")
    for name, value in [("intro", None), ("phone_kind", "3"), ("age", "46"),
                        ("residence", "1"), ("occupation", "2"), ("township", "3")]:
        assert window.engine.current_item.name == name
        answer(qtbot_wait(qtbot), window, value)
    view = window.interview_view
    assert window.state == "interview"  # still with the respondent
    assert "名额已经满了" in view.question_label.text() and "4.80" in view.hint_label.text()
    assert view.next_button.text().startswith("结束访问")
    qtbot.wait(1500)  # longer than the countdown to the next call: nothing moves on its own
    assert window.state == "interview" and window.case.case_id == case_id
    assert rows(store, select(CallAttempt.disposition).where(
        CallAttempt.case_id == case_id)) == []
    key(qtbot, view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rows(store, select(Case.disposition).where(
        Case.id == case_id)) == [("4.80",)], timeout=WAIT)
    qtbot.waitUntil(lambda: window.state in ("ready", "call"), timeout=WAIT)
    assert "配额" not in window.statusBar().currentMessage()


def test_outside_calling_hours_the_ready_page_says_so_and_when_calls_start(qtbot, app, store):
    from zoneinfo import ZoneInfo

    from cati.services.admin import calling_hours_json
    from cati.storage.models import Project

    with store.unit() as session:
        zone = session.scalar(select(Case.time_zone).limit(1))
        hour = dt.datetime.now(ZoneInfo(zone)).hour
        start = hour + 2 if hour <= 20 else hour - 3  # one window, closed now
        window = [[f"{start:02d}:00", f"{start + 1:02d}:00"]]
        project = session.scalar(select(Project))
        project.settings = {**(project.settings or {}),
                            "calling_hours": calling_hours_json([window] * 7)}
    window_ = logged_in(qtbot, app)
    key(qtbot, window_.ready_page.ready_button, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: "不在拨打时段" in window_.ready_page.status.text(), timeout=WAIT)
    assert f"{start:02d}:00" in window_.ready_page.status.text()
    assert window_.case is None


def test_the_ready_page_shows_the_interviewers_own_day(qtbot, store, tmp_path):
    app = started_app(qtbot, store, tmp_path, "ws-day", auto_next=30)  # time to read it
    try:
        window = logged_in(qtbot, app)
        today = window.ready_page.today
        qtbot.waitUntil(lambda: today.text().startswith("今日：拨打 0 "), timeout=WAIT)
        key(qtbot, window.ready_page.ready_button, Qt.Key.Key_F12)
        wait_state(qtbot, window, "call")
        key(qtbot, window.call_view, Qt.Key.Key_F5)  # no answer: back to Ready
        wait_state(qtbot, window, "ready")
        qtbot.waitUntil(lambda: today.text().startswith("今日：拨打 1 · 接通 0 · 完成 0"),
                        timeout=WAIT)
    finally:
        if app.main_window is not None:
            app.main_window.close()
        app.shutdown()
