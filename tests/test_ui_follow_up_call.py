"""A call-back in the real interviewer window: the call screen shows the resident's complaint,
its category, the unit and the unit's dated reply; the follow-up form's introduction reads them
out (piped from the case data); the resident's answers reopen the suggestion."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSettings, Qt
from test_follow_up_calls import BASE, WS, claim, play
from test_ui_interviewer_loop import WAIT, key, logged_in, open_zone, wait_state
from ui_driving import play_to_end, qtbot_wait

from cati.calling.outcomes import record_outcome
from cati.config import QUESTIONNAIRE_DIR
from cati.services.admin import pause_project
from cati.services.interviews import open_interview
from cati.services.projects import create_project
from cati.services.suggestions import (
    collect_suggestions,
    create_follow_up,
    list_suggestions,
    update_suggestion,
)
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Case
from ui.app import CatiApp

COMPLAINT = "村口路灯坏了三个月没人修"
REPLY = "已联系供电所更换路灯"


def test_the_call_back_screen_shows_the_complaint_and_the_form_reads_it(qtbot, db_url,
                                                                        tmp_path):
    database = Database(db_url)
    database.upgrade()
    now = dt.datetime.now(dt.UTC)
    with database.unit() as session:
        admin = add_user(session, "admin", "password-123", "admin", "管理员").id
        boss = add_user(session, "chen", "password-123", "supervisor", "陈督导").id
        zhou = add_user(session, "zhou", "interview-2026", "interviewer", "周").id
        project = create_project(session, "PY11", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.add(Case(project_id=project.id, phone_e164="+8613900000001", state="fresh",
                         attempts=0, priority=0, stratum="样本", attributes={},
                         time_zone=open_zone(), draw=1, phone_raw="13900000001"))
    # The month's interview (its respondent complained and agreed to a call-back) …
    call = claim(database, project.id, zhou, now)
    info = open_interview(database, project.id, case_id=call.case_id, interviewer_id=zhou,
                          workstation=WS, now=now)
    play(database, info, call, {**BASE, "suggestion": COMPLAINT}, user=zhou, now=now,
         fallback=True)
    record_outcome(database, call.case_id, WS, "1.1", interviewer_id=zhou, now=now,
                   interview_id=info.id)
    # … its suggestion handled by the unit, and the month's project paused.
    collect_suggestions(database, project.id, now=now)
    [row] = list_suggestions(database, project.id)
    update_suggestion(database, row.id, user_id=boss, valid=True, category="治安管理",
                      responsible_unit="古槐派出所", status="assigned", now=now)
    update_suggestion(database, row.id, user_id=boss, reply=REPLY, status="resolved", now=now)
    follow_up = create_follow_up(database, project.id, user_id=boss, now=now)
    pause_project(database, admin, project.id)

    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    settings.setValue("interview/auto_next_seconds", 0)
    app = CatiApp(database.url, settings=settings, workstation="ws-callback", speech=False)
    qtbot.addWidget(app.login)
    app.login.show()
    try:
        window = logged_in(qtbot, app)
        assert window.project.id == follow_up.project_id
        key(qtbot, window.ready_page.ready_button, Qt.Key.Key_F12)
        wait_state(qtbot, window, "call")
        view = window.call_view
        assert not view.follow_up_box.isHidden()
        shown = {key_: label.text() for key_, label in view.follow_up_labels.items()}
        assert shown["suggestion_text"] == COMPLAINT
        assert (shown["suggestion_category"], shown["suggestion_unit"],
                shown["suggestion_reply"]) == ("治安管理", "古槐派出所", REPLY)
        assert shown["suggestion_reply_date"].endswith("日")

        key(qtbot, view, Qt.Key.Key_F9)  # start the interview
        wait_state(qtbot, window, "interview")
        intro = window.interview_view.question_label.text()
        assert COMPLAINT in intro and "古槐派出所" in intro and REPLY in intro
        assert "治安管理" in intro and "${" not in intro
        seen = play_to_end(qtbot_wait(qtbot, WAIT), window,
                           {"problem_fixed": "3", "handling_sat": "4",
                            "still_issue": "路灯还是不亮"})
        assert seen == ["intro", "problem_fixed", "handling_sat", "still_issue", "end_thanks"]
        wait_state(qtbot, window, "ready")
    finally:
        if app.main_window is not None:
            app.main_window.close()
        app.shutdown()

    collect_suggestions(database, project.id, now=dt.datetime.now(dt.UTC))
    [row] = list_suggestions(database, project.id)
    assert (row.status, row.follow_up_outcome, row.follow_up_satisfaction) == (
        "reopened", "not_solved", "dissatisfied")
    assert "still_issue=路灯还是不亮" in row.notes
    database.dispose()
