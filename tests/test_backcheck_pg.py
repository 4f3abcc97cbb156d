"""Back-checks under PostgreSQL's own logins: a supervisor draws (the back-check project made
by the definer function, a supervisor may not create projects), an interviewer makes the call
through the normal path, the supervisor's reading writes the result, and an interviewer's login
can neither read nor write the back-check table nor make a back-check project."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from cati.calling.outcomes import record_outcome
from cati.config import QUESTIONNAIRE_DIR
from cati.questionnaire.loader import load_form
from cati.services.backcheck import draw_backchecks, list_backchecks, project_id_of
from cati.services.interviews import open_interview, save_answers
from cati.services.workstation import next_call
from cati.storage.db import Database
from tests.forms import form_answers
from tests.test_pg_security import Centre, _ids, _sample

pytestmark = pytest.mark.postgres


@pytest.fixture
def centre(pg_url, run_cli):
    made = Centre(pg_url, run_cli)
    yield made
    made.drop()


def _interview(database: Database, project_id: int, me: int, workstation: str,
               answers: dict[str, str], now: dt.datetime) -> None:
    call = next_call(database, project_id, me, workstation, now=now)
    assert call is not None
    info = open_interview(database, project_id, case_id=call.case_id, interviewer_id=me,
                          workstation=workstation, now=now)
    save_answers(database, info.id, answers, current_item=None, user_id=me,
                 workstation=workstation, now=now)
    record_outcome(database, call.case_id, workstation, "1.1", interviewer_id=me, now=now,
                   interview_id=info.id)


def test_supervisors_draw_interviewers_only_call_and_cannot_write_results(centre, tmp_path):
    now = dt.datetime.now(dt.UTC)
    _sample(centre, tmp_path, rows=3)
    survey = load_form(QUESTIONNAIRE_DIR / "public_safety.xlsx")
    ivan = Database(centre.url("ivan"))
    try:
        project, me = _ids(ivan)
        for _ in range(3):
            _interview(ivan, project, me, "ws-ivan",
                       form_answers(survey, {"age": "46", "township": "1"}), now)
    finally:
        ivan.dispose()

    lin = Database(centre.url("lin"))
    try:
        project, lin_id = _ids(lin)
        drawn = draw_backchecks(lin, project, rate="100%", user_id=lin_id, now=now)
        assert drawn.as_json() == {"project": "SAFE-FH", "drawn": 3,
                                   "per_interviewer": {"ivan": 3}}
        checks = project_id_of(lin, "SAFE-FH")
    finally:
        lin.dispose()

    # An interviewer's own login: no read, no write, no project of its own making.
    with centre.raw("ivan") as raw:
        for statement in (
                "SELECT count(*) FROM backchecks",
                "UPDATE backchecks SET result = 'confirmed'",
                "INSERT INTO backchecks (project_id, interview_id, case_id, drawn_at, details) "
                "SELECT project_id, id, case_id, now(), '{}' FROM interviews LIMIT 1",
                "SELECT cati_backcheck_project(1, 'X-FH', 'x', "
                "'{\"backcheck_of\": {\"project_id\": 1}}', 1)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(statement)

    # It makes the back-check call through the normal path.
    checker = load_form(QUESTIONNAIRE_DIR / "backcheck.xlsx")
    olga = Database(centre.url("olga"))
    try:
        _, olga_id = _ids(olga)
        _interview(olga, checks, olga_id, "ws-olga",
                   form_answers(checker, {"took_part": "1", "age_band": "3", "township": "1"}),
                   now)
    finally:
        olga.dispose()

    lin = Database(centre.url("lin"))
    try:
        project, lin_id = _ids(lin)
        rows = list_backchecks(lin, project, user_id=lin_id, now=now)
        assert sorted((r.interviewer, r.result or "pending") for r in rows) == [
            ("ivan", "confirmed"), ("ivan", "pending"), ("ivan", "pending")]
    finally:
        lin.dispose()
    with centre.raw("lin") as raw:  # the result entry names the supervisor's login
        assert raw.execute("SELECT actor FROM audit_log WHERE action = 'backcheck_result'"
                           ).fetchall() == [("lin",)]
