"""Mid-call, the respondent prefers the web (F11 on the call screen): the call is stored as an
attempt without an outcome, a personal link holding the case is made, the case is released and
waits for it, and the window shows the text message to send, ready to copy."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from sqlalchemy import insert, select
from test_ui_interviewer_loop import open_zone

from cati.calling.outcomes import LeaseLost
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Appointment, CallAttempt, Case, Project, WebLink
from cati.web.links import INVITE, hand_over_to_web, resolve
from ui.app import CatiApp

WAIT = 15_000


@pytest.fixture
def store(db_url):
    database = Database(db_url)
    database.upgrade()
    with database.unit() as session:
        add_user(session, "zhou", "interview-2026", "interviewer", "周")
        project = create_project(session, "HANDOVER", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        stored = session.get(Project, project.id)
        stored.settings = {**(stored.settings or {}), "web_url": "https://survey.example.cn"}
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": "+8613800138001", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {},
             "time_zone": open_zone(), "draw": 1}])
    yield database
    database.dispose()


def _in_a_call(qtbot, store, tmp_path):
    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    settings.setValue("interview/auto_next_seconds", 0)
    app = CatiApp(store.url, settings=settings, workstation="ws-web", speech=False)
    qtbot.addWidget(app.login)
    app.login.show()
    qtbot.waitUntil(app.login.button.isEnabled, timeout=WAIT)
    qtbot.keyClicks(app.login.username, "zhou")
    qtbot.keyClicks(app.login.password, "interview-2026")
    qtbot.keyClick(app.login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.main_window is not None, timeout=WAIT)
    window = app.main_window
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0, timeout=WAIT)
    qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: window.state == "call" and window.tasks.pending == 0, timeout=WAIT)
    return app, window


def _press_f11_and_answer(qtbot, window, button_text: str) -> None:
    qtbot.keyClick(window.call_view, Qt.Key.Key_F11)
    box = window.web_confirm
    assert box is not None and box.isVisible()  # asked first: nothing is handed over yet
    [button] = [b for b in box.buttons() if b.text() == button_text]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_f11_asks_first_and_cancel_changes_nothing(qtbot, store, tmp_path):
    app, window = _in_a_call(qtbot, store, tmp_path)
    _press_f11_and_answer(qtbot, window, "取消")
    assert window.state == "call" and window.web_dialog is None
    with store.unit(immediate=False) as session:
        assert session.scalar(select(WebLink.id)) is None
    window.close()
    app.shutdown()


def test_without_a_web_address_no_link_is_handed_out(qtbot, store, tmp_path, monkeypatch):
    """A link to 127.0.0.1 would reach no respondent: one line, nothing stored, the call goes
    on."""
    monkeypatch.delenv("CATI_WEB_URL", raising=False)
    with store.unit() as session:
        project = session.scalar(select(Project))
        project.settings = {k: v for k, v in (project.settings or {}).items() if k != "web_url"}
    app, window = _in_a_call(qtbot, store, tmp_path)
    _press_f11_and_answer(qtbot, window, "生成链接")
    qtbot.waitUntil(lambda: "web address" in window.statusBar().currentMessage(), timeout=WAIT)
    assert window.state == "call" and window.web_dialog is None
    with store.unit(immediate=False) as session:
        assert session.scalar(select(WebLink.id)) is None
        assert session.scalar(select(CallAttempt.id)) is None
    window.close()
    app.shutdown()


def test_f11_hands_the_respondent_a_web_link(qtbot, store, tmp_path):
    app, window = _in_a_call(qtbot, store, tmp_path)
    case_id = window.case.case_id

    _press_f11_and_answer(qtbot, window, "生成链接")
    qtbot.waitUntil(lambda: window.web_dialog is not None, timeout=WAIT)
    dialog = window.web_dialog
    assert dialog.url in dialog.text.toPlainText() and "/i/" in dialog.url
    assert dialog.url.startswith("https://survey.example.cn/i/")
    dialog.copy_sms.click()
    assert QGuiApplication.clipboard().text() == dialog.sms
    link = resolve(store, INVITE, dialog.url.rsplit("/", 1)[1])
    assert link.case_id == case_id

    with store.unit(immediate=False) as session:
        case = session.get(Case, case_id)
        attempts = session.execute(select(CallAttempt.disposition, CallAttempt.note)
                                   .where(CallAttempt.case_id == case_id)).all()
        expires = session.scalar(select(WebLink.expires_at).where(WebLink.case_id == case_id))
        assert (case.lease_holder, case.state, case.attempts) == (None, "scheduled", 0)
        assert case.next_call_at == expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=6)
    assert attempts == [(None, "网上填答 web invitation")]
    # The phone side waits for the web interview: nobody is given the case now.
    assert claim_next_case(store, case.project_id, "ws-other") is None

    dialog.accept()
    qtbot.waitUntil(lambda: window.state == "ready", timeout=WAIT)
    window.close()
    app.shutdown()


def test_a_case_not_held_is_not_handed_over(store):
    with store.unit(immediate=False) as session:
        case_id = session.scalar(select(Case.id))
    with pytest.raises(LeaseLost):
        hand_over_to_web(store, case_id, "ws-web", interviewer_id=None)
    with store.unit(immediate=False) as session:
        assert session.scalar(select(WebLink.id)) is None
        assert session.scalar(select(CallAttempt.id)) is None


def test_an_invitation_that_holds_the_case_cancels_its_open_appointment(store):
    from cati.calling.outcomes import book_appointment
    from cati.web.links import invite_case

    with store.unit(immediate=False) as session:
        case = session.scalars(select(Case)).one()
    now = dt.datetime.now(dt.UTC)
    claimed = claim_next_case(store, case.project_id, "ws-web", now=now)
    assert claimed is not None and claimed.case_id == case.id
    start = now + dt.timedelta(hours=2)
    book_appointment(store, case.id, "ws-web", window_start=start,
                     window_end=start + dt.timedelta(hours=1), hard=False, note="",
                     interviewer_id=None, now=now)
    invitation = invite_case(store, case.id, now=now)
    with store.unit(immediate=False) as session:
        case = session.get(Case, case.id)
        appointment = session.scalars(select(Appointment)).one()
        assert appointment.cancelled and case.state == "scheduled"
        assert case.next_call_at == invitation.expires_at
    # When the appointment would have been due, nobody is given the case.
    assert claim_next_case(store, case.project_id, "ws-other",
                           now=start + dt.timedelta(minutes=5)) is None
