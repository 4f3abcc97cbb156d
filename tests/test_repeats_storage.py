"""A roster interview through the services (SQLite and PostgreSQL): each instance's answers are
stored under its instance key before the next question shows, a workstation killed in the
middle of the second adult resumes at that adult's question, and a web respondent lists the
household."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import textwrap

import pytest
from lease_time import pass_lease_time
from repeat_forms import ADULTS, ROSTER
from sqlalchemy import insert, select
from test_web_links import answer_through, current_item, stored_answers, web_client, web_interviews

from cati.calling.queue import claim_next_case
from cati.questionnaire.engine import InterviewEngine
from cati.services.interviews import load_interview, open_interview, save_answers
from cati.services.projects import create_project
from cati.services.questionnaires import form_of
from cati.storage.models import Answer, Case
from cati.web.links import point_link

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # the clock of the engine tests


@pytest.fixture
def roster_project(database, tmp_path) -> int:
    path = tmp_path / "roster.md"
    path.write_text(textwrap.dedent(ROSTER), encoding="utf-8")
    with database.unit() as session:
        project = create_project(session, "ROSTER", path)
        session.execute(insert(Case), [{"project_id": project.id, "phone_e164": "+8613800000002",
                                        "state": "fresh", "attempts": 0, "priority": 0,
                                        "stratum": "", "attributes": {},
                                        "time_zone": "Asia/Shanghai"}])
    return project.id


def test_each_instance_is_stored_under_its_key_in_order(database, roster_project):
    claimed = claim_next_case(database, roster_project, "ws1", now=NOW)
    interview = open_interview(database, roster_project, case_id=claimed.case_id,
                               workstation="ws1", now=NOW)
    with database.unit() as session:
        form = form_of(session, interview.questionnaire_id)
    engine = InterviewEngine.start(form, seed=interview.seed, clock=lambda: NOW)
    for value in ["1007", "3", *ADULTS[0], *ADULTS[1][:2]]:
        assert engine.answer(value) is None
        save_answers(database, interview.id, engine.take_changes(),
                     current_item=engine.current_key, workstation="ws1", now=NOW)
    stored = load_interview(database, interview.id)
    assert stored.current_item == "adults[2]/age"
    assert stored.answers["adults[1]/name"] == "王芳"
    assert stored.answers["adults[2]/sex"] == "1"
    with database.unit() as session:
        order = session.scalars(select(Answer.question).where(
            Answer.interview_id == interview.id, ~Answer.question.like("%rank"),
            ~Answer.question.like("%position"), Answer.question.like("adults%"))
            .order_by(Answer.sequence)).all()
    assert order == ["adults[1]/name", "adults[1]/sex", "adults[1]/age", "adults[1]/bmonth",
                     "adults[2]/name", "adults[2]/sex"]


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
    for value in sys.argv[4:]:
        assert engine.answer(value) is None, engine.current_key
        save_answers(database, interview.id, engine.take_changes(),
                     current_item=engine.current_key, workstation="ws-killed", now=now)
    print(engine.current_key, interview.id, flush=True)
    time.sleep(120)
""")


def test_a_killed_workstation_resumes_inside_the_right_instance(database, roster_project,
                                                                 db_url):
    answers = ["1007", "3", *ADULTS[0], ADULTS[1][0]]
    child = subprocess.Popen([sys.executable, "-c", KILLED, db_url, str(roster_project),
                              NOW.isoformat(), *answers], stdout=subprocess.PIPE, text=True)
    try:
        key, interview_id = child.stdout.readline().split()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert key == "adults[2]/sex"
    later = NOW + dt.timedelta(minutes=11)
    pass_lease_time(database, dt.timedelta(minutes=11))
    claimed = claim_next_case(database, roster_project, "ws-new", now=later)
    resumed = open_interview(database, roster_project, case_id=claimed.case_id,
                             workstation="ws-new", now=later)
    assert resumed.id == int(interview_id)
    with database.unit() as session:
        form = form_of(session, resumed.questionnaire_id)
    engine = InterviewEngine.resume(form, resumed.answers, seed=resumed.seed,
                                    clock=lambda: NOW, at=resumed.current_item)
    shown = engine.current()
    assert (shown.key, shown.label) == ("adults[2]/sex", "李强的性别？")
    for value in [*ADULTS[1][1:], *ADULTS[2], None]:
        assert engine.answer(value) is None
    assert engine.current().label == "李强愿意接受访问吗？"


def test_a_web_respondent_lists_the_household_and_a_page_sent_twice_answers_once(
        database, roster_project):
    link = point_link(database, "ROSTER", "东门")
    client = web_client(database, roster_project)
    first = {"hh_id": "1007", "n_adults": "2", "adults[1]/name": "王芳"}
    page = answer_through(client, link.path, first)
    assert current_item(page) == "adults[1]/sex"
    # The name page of the first adult sent again (a double click): a stale page, ignored.
    client.post(link.path, data={"action": "next", "item": "adults[1]/name", "value": "X"})
    page = client.get(link.path).get_data(as_text=True)
    assert current_item(page) == "adults[1]/sex"
    rest = {"adults[1]/sex": "2", "adults[1]/age": "45", "adults[1]/bmonth": "3",
            "adults[2]/name": "李强", "adults[2]/sex": "1", "adults[2]/age": "50",
            "adults[2]/bmonth": "12", "pick": "", "agree": "1"}
    page = answer_through(client, link.path, {**first, **rest})
    assert "问卷已提交" in page
    [interview] = web_interviews(database)
    stored = stored_answers(database, interview.id)
    assert stored["adults[1]/name"] == "王芳" and stored["adults[2]/name"] == "李强"
    assert "X" not in stored.values()
