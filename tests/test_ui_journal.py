"""The database goes away mid-interview: the real window on a PostgreSQL server of the test's
own, which the test stops (an immediate shutdown, as in a crash) and starts again.

While the server is down the interviewer goes on answering: each answer is committed to the
workstation's journal, the next question shows, a banner says the window is reconnecting. Once
the server is back the journal is written in order, exactly once (one answer event per answer).
When the case went to another workstation meanwhile, the writes are refused, the interview ends
on this workstation and its unwritten answers stay in the journal, refused, for a supervisor.
"""

from __future__ import annotations

import pytest
from pg_server import PgServer
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import insert, select, update
from test_ui_interviewer_loop import COMPLETE, open_zone
from ui_driving import answer, play_to_end, qtbot_wait

from cati.config import QUESTIONNAIRE_DIR
from cati.journal import REFUSED
from cati.services.clock import utc_now
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Answer, AnswerEvent, CallAttempt, Case, Interview
from ui.app import CatiApp

WAIT = 20_000
BEFORE = ["intro", "phone_kind", "age", "residence"]  # answered while the server is up
OFFLINE = ["occupation", "township", "urban_rural"]  # answered while it is down

pytestmark = pytest.mark.postgres


@pytest.fixture
def server():
    with PgServer() as own:
        yield own


@pytest.fixture
def store(server):
    database = Database(server.url)
    database.upgrade()
    with database.unit() as session:
        add_user(session, "zhou", "interview-2026", "interviewer", "周")
        project = create_project(session, "JOURNAL", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": "+8613800138001", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {},
             "time_zone": open_zone(), "draw": 1}])
    yield database
    database.dispose()


@pytest.fixture
def window(qtbot, store, tmp_path):
    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    settings.setValue("interview/auto_next_seconds", 0)
    app = CatiApp(store.url, settings=settings, workstation="ws-journal", speech=False)
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
    qtbot.keyClick(window.call_view, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.state == "interview" and window.tasks.pending == 0,
                    timeout=WAIT)
    yield window
    window.close()
    app.shutdown()


def rows(database, query):
    with database.unit(immediate=False) as session:
        return session.execute(query).all()


def answer_items(qtbot, window, names):
    for name in names:
        assert window.engine.current_item.name == name
        answer(qtbot_wait(qtbot, WAIT), window, COMPLETE.get(name))


def test_answers_survive_a_server_outage_and_are_written_once(qtbot, server, store, window):
    backend = window.backend
    answer_items(qtbot, window, BEFORE)
    assert window.connection_banner.isHidden()

    server.stop()
    answer_items(qtbot, window, OFFLINE)  # each one shows the next question all the same
    assert window.engine.current_item.name == "safety"
    assert window.connection_banner.isVisible()
    assert "正在重连" in window.connection_banner.text()
    waiting = backend.journal.pending(backend.journal_key)
    assert [sorted(e.payload["changes"]) for e in waiting] == [[name] for name in OFFLINE]
    assert window.journal_waiting == 3

    server.start()  # the window finds it by itself (it retries every 2 s)
    qtbot.waitUntil(lambda: window.journal_waiting == 0 and window.connection_banner.isHidden(),
                    timeout=WAIT)
    assert backend.journal.pending(backend.journal_key) == []
    case_id = window.case.case_id
    interview_id = window.interview.id
    stored = dict(rows(store, select(Answer.question, Answer.value)
                       .where(Answer.interview_id == interview_id)))
    for name in OFFLINE:
        assert stored[name] == COMPLETE[name], name

    play_to_end(qtbot_wait(qtbot, WAIT), window, COMPLETE)
    stored = dict(rows(store, select(Answer.question, Answer.value)
                       .where(Answer.interview_id == interview_id)))
    assert {name: stored[name] for name in COMPLETE} == COMPLETE
    # Exactly once: one event per answer given (a calculated item, such as the age from the
    # birth year, may change as it does without an outage), and no value stored twice.
    events = rows(store, select(AnswerEvent.question, AnswerEvent.action, AnswerEvent.new_value)
                  .where(AnswerEvent.interview_id == interview_id))
    assert sorted(q for q, action, _ in events if q in COMPLETE) == sorted(COMPLETE)
    assert len({(q, value) for q, _, value in events}) == len(events)
    assert rows(store, select(Interview.state).where(Interview.id == interview_id)) == [
        ("complete",)]
    assert rows(store, select(CallAttempt.disposition).where(
        CallAttempt.case_id == case_id)) == [("1.1",)]


def test_a_case_taken_over_while_cut_off_keeps_its_answers_in_the_journal(
        qtbot, server, store, window):
    backend = window.backend
    answer_items(qtbot, window, BEFORE)
    case_id, interview_id = window.case.case_id, window.interview.id

    server.stop()
    answer_items(qtbot, window, OFFLINE[:2])
    window._reconnect.stop()  # the test decides when the window tries again
    server.start()
    # Meanwhile the lease expired and another workstation claimed the case.
    with store.unit() as session:
        session.execute(update(Case).where(Case.id == case_id).values(
            lease_holder="ws-other", lease_expires_at=utc_now()))
    window._write_journal()

    qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                    timeout=WAIT)
    assert "其他座席" in window.ready_page.status.text()
    assert window.connection_banner.isHidden()
    kept = [e for e in backend.journal.entries(backend.journal_key) if e.state == REFUSED]
    assert [e.payload["changes"] for e in kept] == [{name: COMPLETE[name]}
                                                     for name in OFFLINE[:2]]
    assert all(e.interview_id == interview_id and "no longer held" in e.reason for e in kept)
    # Nothing of it reached the database; the other workstation's case is untouched.
    stored = dict(rows(store, select(Answer.question, Answer.value)
                       .where(Answer.interview_id == interview_id)))
    assert not set(OFFLINE) & set(stored)
    assert rows(store, select(Case.lease_holder).where(Case.id == case_id)) == [("ws-other",)]
    assert rows(store, select(CallAttempt.id).where(CallAttempt.case_id == case_id)) == []
