"""Interviews: answers and their history saved per change; a killed workstation resumes."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import textwrap

import pytest
from lease_time import pass_lease_time
from sqlalchemy import select

from cati.calling.outcomes import LeaseLost, record_outcome
from cati.calling.queue import claim_next_case
from cati.errors import CatiError
from cati.questionnaire.engine import InterviewEngine
from cati.services.interviews import load_interview, open_interview, save_answers
from cati.services.questionnaires import form_of
from cati.storage.models import AnswerEvent, Interview

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


@pytest.fixture
def project_id(one_case_project):
    return one_case_project


def test_answers_history_and_lease(database, project_id):
    claimed = claim_next_case(database, project_id, "ws1", now=NOW)
    interview = open_interview(database, project_id, case_id=claimed.case_id, workstation="ws1",
                               now=NOW)
    save_answers(database, interview.id, {"age": "40"}, current_item="residence",
                 workstation="ws1", now=NOW)
    save_answers(database, interview.id, {"age": "41", "residence": "1"},
                 current_item="occupation", workstation="ws1", now=NOW)
    save_answers(database, interview.id, {"residence": ""}, current_item="residence",
                 workstation="ws1", now=NOW)
    stored = load_interview(database, interview.id)
    assert stored.answers == {"age": "41", "residence": ""}
    assert stored.current_item == "residence"
    with database.unit() as session:
        events = session.execute(select(AnswerEvent.question, AnswerEvent.action,
                                        AnswerEvent.old_value, AnswerEvent.new_value)
                                 .order_by(AnswerEvent.id)).all()
    assert events == [("age", "set", None, "40"), ("age", "change", "40", "41"),
                      ("residence", "set", None, "1"), ("residence", "clear", "1", "")]
    pass_lease_time(database, dt.timedelta(minutes=30))
    claim_next_case(database, project_id, "ws2", now=NOW + dt.timedelta(minutes=30))
    with pytest.raises(LeaseLost):
        save_answers(database, interview.id, {"age": "99"}, current_item="age",
                     workstation="ws1")
    assert load_interview(database, interview.id).answers["age"] == "41"


def test_a_character_no_database_stores_is_refused_whole(database, project_id):
    claimed = claim_next_case(database, project_id, "ws1", now=NOW)
    interview = open_interview(database, project_id, case_id=claimed.case_id, workstation="ws1",
                               now=NOW)
    for bad in ("多巡逻\x00", "\ud800"):
        with pytest.raises(CatiError, match="suggestion"):
            save_answers(database, interview.id, {"age": "40", "suggestion": bad},
                         current_item="residence", workstation="ws1", now=NOW)
    assert load_interview(database, interview.id).answers == {}


def test_complete_closes_the_interview(database, project_id):
    claimed = claim_next_case(database, project_id, "ws1", now=NOW)
    interview = open_interview(database, project_id, case_id=claimed.case_id, workstation="ws1")
    record_outcome(database, claimed.case_id, "ws1", "1.1", now=NOW, interview_id=interview.id)
    with database.unit() as session:
        stored = session.get(Interview, interview.id)
        assert (stored.state, stored.disposition) == ("complete", "1.1")


KILLED = textwrap.dedent("""
    import datetime as dt, sys, time
    from cati.calling.queue import claim_next_case
    from cati.questionnaire.engine import InterviewEngine
    from cati.services.interviews import open_interview, save_answers
    from cati.services.questionnaires import form_of
    from cati.storage.db import Database
    database = Database(sys.argv[1])
    now = dt.datetime.fromisoformat(sys.argv[3])
    case = claim_next_case(database, int(sys.argv[2]), "ws-killed", now=now)
    interview = open_interview(database, int(sys.argv[2]), case_id=case.case_id,
                               workstation="ws-killed", now=now)
    with database.unit() as session:
        form = form_of(session, interview.questionnaire_id)
    engine = InterviewEngine.start(form, seed=interview.seed, clock=lambda: now)
    for value in [None, "3", "40", "1", "2", "7"]:
        assert engine.answer(value) is None, engine.current_item.name
        save_answers(database, interview.id, engine.take_changes(),
                     current_item=engine.current_item.name, workstation="ws-killed", now=now)
    print(engine.current_item.name, interview.id, flush=True)
    time.sleep(120)
""")


def test_killed_workstation_resumes_at_the_same_question(database, project_id, db_url):
    child = subprocess.Popen([sys.executable, "-c", KILLED, db_url, str(project_id),
                              NOW.isoformat()], stdout=subprocess.PIPE, text=True)
    try:
        question, interview_id = child.stdout.readline().split()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert question == "urban_rural"
    assert claim_next_case(database, project_id, "ws-new", now=NOW) is None  # still leased
    later = NOW + dt.timedelta(minutes=11)
    pass_lease_time(database, dt.timedelta(minutes=11))
    claimed = claim_next_case(database, project_id, "ws-new", now=later)
    assert claimed is not None
    resumed = open_interview(database, project_id, case_id=claimed.case_id,
                             workstation="ws-new", now=later)
    assert resumed.id == int(interview_id)
    with database.unit() as session:
        form = form_of(session, resumed.questionnaire_id)
    engine = InterviewEngine.resume(form, resumed.answers, seed=resumed.seed,
                                    clock=lambda: later, at=resumed.current_item)
    assert engine.current_item.name == "urban_rural"
    assert engine.answers["township"] == "7" and engine.answers["age"] == "40"
